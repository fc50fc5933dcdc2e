// Package luabox binds Spindle's box core to the embedded Lua VM
// (gopher-lua, Lua 5.1): box.cfg, box.space and index objects, tuples,
// box.error, box.session, transactions, box.info, the fiber module, and
// the execution of IPROTO CALL and EVAL requests.
//
// The Go side provides the primitives; the parts of the box API that
// Tarantool itself writes in Lua on top of system-space DML (box.schema.*,
// box.once, space:create_index, ...) live in the embedded lua/ directory,
// and box.cfg's option checking in boot/cfg.lua, both run at start-up.
//
// Execution model: the Lua VM is one gopher-lua global state. Every fiber
// runs on its own Lua thread (LState.NewThread) and touches the VM only
// while it holds the tx baton (package fiber), so Lua code between yield
// points is atomic as in Tarantool. Box calls made from Lua run with the
// fiber's session and the fiber's open transaction.
//
// The package never opens sockets or files itself: the server wires the
// listener, the WAL and logging in through the Host interface.
package luabox
