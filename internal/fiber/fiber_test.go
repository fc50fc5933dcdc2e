package fiber

import (
	"sync"
	"testing"
	"time"
)

// TestAtomicBetweenYields checks that code between yield points is never
// interleaved with other fibers.
func TestAtomicBetweenYields(t *testing.T) {
	s := NewScheduler()
	var counter int // guarded by the baton only
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		s.Go("worker", func(f *Fiber) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				v := counter
				counter = v + 1 // no yield in between: must not lose updates
				if j%10 == 0 {
					f.Yield()
				}
			}
		})
	}
	wg.Wait()
	if counter != 8*200 {
		t.Fatalf("counter = %d, want %d", counter, 8*200)
	}
}

func TestSleepReleasesBaton(t *testing.T) {
	s := NewScheduler()
	main := s.New("main")
	main.Acquire()
	ran := make(chan struct{})
	s.Go("other", func(f *Fiber) { close(ran) })
	main.Sleep(10 * time.Millisecond)
	select {
	case <-ran:
	default:
		t.Fatal("other fiber did not run while main slept")
	}
	if main.Status() != Running {
		t.Fatalf("status %s", main.Status())
	}
	main.Finish()
	if s.Lookup(main.ID()) != nil {
		t.Fatal("finished fiber still registered")
	}
}

func TestWakeup(t *testing.T) {
	s := NewScheduler()
	f := s.Go("sleeper", func(f *Fiber) { f.Sleep(time.Hour) })
	time.Sleep(5 * time.Millisecond)
	f.Wakeup()
	select {
	case <-f.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Wakeup did not end the sleep")
	}
	if f.ID() < 103 || f.Who() != "main/"+itoa(f.ID())+"/sleeper" {
		t.Fatalf("id %d who %s", f.ID(), f.Who())
	}
}

// TestYieldHooks: OnNextYield runs once at the next yield point; OnYield
// at every one until cleared; neither runs on Release or Finish; Start is
// a yield of its caller.
func TestYieldHooks(t *testing.T) {
	s := NewScheduler()
	main := s.New("main")
	main.Acquire()
	once, every := 0, 0
	main.OnNextYield(func() { once++ })
	main.OnYield(func() { every++ })
	main.Release()
	main.Acquire()
	if once != 0 || every != 0 {
		t.Fatalf("hooks ran on Release: %d %d", once, every)
	}
	main.Yield()
	main.Sleep(time.Millisecond)
	main.Block(func() {})
	s.Start("child", func(f *Fiber) {})
	if once != 1 || every != 4 {
		t.Fatalf("once %d every %d, want 1 and 4", once, every)
	}
	main.OnYield(nil)
	main.Yield()
	if every != 4 {
		t.Fatal("cleared OnYield still runs")
	}
	main.OnNextYield(func() { once++ })
	main.OnNextYield(nil)
	main.Yield()
	main.Finish()
	if once != 1 {
		t.Fatal("cleared OnNextYield ran")
	}
}

// TestBlockWoken: a wakeup or a cancellation from another fiber closes
// the channel of a fiber inside BlockWoken; other fibers run while it
// waits; a fiber already cancelled, or woken while running, gets a
// closed channel at once; Block stays deaf to wakeups.
func TestBlockWoken(t *testing.T) {
	s := NewScheduler()
	main := s.New("main")
	main.Acquire()
	defer main.Finish()

	for _, cancel := range []bool{false, true} {
		waiter := s.Start("waiter", func(f *Fiber) {
			f.BlockWoken(func(woken <-chan struct{}) {
				select {
				case <-woken:
				case <-time.After(5 * time.Second):
					t.Error("the wait was not ended")
				}
			})
		})
		if cancel {
			waiter.Cancel()
		} else {
			waiter.Wakeup()
		}
		waiter.SetJoinable(true)
		waiter.Join()
	}

	// Cancelled before the call, or woken while running.
	for i := 0; i < 2; i++ {
		f := s.Start("early", func(f *Fiber) {
			if i == 0 {
				f.Cancel()
			} else {
				f.Wakeup()
			}
			f.BlockWoken(func(woken <-chan struct{}) {
				select {
				case <-woken:
				default:
					t.Errorf("case %d: channel not closed at once", i)
				}
			})
		})
		f.SetJoinable(true)
		f.Join()
	}

	// Block ignores wakeups: fn's own end finishes the call.
	release := make(chan struct{})
	f := s.Start("deaf", func(f *Fiber) { f.Block(func() { <-release }) })
	f.Wakeup()
	time.Sleep(10 * time.Millisecond)
	if f.IsDead() {
		t.Fatal("Block ended by a wakeup")
	}
	close(release)
	f.SetJoinable(true)
	f.Join()
}
