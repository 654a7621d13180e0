// Package etcdtest starts a real etcd cluster inside a test process, on
// loopback ports, its data in the test's temporary folder. It is for
// tests only: it links etcd's server, which the cartago binary does not.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is a running etcd cluster of embedded members.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	members []*embed.Etcd // nil once stopped
	clients []string
}

// Start starts n members and waits until they serve. They are stopped
// when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	dir := t.TempDir()
	peers, clients := freePorts(t, n), freePorts(t, n)
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("m%d=http://%s", i, peers[i]))
	}
	token := fmt.Sprintf("cartago-test-%d", time.Now().UnixNano()) // one for all members
	c := &Cluster{t: t, members: make([]*embed.Etcd, n)}
	t.Cleanup(c.stopAll)
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		pu, cu := url.URL{Scheme: "http", Host: peers[i]}, url.URL{Scheme: "http", Host: clients[i]}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = token
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(testLogger())
		// Short election timeouts on loopback, so that losing the
		// leader costs a fraction of a second.
		cfg.TickMs, cfg.ElectionMs = 50, 500
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatalf("etcd member %d: %v", i, err)
		}
		c.members[i] = e
		c.clients = append(c.clients, clients[i])
	}
	for i, e := range c.members {
		select {
		case <-e.Server.ReadyNotify():
		case err := <-e.Err():
			t.Fatalf("etcd member %d: %v", i, err)
		case <-time.After(60 * time.Second):
			t.Fatalf("etcd member %d not ready after a minute", i)
		}
	}
	return c
}

// Endpoints are the members' client addresses, host:port.
func (c *Cluster) Endpoints() []string { return append([]string(nil), c.clients...) }

// Stop stops member i (as a crash would, for its clients: its
// connections close).
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	e := c.members[i]
	c.members[i] = nil
	c.mu.Unlock()
	if e != nil {
		e.Close()
	}
}

func (c *Cluster) stopAll() {
	for i := range c.members {
		c.Stop(i)
	}
}

// freePorts returns n loopback addresses that were free a moment ago.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func testLogger() *zap.Logger {
	if os.Getenv("ETCDTEST_LOG") == "" {
		return zap.NewNop()
	}
	l, _ := zap.NewDevelopment()
	return l
}
