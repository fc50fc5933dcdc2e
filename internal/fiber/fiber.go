package fiber

import (
	"sync"
	"sync/atomic"
	"time"
)

// Status is a fiber's life-cycle state as fiber.status() names it.
type Status string

// Fiber states as Lua sees them.
const (
	Running   Status = "running"
	Suspended Status = "suspended"
	Dead      Status = "dead"
)

// Infinite is the timeout of a wait that only a wakeup ends (Tarantool's
// TIMEOUT_INFINITY).
const Infinite time.Duration = 1<<63 - 1

// state is where a fiber is in the scheduler; guarded by Scheduler.mu.
type state uint8

const (
	stIdle     state = iota // not holding the baton, not asking for it (new, or inside Block)
	stRunning               // holds the baton
	stReady                 // in the ready list
	stParked                // waiting for a wakeup, a timer or a wait queue
	stPending               // its timer expired this iteration; in the pending list
	stExternal              // asked for the baton from outside (Acquire); in the external list
	stDead
)

// Scheduler owns the baton, the run queues and the registry of live
// fibers.
//
// Scheduling is deterministic and follows Tarantool's event loop: a fiber
// woken by Wakeup (or created by Go) goes to the tail of the ready list;
// the ready list always drains before the next loop iteration; an
// iteration updates the loop clock and fires expired timers in libev's
// heap order, each woken fiber running (with whatever it wakes) before the
// next timer's fiber; fibers that asked for the baton from outside (I/O
// completions, new connections) come last in an iteration.
type Scheduler struct {
	nextID atomic.Int64
	epoch  time.Time // origin of loop time (monotonic)

	mu       sync.Mutex
	current  atomic.Pointer[Fiber]
	ready    []*Fiber
	pending  []*timer // fired this iteration, in heap order
	external []*Fiber
	timers   timerHeap
	loopNow  atomic.Int64 // loop time (ns since epoch), updated each iteration
	wallNow  atomic.Int64 // wall clock (unix ns) at the same moment
	// stale marks the cached clock as older than the current baton
	// holder: the next reader refreshes it (reading the clock costs more
	// than a request on some machines, so idle acquisitions do not).
	stale  atomic.Bool
	kick   *time.Timer // wakes the loop when the baton is free and a timer is due
	kickAt time.Duration
	fibers map[int64]*Fiber
	// taken counts the times a fiber got the baton (guarded by mu).
	taken uint64
}

// Activity reports whether the baton is free now and how many times a
// fiber has taken it so far: a free baton and an unchanged count between
// two looks mean nothing ran in between.
func (s *Scheduler) Activity() (free bool, taken uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.Load() == nil, s.taken
}

// NewScheduler returns a scheduler whose baton is free.
func NewScheduler() *Scheduler {
	s := &Scheduler{fibers: make(map[int64]*Fiber), epoch: time.Now()}
	s.nextID.Store(102) // the first fiber (the instance script) is 103, as in 2.6
	s.updateTime()
	return s
}

// Current returns the fiber that holds the baton, or nil.
func (s *Scheduler) Current() *Fiber { return s.current.Load() }

// Time is the loop's cached wall-clock time (fiber.time): constant between
// two yields, as ev_now is.
func (s *Scheduler) Time() time.Time {
	s.fresh()
	return time.Unix(0, s.wallNow.Load())
}

// Clock is the loop's cached monotonic time since the scheduler started
// (fiber.clock).
func (s *Scheduler) Clock() time.Duration {
	s.fresh()
	return time.Duration(s.loopNow.Load())
}

// fresh refreshes a stale cached clock.
func (s *Scheduler) fresh() {
	if s.stale.Load() {
		s.updateTime()
	}
}

func (s *Scheduler) updateTime() {
	s.stale.Store(false)
	now := time.Now()
	s.loopNow.Store(int64(now.Sub(s.epoch)))
	s.wallNow.Store(now.UnixNano())
}

