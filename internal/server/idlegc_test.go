package server

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWorthCollecting(t *testing.T) {
	for _, c := range []struct {
		objects, free, live uint64
		want                bool
	}{
		{0, 0, 0, false},
		{10 << 20, 0, 10 << 20, false},
		{40 << 20, 0, 10 << 20, false},            // 30 MiB of garbage: below the floor
		{41 << 20, 0, 8 << 20, true},              // 33 MiB over 8 MiB live
		{25 << 20, 20 << 20, 10 << 20, true},      // 15 MiB of garbage and 20 MiB of free pages
		{1200 << 20, 0, 1000 << 20, false},        // 200 MiB, under a quarter of 1000
		{1100 << 20, 200 << 20, 1000 << 20, true}, // 100 + 200 MiB
		{200 << 20, 120 << 20, 185 << 20, true},   // after a bulk load: 15 MiB garbage, 120 MiB free pages
		{5 << 20, 0, 10 << 20, false},             // less than live (swept)
	} {
		if got := worthCollecting(c.objects, c.free, c.live); got != c.want {
			t.Errorf("worthCollecting(%d, %d, %d MiB) = %v", c.objects>>20, c.free>>20, c.live>>20, got)
		}
	}
}

// TestIdleGC: a heap holding much garbage is collected once the loop has
// been idle for a whole tick, and not while a fiber holds the baton.
func TestIdleGC(t *testing.T) {
	oldTick, oldStats, oldCollect := idleGCTick, heapStats, idleCollect
	t.Cleanup(func() { idleGCTick, heapStats, idleCollect = oldTick, oldStats, oldCollect })
	idleGCTick = 10 * time.Millisecond
	var garbage atomic.Bool
	heapStats = func() (uint64, uint64, uint64, bool) {
		if garbage.Load() {
			return 300 << 20, 0, 100 << 20, true
		}
		return 100 << 20, 0, 100 << 20, true
	}
	var collected atomic.Int64
	idleCollect = func() { collected.Add(1); garbage.Store(false) }
	s := newTestServer(t, "box.cfg{log_level = 1}")
	f0 := s.Sched.New("busy")
	f0.Acquire()
	garbage.Store(true)
	time.Sleep(20 * idleGCTick)
	if n := s.idleGCs.Load(); n != 0 {
		t.Fatalf("%d idle collections while a fiber held the baton", n)
	}
	f0.Finish()
	deadline := time.Now().Add(10 * time.Second)
	for s.idleGCs.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no idle collection once the loop was idle")
		}
		time.Sleep(idleGCTick)
	}
	time.Sleep(20 * idleGCTick)
	if n := s.idleGCs.Load(); n != 1 || collected.Load() != 1 {
		t.Fatalf("%d collections, want one: the garbage was gone after the first", n)
	}
}
