package budget

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestMemoryRefusesOverLimit(t *testing.T) {
	m := NewMemory(100)
	if err := m.Acquire(60, "a"); err != nil {
		t.Fatal(err)
	}
	err := m.Acquire(50, "image plane")
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "image plane") {
		t.Fatalf("want a refusal naming the request, got %v", err)
	}
	m.Release(60)
	if err := m.Acquire(100, "b"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	s := m.Stats()
	if s.Used != 100 || s.Peak != 100 || s.Refused != 1 || s.Limit != 100 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRefusalAsksTheReclaimerFirst(t *testing.T) {
	m := NewMemory(100)
	if err := m.Acquire(80, "cached"); err != nil {
		t.Fatal(err)
	}
	asked := int64(0)
	m.SetReclaim(func(need int64) int64 {
		asked = need
		m.Release(80)
		return 80
	})
	if err := m.Acquire(50, "plane"); err != nil || asked != 30 || m.Stats().Used != 50 {
		t.Fatalf("acquire with a reclaimer: %v, asked %d, used %d", err, asked, m.Stats().Used)
	}
	m.SetReclaim(func(int64) int64 { return 0 })
	if err := m.Acquire(60, "more"); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("nothing reclaimed: %v", err)
	}
}

func TestMemoryConcurrentChargesNeverExceedLimit(t *testing.T) {
	m := NewMemory(1000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if m.Acquire(7, "x") == nil {
					if u := m.Stats().Used; u > 1000 {
						t.Errorf("used %d over the limit", u)
					}
					m.Release(7)
				}
			}
		})
	}
	wg.Wait()
	if s := m.Stats(); s.Used != 0 || s.Peak > 1000 {
		t.Fatalf("stats %+v", s)
	}
}

func TestChargeReleasesOnce(t *testing.T) {
	m := NewMemory(10)
	c, err := m.Take(10, "x")
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
	c.Release()
	if u := m.Stats().Used; u != 0 {
		t.Fatalf("used %d after double release", u)
	}
	var nilCharge *Charge
	nilCharge.Release()
}

func TestNilMemoryIsUnlimited(t *testing.T) {
	var m *Memory
	if err := m.Acquire(1<<60, "x"); err != nil {
		t.Fatal(err)
	}
	m.Release(1 << 60)
	if NewMemory(0) != nil {
		t.Fatal("limit 0 should be unlimited (nil)")
	}
}

func TestDefaultLimitIsAShareOfRAM(t *testing.T) {
	got := DefaultLimit()
	ram := physicalMemory()
	if ram == 0 {
		t.Fatal("no MemTotal in /proc/meminfo")
	}
	if got <= 0 || got > ram {
		t.Fatalf("default limit %d, RAM %d", got, ram)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
