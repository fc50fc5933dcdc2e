package fiber

import "time"

// timer is one pending wake-up of a parked fiber.
type timer struct {
	at     time.Duration // loop time at which it expires
	f      *Fiber
	gen    uint64 // the park generation of f it belongs to
	active int    // index in the heap; 0 when not in it
}

// timerHeap orders timers exactly as libev's 4-ary heap (EV_USE_4HEAP)
// does, which Tarantool 2.6 runs on. Timers with equal expiry — every
// fiber.yield() and fiber.sleep(0) of one loop iteration — come out in
// the heap's order, not in insertion order, and scripts observe that
// order; so the sift rules below follow ev.c's upheap, downheap and
// ev_timer_stop precisely (strict comparisons included).
type timerHeap struct {
	h []*timer // h[0:heap0] unused, as in ev.c
}

const (
	dheap = 4
	heap0 = dheap - 1
)

func hparent(k int) int { return (k-heap0-1)/dheap + heap0 }

func (t *timerHeap) len() int {
	if len(t.h) < heap0 {
		return 0
	}
	return len(t.h) - heap0
}

func (t *timerHeap) top() *timer {
	if t.len() == 0 {
		return nil
	}
	return t.h[heap0]
}

func (t *timerHeap) set(k int, e *timer) {
	t.h[k] = e
	e.active = k
}

func (t *timerHeap) upheap(k int) {
	he := t.h[k]
	for {
		p := hparent(k)
		if p == k || k <= heap0 || t.h[p].at <= he.at {
			break
		}
		t.set(k, t.h[p])
		k = p
	}
	t.set(k, he)
}

func (t *timerHeap) downheap(k int) {
	he := t.h[k]
	end := len(t.h)
	for {
		pos := dheap*(k-heap0) + heap0 + 1
		if pos >= end {
			break
		}
		minpos := pos
		minat := t.h[pos].at
		for i := 1; i < dheap; i++ {
			if pos+i < end && t.h[pos+i].at < minat {
				minpos = pos + i
				minat = t.h[minpos].at
			}
		}
		if he.at <= minat {
			break
		}
		t.set(k, t.h[minpos])
		k = minpos
	}
	t.set(k, he)
}

// start adds e (ev_timer_start).
func (t *timerHeap) start(e *timer) {
	if len(t.h) < heap0 {
		t.h = make([]*timer, heap0, 16)
	}
	t.h = append(t.h, e)
	e.active = len(t.h) - 1
	t.upheap(e.active)
}

// stop removes e if it is still in the heap (ev_timer_stop).
func (t *timerHeap) stop(e *timer) {
	k := e.active
	if k == 0 {
		return
	}
	e.active = 0
	last := len(t.h) - 1
	moved := t.h[last]
	t.h[last] = nil
	t.h = t.h[:last]
	if k < last {
		t.set(k, moved)
		if k > heap0 && t.h[k].at <= t.h[hparent(k)].at {
			t.upheap(k)
		} else {
			t.downheap(k)
		}
	}
}
