package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"go.etcd.io/etcd/client/pkg/v3/transport"

	"cartago/session"
	"cartago/store"
)

// The store flags choose where sessions and user data live: the bbolt
// file of --db (default) or an etcd cluster. They are added to every
// command that has --db (withStoreFlags), and reach the commands through
// their context (storeFrom), so the commands' own code only calls
// openStore.

func storeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "store", Value: "bbolt", Usage: "where sessions and user data live: bbolt (the --db file) or etcd", EnvVars: envVar("STORE")},
		&cli.StringSliceFlag{Name: "etcd-endpoints", Value: cli.NewStringSlice("127.0.0.1:2379"), Usage: "etcd members, host:port,... (--store etcd)", EnvVars: envVar("ETCD_ENDPOINTS")},
		&cli.StringFlag{Name: "etcd-prefix", Value: "/cartago/", Usage: "etcd key prefix holding everything this deployment keeps", EnvVars: envVar("ETCD_PREFIX")},
		&cli.StringFlag{Name: "etcd-cacert", Usage: "CA bundle verifying etcd's server certificates (enables TLS)", EnvVars: envVar("ETCD_CACERT")},
		&cli.StringFlag{Name: "etcd-cert", Usage: "client certificate for etcd (enables TLS)", EnvVars: envVar("ETCD_CERT")},
		&cli.StringFlag{Name: "etcd-key", Usage: "key of --etcd-cert", EnvVars: envVar("ETCD_KEY")},
		&cli.StringFlag{Name: "etcd-user", Usage: "etcd user name", EnvVars: envVar("ETCD_USER")},
		&cli.StringFlag{Name: "etcd-password", Usage: "etcd password (prefer the environment variable)", EnvVars: envVar("ETCD_PASSWORD")},
		&cli.DurationFlag{Name: "etcd-dial-timeout", Value: 5 * time.Second, Usage: "how long connecting to etcd may take", EnvVars: envVar("ETCD_DIAL_TIMEOUT")},
		&cli.StringFlag{Name: "node-name", Usage: "this server's name among the nodes sharing etcd (default hostname:port)", EnvVars: envVar("NODE_NAME")},
		&cli.DurationFlag{Name: "node-lease-ttl", Value: 5 * time.Second, Usage: "how soon another node may take over the live sessions of a node that stopped answering etcd", EnvVars: envVar("NODE_LEASE_TTL")},
	}
}

// storeOptions is the validated choice of the store flags.
type storeOptions struct {
	etcd     bool
	cfg      store.EtcdConfig
	node     string // --node-name; "" = hostname:port, known once serving
	leaseTTL time.Duration
}

type storeKey struct{}

// storeFrom returns the store options of the command running with ctx
// (bbolt when none were given, as in tests calling serve directly).
func storeFrom(ctx context.Context) storeOptions {
	o, _ := ctx.Value(storeKey{}).(storeOptions)
	return o
}

// withStoreFlags adds the store flags to every command with --db that
// does not list them already, and puts their values into the command's
// context.
func withStoreFlags(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		withStoreFlags(cmd.Subcommands)
		if cmd.Action == nil || !slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "db") }) {
			continue
		}
		if !slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "store") }) {
			cmd.Flags = append(cmd.Flags, storeFlags()...) // serve lists them itself
		}
		action := cmd.Action
		cmd.Action = func(c *cli.Context) error {
			o, err := storeOptionsFromCLI(c)
			if err != nil {
				return err
			}
			c.Context = context.WithValue(c.Context, storeKey{}, o)
			return action(c)
		}
	}
	return cmds
}

func storeOptionsFromCLI(c *cli.Context) (storeOptions, error) {
	o := storeOptions{node: c.String("node-name"), leaseTTL: c.Duration("node-lease-ttl")}
	switch c.String("store") {
	case "bbolt":
		return o, nil
	case "etcd":
	default:
		return o, fmt.Errorf("--store %q: want bbolt or etcd", c.String("store"))
	}
	o.etcd = true
	o.cfg = store.EtcdConfig{Prefix: c.String("etcd-prefix"), Username: c.String("etcd-user"),
		Password: c.String("etcd-password"), DialTimeout: c.Duration("etcd-dial-timeout")}
	for _, e := range c.StringSlice("etcd-endpoints") {
		for _, ep := range strings.Split(e, ",") {
			if ep = strings.TrimSpace(ep); ep != "" {
				o.cfg.Endpoints = append(o.cfg.Endpoints, ep)
			}
		}
	}
	if len(o.cfg.Endpoints) == 0 {
		return o, errors.New("--store etcd needs --etcd-endpoints")
	}
	if o.leaseTTL < time.Second {
		return o, errors.New("--node-lease-ttl must be at least 1s")
	}
	tlsCfg, err := etcdTLS(c.String("etcd-cacert"), c.String("etcd-cert"), c.String("etcd-key"))
	if err != nil {
		return o, err
	}
	o.cfg.TLS = tlsCfg
	return o, nil
}

// etcdTLS is nil (plain connections) unless a CA or a client
// certificate is given.
func etcdTLS(ca, cert, key string) (*tls.Config, error) {
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	if (cert == "") != (key == "") {
		return nil, errors.New("--etcd-cert and --etcd-key go together")
	}
	info := transport.TLSInfo{TrustedCAFile: ca, CertFile: cert, KeyFile: key}
	cfg, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd TLS: %w", err)
	}
	return cfg, nil
}

// openStore opens the store the command's flags chose: the bbolt file
// dbPath, or etcd.
func openStore(ctx context.Context, dbPath string, opts store.Options) (*store.Store, error) {
	o := storeFrom(ctx)
	if !o.etcd {
		return store.Open(dbPath, opts)
	}
	cfg := o.cfg
	cfg.ReadOnly = opts.ReadOnly
	return store.OpenEtcd(cfg)
}

// startClaims shares live sessions with the other nodes on etcd; nil
// (a single node) on bbolt. stop revokes the lease: call it after the
// session manager closed.
func startClaims(ctx context.Context, db *store.Store, addr string, log *slog.Logger) (claims session.Claims, stop func(), err error) {
	o := storeFrom(ctx)
	if !o.etcd {
		return nil, func() {}, nil
	}
	node := o.node
	if node == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(addr)
		node = net.JoinHostPort(host, port)
	}
	h, err := db.NewHolder(node, o.leaseTTL, log)
	if err != nil {
		return nil, nil, err
	}
	log.Info("sharing live sessions through etcd", "node", node, "lease_ttl", o.leaseTTL)
	return h, func() {
		if err := h.Close(); err != nil {
			log.Warn("revoking the node's etcd lease", "err", err)
		}
	}, nil
}
