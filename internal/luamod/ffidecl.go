package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("ffidecl", -5, preloadFFIDecl) }

// preloadFFIDecl makes the C declarations Tarantool has at start-up
// (lua/ffidecl.lua). It runs after decimal, which takes 2.6's ctype id
// for decimal_t only while fewer ids are in use.
func preloadFFIDecl(L lua.State, _ *Options) {
	src, err := luaFS.ReadFile("lua/ffidecl.lua")
	if err != nil {
		panic("luamod: missing embedded ffidecl.lua")
	}
	if err := L.DoString(string(src), "@builtin/ffidecl.lua"); err != nil {
		panic("luamod: " + err.Error())
	}
}
