package ws

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/ws/wstest"
)

func TestRegisterViewer(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)

	ack := register(t, c, 0)
	if !ack.Success || ack.SessionType != icd.SessionType_NEW || ack.SessionId == 0 {
		t.Fatalf("register 0: %+v, want success NEW with non-zero id", ack)
	}
	if ack.PlatformStrings["platform"] != "test" {
		t.Errorf("platform strings = %v", ack.PlatformStrings)
	}

	c2 := ts.dial(t, testToken)
	ack = register(t, c2, 12345)
	if !ack.Success || ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != 12345 {
		t.Fatalf("register 12345: %+v, want success RESUMED 12345", ack)
	}
}

func TestRegisterICDVersions(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	for _, v := range []uint16{28, 29, 30} {
		c := ts.dial(t, testToken)
		ack := registerAs(t, wstest.WrapT(t, c), v, 0) // fails unless accepted in v
		if ack.SessionType != icd.SessionType_NEW {
			t.Errorf("ICD %d: %+v", v, ack)
		}
	}
	for _, v := range []uint16{0, 27, 31} {
		c := ts.dial(t, testToken)
		sendMsg(t, c, icd.EventType_REGISTER_VIEWER, v, 7, &icd.RegisterViewer{SessionId: 99})
		var ack icd.RegisterViewerAck
		recv(t, c, icd.EventType_REGISTER_VIEWER_ACK, 7, &ack)
		if ack.Success || !strings.Contains(ack.Message, "30") || !strings.Contains(ack.Message, "version "+itoa(v)) {
			t.Errorf("ICD %d: success=%v message %q, want a refusal naming both versions", v, ack.Success, ack.Message)
		}
	}
}

func itoa(v uint16) string { return strconv.Itoa(int(v)) }

func TestPingPong(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)
	for range 3 {
		if err := c.WriteMessage(websocket.TextMessage, []byte("PING")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		kind, data, err := c.ReadMessage()
		if err != nil || kind != websocket.TextMessage || string(data) != "PONG" {
			t.Fatalf("got kind %d %q err %v, want text PONG", kind, data, err)
		}
	}
}

func TestGarbageKeepsConnection(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)
	register(t, c, 0)

	cases := []struct {
		name  string
		frame []byte
		req   uint32
		want  string
	}{
		{"short frame", []byte{1, 0, 30}, 0, "shorter than the 8-byte header"},
		{"unknown event type", icd.AppendHeader(nil, icd.Header{Type: 999, Version: 30, RequestID: 41}), 41, "unknown event type 999"},
		{"bad protobuf", append(icd.AppendHeader(nil, icd.Header{Type: icd.EventType_REGISTER_VIEWER, Version: 30, RequestID: 42}), 0x0d, 0x01), 42, "undecodable payload"},
		{"server-only event", icd.AppendHeader(nil, icd.Header{Type: icd.EventType_RASTER_TILE_DATA, Version: 30, RequestID: 43}), 43, "sent by servers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sendRaw(t, c, tc.frame)
			var e icd.ErrorData
			recv(t, c, icd.EventType_ERROR_DATA, tc.req, &e)
			if e.Severity != icd.ErrorSeverity_ERROR || !strings.Contains(e.Message, tc.want) {
				t.Errorf("error = %v %q, want ERROR containing %q", e.Severity, e.Message, tc.want)
			}
		})
	}
	// The connection still works.
	if ack := register(t, c, 777); ack.SessionId != 777 || !ack.Success {
		t.Fatalf("after garbage: %+v", ack)
	}
}

