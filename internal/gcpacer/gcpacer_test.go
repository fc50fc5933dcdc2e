package gcpacer

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, total, released, objects, unused, free, want uint64
	}{
		// A small heap: MinHeadroom, plus the 8 MB outside the heap.
		{live: 10 * mb, total: 40 * mb, released: 2 * mb, objects: 20 * mb, unused: 2 * mb, free: 8 * mb, want: 8*mb + 10*mb + MinHeadroom},
		// A large heap: a quarter of it.
		{live: 400 * mb, total: 700 * mb, released: 100 * mb, objects: 500 * mb, unused: 10 * mb, free: 70 * mb, want: 20*mb + 400*mb + 100*mb},
		// Inconsistent samples never make the part outside the heap negative.
		{live: 100 * mb, total: 50 * mb, released: 10 * mb, objects: 100 * mb, want: 100*mb + MinHeadroom},
	} {
		if got := Limit(c.live, c.total, c.released, c.objects, c.unused, c.free); got != c.want {
			t.Errorf("Limit(%+v) = %d MB, want %d MB", c, got/mb, c.want/mb)
		}
	}
}

// TestPacerBoundsHeap: with 300 MB live in pointer-free blocks (the shape
// of a tuple store), a stream of garbage leaves the heap's goal near live
// plus Headroom(live), where GOGC=100 alone would let it reach twice the
// live heap.
func TestPacerBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 2 GB")
	}
	Start()
	const block = 2 << 20
	live := make([][]byte, 150)
	for i := range live {
		live[i] = make([]byte, block)
	}
	liveBytes := uint64(len(live) * block)
	runtime.GC()
	start := Cycles()
	var sink []byte
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	var maxGoal uint64
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 30000 && time.Now().Before(deadline); i++ {
		sink = make([]byte, 64<<10)
		sink[0] = byte(i)
		if i%100 == 0 && Cycles() > start+1 {
			metrics.Read(goal)
			maxGoal = max(maxGoal, goal[0].Value.Uint64())
		}
	}
	_ = sink
	runtime.KeepAlive(live)
	if Cycles() < start+3 {
		t.Fatalf("the pacer saw %d collections, want at least 3", Cycles()-start)
	}
	limit := debug.SetMemoryLimit(-1)
	want := liveBytes + Headroom(liveBytes)
	t.Logf("live %d MB, memory limit %d MB, largest heap goal %d MB", liveBytes>>20, limit>>20, maxGoal>>20)
	if limit < int64(want) || limit > int64(want)+64<<20 {
		t.Errorf("memory limit %d MB, want %d MB plus the runtime's memory outside the heap", limit>>20, want>>20)
	}
	// The runtime turns the limit into a heap goal with some slack of
	// its own.
	if maxGoal > want+32<<20 {
		t.Errorf("heap goal reached %d MB, want at most about %d MB (GOGC=100 alone: %d MB)", maxGoal>>20, want>>20, 2*liveBytes>>20)
	}
}

// TestOperatorChoiceKept: with GOMEMLIMIT set or GOGC=off, Start leaves
// the memory limit as the operator set it (run in a child process, as the
// limit is process-wide).
func TestOperatorChoiceKept(t *testing.T) {
	if os.Getenv("GCPACER_CHILD") != "" {
		before := debug.SetMemoryLimit(-1)
		Start()
		for range 3 {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		if after := debug.SetMemoryLimit(-1); after != before || Cycles() != 0 {
			fmt.Printf("limit %d -> %d after %d paced cycles\n", before, after, Cycles())
			os.Exit(1)
		}
		os.Exit(0)
	}
	for _, env := range []string{"GOMEMLIMIT=1GiB", "GOGC=off"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOperatorChoiceKept$")
		cmd.Env = append(os.Environ(), "GCPACER_CHILD=1", env)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", env, err, out)
		}
	}
}
