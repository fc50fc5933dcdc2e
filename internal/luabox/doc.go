// Package luabox binds Spindle's box core to the embedded LuaJIT (package
// lua): box.cfg, box.space and index objects, tuples and their
// iterators, box.error, box.func, box.session, transactions, box.info
// (and box.info.gc(), box.info.memory()), box.stat, box.runtime,
// box.snapshot, box.backup, the fiber, key_def, merger and popen
// modules, net.box, and the execution of IPROTO CALL and EVAL requests.
//
// Objects 2.6 makes cdata are cdata here too, so that ffi code and type
// checks see what they see on 2.6: box.error objects point at a C copy
// of 2.6's struct error (errors.go, lua/error.lua), key_def objects and
// merge sources at small C blocks naming the Go values behind them, an
// index iterator's state is a struct iterator pointer naming a Go
// iterator. Go keeps the values (the *boxerr.Error is the source of
// truth); the cdata's finalizers release them.
//
// The Go side provides the primitives; the parts of the box API that
// Tarantool itself writes in Lua on top of system-space DML (box.schema.*,
// box.once, space:create_index, ...) live in the embedded lua/ directory,
// and box.cfg's option checking in boot/cfg.lua, both run at start-up.
//
// Execution model: one LuaJIT state. Every fiber runs on a Lua thread of
// its own and touches the VM only while it holds the tx baton (package
// fiber), so Lua code between yield points is atomic as in Tarantool. Box
// calls made from Lua run with the running fiber's session and open
// transaction, found through the scheduler (Runtime.ctx), whichever Lua
// thread or coroutine makes them. Go keeps Lua values only as registry
// references (space objects, trigger functions, channel messages, fiber
// results).
//
// OS threads: a fiber that waits inside Lua (fiber.sleep, a channel, a
// WAL write, a net.box request) waits inside a Go function called from C,
// so its goroutine keeps its OS thread until it resumes, as a Tarantool
// fiber keeps its C stack. The process therefore has about one thread per
// waiting fiber. fiber.new/create refuse to go past MaxLuaFibers live
// fibers with an OutOfMemory error, and New raises Go's thread limit to
// leave room for them and for request fibers; the kernel's pid_max and
// threads-max are the outer bound.
//
// A fiber with an open transaction that yields after its first
// statement has the transaction rolled back (fiber OnYield, 2.6's memtx
// rule). box.session answers type, peer, fd and push from the Transport
// the server registers for a client session (transport.go); a session
// without one is 'background', as the instance file's.
//
// net.box (netbox*.go) dials other instances through the Go client,
// whose goroutines hand replies to the connection's worker fiber, which
// delivers them — to waiting requests, is_async futures and on_push
// callbacks — under the baton.
//
// The package never opens listening sockets or files itself: the server
// wires the listener, the WAL and logging in through the Host interface.
package luabox
