package luamod

import (
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/third_party/luafun"
)

func init() { addModule("fun", 0, preloadFun) }

// preloadFun makes require('fun') load luafun, named builtin/fun.lua as
// Tarantool names it.
func preloadFun(L lua.State, _ *Options) {
	register(L, "fun", func(L lua.State) int {
		if err := L.Load(luafun.Source, "@builtin/fun.lua"); err != nil {
			L.RaiseString(err.Error())
		}
		L.PushString("fun")
		L.Call(1, 1)
		return 1
	})
}
