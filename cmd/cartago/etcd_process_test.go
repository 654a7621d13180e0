package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/sample"
	"cartago/store"
	"cartago/store/etcdtest"
)

// etcdRig runs cartago processes as nodes on one real 3-member etcd
// cluster (started in the test process), behind a reverse proxy that
// sends each new connection to the preferred node, or the next live one.
type etcdRig struct {
	t         *testing.T
	root      string
	cluster   *etcdtest.Cluster
	nodes     []*serverProc
	preferred atomic.Int32
	proxy     *httptest.Server
}

const etcdRigToken = "etcd-rig-token"

// newEtcdRig starts n nodes with extra flags (default: --no-frontend).
func newEtcdRig(t *testing.T, n int, extra ...string) *etcdRig {
	if len(extra) == 0 {
		extra = []string{"--no-frontend"}
	}
	root := t.TempDir()
	if err := sample.Generate(context.Background(), root, sample.Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	r := &etcdRig{t: t, root: root, cluster: etcdtest.Start(t, 3)}
	for i := range n {
		r.nodes = append(r.nodes, startProcess(t, append(r.nodeArgs(i), extra...)...))
	}
	r.proxy = httptest.NewServer(http.HandlerFunc(r.route))
	t.Cleanup(r.proxy.Close)
	return r
}

// storeArgs are the flags that put a command on the rig's etcd.
func (r *etcdRig) storeArgs() []string {
	return []string{"--store", "etcd", "--etcd-endpoints", strings.Join(r.cluster.Endpoints(), ","), "--etcd-prefix", "/rig/"}
}

func (r *etcdRig) nodeArgs(i int) []string {
	return append([]string{"--root", r.root, "--auth-token", etcdRigToken,
		"--db", filepath.Join(r.t.TempDir(), "unused.db"), "--node-name", nodeLabel(i),
		"--checkpoint-interval", crashInterval.String(), "--node-lease-ttl", "2s"}, r.storeArgs()...)
}

func nodeLabel(i int) string { return "node" + string(rune('0'+i)) }

// route forwards a request to the preferred node if it accepts
// connections, else to the next one that does; websocket upgrades pass
// through httputil.ReverseProxy.
func (r *etcdRig) route(w http.ResponseWriter, req *http.Request) {
	for k := range len(r.nodes) {
		i := (int(r.preferred.Load()) + k) % len(r.nodes)
		u, _ := url.Parse(r.nodes[i].url)
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			continue
		}
		conn.Close()
		w.Header().Set("X-Node", nodeLabel(i))
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: u.Host}).ServeHTTP(w, req)
		return
	}
	http.Error(w, "no live node", http.StatusBadGateway)
}

// stored reads the snapshot of id from etcd.
func (r *etcdRig) stored(id uint32) *store.Snapshot {
	r.t.Helper()
	db, err := store.OpenEtcd(store.EtcdConfig{Endpoints: r.cluster.Endpoints(), Prefix: "/rig/", ReadOnly: true})
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	snap, err := db.Get(id)
	if err != nil {
		r.t.Fatalf("session %d in etcd: %v", id, err)
	}
	return snap
}

