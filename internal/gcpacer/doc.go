// Package gcpacer bounds how far the Go heap grows beyond its live data
// before the collector runs.
//
// Go's collector lets the heap grow to twice what was live after the
// previous cycle (GOGC=100). For a database that is a poor trade: the
// live heap is mostly tuples, which hold no pointers, so a cycle costs
// about the same whether the heap holds 100 MB or 200 MB of them (marking
// follows the index's pointers, and a tuple's bytes are never scanned),
// while the headroom is resident memory an operator sizing a machine has
// to count - Tarantool's slab allocator keeps none. With 1M tuples of
// ~100 bytes the default let the process peak at about 1.6 times
// Tarantool's resident set while loading them.
//
// So after every cycle the pacer sets the runtime's soft memory limit
// (debug.SetMemoryLimit) to what the runtime needs beyond the heap, plus
// what was live, plus the larger of 64 MiB and a quarter of the live heap.
// GOGC still applies, so a small heap keeps the default pacing; the limit
// only takes over once the live heap passes 64 MiB. Because the limit is recomputed from what is live after
// each cycle, a growing data set raises it: it never caps the heap, and
// the collector cannot be driven to collect back to back.
//
// Pause stops the collector for a bulk load whose data all stays live -
// recovery pauses it while a snapshot's rows become tuples - since a cycle
// then would mark the growing index and free nothing. After it, the heap
// as it stands counts as live for the pacer's limit.
//
// An operator who sets GOMEMLIMIT, or turns the collector off with
// GOGC=off, keeps that: Start then does nothing.
//
// ReadHeap, the runtime's memory figures the pacer works from, also
// serves the server's collection when idle.
//
// The hook is a finalizer on a sentinel object that is re-armed each
// time it runs, the standard way to be told of each finished cycle.
package gcpacer
