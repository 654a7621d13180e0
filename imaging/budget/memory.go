package budget

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrOverBudget is wrapped by every refusal of Memory.Acquire.
var ErrOverBudget = errors.New("server memory budget exceeded")

// Memory is a byte budget shared by the whole server. Charges are
// counted, not allocated: the caller acquires n bytes, allocates, and
// releases the same n bytes once the memory is garbage. Safe for
// concurrent use; a nil *Memory never refuses.
type Memory struct {
	limit   int64
	used    atomic.Int64
	peak    atomic.Int64
	fails   atomic.Int64
	reclaim atomic.Pointer[func(need int64) int64] // see SetReclaim
}

// SetReclaim makes a refused Acquire first ask fn to free need bytes,
// what it lacked (a cache dropping what nobody uses), and try once more. fn returns the
// bytes it released; it must not call Acquire. One per budget: the last
// set wins; nil removes it.
func (m *Memory) SetReclaim(fn func(need int64) int64) {
	if m == nil {
		return
	}
	if fn == nil {
		m.reclaim.Store(nil)
		return
	}
	m.reclaim.Store(&fn)
}

// NewMemory returns a budget of limit bytes; limit <= 0 means unlimited.
func NewMemory(limit int64) *Memory {
	if limit <= 0 {
		return nil
	}
	return &Memory{limit: limit}
}

// Acquire charges n bytes, or refuses with an error wrapping
// ErrOverBudget that names what was asked for and what is free. what
// says what the memory is for ("image plane 4096×4096").
func (m *Memory) Acquire(n int64, what string) error {
	if m == nil || n <= 0 {
		return nil
	}
	if m.take(n) {
		return nil
	}
	if fn := m.reclaim.Load(); fn != nil && (*fn)(m.used.Load()+n-m.limit) > 0 && m.take(n) {
		return nil
	}
	m.fails.Add(1)
	used := m.used.Load()
	return fmt.Errorf("%w: %s needs %s, %s of %s free (--memory-limit)",
		ErrOverBudget, what, Bytes(n), Bytes(max(m.limit-used, 0)), Bytes(m.limit))
}

// take charges n bytes if they fit.
func (m *Memory) take(n int64) bool {
	for {
		used := m.used.Load()
		if used+n > m.limit {
			return false
		}
		if m.used.CompareAndSwap(used, used+n) {
			m.notePeak(used + n)
			return true
		}
	}
}

// Release returns n bytes charged by Acquire.
func (m *Memory) Release(n int64) {
	if m == nil || n <= 0 {
		return
	}
	if m.used.Add(-n) < 0 {
		panic("budget: released more than acquired")
	}
}

func (m *Memory) notePeak(v int64) {
	for {
		p := m.peak.Load()
		if v <= p || m.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// Stats is a snapshot of a budget's counters.
type Stats struct {
	Limit, Used, Peak int64
	Refused           int64 // Acquire calls refused so far
}

// Stats reports the counters; a nil budget reports zeros.
func (m *Memory) Stats() Stats {
	if m == nil {
		return Stats{}
	}
	return Stats{Limit: m.limit, Used: m.used.Load(), Peak: m.peak.Load(), Refused: m.fails.Load()}
}

// Charge is an acquired amount that is released once. The zero Charge
// holds nothing.
type Charge struct {
	m *Memory
	n atomic.Int64
}

// Take acquires n bytes into a new Charge.
func (m *Memory) Take(n int64, what string) (*Charge, error) {
	if err := m.Acquire(n, what); err != nil {
		return nil, err
	}
	c := &Charge{m: m}
	c.n.Store(n)
	return c, nil
}

// Release gives the charged bytes back; later calls do nothing. Safe on
// a nil Charge.
func (c *Charge) Release() {
	if c == nil {
		return
	}
	c.m.Release(c.n.Swap(0))
}

// Bytes formats n for messages: "64.0 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit && exp < 4; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
