package gcpacer

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
)

// minHeadroom is the least the heap may grow beyond its live data before
// a collection (unless GOGC's own goal is lower).
const minHeadroom = 64 << 20

// headroom is how far the heap may grow beyond live bytes of live data.
func headroom(live uint64) uint64 { return max(minHeadroom, live/4) }

// Heap is what the runtime reports of its memory, in bytes.
type Heap struct {
	// Live is the heap that was live after the last collection.
	Live uint64
	// Total is all memory mapped by the runtime; Released the part of
	// it returned to the system.
	Total, Released uint64
	// Objects are the heap's objects (live ones and garbage not yet
	// swept), Unused the unused space in their spans, Free the free
	// heap pages not yet returned to the system.
	Objects, Unused, Free uint64
}

var heapMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// ReadHeap reads the runtime's memory figures; ok is false when the
// runtime does not report one of them.
func ReadHeap() (h Heap, ok bool) {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	var v [6]uint64
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return Heap{}, false
		}
		v[i] = s.Value.Uint64()
	}
	return Heap{Live: v[0], Total: v[1], Released: v[2], Objects: v[3], Unused: v[4], Free: v[5]}, true
}

// limit is the soft memory limit after a cycle: what is neither heap nor
// released (stacks, runtime metadata, buffers) is kept as it is; the heap
// gets live plus headroom(live).
func limit(h Heap) uint64 {
	heap := h.Objects + h.Unused + h.Free
	var other uint64
	if h.Total > heap+h.Released {
		other = h.Total - heap - h.Released
	}
	return other + h.Live + headroom(h.Live)
}

// pacer is the process's one pacer: the memory limit is process-wide.
// Finalizers run one at a time on the runtime's finalizer goroutine, so
// adjust is never concurrent with itself.
var pacer struct {
	once   sync.Once
	armed  atomic.Bool
	cycles atomic.Int64
	// mu guards the pause state and last; paused counts nested pauses.
	mu          sync.Mutex
	paused      int
	savePercent int
	// percentDue: GOGC is still off after a pause, to be restored when
	// the first cycle after it ends.
	percentDue bool
	// last is the reading adjust last set the limit from (tests compare
	// the two).
	last Heap
}

// Start starts pacing, once per process; later calls do nothing. It
// does nothing at all when GOMEMLIMIT is set or GOGC is off: the
// operator has chosen the collector's pacing.
func Start() {
	if os.Getenv("GOMEMLIMIT") != "" || strings.EqualFold(os.Getenv("GOGC"), "off") {
		return
	}
	pacer.once.Do(func() {
		pacer.armed.Store(true)
		arm()
	})
}

// Pause stops the collector while a bulk load builds data that stays
// live - a snapshot's tuples and the index over them - until the returned
// resume is called. A cycle during such a load marks the whole growing
// index and frees nothing: with 1M tuples the collector took about a
// third of recovery's CPU time. What a load leaves as garbage is the
// index's own outgrown node arrays, bounded by the index's size, so the
// heap grows by little more than the data.
//
// Pauses nest; the collector runs again when the last one resumes. With
// the pacer running, the heap as it is then counts as live: the limit is
// set from it and GOGC stays off until the first cycle ends (GOGC's goal
// is twice what the last cycle, before the load, found live, which would
// start a cycle at once and mark all the loaded data again). Without the
// pacer GOGC comes back as it was, and a limit the operator set with
// GOMEMLIMIT stays in force during the pause, so the collector still runs
// if the heap reaches it.
func Pause() (resume func()) {
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	pacer.paused++
	if pacer.paused == 1 {
		// The limit first: SetGCPercent(-1) then waits for a cycle the
		// old limit may have started, so none runs once Pause returns.
		// (Without the pacer the limit is the operator's: it stays.)
		if pacer.armed.Load() {
			debug.SetMemoryLimit(math.MaxInt64)
		}
		if p := debug.SetGCPercent(-1); !pacer.percentDue {
			// (While GOGC is due back from a pause, it is off.)
			pacer.savePercent = p
		}
	}
	var once sync.Once
	return func() { once.Do(unpause) }
}

func unpause() {
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	pacer.paused--
	if pacer.paused > 0 {
		return
	}
	h, ok := ReadHeap()
	if !pacer.armed.Load() || !ok {
		// GOGC paces alone until the pacer's next cycle, if any, sets
		// a limit again.
		debug.SetGCPercent(pacer.savePercent)
		return
	}
	h.Live = max(h.Live, h.Objects)
	debug.SetMemoryLimit(int64(min(limit(h), math.MaxInt64)))
	pacer.percentDue = true
}

// cycles returns how many collections the pacer has seen.
func cycles() int64 { return pacer.cycles.Load() }

// sentinel is allocated for its finalizer alone; it holds a pointer so
// that it is never packed with other tiny objects (whose block a
// finalizer would keep alive).
type sentinel struct{ _ *int }

func arm() {
	s := &sentinel{}
	runtime.SetFinalizer(s, func(*sentinel) {
		pacer.cycles.Add(1)
		adjust()
		arm()
	})
}

// adjust sets the limit from the cycle that just finished.
func adjust() {
	h, ok := ReadHeap()
	if !ok {
		return
	}
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if pacer.paused > 0 {
		// A forced cycle during a pause: the limit stays lifted.
		return
	}
	if pacer.percentDue {
		debug.SetGCPercent(pacer.savePercent)
		pacer.percentDue = false
	}
	pacer.last = h
	debug.SetMemoryLimit(int64(min(limit(h), math.MaxInt64)))
}