// Fiber is one cooperative task.
type Fiber struct {
	sched   *Scheduler
	id      int64
	name    atomic.Value // string
	created time.Time
	resume  chan struct{} // receives the baton; capacity 1
	done    chan struct{} // closed when the fiber has finished
	csw     atomic.Int64  // context switches (times it got the baton)

	// Guarded by sched.mu.
	state      state
	parkGen    uint64
	timedOut   bool
	wakeSelf   bool       // Wakeup was called on the running fiber itself
	waitq      *WaitQueue // the queue it is parked on, if any
	tm         *timer     // its timer while parked with a timeout
	joinable   bool
	registered bool

	cancelled atomic.Bool
	dead      atomic.Bool
	joiners   WaitQueue
	pad       *chanPad // channel wait pad; touched only under the baton
	yieldHook func()   // OnNextYield's function; touched only under the baton
	onYield   func()   // OnYield's function; touched only under the baton
	// woken is the channel of a BlockWoken call in progress, closed by
	// the first Wakeup or Cancel that reaches the fiber inside it.
	// Guarded by sched.mu.
	woken chan struct{}

	// Local is free for the layer above (the Lua runtime keeps its
	// per-fiber context here). Touched only under the baton.
	Local any
	// Ext is a second slot for the layer above (the Lua runtime keeps the
	// fiber's Lua object, fiber.storage and join results here). Touched
	// only under the baton.
	Ext any
}

// New registers a fiber without starting a goroutine: the caller's own
// goroutine becomes the fiber (used for the main script and for request
// handlers that already run in a goroutine). The caller must Acquire
// before touching state and Finish when done.
func (s *Scheduler) New(name string) *Fiber {
	f := &Fiber{sched: s, id: s.nextID.Add(1), created: time.Now(),
		resume: make(chan struct{}, 1), done: make(chan struct{})}
	f.name.Store(name)
	s.mu.Lock()
	f.registered = true
	s.fibers[f.id] = f
	s.mu.Unlock()
	return f
}

// Go starts fn in a new fiber that is put at the tail of the ready list:
// it runs once the creator yields, as fiber.new. The fiber finishes when
// fn returns.
func (s *Scheduler) Go(name string, fn func(f *Fiber)) *Fiber {
	f := s.New(name)
	go f.body(fn)
	s.mu.Lock()
	f.state = stReady
	s.ready = append(s.ready, f)
	if s.current.Load() == nil {
		s.handoffLocked()
	}
	s.mu.Unlock()
	return f
}

// Start creates a fiber and runs it at once, as fiber.create: the caller,
// which must hold the baton, continues as soon as the new fiber yields
// (ahead of every other ready fiber) or finishes.
func (s *Scheduler) Start(name string, fn func(f *Fiber)) *Fiber {
	caller := s.current.Load()
	if caller == nil {
		return s.Go(name, fn)
	}
	caller.beforeYield() // the switch to the new fiber is a yield of the caller (fiber_call)
	f := s.New(name)
	go f.body(fn)
	s.mu.Lock()
	caller.state = stReady
	s.ready = append([]*Fiber{caller}, s.ready...)
	s.give(f)
	s.mu.Unlock()
	caller.wait()
	return f
}

func (f *Fiber) body(fn func(f *Fiber)) {
	f.wait()
	defer f.Finish()
	fn(f)
}

// wait blocks until the baton is handed to f.
func (f *Fiber) wait() {
	<-f.resume
	f.csw.Add(1)
}

// give hands the baton to f. Called with mu held and the baton free.
func (s *Scheduler) give(f *Fiber) {
	s.taken++
	f.state = stRunning
	s.current.Store(f)
	f.resume <- struct{}{}
}

