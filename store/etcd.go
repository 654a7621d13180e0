package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdConfig says how to reach etcd and how large its requests may be.
type EtcdConfig struct {
	Endpoints []string
	// Prefix holds everything this store keeps; several deployments can
	// share a cluster under different prefixes. Default "/cartago/".
	Prefix             string
	Username, Password string
	TLS                *tls.Config // nil: plain connections
	// DialTimeout bounds connecting; OpTimeout one transaction (with its
	// retries). Defaults 5 s and 10 s.
	DialTimeout, OpTimeout time.Duration
	// MaxTxnOps and MaxRequestBytes are the cluster's --max-txn-ops and
	// --max-request-bytes (defaults 128 and 1.5 MiB): a commit with more
	// is split into several etcd transactions.
	MaxTxnOps       int
	MaxRequestBytes int
	// CompressAbove is the size from which values are stored
	// zstd-compressed. Default 32 KiB.
	CompressAbove int
	// ReadOnly opens without creating the schema.
	ReadOnly bool
}

func (c *EtcdConfig) defaults() {
	if c.Prefix == "" {
		c.Prefix = "/cartago/"
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = 10 * time.Second
	}
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = 128
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = 3 << 19 // 1.5 MiB
	}
	if c.CompressAbove <= 0 {
		c.CompressAbove = 32 << 10
	}
}

// Value markers: every value in etcd starts with one, so that reading
// knows whether it was compressed.
const (
	markPlain = 'p'
	markZstd  = 'z'
	// maxDecoded bounds what one compressed value may expand to.
	maxDecoded = 256 << 20
	// requestOverhead is room left in a request for keys and framing.
	requestOverhead = 16 << 10
)

// etcdBackend keeps the store under a prefix of an etcd cluster.
type etcdBackend struct {
	cli    *clientv3.Client
	cfg    EtcdConfig
	zw     *zstd.Encoder // EncodeAll and DecodeAll are safe for concurrent use
	zr     *zstd.Decoder
	closed chan struct{}
}

// OpenEtcd connects to etcd and checks (or, unless read-only, creates)
// the schema under cfg.Prefix.
func OpenEtcd(cfg EtcdConfig) (*Store, error) {
	cfg.defaults()
	where := "etcd " + strings.Join(cfg.Endpoints, ",") + " " + cfg.Prefix
	if len(cfg.Endpoints) == 0 {
		return nil, &Error{Path: where, Err: errors.New("no endpoints"), Hint: "set --etcd-endpoints"}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout,
		Username: cfg.Username, Password: cfg.Password, TLS: cfg.TLS, Logger: zap.NewNop()})
	if err != nil {
		return nil, &Error{Path: where, Err: err, Hint: "check --etcd-endpoints and the TLS options"}
	}
	zw, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault)) // fails only on bad options
	zr, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxDecoded), zstd.WithDecoderConcurrency(0))
	be := &etcdBackend{cli: cli, cfg: cfg, zw: zw, zr: zr, closed: make(chan struct{})}
	check := be.update
	if cfg.ReadOnly {
		check = be.view
	}
	if err := check(initSchema); err != nil {
		be.close()
		hint := "is etcd running and reachable? check --etcd-endpoints, --etcd-user and the TLS options"
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSchemaNewer) {
			hint = "nothing a cartago of this version wrote is under this prefix; check --etcd-prefix"
		}
		return nil, &Error{Path: where, Err: err, Hint: hint}
	}
	return newStore(be, where), nil
}

func (b *etcdBackend) root(t *etcdTxn) *etcdBucket {
	return &etcdBucket{t: t, p: b.cfg.Prefix + "d/", root: true}
}

func (b *etcdBackend) view(fn func(root bucket) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.OpTimeout)
	defer cancel()
	t := newTxn(ctx, b, false)
	err := fn(b.root(t))
	return errors.Join(err, t.err)
}

// update runs fn and commits what it wrote, running it again when
// another writer changed what it read in between, until OpTimeout.
func (b *etcdBackend) update(fn func(root bucket) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.OpTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		t := newTxn(ctx, b, true)
		if err := errors.Join(fn(b.root(t)), t.err); err != nil {
			return err
		}
		err := b.commit(ctx, t)
		if !errors.Is(err, errConflict) {
			return err
		}
		// Writers that conflicted retry at random moments, so that one
		// of them wins the next round.
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(5*time.Millisecond)))):
		case <-ctx.Done():
			return fmt.Errorf("%w %d times: %w", errConflict, attempt, ctx.Err())
		}
	}
}

// encode marks v, compressing it from CompressAbove bytes; a value that
// stays too large for one request is ErrTooLarge.
func (b *etcdBackend) encode(key string, v []byte) ([]byte, error) {
	var enc []byte
	if len(v) >= b.cfg.CompressAbove {
		enc = b.zw.EncodeAll(v, append(make([]byte, 0, len(v)/2+1), markZstd))
	} else {
		enc = append(append(make([]byte, 0, len(v)+1), markPlain), v...)
	}
	if max := b.cfg.MaxRequestBytes - requestOverhead; len(enc)+len(key) > max {
		return nil, fmt.Errorf("%w: %d bytes (%d compressed), at most %d in one etcd request", ErrTooLarge, len(v), len(enc), max)
	}
	return enc, nil
}

