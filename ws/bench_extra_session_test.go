package ws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/imaging/bench"
	"cartago/session"
	"cartago/ws/wstest"
)

// BenchmarkExtraSession is what one more session on an image others
// already show costs the server (issue 10's "each extra session"): per
// iteration a new connection offering permessage-deflate registers,
// opens the 4096² image, gets its histogram and the 16 tiles of the fit
// view, all from the server's cache after the first, and disconnects.
// Run with -cpuprofile to see where that time goes.
func BenchmarkExtraSession(b *testing.B) {
	dir := sampleDir(b)
	folder, err := session.NewFolder(dir, "")
	if err != nil {
		b.Fatal(err)
	}
	log := quietLogger()
	mgr := session.NewManager(session.Config{IdleTimeout: time.Minute, Logger: log, Folder: folder, CacheSize: 256 << 20})
	srv, err := New(Config{AuthToken: testToken, Logger: log}, mgr)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		mgr.Close("benchmark over")
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("serve returned %v", err)
		}
	})
	ids := bench.Encode(bench.FitView(benchImageSide, benchImageSide, 1600, 1000).Tiles(benchImageSide, benchImageSide))
	dialer := *websocket.DefaultDialer
	dialer.EnableCompression = true
	session := func() {
		c, _, err := dialer.Dial("ws://"+l.Addr().String()+"/?token="+testToken, nil)
		if err != nil {
			b.Fatal(err)
		}
		cl := &wsBench{T: wstest.WrapT(b, c), dir: dir}
		cl.Timeout = 30 * time.Second
		cl.Register(0)
		cl.openFile(bench.Image, 0)
		cl.send(icd.EventType_ADD_REQUIRED_TILES, tileRequest(0, ids))
		cl.readTiles(len(ids), true)
		c.Close()
	}
	session() // the first: decodes the plane, computes the histogram, encodes the tiles
	var took []time.Duration
	cpu := processCPU()
	for b.Loop() {
		start := time.Now()
		session()
		took = append(took, time.Since(start))
	}
	reportMedian(b, took, "ms-per-session")
	// Server and client together, both in this process: less sensitive
	// to other load on the machine than wall time.
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/session")
}
