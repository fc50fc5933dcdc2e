package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("json", 0, preloadJSON) }

// preloadJSON registers the json module (Tarantool's lua-cjson), written
// in C: see lua.JSONModule.
func preloadJSON(L lua.State, _ *Options) {
	registerC(L, "json", lua.JSONModule)
}