// decode undoes encode; an empty value is a bucket marker.
func (b *etcdBackend) decode(key string, enc []byte) ([]byte, error) {
	if len(enc) == 0 {
		return []byte{}, nil
	}
	switch enc[0] {
	case markPlain:
		return append(make([]byte, 0, len(enc)-1), enc[1:]...), nil // never nil: an empty value exists
	case markZstd:
		v, err := b.zr.DecodeAll(enc[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", key, ErrCorrupt, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s: %w: unknown value marker %q", key, ErrCorrupt, enc[0])
}

// commit writes t's changes. The first etcd transaction carries the
// guards (what t read must be unchanged) and all deletions; when the
// writes exceed one request's operations or bytes, the remaining puts
// follow in further transactions, which need no guard: they only put
// values this writer computed, and no key is both put and deleted.
func (b *etcdBackend) commit(ctx context.Context, t *etcdTxn) error {
	if len(t.writes) == 0 && len(t.gone) == 0 {
		return nil
	}
	chunks := b.chunks(t)
	resp, err := b.cli.Txn(ctx).If(b.guards(t)...).Then(chunks[0]...).Commit()
	if err != nil {
		return fmt.Errorf("etcd commit: %w", err)
	}
	if !resp.Succeeded {
		return errConflict
	}
	for i, ops := range chunks[1:] {
		if _, err := b.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return fmt.Errorf("etcd commit, part %d of %d: %w", i+2, len(chunks), err)
		}
	}
	return nil
}

// guards compares the revisions t read. Beyond MaxTxnOps single keys
// they are folded into one guard per folder (stricter: any change there
// conflicts).
func (b *etcdBackend) guards(t *etcdTxn) []clientv3.Cmp {
	var cmps []clientv3.Cmp
	folders := map[string]bool{}
	for _, p := range t.ranges {
		folders[p] = true
	}
	if len(t.reads)+len(folders) > b.cfg.MaxTxnOps {
		for k := range t.reads {
			folders[k[:strings.LastIndexByte(k, '/')+1]] = true
		}
	} else {
		for k, rev := range t.reads {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", rev))
		}
	}
	for p := range folders {
		// A key created or changed in the folder since t.rev has a
		// higher mod revision; an empty folder compares true.
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(p).WithPrefix(), "<", t.rev+1))
	}
	return cmps
}

// chunks splits t's writes into etcd transactions within the cluster's
// limits, deletions first.
func (b *etcdBackend) chunks(t *etcdTxn) [][]clientv3.Op {
	var chunks [][]clientv3.Op
	var cur []clientv3.Op
	size := 0
	add := func(op clientv3.Op, n int) {
		if len(cur) > 0 && (len(cur) >= b.cfg.MaxTxnOps || size+n > b.cfg.MaxRequestBytes-requestOverhead) {
			chunks = append(chunks, cur)
			cur, size = nil, 0
		}
		cur = append(cur, op)
		size += n
	}
	for _, p := range t.gone {
		add(clientv3.OpDelete(p, clientv3.WithPrefix()), 2*len(p))
	}
	for k, w := range t.writes {
		if w.enc == nil {
			add(clientv3.OpDelete(k), len(k))
		}
	}
	for k, w := range t.writes {
		if w.enc != nil {
			add(clientv3.OpPut(k, string(w.enc)), len(k)+len(w.enc))
		}
	}
	return append(chunks, cur)
}

func (b *etcdBackend) sessionsPrefix() string {
	return b.cfg.Prefix + "d/s/" + escapeName(bucketSessions) + "/v/"
}

func (b *etcdBackend) countSessions() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.OpTimeout)
	defer cancel()
	resp, err := b.cli.Get(ctx, b.sessionsPrefix(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd count: %w", err)
	}
	return int(resp.Count), nil
}

// size is the database size the first reachable member reports (the
// whole cluster's, other prefixes included).
func (b *etcdBackend) size() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.OpTimeout)
	defer cancel()
	var errs []error
	for _, ep := range b.cli.Endpoints() {
		st, err := b.cli.Status(ctx, ep)
		if err == nil {
			return st.DbSize, nil
		}
		errs = append(errs, err)
	}
	return 0, fmt.Errorf("etcd status: %w", errors.Join(errs...))
}

// check decodes every value under the prefix.
func (b *etcdBackend) check() error {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.OpTimeout)
	defer cancel()
	resp, err := b.cli.Get(ctx, b.cfg.Prefix+"d/", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("etcd check: %w", err)
	}
	var errs []error
	for _, e := range resp.Kvs {
		if _, err := b.decode(string(e.Key), e.Value); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *etcdBackend) close() error {
	select {
	case <-b.closed:
		return nil
	default:
	}
	close(b.closed)
	b.zr.Close()
	_ = b.zw.Close()
	return b.cli.Close()
}
