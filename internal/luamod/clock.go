package luamod

import "github.com/spindledb/spindle/internal/lua"

// The clock module is Lua over clock_gettime(2) through the FFI, as
// Tarantool's clock.lua is over its C wrappers: no Go helper is needed.
func init() {
	addModule("clock", 0, func(L lua.State, _ *Options) {
		registerLua(L, "clock", "clock.lua", nil)
	})
}