// handoffLocked passes the baton on after its holder gave it up: to the
// head of the ready list, else to the next fiber whose timer fired in this
// iteration, else it runs a loop iteration; if nothing is runnable the
// baton stays free. Called with mu held.
func (s *Scheduler) handoffLocked() {
	s.current.Store(nil)
	for iter := 0; ; iter++ {
		if len(s.ready) > 0 {
			f := s.ready[0]
			s.ready[0] = nil
			s.ready = s.ready[1:]
			s.give(f)
			return
		}
		for len(s.pending) > 0 {
			t := s.pending[0]
			s.pending[0] = nil
			s.pending = s.pending[1:]
			f := t.f
			if f.state != stPending || f.parkGen != t.gen {
				continue // woken otherwise meanwhile
			}
			f.unwait()
			f.timedOut = true
			s.give(f)
			return
		}
		if len(s.external) > 0 && iter > 0 {
			f := s.external[0]
			s.external[0] = nil
			s.external = s.external[1:]
			s.give(f)
			return
		}
		if iter > 0 {
			s.armKick()
			return
		}
		s.iterate()
	}
}

// iterate is one event-loop iteration: update the loop clock and move
// every expired timer to the pending list in heap order.
func (s *Scheduler) iterate() {
	s.updateTime()
	now := s.Clock()
	for t := s.timers.top(); t != nil && t.at < now; t = s.timers.top() {
		s.timers.stop(t)
		if t.f.state == stParked && t.f.parkGen == t.gen {
			t.f.state = stPending
			s.pending = append(s.pending, t)
		}
	}
}

// armKick makes sure the loop runs again when the earliest timer is due
// while nobody holds the baton.
func (s *Scheduler) armKick() {
	t := s.timers.top()
	if t == nil {
		return
	}
	d := t.at - time.Duration(int64(time.Since(s.epoch)))
	if d < 0 {
		d = 0
	}
	// Loop time advances in whole iterations: wait until the timer is
	// strictly expired.
	d += time.Microsecond
	if s.kick != nil {
		if s.kickAt == t.at {
			return
		}
		s.kick.Stop()
	}
	s.kickAt = t.at
	s.kick = time.AfterFunc(d, s.onKick)
}

func (s *Scheduler) onKick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kick = nil
	s.kickAt = 0
	if s.current.Load() == nil {
		s.handoffLocked()
	}
}

// Acquire takes the baton for f, waiting behind the current iteration's
// fibers when it is held.
func (f *Fiber) Acquire() {
	s := f.sched
	s.mu.Lock()
	if s.current.Load() == nil {
		// The loop was idle: its clock is as fresh as an iteration's once
		// read. The baton is taken directly, without a hand-off.
		s.stale.Store(true)
		s.taken++
		f.state = stRunning
		s.current.Store(f)
		s.mu.Unlock()
		f.csw.Add(1)
		return
	}
	f.state = stExternal
	s.external = append(s.external, f)
	s.mu.Unlock()
	f.wait()
}

// Release gives the baton up; f must hold it.
func (f *Fiber) Release() {
	s := f.sched
	s.mu.Lock()
	f.state = stIdle
	s.handoffLocked()
	s.mu.Unlock()
}

// Finish ends f: it is marked dead, its joiners are woken, it leaves the
// registry unless it is joinable (then Join removes it), and the baton is
// passed on. f must hold the baton.
func (f *Fiber) Finish() {
	s := f.sched
	f.dead.Store(true)
	s.mu.Lock()
	f.state = stDead
	for _, j := range f.joiners.list {
		j.waitq = nil
		s.wakeLocked(j)
	}
	f.joiners.list = nil
	if !f.joinable {
		f.unregisterLocked()
	}
	s.handoffLocked()
	s.mu.Unlock()
	close(f.done)
}

func (f *Fiber) unregisterLocked() {
	if f.registered {
		f.registered = false
		delete(f.sched.fibers, f.id)
	}
}

// Block runs fn without the baton: other fibers run meanwhile. Wakeup and
// Cancel do not interrupt fn.
func (f *Fiber) Block(fn func()) {
	f.beforeYield()
	f.Release()
	defer f.Acquire()
	fn()
}

