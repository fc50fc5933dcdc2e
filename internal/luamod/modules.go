package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("lua-modules", 0, preloadLuaModules) }

// preloadLuaModules registers the modules Tarantool writes in Lua and
// that need nothing from Go.
func preloadLuaModules(L lua.State, _ *Options) {
	registerLua(L, "strict", "strict.lua", nil)
	registerLua(L, "tap", "tap.lua", nil)
	registerLua(L, "csv", "csv.lua", nil)
	registerLua(L, "internal.trigger", "internal.trigger.lua", nil)
}
