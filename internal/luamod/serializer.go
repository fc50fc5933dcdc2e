package luamod

import (
	"github.com/spindledb/spindle/internal/lua"
)

// serializerModule is the state of a serializer module table built in
// Go (yaml); json and msgpack are built in C (lua.JSONModule,
// lua.MsgpackModule) on the same configuration tables.
type serializerModule struct {
	cfg *lua.Serializer
	// call is the scratch configuration of calls that pass options of
	// their own (yaml.encode(v, {...})).
	call *lua.Serializer
}

// newSerializerModule pushes the common part of a serializer module:
// the module table with cfg (a table of current values callable as
// cfg{...}, as luaL_newserializer makes it), NULL, array_mt and map_mt.
// cfg is the module's configuration, updated in place by cfg{...}.
func newSerializerModule(L lua.State, cfg *lua.Serializer) *serializerModule {
	m := &serializerModule{cfg: cfg, call: lua.NewSerializer()}
	L.NewTable()
	mod := L.GetTop()
	L.PushSerializerCfg(cfg)
	L.RawSetField(mod, "cfg")
	L.PushNull()
	L.RawSetField(mod, "NULL")
	L.NewTable()
	L.SetArrayHint(-1)
	L.GetMetatable(-1)
	L.RawSetField(mod, "array_mt")
	L.Pop(1)
	L.NewTable()
	L.SetMapHint(-1)
	L.GetMetatable(-1)
	L.RawSetField(mod, "map_mt")
	L.Pop(1)
	return m
}

// callConfig returns the module's configuration, or the scratch one
// updated by the per-call options table at stack index idx when one is
// given. It runs inside a Function: errors of the options' lookups are
// raised.
func (m *serializerModule) callConfig(L lua.State, idx int) *lua.Serializer {
	if L.Type(idx) != lua.TypeTable {
		return m.cfg
	}
	L.ParseSerializerOptions(idx, m.cfg, m.call)
	return m.call
}