// BlockWoken is Block for a wait that a wakeup ends, as Tarantool's
// coio_wait returns when its fiber is woken: fn receives a channel that
// is closed when Wakeup or Cancel reaches f while fn runs, or at once
// when f was cancelled already or woken while running (a self-wakeup,
// which the call consumes, as the yield it is would). fn must return
// soon after the channel is closed; f then waits for the baton as after
// Block.
func (f *Fiber) BlockWoken(fn func(woken <-chan struct{})) {
	f.beforeYield()
	s := f.sched
	ch := make(chan struct{})
	s.mu.Lock()
	if f.wakeSelf || f.cancelled.Load() {
		f.wakeSelf = false
		close(ch)
	} else {
		f.woken = ch
	}
	f.state = stIdle
	s.handoffLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		f.woken = nil
		s.mu.Unlock()
		f.Acquire()
	}()
	fn(ch)
}

// OnNextYield makes fn run once, under the baton, when f next gives the
// baton up at a yield point (Park, Sleep, Yield, Block, Start) — not when it
// Releases or Finishes. nil cancels it. f must hold the baton. A server
// uses it to hand the requests queued behind a request that yields to
// another fiber, as Tarantool runs every request in a fiber of its own.
func (f *Fiber) OnNextYield(fn func()) { f.yieldHook = fn }

// OnYield makes fn run, under the baton, every time f is about to give
// the baton up at a yield point, until it is replaced or cleared with nil
// (the transaction layer's fiber on_yield trigger). f must hold the baton.
func (f *Fiber) OnYield(fn func()) { f.onYield = fn }

func (f *Fiber) beforeYield() {
	if h := f.onYield; h != nil {
		h()
	}
	if h := f.yieldHook; h != nil {
		f.yieldHook = nil
		h()
	}
}

// Yield lets every other ready fiber, and the fibers of the next loop
// iteration that come before it, run before f continues (fiber.yield,
// which is fiber.sleep(0)).
func (f *Fiber) Yield() { f.Park(nil, 0) }

// Sleep suspends f for d or until Wakeup or Cancel.
func (f *Fiber) Sleep(d time.Duration) {
	if d < 0 {
		d = 0
	}
	f.Park(nil, d)
}

// Park gives up the baton until Wakeup, Cancel or the timeout (Infinite
// for none) and reports whether the timeout ended the wait. With q, f
// waits on q (Signal and Broadcast wake it) at its tail. f must hold the
// baton.
func (f *Fiber) Park(q *WaitQueue, timeout time.Duration) (timedOut bool) {
	return f.park(q, timeout, false)
}

func (f *Fiber) park(q *WaitQueue, timeout time.Duration, front bool) bool {
	f.beforeYield()
	s := f.sched
	s.mu.Lock()
	f.parkGen++
	f.timedOut = false
	if f.wakeSelf {
		// A wakeup that came while f was running makes it ready at once.
		f.wakeSelf = false
		f.state = stReady
		s.ready = append(s.ready, f)
	} else {
		f.state = stParked
		if q != nil {
			q.add(f, front)
		}
		if timeout != Infinite {
			at := s.Clock() + timeout
			if at < 0 { // overflow: effectively infinite
				at = Infinite
			}
			f.tm = &timer{at: at, f: f, gen: f.parkGen}
			s.timers.start(f.tm)
		}
	}
	s.handoffLocked()
	s.mu.Unlock()
	f.wait()
	s.mu.Lock()
	if f.tm != nil {
		s.timers.stop(f.tm)
		f.tm = nil
	}
	to := f.timedOut
	s.mu.Unlock()
	return to
}

// unwait removes f from the wait queue it is parked on.
func (f *Fiber) unwait() {
	if f.waitq != nil {
		f.waitq.remove(f)
		f.waitq = nil
	}
}

