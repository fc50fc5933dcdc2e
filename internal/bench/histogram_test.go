package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistIndexBounds(t *testing.T) {
	// Every value lies within its bucket's bounds, buckets are ordered,
	// and a bucket is at most 1/128 of its values wide.
	vals := []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<20 + 12345, 1 << 40, 1<<63 - 1, 1 << 63, ^uint64(0)}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		vals = append(vals, rng.Uint64()>>rng.IntN(64))
	}
	for _, v := range vals {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("index %d of %d out of range", i, v)
		}
		if histUpper(i) < v || (i > 0 && histUpper(i-1) >= v) {
			t.Fatalf("value %d not in bucket %d (%d, %d]", v, i, histUpper(i-1), histUpper(i))
		}
		if v >= 256 && float64(histUpper(i)-v) > float64(v)/128 {
			t.Fatalf("bucket of %d too wide: upper %d", v, histUpper(i))
		}
	}
}

// TestQuantileAgainstSorted compares quantiles with the exact order
// statistics of the recorded values.
func TestQuantileAgainstSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for trial := 0; trial < 50; trial++ {
		var h, a, b Histogram
		n := 1 + rng.IntN(5000)
		vals := make([]uint64, n)
		for i := range vals {
			vals[i] = uint64(rng.ExpFloat64() * 1e5)
			h.Record(vals[i])
			if i%2 == 0 {
				a.Record(vals[i])
			} else {
				b.Record(vals[i])
			}
		}
		a.Merge(&b)
		slices.Sort(vals)
		for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
			rank := int(q*float64(n) + 0.9999999)
			rank = max(rank, 1)
			exact := vals[rank-1]
			got := h.Quantile(q)
			if got < exact || float64(got-exact) > float64(exact)/128+1 {
				t.Fatalf("n=%d q=%v: got %d, exact %d", n, q, got, exact)
			}
			if a.Quantile(q) != got {
				t.Fatalf("merged histogram differs at q=%v", q)
			}
		}
		if h.Max() != vals[n-1] || h.Min() != vals[0] || h.Count() != uint64(n) {
			t.Fatalf("max/min/count %d %d %d", h.Max(), h.Min(), h.Count())
		}
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Fatal("empty histogram")
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	v := uint64(12345)
	for b.Loop() {
		h.Record(v)
		v = v*6364136223846793005 + 1442695040888963407
		v >>= 40
	}
}
