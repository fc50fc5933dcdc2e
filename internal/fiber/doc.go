// Package fiber gives goroutines Tarantool's cooperative semantics.
//
// All box state and the Lua VM are guarded by one baton. A fiber is a
// goroutine that holds the baton while it runs and gives it up only at a
// yield point: Yield, Sleep, Park (condition variables, channels, join),
// or Block around a blocking call (a WAL write, a network read). Code
// between two yield points therefore runs atomically with respect to
// every other fiber, exactly as in Tarantool's single-threaded
// transaction processor, while the Go runtime still runs I/O, the WAL
// writer and relays in parallel.
//
// The baton is handed from fiber to fiber explicitly (each fiber waits on
// a channel of its own), never raced for, so the order in which fibers run
// is deterministic and is Tarantool 2.6's:
//   - Go (fiber.new) and Wakeup put a fiber at the tail of the ready list;
//     Start (fiber.create) runs the new fiber at once and resumes its
//     creator as soon as it yields.
//   - The ready list drains before the event loop iterates. An iteration
//     refreshes the loop clock (Time, Clock: constant between yields) and
//     fires expired timers — Yield and Sleep(0) are zero timers — in the
//     order of libev's 4-ary heap, which for equal expiries is not FIFO
//     and which scripts observe; each fired fiber runs, with whatever it
//     wakes, before the next one. Goroutines that Acquire from outside
//     (connections, I/O completions) come after the timers.
//   - OnNextYield and OnYield run a function when a fiber is about to
//     yield (Park, Sleep, Yield, Block, Start): the server uses the first
//     to move a connection's other requests to a new fiber, the
//     transaction layer the second to abort a memtx transaction that
//     yields.
//   - Cancel only sets a flag and wakes the fiber; the layer above raises
//     "fiber is cancelled" at the fiber's cancellation points (TestCancel).
//
// Invariants:
//   - Only the goroutine that holds the baton touches box or Lua state; a
//     fiber never blocks on I/O while holding the baton.
//   - When nobody holds the baton the ready and pending lists are empty.
//   - A parked fiber is on at most one WaitQueue; waking it by any means
//     takes it off.
//   - Fiber ids start at 103, the id Tarantool 2.6 gives the instance
//     script's fiber, so log lines read the same.
//
// The package never touches Lua or box itself: it only schedules. Channel
// and Cond carry opaque values.
package fiber
