package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("ffidecl", -90, preloadFFIDecl) }

// preloadFFIDecl makes the C declarations Tarantool has at start-up
// (lua/ffidecl.lua).
func preloadFFIDecl(L lua.State, _ *Options) {
	src, err := luaFS.ReadFile("lua/ffidecl.lua")
	if err != nil {
		panic("luamod: missing embedded ffidecl.lua")
	}
	if err := L.DoString(string(src), "@builtin/ffidecl.lua"); err != nil {
		panic("luamod: " + err.Error())
	}
}
