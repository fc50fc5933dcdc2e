package luaconv

import lua "github.com/yuin/gopher-lua"

// nullValue is the Go value behind the NULL sentinel userdata. IsNULL
// recognises NULL by this type, so a NULL from any Lua state is NULL.
type nullValue struct{}

// NULLString is what tostring(NULL) returns: Tarantool's rendering of
// cdata<void *> NULL.
const NULLString = "cdata<void *>: NULL"

const (
	registryNULL    = "spindle.luaconv.NULL"
	registrySeqMeta = "spindle.luaconv.seq"
	registryMapMeta = "spindle.luaconv.map"
)

// NULL returns the state's NULL sentinel (box.NULL, msgpack.NULL,
// json.NULL, yaml.NULL), creating it on first use. It is one userdata per
// state so rawequal(box.NULL, json.NULL) holds as in Tarantool.
func NULL(L *lua.LState) lua.LValue {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if v := reg.RawGetString(registryNULL); v != lua.LNil {
		return v
	}
	ud := L.NewUserData()
	ud.Value = nullValue{}
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(NULLString))
		return 1
	}))
	// NULL == NULL already holds by identity; __eq lets a NULL created
	// by another state (Go callers mixing states) compare equal.
	mt.RawSetString("__eq", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(IsNULL(L.Get(1)) && IsNULL(L.Get(2))))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("ffi")) // getmetatable(cdata) in LuaJIT
	ud.Metatable = mt
	reg.RawSetString(registryNULL, ud)
	return ud
}

// IsNULL reports whether v is the NULL sentinel of any state.
func IsNULL(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(nullValue)
	return ok
}

// IsNil reports whether v is nil or NULL (what Tarantool's "== nil" test
// accepts for cdata NULL).
func IsNil(v lua.LValue) bool {
	return v == lua.LNil || IsNULL(v)
}

// SeqMetatable returns the shared {__serialize="seq"} metatable that
// decoders put on arrays (luaL_setarrayhint).
func SeqMetatable(L *lua.LState) *lua.LTable {
	return hintMetatable(L, registrySeqMeta, "seq")
}

// MapMetatable returns the shared {__serialize="map"} metatable that
// decoders put on maps (luaL_setmaphint).
func MapMetatable(L *lua.LState) *lua.LTable {
	return hintMetatable(L, registryMapMeta, "map")
}

func hintMetatable(L *lua.LState, key, kind string) *lua.LTable {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if v, ok := reg.RawGetString(key).(*lua.LTable); ok {
		return v
	}
	mt := L.NewTable()
	mt.RawSetString("__serialize", lua.LString(kind))
	reg.RawSetString(key, mt)
	return mt
}
