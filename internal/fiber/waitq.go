package fiber

import (
	"errors"
	"time"
)

// Errors of the blocking primitives. The Lua layer turns ErrCancelled
// into Tarantool's FiberIsCancelled error ("fiber is cancelled").
var (
	ErrCancelled     = errors.New("fiber is cancelled")
	ErrTimedOut      = errors.New("timed out")
	ErrChannelClosed = errors.New("channel is closed")
)

// WaitQueue is a FIFO of parked fibers (Tarantool's fiber->state wait
// lists). A fiber is on at most one queue; Wakeup, Cancel or its timeout
// take it off. The zero value is an empty queue. All methods are called
// by the fiber that holds the baton.
type WaitQueue struct {
	sched *Scheduler
	list  []*Fiber
}

// add puts f on q; called with sched.mu held.
func (q *WaitQueue) add(f *Fiber, front bool) {
	q.sched = f.sched
	f.waitq = q
	if front {
		q.list = append([]*Fiber{f}, q.list...)
	} else {
		q.list = append(q.list, f)
	}
}

// remove takes f off q; called with sched.mu held.
func (q *WaitQueue) remove(f *Fiber) {
	for i, g := range q.list {
		if g == f {
			copy(q.list[i:], q.list[i+1:])
			q.list[len(q.list)-1] = nil
			q.list = q.list[:len(q.list)-1]
			return
		}
	}
}

// Len is the number of waiting fibers.
func (q *WaitQueue) Len() int {
	if q.sched == nil {
		return 0
	}
	q.sched.mu.Lock()
	defer q.sched.mu.Unlock()
	return len(q.list)
}

// Signal wakes the first waiting fiber, if any.
func (q *WaitQueue) Signal() {
	if q.sched == nil {
		return
	}
	s := q.sched
	s.mu.Lock()
	if len(q.list) > 0 {
		s.wakeLocked(q.list[0])
	}
	s.mu.Unlock()
}

// Broadcast wakes every waiting fiber in queue order.
func (q *WaitQueue) Broadcast() {
	if q.sched == nil {
		return
	}
	s := q.sched
	s.mu.Lock()
	for len(q.list) > 0 {
		f := q.list[0]
		s.wakeLocked(f)
		if len(q.list) > 0 && q.list[0] == f {
			// Not parked (cannot happen for a queued fiber); never spin.
			q.remove(f)
			f.waitq = nil
		}
	}
	s.mu.Unlock()
}

// Cond is fiber.cond: a wait queue whose Wait reports a timeout.
type Cond struct{ q WaitQueue }

// Wait parks the running fiber f on c until Signal, Broadcast, a wakeup
// or the timeout; it returns ErrTimedOut when the timeout ended the wait.
// Cancellation wakes the waiter without an error: the caller tests it.
func (c *Cond) Wait(f *Fiber, timeout time.Duration) error {
	if f.Park(&c.q, timeout) {
		return ErrTimedOut
	}
	return nil
}

// Signal wakes the first waiter.
func (c *Cond) Signal() { c.q.Signal() }

// Broadcast wakes all waiters.
func (c *Cond) Broadcast() { c.q.Broadcast() }

// Waiters is the number of fibers waiting.
func (c *Cond) Waiters() int { return c.q.Len() }
