// Package server is Spindle's composition root: it wires the Lua runtime,
// the box core, the journal and the IPROTO listener into one instance and
// owns their life cycle and logging.
//
// It implements luabox.Host (what box.cfg and box.info need from the
// outside world) and iproto.Handler (what a client connection executes).
// Every request batch of a connection runs on that connection's fiber
// with the tx baton held, so IPROTO requests and Lua code interleave only
// at yield points, as in Tarantool.
package server
