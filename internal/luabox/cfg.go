package luabox

import (
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/luamod"
)

// cfgApply is box.internal.cfg_apply(first, changed, all), called by
// boot/cfg.lua once the options are checked.
func (rt *Runtime) cfgApply(L lua.State) int {
	first := L.ToBool(1)
	L.CheckType(2, lua.TypeTable)
	L.CheckType(3, lua.TypeTable)
	changed := tableToMap(L, 2)
	all := tableToMap(L, 3)
	if err := rt.Host.ApplyCfg(first, changed, all); err != nil {
		return rt.raise(L, err)
	}
	// The log module filters by level before lines reach the logger.
	if lvl, ok := all["log_level"].(float64); ok {
		luamod.SetLogLevel(rt.L, int(lvl))
	}
	rt.Refresh()
	return 0
}

// tableToMap converts a cfg table; box.NULL values become nil entries
// (an option reset to its default).
func tableToMap(L lua.State, idx int) map[string]any {
	m := make(map[string]any)
	L.PushNil()
	for L.Next(idx) {
		if L.Type(-2) != lua.TypeString {
			L.Pop(1)
			continue
		}
		k, _ := L.ToString(-2)
		if L.IsNull(-1) {
			m[k] = nil
		} else {
			m[k] = L.ToGo(-1)
		}
		L.Pop(1)
	}
	return m
}
