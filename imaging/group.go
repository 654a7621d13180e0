package imaging

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Panic is a panic recovered in a fan-out goroutine and raised again in
// the goroutine that waited for it (Group.Wait), so the caller's own
// recover (the frame worker's) reports it instead of the process dying.
type Panic struct {
	Value any    // what the goroutine panicked with
	Stack []byte // the goroutine's stack at the panic
}

func (p *Panic) Error() string {
	return fmt.Sprintf("panic in a fan-out goroutine: %v\n\ngoroutine stack:\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error.
func (p *Panic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Group runs the goroutines of one fan-out and waits for them. A panic
// in any (or in Do) is recovered, cancels the fan-out through the cancel
// given to NewGroup, and is raised again as a *Panic by Wait: a fan-out
// never outlives its caller, and never kills the process.
type Group struct {
	cancel context.CancelFunc // may be nil
	wg     sync.WaitGroup
	mu     sync.Mutex
	p      *Panic // guarded by mu; the first panic
}

// NewGroup returns a group that calls cancel (if not nil) on a panic.
func NewGroup(cancel context.CancelFunc) *Group {
	return &Group{cancel: cancel}
}

// Go runs fn on a new goroutine of the group.
func (g *Group) Go(fn func()) {
	g.wg.Go(func() {
		defer g.catch()
		fn()
	})
}

// Do runs fn on the calling goroutine, catching a panic like Go does so
// that Wait still waits for the other goroutines before raising it.
func (g *Group) Do(fn func()) {
	defer g.catch()
	fn()
}

// Wait waits for every goroutine started by Go, then raises the first
// panic, if any.
func (g *Group) Wait() {
	g.wg.Wait()
	g.mu.Lock()
	p := g.p
	g.mu.Unlock()
	if p != nil {
		panic(p)
	}
}

// Panicked reports whether a goroutine of the group panicked so far.
func (g *Group) Panicked() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.p != nil
}

func (g *Group) catch() {
	v := recover()
	if v == nil {
		return
	}
	p, ok := v.(*Panic) // from a nested fan-out: keep its stack
	if !ok {
		p = &Panic{Value: v, Stack: debug.Stack()}
	}
	g.mu.Lock()
	if g.p == nil {
		g.p = p
	}
	g.mu.Unlock()
	if g.cancel != nil {
		g.cancel()
	}
}
