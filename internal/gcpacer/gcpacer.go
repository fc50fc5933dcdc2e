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

// MinHeadroom is the least the heap may grow beyond its live data before
// a collection (unless GOGC's own goal is lower).
const MinHeadroom = 64 << 20

// Headroom is how far the heap may grow beyond live bytes of live data.
func Headroom(live uint64) uint64 { return max(MinHeadroom, live/4) }

// Limit computes the soft memory limit after a cycle from the runtime's
// memory classes: live heap, total memory mapped, memory released to the
// system, and the heap's objects, unused span space and free pages.
// What is neither heap nor released (stacks, runtime metadata, buffers)
// is kept as it is; the heap gets live plus Headroom(live).
func Limit(live, total, released, objects, unused, free uint64) uint64 {
	heap := objects + unused + free
	var other uint64
	if total > heap+released {
		other = total - heap - released
	}
	return other + live + Headroom(live)
}

var samples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

// pacer is the process's one pacer: the memory limit is process-wide.
// Finalizers run one at a time on the runtime's finalizer goroutine, so
// adjust (and its use of samples) is never concurrent with itself.
var pacer struct {
	once   sync.Once
	cycles atomic.Int64
}

// Start starts pacing, once per process; later calls do nothing. It
// does nothing at all when GOMEMLIMIT is set or GOGC is off: the
// operator has chosen the collector's pacing.
func Start() {
	if os.Getenv("GOMEMLIMIT") != "" || strings.EqualFold(os.Getenv("GOGC"), "off") {
		return
	}
	pacer.once.Do(arm)
}

// Cycles returns how many collections the pacer has seen.
func Cycles() int64 { return pacer.cycles.Load() }

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
	metrics.Read(samples)
	var v [6]uint64
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return
		}
		v[i] = s.Value.Uint64()
	}
	limit := Limit(v[0], v[1], v[2], v[3], v[4], v[5])
	if limit > math.MaxInt64 {
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(int64(limit))
}
