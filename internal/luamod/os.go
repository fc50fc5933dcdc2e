package luamod

import (
	"os"

	"github.com/spindledb/spindle/internal/lua"
)

func init() { addModule("os", 0, preloadOS) }

// preloadOS installs os.environ and os.setenv at once (Tarantool has them
// without a require).
func preloadOS(L lua.State, opts *Options) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ
	}
	registerLua(L, "internal.os", "os.lua", func(L lua.State) {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"environ": func(L lua.State) int {
				env := environ()
				L.CreateTable(len(env), 0)
				for i, kv := range env {
					L.PushString(kv)
					L.RawSetI(-2, i+1)
				}
				return 1
			},
			"setenv": func(L lua.State) int {
				name := L.CheckString(1)
				var err error
				if L.IsNoneOrNil(2) {
					err = os.Unsetenv(name)
				} else {
					err = os.Setenv(name, L.CheckString(2))
				}
				if err != nil {
					L.Errorf("%s", err.Error())
				}
				return 0
			},
		})
	})
	if err := L.DoString("require('internal.os')", "=preload"); err != nil {
		panic("luamod: " + err.Error())
	}
}
