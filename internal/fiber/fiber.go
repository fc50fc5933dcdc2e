package fiber

import (
	"sync"
	"sync/atomic"
	"time"
)

// Status is a fiber's life-cycle state as fiber.status() names it.
type Status string

// Fiber states.
const (
	Running   Status = "running"
	Suspended Status = "suspended"
	Dead      Status = "dead"
)

// Scheduler owns the baton and the registry of live fibers.
type Scheduler struct {
	baton  sync.Mutex
	nextID atomic.Int64
	mu     sync.Mutex // guards fibers (read by fiber.info without the baton)
	fibers map[int64]*Fiber
	// current is the fiber holding the baton; read and written only by
	// that fiber, so the baton itself guards it.
	current *Fiber
}

// Current returns the fiber that holds the baton. Call it only while
// holding the baton.
func (s *Scheduler) Current() *Fiber { return s.current }

// NewScheduler returns a scheduler whose baton is free.
func NewScheduler() *Scheduler {
	s := &Scheduler{fibers: make(map[int64]*Fiber)}
	s.nextID.Store(102) // the first fiber (the instance script) is 103, as in 2.6
	return s
}

// Fiber is one cooperative task.
type Fiber struct {
	sched   *Scheduler
	id      int64
	name    atomic.Value // string
	status  atomic.Value // Status
	created time.Time
	// cancelled is set by Cancel; the fiber notices it at its next yield
	// point (TestCancel) as Tarantool's fiber.testcancel does.
	cancelled atomic.Bool
	wake      chan struct{} // Wakeup pokes a sleeping fiber
	done      chan struct{} // closed when the fiber's function returns
	// Local is free for the layer above (the Lua runtime keeps its per-fiber
	// state here). Touched only under the baton.
	Local any
}

// New registers a fiber without starting a goroutine: the caller's own
// goroutine becomes the fiber (used for the main script and for request
// handlers that already run in a goroutine). The caller must Acquire
// before touching state and Finish when done.
func (s *Scheduler) New(name string) *Fiber {
	f := &Fiber{sched: s, id: s.nextID.Add(1), created: time.Now(),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.name.Store(name)
	f.status.Store(Suspended)
	s.mu.Lock()
	s.fibers[f.id] = f
	s.mu.Unlock()
	return f
}

// Go starts fn in a new fiber (goroutine) that runs while holding the
// baton. fn starts only after the creator yields the baton, as fiber.new
// does; fiber.create semantics (run at once) are obtained by calling
// Yield on the creator right after Go.
func (s *Scheduler) Go(name string, fn func(f *Fiber)) *Fiber {
	f := s.New(name)
	go func() {
		f.Acquire()
		defer f.Finish()
		fn(f)
	}()
	return f
}

// Acquire takes the baton for f.
func (f *Fiber) Acquire() {
	f.sched.baton.Lock()
	f.sched.current = f
	f.status.Store(Running)
}

// Release gives the baton up.
func (f *Fiber) Release() {
	f.sched.current = nil
	f.status.Store(Suspended)
	f.sched.baton.Unlock()
}

// Finish releases the baton and removes f from the registry.
func (f *Fiber) Finish() {
	f.status.Store(Dead)
	f.sched.mu.Lock()
	delete(f.sched.fibers, f.id)
	f.sched.mu.Unlock()
	close(f.done)
	f.sched.current = nil
	f.sched.baton.Unlock()
}

// Block runs fn without the baton: other fibers run meanwhile.
func (f *Fiber) Block(fn func()) {
	f.Release()
	defer f.Acquire()
	fn()
}

// Yield lets every other ready fiber run before f continues.
func (f *Fiber) Yield() {
	f.Release()
	// Gosched gives goroutines waiting on the baton a chance to take it.
	runtimeGosched()
	f.Acquire()
}

// Sleep suspends f for d (or until Wakeup or Cancel).
func (f *Fiber) Sleep(d time.Duration) {
	f.Block(func() {
		if d <= 0 {
			runtimeGosched()
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-f.wake:
		}
	})
}

// Wakeup makes a sleeping f return from Sleep early.
func (f *Fiber) Wakeup() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Cancel marks f cancelled and wakes it.
func (f *Fiber) Cancel() {
	f.cancelled.Store(true)
	f.Wakeup()
}

// IsCancelled reports whether Cancel was called.
func (f *Fiber) IsCancelled() bool { return f.cancelled.Load() }

// Done is closed when the fiber has finished.
func (f *Fiber) Done() <-chan struct{} { return f.done }

// ID returns the fiber id.
func (f *Fiber) ID() int64 { return f.id }

// Name returns the fiber name.
func (f *Fiber) Name() string { return f.name.Load().(string) }

// SetName renames the fiber.
func (f *Fiber) SetName(n string) { f.name.Store(n) }

// Status returns the fiber's state.
func (f *Fiber) Status() Status { return f.status.Load().(Status) }

// Who is the fiber's "cord/id/name" tag for log lines.
func (f *Fiber) Who() string {
	if f == nil {
		return "main"
	}
	return "main/" + itoa(f.id) + "/" + f.Name()
}

// Lookup returns the live fiber with id, or nil.
func (s *Scheduler) Lookup(id int64) *Fiber {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fibers[id]
}

// All returns the live fibers.
func (s *Scheduler) All() []*Fiber {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Fiber, 0, len(s.fibers))
	for _, f := range s.fibers {
		out = append(out, f)
	}
	return out
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
