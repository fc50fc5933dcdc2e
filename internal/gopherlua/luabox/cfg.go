package luabox

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/gopherlua/luamod"
)

// cfgApply is box.internal.cfg_apply(first, changed, all), called by
// boot/cfg.lua once the options are checked.
func (rt *Runtime) cfgApply(L *lua.LState) int {
	first := L.ToBool(1)
	changed := tableToMap(L.CheckTable(2))
	all := tableToMap(L.CheckTable(3))
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
func tableToMap(t *lua.LTable) map[string]any {
	m := make(map[string]any)
	t.ForEach(func(k, v lua.LValue) {
		if luaconvIsNull(v) {
			m[lua.LVAsString(k)] = nil
			return
		}
		m[lua.LVAsString(k)] = luaToGo(v)
	})
	return m
}
