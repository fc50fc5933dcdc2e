package server

import (
	"testing"
	"time"
)

// TestSchedule checks checkpoint_schedule's arithmetic: the first
// checkpoint one to two intervals after configuration, later ones on
// the same grid, a reset moving the grid to one interval after it, and
// none when the interval is 0.
func TestSchedule(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	const hour = time.Hour
	var sc schedule
	for range 100 {
		sc.cfg(now, hour)
		d, ok := sc.timeout(now)
		if !ok || d < hour || d >= 2*hour {
			t.Fatalf("first checkpoint in %v (%v), want [1h, 2h)", d, ok)
		}
	}
	sc.start = now.Add(hour)
	for _, c := range []struct{ at, want time.Duration }{
		{0, hour}, {hour, hour}, {hour + time.Minute, hour - time.Minute}, {3*hour + 10*time.Minute, 50 * time.Minute},
	} {
		if d, _ := sc.timeout(now.Add(c.at)); d != c.want {
			t.Errorf("at +%v: next in %v, want %v", c.at, d, c.want)
		}
	}
	sc.reset(now.Add(5 * time.Minute))
	if d, _ := sc.timeout(now.Add(5 * time.Minute)); d != hour {
		t.Errorf("after a reset: next in %v, want 1h", d)
	}
	sc.cfg(now, 0)
	if _, ok := sc.timeout(now); ok {
		t.Error("checkpoint_interval = 0 still schedules checkpoints")
	}
}
