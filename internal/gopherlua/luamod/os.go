package luamod

import (
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func pid() int { return os.Getpid() }

// InstallOS adds Tarantool's os.environ() (a table of the process
// environment) to the state's os library. environ nil means os.Environ.
func InstallOS(L *lua.LState, environ func() []string) {
	if environ == nil {
		environ = os.Environ
	}
	osTable, ok := L.GetGlobal("os").(*lua.LTable)
	if !ok {
		return // the os library is not opened in this state
	}
	osTable.RawSetString("environ", L.NewFunction(func(L *lua.LState) int {
		t := L.NewTable()
		for _, kv := range environ() {
			if i := strings.IndexByte(kv, '='); i > 0 {
				t.RawSetString(kv[:i], lua.LString(kv[i+1:]))
			}
		}
		L.Push(t)
		return 1
	}))
}