func TestUnsupportedRequestGetsFailedAck(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)

	// Before REGISTER_VIEWER a session message is refused.
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 2, &icd.FileListRequest{Directory: "$BASE"})
	var e icd.ErrorData
	recv(t, c, icd.EventType_ERROR_DATA, 2, &e)
	if !strings.Contains(e.Message, "REGISTER_VIEWER must come first") {
		t.Errorf("unregistered: %q", e.Message)
	}

	register(t, c, 0)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 3, &icd.PvRequest{FileId: 0})
	var resp icd.PvResponse
	recv(t, c, icd.EventType_PV_RESPONSE, 3, &resp)
	if resp.Success || resp.Message == "" { // no file 0 is open
		t.Errorf("PV request: %+v, want success=false with a reason", &resp)
	}
	// Stopping or closing work that does not exist is silent, as in the
	// reference (carta-backend src/Session/Session.cc: OnStopMomentCalc
	// 1270, OnStopPvCalc 1403, OnStopPvPreview 1410, OnClosePvPreview
	// 1417, OnStopFitting 1471, OnCloseCatalogFile 1215, OnRemoveRegion
	// 842, OnCloseFile 638; contours and vectors of a closed file 1086,
	// 1478; empty histogram requirements only cancel,
	// SessionManager.cc:203), and so are flow-control hints: the next
	// reply is the PONG.
	sendMsg(t, c, icd.EventType_STOP_MOMENT_CALC, 30, 4, &icd.StopMomentCalc{FileId: 0})
	sendMsg(t, c, icd.EventType_STOP_PV_CALC, 30, 5, &icd.StopPvCalc{FileId: 0})
	sendMsg(t, c, icd.EventType_STOP_PV_PREVIEW, 30, 6, &icd.StopPvPreview{PreviewId: 3})
	sendMsg(t, c, icd.EventType_CLOSE_PV_PREVIEW, 30, 7, &icd.ClosePvPreview{PreviewId: 3})
	sendMsg(t, c, icd.EventType_STOP_FITTING, 30, 8, &icd.StopFitting{FileId: 0})
	sendMsg(t, c, icd.EventType_CLOSE_CATALOG_FILE, 30, 9, &icd.CloseCatalogFile{FileId: 1})
	sendMsg(t, c, icd.EventType_REMOVE_REGION, 30, 10, &icd.RemoveRegion{RegionId: 5})
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 11, &icd.CloseFile{FileId: 7})
	sendMsg(t, c, icd.EventType_STOP_FILE_LIST, 30, 12, &icd.StopFileList{})
	sendMsg(t, c, icd.EventType_STOP_ANIMATION, 30, 13, &icd.StopAnimation{FileId: 7})
	sendMsg(t, c, icd.EventType_SET_CONTOUR_PARAMETERS, 30, 14, &icd.SetContourParameters{FileId: 7})
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 15, &icd.SetVectorOverlayParameters{FileId: 7, StokesIntensity: -1, StokesAngle: -1})
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 16, &icd.SetHistogramRequirements{FileId: 7, RegionId: -2})
	sendMsg(t, c, icd.EventType_REMOVE_REQUIRED_TILES, 30, 17, &icd.RemoveRequiredTiles{FileId: 7, Tiles: []int32{0}})
	sendMsg(t, c, icd.EventType_CHANNEL_MAP_FLOW_CONTROL, 30, 18, &icd.ChannelMapFlowControl{FileId: 0, ReceivedChannel: 0})
	c.WriteMessage(websocket.TextMessage, []byte("PING"))
	if _, data, err := c.ReadMessage(); err != nil || string(data) != "PONG" {
		t.Fatalf("after stop, close and clear messages: %q %v, want the PONG", data, err)
	}
}

func TestResumeSessionAlwaysSucceeds(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)
	register(t, c, 4242)
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{{File: "a.fits", FileId: 3}}})
	var e icd.ErrorData
	recv(t, c, icd.EventType_ERROR_DATA, 0, &e)
	if !strings.Contains(e.Message, "a.fits") {
		t.Errorf("resume warning %q does not name the image", e.Message)
	}
	var ack icd.ResumeSessionAck
	recv(t, c, icd.EventType_RESUME_SESSION_ACK, 2, &ack)
	if !ack.Success || !strings.Contains(ack.Message, "a.fits") {
		t.Errorf("resume ack %+v", &ack)
	}
}

func TestWrongTokenRefused(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	for _, tok := range []string{"", "wrong", testToken + "x"} {
		_, resp, err := websocket.DefaultDialer.Dial("ws://"+ts.addr+"/?token="+tok, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: err %v resp %v, want 401", tok, err, resp)
		}
	}
	// Header forms the reference accepts also work.
	h := http.Header{"Authorization": {"Bearer " + testToken}}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+ts.addr+"/any/path", h)
	if err != nil {
		t.Fatalf("bearer token: %v", err)
	}
	c.Close()
	// And the server still serves the next client.
	register(t, ts.dial(t, testToken), 0)
}

func TestNoAuthAcceptsFrontendDefault(t *testing.T) {
	ts := startServer(t, Config{})
	register(t, ts.dial(t, "no_auth_configured"), 0)
}

func TestMessageTooBigClosesWithReason(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken, MaxMessageSize: 1024})
	c := ts.dial(t, testToken)
	sendRaw(t, c, make([]byte, 4096))
	ce := readClose(t, c)
	if ce.Code != websocket.CloseMessageTooBig || !strings.Contains(ce.Text, "1024-byte limit") {
		t.Fatalf("close = %d %q, want 1009 naming the limit", ce.Code, ce.Text)
	}
	register(t, ts.dial(t, testToken), 0)
}

func TestSecondSocketTakesOverSession(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	first := ts.dial(t, testToken)
	register(t, first, 5150)
	second := ts.dial(t, testToken)
	register(t, second, 5150)
	ce := readClose(t, first)
	if !strings.Contains(ce.Text, "taken over") {
		t.Fatalf("first socket closed with %d %q", ce.Code, ce.Text)
	}
	second.WriteMessage(websocket.TextMessage, []byte("PING"))
	if _, data, err := second.ReadMessage(); err != nil || string(data) != "PONG" {
		t.Fatalf("second socket: %q %v", data, err)
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	done := make(chan error, 1)
	go func() { done <- ts.srv.Shutdown(t.Context()) }()
	ce := readClose(t, c)
	if ce.Code != websocket.CloseGoingAway || ce.Text != "server shutting down" {
		t.Errorf("close = %d %q", ce.Code, ce.Text)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
