package server

import (
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/gcpacer"
)

// Idle collection. Go's collector lets the heap grow to twice what was
// live after the previous cycle (GOGC=100) before it collects, and then
// hands freed memory back to the system only gradually. After a burst of
// work that made garbage - a bulk load through Lua, a large join - an
// idle instance would keep that headroom resident until the next forced
// cycle minutes later, where Tarantool's slab allocator stays at what its
// tuples use. So when the event loop has been idle for a whole tick and
// the heap holds much more than was live after the last cycle, the
// collector runs and the freed memory goes back to the system at once.
// The collection costs CPU only when nothing else wants it: "idle" means
// no fiber took the baton during the tick and the process used under a
// tenth of a core (relays, the WAL writer and snapshots run without the
// baton).

// idleGCTick is how long the loop must stay idle before a collection.
var idleGCTick = time.Second

// idleGCMinGarbage is the least reclaimable memory worth an idle
// collection.
const idleGCMinGarbage = 32 << 20

// worthCollecting: the memory a collection would give back - garbage
// among the heap objects (beyond what was live after the last cycle) and
// free heap pages the runtime still holds - is at least idleGCMinGarbage
// and a quarter of the live heap.
func worthCollecting(objects, free, live uint64) bool {
	reclaimable := free
	if objects > live {
		reclaimable += objects - live
	}
	return reclaimable >= idleGCMinGarbage && reclaimable >= live/4
}

// heapStats reads the heap's objects (live and unswept garbage), its free
// pages not yet returned to the system and what was live after the last
// cycle; ok is false when the runtime does not report them. idleCollect
// collects and returns freed memory. Both are variables for the tests.
var (
	heapStats = func() (objects, free, live uint64, ok bool) {
		h, ok := gcpacer.ReadHeap()
		return h.Objects, h.Free, h.Live, ok
	}
	idleCollect = debug.FreeOSMemory
	// processCPU is the CPU time the process used so far.
	processCPU = func() time.Duration {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
)

// runIdleGC watches the scheduler until the server stops.
func (s *Server) runIdleGC() {
	// The hooks are read once, here: tests restore them while the
	// goroutine of a stopped server may still be finishing a tick.
	tick, heapStats, idleCollect, processCPU := idleGCTick, heapStats, idleCollect, processCPU
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		_, last := s.Sched.Activity()
		lastCPU := processCPU()
		for {
			select {
			case <-s.stopped:
				return
			case <-t.C:
			}
			batonFree, taken := s.Sched.Activity()
			cpu := processCPU()
			idle := batonFree && taken == last && cpu-lastCPU < tick/10
			last, lastCPU = taken, cpu
			if !idle {
				continue
			}
			objects, freePages, live, ok := heapStats()
			if !ok {
				return
			}
			if worthCollecting(objects, freePages, live) {
				idleCollect()
				s.idleGCs.Add(1)
			}
		}
	}()
}
