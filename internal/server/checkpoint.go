package server

import (
	"math/rand/v2"
	"time"

	"github.com/spindledb/spindle/internal/say"
)

// schedule is 2.6's checkpoint_schedule: checkpoints fall at start +
// k * interval. Configuring it puts start a random part of an interval
// past one interval from now, so instances on one host do not
// checkpoint together; a checkpoint made out of schedule (box.snapshot,
// the WAL threshold) moves start to one interval after it.
type schedule struct {
	interval time.Duration // 0: no periodic checkpoints
	start    time.Time
}

func (sc *schedule) cfg(now time.Time, interval time.Duration) {
	sc.interval = interval
	sc.start = now.Add(interval)
	if interval > 0 {
		sc.start = sc.start.Add(time.Duration(rand.Int64N(int64(interval))))
	}
}

func (sc *schedule) reset(now time.Time) { sc.start = now.Add(sc.interval) }

// timeout returns the time left to the next checkpoint; false when
// periodic checkpointing is off.
func (sc *schedule) timeout(now time.Time) (time.Duration, bool) {
	if sc.interval <= 0 {
		return 0, false
	}
	if now.Before(sc.start) {
		return sc.start.Sub(now), true
	}
	return sc.interval - now.Sub(sc.start)%sc.interval, true
}

// seconds converts a box.cfg number of seconds.
func seconds(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }

// notify wakes whoever waits on c (capacity 1) without blocking.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// runCheckpointDaemon is 2.6's checkpoint daemon (gc_checkpoint_fiber_f):
// it makes a checkpoint at each scheduled time, logging when the next
// is due, and at once when the WAL has grown past
// checkpoint_wal_threshold since the last one. A checkpoint already
// running (box.snapshot) makes it skip its turn.
func (s *Server) runCheckpointDaemon() {
	st := s.st
	// One fiber for the daemon's life, as 2.6's, named in its log lines
	// and in fiber.info(); it holds the baton only while checkpointing.
	f := s.Sched.New("checkpoint_daemon")
	go func() {
		for {
			st.schedMu.Lock()
			timeout, periodic := st.sched.timeout(time.Now())
			st.schedMu.Unlock()
			var timer *time.Timer
			var due <-chan time.Time
			if periodic {
				next := time.Now().Add(timeout)
				s.Log.Logf(f.Who(), say.Info, "scheduled next checkpoint for %s", next.Format("Mon Jan _2 15:04:05 2006"))
				timer = time.NewTimer(timeout)
				due = timer.C
			}
			rescheduled, triggered := false, false
			select {
			case <-s.stopped:
				return
			case <-st.daemon:
				rescheduled = true
			case <-st.threshold:
				triggered = true
			case <-due:
			}
			if timer != nil {
				timer.Stop()
			}
			if rescheduled {
				continue // announce the new next time
			}
			f.Acquire()
			if !st.checkpointing {
				if triggered {
					// gc_trigger_checkpoint, logged by the tx thread's
					// main fiber in 2.6.
					s.Log.Logf("main", say.Info, "WAL threshold exceeded, triggering checkpoint")
					st.schedMu.Lock()
					st.sched.reset(time.Now())
					st.schedMu.Unlock()
				}
				if err := s.writeCheckpoint(s.Box); err != nil {
					s.Log.Logf(f.Who(), say.Error, "checkpoint failed: %s", err.Error())
				}
			}
			f.Release()
		}
	}()
}
