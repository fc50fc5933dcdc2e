// Package luamod provides Tarantool 2.6's built-in Lua modules as
// preloads of a LuaJIT state (package lua): json, yaml, msgpack, digest,
// uuid, decimal, clock, errno, log, uri, fio, socket, http.client and the
// os extensions. Preload registers all of them.
//
// Preload also installs, first, what Tarantool has before any require
// (runtime.go): the string, table and debug extensions, tonumber64,
// dostring, _TARANTOOL, the utf8 global, Tarantool's package.path and
// cpath and its search-root loaders; and it registers the modules of the
// runtime: fun (luafun, vendored unmodified in third_party/luafun), tap,
// strict, csv, pickle, title and internal.trigger. Where Tarantool raises
// from a line of one of its builtin files, the Lua here raises from the
// same line, so that messages match.
//
// Modules follow Tarantool's own split: what Tarantool writes in Lua is
// embedded Lua here (lua/*.lua, chunk names "@builtin/<file>" so error
// positions match), using ffi where Tarantool does, and what Tarantool
// writes in C is Go or, where it walks Lua values in bulk, C in package
// lua (the serializers).
//
// Blocking: where Tarantool yields the fiber around a wait (socket I/O,
// name resolution, HTTP requests), the wait runs through Options.Block,
// without the baton, so that other fibers run; a wakeup or cancellation
// of the fiber ends it as it ends Tarantool's (Options.Cancelled tells
// which). Without Options.Block (a state with no fibers) waits run
// directly.
//
// What it must never do: panic on any input, block the Lua state except
// where Tarantool's module blocks the fiber, or touch the box layer.
// Logger.Log is called synchronously under the Lua baton.
package luamod
