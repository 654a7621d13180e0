package procstat

import (
	"os"
	"testing"
)

func TestStatusSelf(t *testing.T) {
	st, err := Status(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st["VmRSS"] < 1<<20 || st["VmRSS"]%1024 != 0 || st["RssAnon"] <= 0 || st["Threads"] < 1 || st["Threads"] > 10000 {
		t.Errorf("VmRSS %d, RssAnon %d, Threads %d", st["VmRSS"], st["RssAnon"], st["Threads"])
	}
	m, err := ReadMem(os.Getpid())
	if err != nil || m.RSS <= 0 || m.Anon <= 0 {
		t.Errorf("ReadMem = %+v, %v", m, err)
	}
	if _, err := Status(-1); err == nil {
		t.Error("Status(-1): no error")
	}
}

func TestPeakAndSettle(t *testing.T) {
	p := StartPeak(os.Getpid())
	peak, err := p.Stop()
	if err != nil || peak.RSS <= 0 {
		t.Errorf("peak %+v, %v", peak, err)
	}
	if _, err := Settle(os.Getpid(), 0); err != nil {
		t.Error(err)
	}
}

func TestMiB(t *testing.T) {
	if got := MiB(3 << 20); got != "3 MiB" {
		t.Errorf("MiB = %q", got)
	}
}
