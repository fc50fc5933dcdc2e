package fiber

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestTimerHeapModel compares the heap with a sorted slice under random
// starts and stops: pops come out in non-decreasing expiry order and the
// set of live timers always matches the model.
func TestTimerHeapModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var h timerHeap
		live := map[*timer]bool{}
		for op := 0; op < 300; op++ {
			switch r := rng.Intn(10); {
			case r < 5:
				e := &timer{at: time.Duration(rng.Intn(20))}
				h.start(e)
				live[e] = true
			case r < 8 && len(live) > 0:
				var all []*timer
				for e := range live {
					all = append(all, e)
				}
				sort.Slice(all, func(i, j int) bool { return fmt.Sprintf("%p", all[i]) < fmt.Sprintf("%p", all[j]) })
				e := all[rng.Intn(len(all))]
				h.stop(e)
				delete(live, e)
			default:
				if top := h.top(); top != nil {
					for e := range live {
						if e.at < top.at {
							t.Fatalf("top %d is not the minimum (%d live)", top.at, e.at)
						}
					}
					h.stop(top)
					delete(live, top)
				}
			}
			if h.len() != len(live) {
				t.Fatalf("heap has %d timers, model %d", h.len(), len(live))
			}
			for k := heap0; k < len(h.h); k++ {
				if h.h[k].active != k {
					t.Fatalf("timer at %d records index %d", k, h.h[k].active)
				}
				if k > heap0 && h.h[hparent(k)].at > h.h[k].at {
					t.Fatalf("heap order broken at %d", k)
				}
			}
		}
	}
}

// TestTimerHeapEqualKeys pins libev's order for equal expiries: the
// sequence Tarantool 2.6 produces for three fiber.create yielders, a
// sleeping main fiber and three fiber.new yielders.
func TestTimerHeapEqualKeys(t *testing.T) {
	var h timerHeap
	names := map[*timer]string{}
	add := func(at time.Duration, n string) {
		e := &timer{at: at}
		names[e] = n
		h.start(e)
	}
	add(0, "a1")
	add(0, "a2")
	add(0, "a3")
	add(10, "main")
	add(0, "n1")
	add(0, "n2")
	add(0, "n3")
	var got []string
	for top := h.top(); top != nil && top.at < 1; top = h.top() {
		h.stop(top)
		got = append(got, names[top])
	}
	if s := strings.Join(got, " "); s != "a1 n3 n2 n1 a2 a3" {
		t.Fatalf("pop order %q", s)
	}
}

// TestSchedulingTrace replays the scenario of the fiber_basics corpus
// script at the Go level.
func TestSchedulingTrace(t *testing.T) {
	s := NewScheduler()
	m := s.New("main")
	m.Acquire()
	var log []string
	say := func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }
	for i := 1; i <= 3; i++ {
		s.Start("a", func(f *Fiber) {
			for j := 1; j <= 3; j++ {
				say("a%d%d", i, j)
				f.Yield()
			}
		})
	}
	for i := 1; i <= 3; i++ {
		s.Go("n", func(f *Fiber) {
			for j := 1; j <= 2; j++ {
				say("n%d%d", i, j)
				f.Sleep(0)
			}
		})
	}
	say("main")
	m.Sleep(50 * time.Millisecond)
	m.Finish()
	want := "a11 a21 a31 main n11 n21 n31 a12 n32 n22 n12 a22 a32 a13 a33 a23"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("trace\n got %s\nwant %s", got, want)
	}
}

// TestCondOrder: signal wakes the first waiter, which runs before a fiber
// that yielded earlier (ready before the next loop iteration).
func TestCondOrder(t *testing.T) {
	s := NewScheduler()
	m := s.New("main")
	m.Acquire()
	var c Cond
	var log []string
	for i := 1; i <= 3; i++ {
		s.Start("w", func(f *Fiber) {
			log = append(log, fmt.Sprint("w", i))
			if err := c.Wait(f, Infinite); err != nil {
				t.Errorf("wait: %v", err)
			}
			log = append(log, fmt.Sprint("r", i))
		})
	}
	s.Start("x", func(f *Fiber) { log = append(log, "x"); f.Yield(); log = append(log, "x2") })
	c.Signal()
	log = append(log, "sig")
	c.Broadcast()
	log = append(log, "bc")
	m.Yield()
	log = append(log, "main")
	if c.Wait(m, 5*time.Millisecond) != ErrTimedOut {
		t.Error("wait on an unsignalled cond did not time out")
	}
	m.Finish()
	if got := strings.Join(log, " "); got != "w1 w2 w3 x sig bc r1 r2 r3 x2 main" {
		t.Fatalf("order %s", got)
	}
}

