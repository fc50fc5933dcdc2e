// Package luamod provides Tarantool 2.6's built-in Lua modules as
// preloads of a LuaJIT state (package lua): json, yaml, msgpack, digest,
// uuid, clock, errno, log, uri, fio and the os extensions. Preload
// registers all of them.
//
// Modules follow Tarantool's own split: what Tarantool writes in Lua is
// embedded Lua here (lua/*.lua, chunk names "@builtin/<file>" so error
// positions match), using ffi where Tarantool does, and what Tarantool
// writes in C is Go or, where it walks Lua values in bulk, C in package
// lua (the serializers).
//
// What it must never do: panic on any input, block the Lua state except
// where Tarantool's module blocks the fiber, or touch the box layer.
// Logger.Log is called synchronously under the Lua baton.
package luamod
