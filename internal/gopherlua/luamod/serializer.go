package luamod

import (
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// serializerOption binds one luaL_serializer option name to a Config
// field; the order is Tarantool's OPTIONS order.
type serializerOption struct {
	name   string
	isBool bool
	b      func(c *luaconv.Config) *bool
	n      func(c *luaconv.Config) *int
}

var serializerOptions = []serializerOption{
	{name: "encode_sparse_convert", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeSparseConvert }},
	{name: "encode_sparse_ratio", n: func(c *luaconv.Config) *int { return &c.EncodeSparseRatio }},
	{name: "encode_sparse_safe", n: func(c *luaconv.Config) *int { return &c.EncodeSparseSafe }},
	{name: "encode_max_depth", n: func(c *luaconv.Config) *int { return &c.EncodeMaxDepth }},
	{name: "encode_deep_as_nil", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeDeepAsNil }},
	{name: "encode_invalid_numbers", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeInvalidNumbers }},
	{name: "encode_number_precision", n: func(c *luaconv.Config) *int { return &c.EncodeNumberPrecision }},
	{name: "encode_load_metatables", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeLoadMetatables }},
	{name: "encode_use_tostring", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeUseToString }},
	{name: "encode_invalid_as_nil", isBool: true, b: func(c *luaconv.Config) *bool { return &c.EncodeInvalidAsNil }},
	{name: "decode_invalid_numbers", isBool: true, b: func(c *luaconv.Config) *bool { return &c.DecodeInvalidNumbers }},
	{name: "decode_save_metatables", isBool: true, b: func(c *luaconv.Config) *bool { return &c.DecodeSaveMetatables }},
	{name: "decode_max_depth", n: func(c *luaconv.Config) *int { return &c.DecodeMaxDepth }},
}

// parseOptions applies the options present in t to cfg
// (luaL_serializer_parse_options) and reports which were set. Values of
// the wrong type raise Lua's usual "bad argument" error.
func parseOptions(L *lua.LState, t *lua.LTable, cfg *luaconv.Config) []serializerOption {
	var set []serializerOption
	for _, o := range serializerOptions {
		v := t.RawGetString(o.name)
		if v == lua.LNil {
			continue
		}
		if o.isBool {
			b, ok := v.(lua.LBool)
			if !ok {
				L.ArgError(1, "boolean expected, got "+v.Type().String())
			}
			*o.b(cfg) = bool(b)
		} else {
			n, ok := v.(lua.LNumber)
			if !ok {
				L.ArgError(1, "number expected, got "+v.Type().String())
			}
			*o.n(cfg) = int(n)
		}
		set = append(set, o)
	}
	return set
}

func optionValue(o serializerOption, cfg *luaconv.Config) lua.LValue {
	if o.isBool {
		return lua.LBool(*o.b(cfg))
	}
	return lua.LNumber(*o.n(cfg))
}

// newSerializerModule builds the common part of json/yaml/msgpack: the
// module table with cfg (a table of current values callable as
// cfg{...}), NULL, array_mt and map_mt.
func newSerializerModule(L *lua.LState, cfg *luaconv.Config) *lua.LTable {
	mod := L.NewTable()
	cfgTable := L.NewTable()
	for _, o := range serializerOptions {
		cfgTable.RawSetString(o.name, optionValue(o, cfg))
	}
	meta := L.NewTable()
	meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		self := L.CheckTable(1)
		opts := L.CheckTable(2)
		for _, o := range parseOptions(L, opts, cfg) {
			self.RawSetString(o.name, optionValue(o, cfg))
		}
		return 0
	}))
	cfgTable.Metatable = meta
	mod.RawSetString("cfg", cfgTable)
	mod.RawSetString("NULL", luaconv.NULL(L))
	mod.RawSetString("array_mt", luaconv.SeqMetatable(L))
	mod.RawSetString("map_mt", luaconv.MapMetatable(L))
	return mod
}

// callConfig returns cfg, or a copy updated by the per-call options
// table at stack index idx when one is given.
func callConfig(L *lua.LState, cfg *luaconv.Config, idx int) *luaconv.Config {
	if t, ok := L.Get(idx).(*lua.LTable); ok {
		c := *cfg
		parseOptions(L, t, &c)
		return &c
	}
	return cfg
}
