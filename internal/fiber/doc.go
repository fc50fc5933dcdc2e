// Package fiber gives goroutines Tarantool's cooperative semantics.
//
// All box state and the Lua VM are guarded by one baton (a mutex). A fiber
// is a goroutine that holds the baton while it runs and gives it up only at
// a yield point: Sleep, Yield, or Block around a blocking call (a WAL
// write, a network read, a channel wait). Code between two yield points
// therefore runs atomically with respect to every other fiber, exactly as
// in Tarantool's single-threaded transaction processor, while the Go
// runtime still runs I/O, the WAL writer and relays in parallel.
//
// Invariants:
//   - Only the goroutine of a fiber that holds the baton touches box or Lua
//     state; a fiber never blocks on I/O while holding the baton.
//   - Fiber ids start at 103, the id Tarantool 2.6 gives the instance
//     script's fiber, so log lines read the same.
//
// The package never touches Lua or box itself: it only schedules.
package fiber