// holders reads which node holds each live session.
func (r *etcdRig) holders() (map[uint32]string, error) {
	db, err := store.OpenEtcd(store.EtcdConfig{Endpoints: r.cluster.Endpoints(), Prefix: "/rig/", ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.LiveHolders()
}

func (r *etcdRig) pageURL() string { return r.proxy.URL + "/?token=" + etcdRigToken }

func (r *etcdRig) kill(i int) {
	r.t.Helper()
	if err := r.nodes[i].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	<-r.nodes[i].done
}

// TestEtcdNodeKilledSessionResumesElsewhere: a session's node is killed
// with SIGKILL; the frontend reconnects through the proxy, reaches
// another node, and resumes with its channel, its region and the
// region's statistics requirement, which the client does not send
// again.
func TestEtcdNodeKilledSessionResumesElsewhere(t *testing.T) {
	r := newEtcdRig(t, 2)
	c := dialServer(t, r.pageURL())
	sid := c.register(0).SessionId
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 5})
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 30, Y: 30}, {X: 10, Y: 8}}}
	c.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 1, RegionId: -1, RegionInfo: rect})
	var rack icd.SetRegionAck
	c.await(icd.EventType_SET_REGION_ACK, &rack)
	stats := []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum}}}
	c.send(icd.EventType_SET_STATS_REQUIREMENTS, &icd.SetStatsRequirements{FileId: 1, RegionId: rack.RegionId, StatsConfigs: stats})
	var before icd.RegionStatsData
	c.await(icd.EventType_REGION_STATS_DATA, &before)
	time.Sleep(crashInterval + crashSlack)

	killed := time.Now()
	r.kill(0)
	snap := r.stored(sid)
	if reg := snap.GetImages()[0].GetRegions()[rack.RegionId]; len(snap.Images) != 1 || snap.Images[0].Channel != 5 || len(reg.GetStats()) != 1 {
		t.Fatalf("snapshot in etcd after the kill: %v", snap)
	}
	c = dialServer(t, r.pageURL()) // the proxy finds node1
	again := c.register(sid)
	if again.SessionType != icd.SessionType_RESUMED || again.SessionId != sid {
		t.Fatalf("register on the other node: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Channel: 5, Regions: map[int32]*icd.RegionInfo{rack.RegionId: rect}}}})
	var hist icd.RegionHistogramData
	var after icd.RegionStatsData
	var ack icd.ResumeSessionAck
	awaitAll(c, map[icd.EventType]proto.Message{icd.EventType_REGION_HISTOGRAM_DATA: &hist,
		icd.EventType_REGION_STATS_DATA: &after, icd.EventType_RESUME_SESSION_ACK: &ack})
	t.Logf("failover: SIGKILL to RESUME_SESSION_ACK through the proxy in %v (no client reconnect delay)", time.Since(killed))
	if !ack.Success || hist.Channel != 5 || after.RegionId != rack.RegionId || after.Channel != before.Channel ||
		len(after.Statistics) != 2 || after.Statistics[1].Value != before.Statistics[1].Value {
		t.Fatalf("resumed on node1: ack %+v, histogram channel %d, stats %v (before %v)", &ack, hist.Channel, &after, &before)
	}
}

// TestEtcdTakeoverBetweenNodes: a session live on node0 is registered on
// node1: node0 closes its socket with the takeover reason, node1 resumes
// the session from etcd, and `sessions list` names node1 as its node.
func TestEtcdTakeoverBetweenNodes(t *testing.T) {
	r := newEtcdRig(t, 2)
	c0 := dialServer(t, r.pageURL())
	sid := c0.register(0).SessionId
	c0.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c0.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c0.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 3})
	c0.await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	time.Sleep(crashInterval + crashSlack)
	out, err := execOutput(buildBinary(t), append([]string{"sessions", "list"}, r.storeArgs()...)...)
	if err != nil || !strings.Contains(out, "live on node0") {
		t.Fatalf("sessions list before the takeover: %v\n%s", err, out)
	}

	r.preferred.Store(1)
	c1 := dialServer(t, r.pageURL())
	if ack := c1.register(sid); ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != sid {
		t.Fatalf("register on node1: %+v", ack)
	}
	if ce := c0.ReadClose(); !strings.Contains(ce.Text, "taken over") {
		t.Fatalf("node0's socket closed with %q", ce.Text)
	}
	c1.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Channel: 3}}})
	var hist icd.RegionHistogramData
	var ack icd.ResumeSessionAck
	awaitAll(c1, map[icd.EventType]proto.Message{icd.EventType_REGION_HISTOGRAM_DATA: &hist, icd.EventType_RESUME_SESSION_ACK: &ack})
	if !ack.Success || hist.Channel != 3 {
		t.Fatalf("resumed on node1: ack %+v, histogram channel %d", &ack, hist.Channel)
	}
	out, err = execOutput(buildBinary(t), append([]string{"sessions", "list"}, r.storeArgs()...)...)
	if err != nil || !strings.Contains(out, "live on node1") || strings.Contains(out, "node0") {
		t.Fatalf("sessions list after the takeover: %v\n%s", err, out)
	}
}

// awaitAll reads until one message of each type in want has arrived, in
// any order, and decodes the first of each.
func awaitAll(c *wsClient, want map[icd.EventType]proto.Message) {
	c.t.Helper()
	for len(want) > 0 {
		m := c.Next()
		if pm, ok := want[m.Header.Type]; ok && !m.IsText {
			if err := m.Decode(pm); err != nil {
				c.t.Fatal(err)
			}
			delete(want, m.Header.Type)
		}
	}
}

// TestEtcdPurgeOfLiveSessionStaysPurged purges a session live on a node
// while its client keeps changing it: the node closes the socket with
// the purge reason and its checkpoints do not bring the snapshot back.
func TestEtcdPurgeOfLiveSessionStaysPurged(t *testing.T) {
	r := newEtcdRig(t, 1)
	c := dialServer(t, r.pageURL())
	sid := c.register(0).SessionId
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	stop := make(chan struct{})
	busy := make(chan struct{})
	go func() { // changes that dirty the session until its socket closes
		defer close(busy)
		for ch := int32(0); ; ch = (ch + 1) % 8 {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if c.Client.Send(icd.EventType_SET_IMAGE_CHANNELS, 0, &icd.SetImageChannels{FileId: 1, Channel: ch}) != nil {
				return
			}
		}
	}()
	time.Sleep(crashInterval + crashSlack)
	r.stored(sid) // checkpointed
	out, err := execOutput(buildBinary(t), append(append([]string{"sessions", "purge"}, r.storeArgs()...), "--yes", strconv.FormatUint(uint64(sid), 10))...)
	if err != nil {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	ce := c.ReadClose()
	close(stop)
	<-busy
	if !strings.Contains(ce.Text, "purged") {
		t.Fatalf("socket closed with %q", ce.Text)
	}
	time.Sleep(crashInterval + crashSlack) // any checkpoint would be in by now
	db, err := store.OpenEtcd(store.EtcdConfig{Endpoints: r.cluster.Endpoints(), Prefix: "/rig/", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if snap, err := db.Get(sid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("purged session came back: %v, %v", snap, err)
	}
}
