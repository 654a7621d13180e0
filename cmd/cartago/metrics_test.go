package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"cartago/icd"
)

func registersIn(fam *dto.MetricFamily) float64 {
	for _, m := range fam.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "type" && l.GetValue() == icd.EventType_REGISTER_VIEWER.String() {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

var metricsAddrRe = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

// metricsAddr waits for the server's log line naming its metrics port.
func (s *serverProc) metricsAddr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := metricsAddrRe.FindSubmatch(s.output()); m != nil {
			return string(m[1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics listener logged:\n%s", s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServeMetricsListen(t *testing.T) {
	dir := t.TempDir()
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", filepath.Join(dir, "s.db"), "--metrics-listen", "127.0.0.1:0")
	ops := "http://" + s.metricsAddr(t)
	if ack := registerOver(t, s.url, 0); !ack.Success || ack.SessionType != icd.SessionType_NEW {
		t.Fatalf("ack %+v", ack)
	}
	code, body := get(t, ops+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := registersIn(fams["cartago_messages_in_total"]); got != 1 {
		t.Errorf("REGISTER_VIEWER counted %g times, want 1", got)
	}
	main := s.url[:strings.Index(s.url, "/?")]
	for _, base := range []string{main, ops} {
		if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
			t.Errorf("%s/healthz = %d", base, code)
		}
		if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
			t.Errorf("%s/readyz = %d", base, code)
		}
	}
	if code, _ := get(t, main+"/metrics"); code == http.StatusOK {
		t.Errorf("main listener serves /metrics")
	}
	if code := s.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM; log:\n%s", code, s.output())
	}
}