func TestChannel(t *testing.T) {
	s := NewScheduler()
	m := s.New("main")
	m.Acquire()
	defer m.Finish()
	ch := NewChannel(1)
	if err := ch.Put(m, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := ch.Put(m, 2, 0); err != ErrTimedOut {
		t.Fatalf("put into a full channel: %v", err)
	}
	// Two writers park behind the full buffer; reads keep FIFO order.
	for i := 2; i <= 3; i++ {
		s.Start("w", func(f *Fiber) {
			if err := ch.Put(f, i, Infinite); err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
	}
	if !ch.HasWriters() || ch.HasReaders() {
		t.Fatal("writers are not seen waiting")
	}
	for want := 1; want <= 3; want++ {
		v, err := ch.Get(m, Infinite)
		if err != nil || v != want {
			t.Fatalf("get = %v, %v; want %d", v, err, want)
		}
	}
	if _, err := ch.Get(m, time.Millisecond); err != ErrTimedOut {
		t.Fatalf("get from an empty channel: %v", err)
	}
	// Close wakes a parked reader with ErrChannelClosed.
	var rerr error
	s.Start("r", func(f *Fiber) { _, rerr = ch.Get(f, Infinite) })
	ch.Close()
	m.Yield()
	if rerr != ErrChannelClosed || ch.Put(m, 1, 0) != ErrChannelClosed {
		t.Fatalf("after close: reader %v", rerr)
	}
}

func TestJoinAndCancel(t *testing.T) {
	s := NewScheduler()
	m := s.New("main")
	m.Acquire()
	defer m.Finish()
	f := s.Go("sleeper", func(f *Fiber) {
		f.Sleep(time.Hour)
		if f.TestCancel() != ErrCancelled {
			t.Error("cancel not seen after wakeup")
		}
	})
	f.SetJoinable(true)
	m.Yield()
	if f.Status() != Suspended {
		t.Fatalf("status %s", f.Status())
	}
	f.Cancel()
	f.Join()
	if f.Status() != Dead || s.Lookup(f.ID()) != nil || !f.IsDead() {
		t.Fatal("joined fiber still registered")
	}
	// A finished joinable fiber stays registered (and "suspended") until
	// joined, as in 2.6.
	g := s.Go("quick", func(*Fiber) {})
	g.SetJoinable(true)
	m.Yield()
	if g.Status() != Suspended || s.Lookup(g.ID()) != g {
		t.Fatalf("finished joinable fiber: %s", g.Status())
	}
	g.Join()
	if g.Status() != Dead {
		t.Fatal("not dead after join")
	}
	// Wakeup of the running fiber makes its next sleep return at once.
	m.Wakeup()
	start := time.Now()
	m.Sleep(time.Hour)
	if time.Since(start) > time.Second {
		t.Fatal("self-wakeup was lost")
	}
}

// TestExternalAcquire: goroutines outside the scheduler (connections)
// get the baton between fibers and never run concurrently with them.
func TestExternalAcquire(t *testing.T) {
	s := NewScheduler()
	var inside, maxInside int
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			f := s.New("conn")
			for j := 0; j < 100; j++ {
				f.Acquire()
				inside++
				if inside > maxInside {
					maxInside = inside
				}
				inside--
				f.Release()
			}
			f.Acquire()
			f.Finish()
			done <- struct{}{}
		}()
	}
	s.Go("yielder", func(f *Fiber) {
		for j := 0; j < 100; j++ {
			inside++
			if inside > 1 {
				maxInside = inside
			}
			inside--
			f.Yield()
		}
	})
	for i := 0; i < 4; i++ {
		<-done
	}
	if maxInside != 1 {
		t.Fatalf("%d holders at once", maxInside)
	}
}

func BenchmarkYield(b *testing.B) {
	b.ReportAllocs()
	s := NewScheduler()
	m := s.New("main")
	m.Acquire()
	s.Go("other", func(f *Fiber) {
		for {
			f.Yield()
		}
	})
	for i := 0; i < b.N; i++ {
		m.Yield()
	}
}
