// Package luabox binds Spindle's box core to the embedded Lua VM
// (gopher-lua, Lua 5.1): box.cfg, box.space and index objects, tuples,
// box.error, box.session, transactions, box.info (and box.info.gc()),
// box.snapshot, box.backup, the fiber module, and the execution of IPROTO
// CALL and EVAL requests.
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
// A fiber with an open transaction that yields after its first
// statement has the transaction rolled back (fiber OnYield, 2.6's memtx
// rule). box.session answers type, peer, fd and push from the Transport
// the server registers for a client session (transport.go); a session
// without one is 'background', as the instance file's.
//
// net.box (netbox*.go) is the exception to the rule below: it dials other
// instances through the Go client, whose goroutines hand replies to the
// connection's worker fiber, which delivers them — to waiting requests,
// is_async futures and on_push callbacks — under the baton.
//
// The package never opens listening sockets or files itself: the server
// wires the listener, the WAL and logging in through the Host interface.
package luabox
