package ws

import (
	"context"
	"sync"

	"cartago/imaging/budget"
)

// inMsg is one message read off the socket, with the memory charged
// for it; whoever ends up with it (the handler goroutine, usually)
// releases the charge once done with data.
type inMsg struct {
	data    []byte
	mem     *budget.Memory
	charged int64       // bytes charged to mem: cap(data), or the buffer being grown
	ping    *pingTicket // set instead of data for a PING kept in order
}

// inbox hands binary messages from the read loop to the handler
// goroutine in order. It is bounded by message count (maxCount) and
// bytes (maxBytes, one message always fits into an empty inbox); while
// it is full the read loop waits, which stops reading the socket: that
// is the backpressure a client sending faster than its requests are
// handled gets (TCP flow control does the rest).
type inbox struct {
	// Immutable after newInbox.
	maxCount int
	maxBytes int64

	mu     sync.Mutex
	msgs   []inMsg       // guarded by mu
	bytes  int64         // guarded by mu
	closed bool          // guarded by mu; no more pushes, pops drain nothing
	change chan struct{} // guarded by mu; closed and replaced on every change
}

func newInbox(maxCount int, maxBytes int64) *inbox {
	return &inbox{maxCount: maxCount, maxBytes: maxBytes, change: make(chan struct{})}
}

// signal wakes every waiter. Caller holds mu.
func (q *inbox) signal() {
	close(q.change)
	q.change = make(chan struct{})
}

// push waits for room, then queues m. It fails (and releases m's
// charge) once ctx ends or the inbox is closed.
func (q *inbox) push(ctx context.Context, m inMsg) error {
	n := int64(cap(m.data))
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			m.release()
			return errClosed
		}
		if len(q.msgs) == 0 || (len(q.msgs) < q.maxCount && q.bytes+n <= q.maxBytes) {
			q.msgs = append(q.msgs, m)
			q.bytes += n
			q.signal()
			q.mu.Unlock()
			return nil
		}
		wait := q.change
		q.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			m.release()
			return ctx.Err()
		}
	}
}

// tryPush queues m if there is room now; the read loop uses it for PING
// markers, which must never make it wait.
func (q *inbox) tryPush(m inMsg) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || len(q.msgs) >= q.maxCount {
		return false
	}
	q.msgs = append(q.msgs, m)
	q.bytes += int64(cap(m.data))
	q.signal()
	return true
}

// pop waits for the next message; ok is false once the inbox is closed
// or ctx ends.
func (q *inbox) pop(ctx context.Context) (inMsg, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return inMsg{}, false
		}
		if len(q.msgs) > 0 {
			m := q.msgs[0]
			q.msgs[0] = inMsg{}
			q.msgs = q.msgs[1:]
			q.bytes -= int64(cap(m.data))
			q.signal()
			q.mu.Unlock()
			return m, true
		}
		wait := q.change
		q.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return inMsg{}, false
		}
	}
}

// close refuses further pushes and releases what is still queued.
func (q *inbox) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range q.msgs {
		m.release()
	}
	q.msgs, q.bytes, q.closed = nil, 0, true
	q.signal()
}
