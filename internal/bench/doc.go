// Package bench is Spindle's load generator: it drives one IPROTO server
// (Spindle or Tarantool 2.6) with a configurable mix of requests over
// pipelined client connections and reports throughput, latency
// percentiles and errors by Tarantool error code. `spindle bench URI`
// calls Main.
//
// Model: Conns connections, each shared by Pipeline worker goroutines
// that issue one request at a time, so each connection has up to
// Pipeline requests in flight. A run ends when Duration elapses or Ops
// requests have been issued, whichever comes first. Keys are drawn
// uniformly from [1, Keys]; tuples are [key, payload string, counter].
//
// Latencies go into a log-linear histogram (histogram.go) with 128
// sub-buckets per power of two, so a reported percentile is within 0.8%
// of the true value; one histogram per worker keeps recording lock-free.
//
// The package talks to servers only through package client and never
// reaches into server internals, so the same numbers can be measured for
// Spindle and for Tarantool in one session.
package bench