// Wakeup makes a parked f ready: it runs after the fibers already ready.
// Waking the running fiber makes its next park return at once; waking a
// fiber inside BlockWoken ends its wait; waking a fiber inside Block, or
// a dead one, does nothing. Any goroutine may call it.
func (f *Fiber) Wakeup() {
	s := f.sched
	s.mu.Lock()
	s.wakeLocked(f)
	if s.current.Load() == nil {
		s.handoffLocked()
	}
	s.mu.Unlock()
}

func (s *Scheduler) wakeLocked(f *Fiber) {
	switch f.state {
	case stRunning:
		if s.current.Load() == f {
			f.wakeSelf = true
		}
	case stParked, stPending:
		f.unwait()
		f.state = stReady
		s.ready = append(s.ready, f)
	case stIdle:
		if f.woken != nil { // inside BlockWoken
			close(f.woken)
			f.woken = nil
		}
	}
}

// Cancel marks f cancelled and wakes it unless it is the caller: f sees
// the cancellation at its next cancellation point (TestCancel). A dead
// fiber is left alone.
func (f *Fiber) Cancel() {
	if f.dead.Load() {
		return
	}
	f.cancelled.Store(true)
	if f.sched.current.Load() != f {
		f.Wakeup()
	}
}

// IsCancelled reports whether Cancel was called.
func (f *Fiber) IsCancelled() bool { return f.cancelled.Load() }

// TestCancel returns ErrCancelled when f was cancelled.
func (f *Fiber) TestCancel() error {
	if f.cancelled.Load() {
		return ErrCancelled
	}
	return nil
}

// SetJoinable makes a finished f stay registered until Join.
func (f *Fiber) SetJoinable(yes bool) {
	f.sched.mu.Lock()
	f.joinable = yes
	f.sched.mu.Unlock()
}

// Joinable reports whether SetJoinable(true) is in effect.
func (f *Fiber) Joinable() bool {
	f.sched.mu.Lock()
	defer f.sched.mu.Unlock()
	return f.joinable
}

// Join waits, as the fiber that holds the baton, until f has finished,
// then removes f from the registry. Wakeups and cancellation of the
// caller do not end the wait, as in Tarantool's fiber_join.
func (f *Fiber) Join() {
	cur := f.sched.current.Load()
	for !f.dead.Load() {
		cur.Park(&f.joiners, Infinite)
	}
	f.sched.mu.Lock()
	f.unregisterLocked()
	f.sched.mu.Unlock()
}

// Done is closed when the fiber has finished.
func (f *Fiber) Done() <-chan struct{} { return f.done }

// IsDead reports whether the fiber has finished.
func (f *Fiber) IsDead() bool { return f.dead.Load() }

// ID returns the fiber id.
func (f *Fiber) ID() int64 { return f.id }

// Name returns the fiber name.
func (f *Fiber) Name() string { return f.name.Load().(string) }

// SetName renames the fiber.
func (f *Fiber) SetName(n string) { f.name.Store(n) }

// CSW is the number of times the fiber was given the baton.
func (f *Fiber) CSW() int64 { return f.csw.Load() }

// Status is the state fiber.status() reports: running for the fiber that
// holds the baton, dead once the fiber has left the registry (a finished
// joinable fiber stays suspended until joined, as in 2.6), else suspended.
func (f *Fiber) Status() Status {
	s := f.sched
	if s.current.Load() == f {
		return Running
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !f.registered {
		return Dead
	}
	return Suspended
}

// Who is the fiber's "cord/id/name" tag for log lines.
func (f *Fiber) Who() string {
	if f == nil {
		return "main"
	}
	return "main/" + itoa(f.id) + "/" + f.Name()
}

// Lookup returns the registered fiber with id, or nil.
func (s *Scheduler) Lookup(id int64) *Fiber {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fibers[id]
}

// Registered reports whether f is still found by Lookup.
func (f *Fiber) Registered() bool {
	f.sched.mu.Lock()
	defer f.sched.mu.Unlock()
	return f.registered
}

// All returns the registered fibers.
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
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
