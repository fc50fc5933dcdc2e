package bench

import (
	"math/bits"
	"time"
)

// Histogram is an HDR-style log-linear histogram of non-negative values
// (nanoseconds here). Values below 2^histSubBits are counted exactly;
// larger values fall in buckets 2^(histSubBits-1) per power of two wide,
// so a bucket's width is at most 1/128 of its values.
type Histogram struct {
	counts [histBuckets]uint64
	total  uint64
	sum    uint64
	min    uint64
	max    uint64
}

const (
	histSubBits = 8
	histHalf    = 1 << (histSubBits - 1)
	histBuckets = (64-histSubBits)*histHalf + 2*histHalf
)

func histIndex(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits
	return shift*histHalf + int(v>>shift)
}

// histUpper is the largest value that maps to bucket i: percentiles
// report it, as HdrHistogram's highestEquivalentValue does, so they never
// understate latency.
func histUpper(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	shift := i/histHalf - 1
	sub := uint64(i%histHalf + histHalf)
	return (sub+1)<<shift - 1
}

// Record adds one value.
func (h *Histogram) Record(v uint64) {
	h.counts[histIndex(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += v
}

// RecordDuration adds a duration; negative durations count as zero.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(uint64(max(d, 0))) }

// Merge adds all of o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest recorded value (exact).
func (h *Histogram) Max() uint64 { return h.max }

// Min is the smallest recorded value (exact).
func (h *Histogram) Min() uint64 { return h.min }

// Mean is the exact mean, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.total)
}

// Quantile returns the value at quantile q in [0, 1]: the upper bound of
// the bucket holding the ceil(q*count)-th smallest value, capped at Max.
// It is 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.9999999)
	rank = max(rank, 1)
	rank = min(rank, h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histUpper(i), h.max)
		}
	}
	return h.max
}
