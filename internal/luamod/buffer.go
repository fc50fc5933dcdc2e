package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("buffer", 0, preloadBuffer) }

// preloadBuffer registers the buffer module (lua/buffer.lua) and loads it
// at once, as Tarantool does at start-up: struct ibuf is then declared
// for every script, and msgpack knows the ctypes of ibufs and char
// pointers before any is passed to it.
func preloadBuffer(L lua.State, _ *Options) {
	registerLua(L, "buffer", "buffer.lua", func(L lua.State) { L.PushBufferHelpers() })
	if err := L.DoString("require('buffer')", "=preload"); err != nil {
		panic("luamod: " + err.Error())
	}
}
