// Package rmean keeps the counters of box.stat and box.stat.net as
// Tarantool 2.6's rmean does: for each name a total since the last reset
// and the mean rate per second over the last completed seconds of a
// sliding window.
//
// 2.6 rolls its windows with a one-second timer; here a window rolls
// lazily, when it is next touched, by as many seconds as have passed, so
// an idle counter costs nothing. The rate is the same: the sum of the
// last Window-1 completed seconds divided by Window-1, the current
// second left out because it is not over.
package rmean

import (
	"sync"
	"time"
)

// Window is 2.6's RMEAN_WINDOW: the current second and the four before.
const Window = 5

// Rmean is a set of named counters. It is safe for concurrent use: the
// network counters are collected by connection goroutines.
type Rmean struct {
	mu    sync.Mutex
	names []string
	stats []stat
	// start is the beginning of the current second of every window.
	start time.Time
	now   func() time.Time
}

type stat struct {
	total int64
	// value[0] accumulates the current second, value[j] the j-th
	// completed second before it.
	value [Window]int64
}

// New returns counters for names (an empty name is a slot no
// statistics are shown for, as the holes of 2.6's name tables).
func New(names ...string) *Rmean {
	return newAt(time.Now, names...)
}

func newAt(now func() time.Time, names ...string) *Rmean {
	return &Rmean{names: names, stats: make([]stat, len(names)), start: now(), now: now}
}

// roll brings every window to the current second; mu is held.
func (r *Rmean) roll() {
	t := r.now()
	secs := int64(t.Sub(r.start) / time.Second)
	if secs <= 0 {
		return
	}
	r.start = r.start.Add(time.Duration(secs) * time.Second)
	shift := min(secs, Window)
	for i := range r.stats {
		v := &r.stats[i].value
		copy(v[shift:], v[:Window-shift])
		for j := int64(0); j < shift; j++ {
			v[j] = 0
		}
	}
}

// Collect adds n to the counter at index i.
func (r *Rmean) Collect(i int, n int64) {
	r.mu.Lock()
	r.roll()
	s := &r.stats[i]
	s.total += n
	s.value[0] += n
	r.mu.Unlock()
}

// Item is one counter as box.stat shows it.
type Item struct {
	Name  string
	Rps   int64
	Total int64
}

// Items returns the named counters in index order.
func (r *Rmean) Items() []Item {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roll()
	out := make([]Item, 0, len(r.names))
	for i, name := range r.names {
		if name == "" {
			continue
		}
		s := &r.stats[i]
		var sum int64
		for j := 1; j < Window; j++ {
			sum += s.value[j]
		}
		out = append(out, Item{Name: name, Rps: sum / (Window - 1), Total: s.total})
	}
	return out
}

// Reset zeroes every counter (box.stat.reset()).
func (r *Rmean) Reset() {
	r.mu.Lock()
	for i := range r.stats {
		r.stats[i] = stat{}
	}
	r.start = r.now()
	r.mu.Unlock()
}
