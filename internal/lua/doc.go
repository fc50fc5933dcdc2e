// Package lua embeds LuaJIT 2.1, the Lua engine Tarantool itself embeds,
// through cgo: 64-bit integers as cdata, ffi, bit, jit, LuaJIT's parser,
// messages and number formatting come with it.
//
// The package is the only one that talks to the C API. It offers a
// State (one Lua thread) with stack operations close to the C API, Go
// functions callable from Lua, and the bulk conversions that must not
// cost one cgo call per element, written in C: Lua values to and from
// MessagePack under Tarantool 2.6's serializer rules (serialize.c, with
// UUID and decimal cdata as their extension types, decimal.c),
// box.tuple objects that hold their MessagePack array and read fields in
// C (tuple.c), and the json and msgpack modules, whose functions are C
// functions called by Lua directly (json.c, mpmodule.c). LuaJIT is linked statically from Debian's
// libluajit-5.1-dev, so the binary stays one file.
//
// Execution model: one VM (global state) per process, touched only by
// the goroutine holding Spindle's tx baton. A fiber runs on a Lua thread
// of its own, on its goroutine, which cgo keeps on one OS thread while C
// frames are on its stack; a fiber that yields inside a Go function
// therefore keeps its OS thread parked, as a Tarantool fiber keeps its C
// stack. The number of OS threads is bounded by the number of fibers
// inside Lua at once.
//
// Errors: Go code never lets a Lua error unwind through Go frames.
//   - Go calls into Lua only in protected mode (PCall, and the helpers
//     that may run metamethods: GetField, SetField, ToStringMeta,
//     Encode, PushMsgpack); raw accessors never raise.
//   - A Function raises with Raise, Errorf or ArgError: the error value
//     goes to the registry and a Go panic unwinds the Go frames to the
//     trampoline's recover, which returns to the C trampoline, which
//     calls lua_error with no Go frame left on the stack.
//   - A Go panic of any other kind inside a Function becomes a Lua error
//     ("internal error: ...") and is reported to VM.Panic.
//
// Why the cdata layout is read directly: LuaJIT's public API can
// neither create nor type a cdata value. The ctype id sits in the
// GCcdata header in front of the payload; NewVM checks that layout
// against values of known types on the linked library and refuses to
// start if it differs.
package lua
