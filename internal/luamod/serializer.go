package luamod

import (
	"github.com/spindledb/spindle/internal/lua"
)

// serializerOption binds one luaL_serializer option name to a field of
// lua.SerializerOptions; the order is Tarantool's OPTIONS order.
type serializerOption struct {
	name string
	b    func(o *lua.SerializerOptions) *bool
	n    func(o *lua.SerializerOptions) *int
}

var serializerOptions = []serializerOption{
	{name: "encode_sparse_convert", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeSparseConvert }},
	{name: "encode_sparse_ratio", n: func(o *lua.SerializerOptions) *int { return &o.EncodeSparseRatio }},
	{name: "encode_sparse_safe", n: func(o *lua.SerializerOptions) *int { return &o.EncodeSparseSafe }},
	{name: "encode_max_depth", n: func(o *lua.SerializerOptions) *int { return &o.EncodeMaxDepth }},
	{name: "encode_deep_as_nil", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeDeepAsNil }},
	{name: "encode_invalid_numbers", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeInvalidNumbers }},
	{name: "encode_number_precision", n: func(o *lua.SerializerOptions) *int { return &o.EncodeNumberPrecision }},
	{name: "encode_load_metatables", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeLoadMetatables }},
	{name: "encode_use_tostring", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeUseToString }},
	{name: "encode_invalid_as_nil", b: func(o *lua.SerializerOptions) *bool { return &o.EncodeInvalidAsNil }},
	{name: "decode_invalid_numbers", b: func(o *lua.SerializerOptions) *bool { return &o.DecodeInvalidNumbers }},
	{name: "decode_save_metatables", b: func(o *lua.SerializerOptions) *bool { return &o.DecodeSaveMetatables }},
	{name: "decode_max_depth", n: func(o *lua.SerializerOptions) *int { return &o.DecodeMaxDepth }},
}

// parseOptions applies the options present in the table at idx to o
// (luaL_serializer_parse_options) and returns those that were set. Values
// of the wrong type raise Lua's usual "bad argument" error.
func parseOptions(L lua.State, idx int, o *lua.SerializerOptions) []serializerOption {
	idx = L.AbsIndex(idx)
	var set []serializerOption
	for _, opt := range serializerOptions {
		L.RawGetField(idx, opt.name)
		switch {
		case L.IsNil(-1):
			L.Pop(1)
			continue
		case opt.b != nil:
			if L.Type(-1) != lua.TypeBoolean {
				L.ArgError(1, "boolean expected, got "+L.TypeName(-1))
			}
			*opt.b(o) = L.ToBool(-1)
		default:
			if L.Type(-1) != lua.TypeNumber {
				L.ArgError(1, "number expected, got "+L.TypeName(-1))
			}
			*opt.n(o) = int(L.ToNumber(-1))
		}
		L.Pop(1)
		set = append(set, opt)
	}
	return set
}

func pushOptionValue(L lua.State, opt serializerOption, o *lua.SerializerOptions) {
	if opt.b != nil {
		L.PushBool(*opt.b(o))
	} else {
		L.PushNumber(float64(*opt.n(o)))
	}
}

// serializerModule is the state of one json/yaml/msgpack module table.
type serializerModule struct {
	cfg *lua.Serializer
	// call is the scratch configuration of calls that pass options of
	// their own (json.encode(v, {...})).
	call *lua.Serializer
}

// newSerializerModule pushes the common part of json/yaml/msgpack: the
// module table with cfg (a table of current values callable as
// cfg{...}), NULL, array_mt and map_mt. cfg is the module's
// configuration, updated in place by cfg{...}.
func newSerializerModule(L lua.State, cfg *lua.Serializer) *serializerModule {
	m := &serializerModule{cfg: cfg, call: lua.NewSerializer()}
	L.NewTable()
	mod := L.GetTop()
	L.CreateTable(0, len(serializerOptions))
	o := cfg.Options()
	for _, opt := range serializerOptions {
		pushOptionValue(L, opt, &o)
		L.RawSetField(-2, opt.name)
	}
	L.NewTable()
	L.PushFunction(func(L lua.State) int {
		L.CheckType(1, lua.TypeTable)
		L.CheckType(2, lua.TypeTable)
		o := cfg.Options()
		set := parseOptions(L, 2, &o)
		cfg.SetOptions(o)
		for _, opt := range set {
			pushOptionValue(L, opt, &o)
			L.RawSetField(1, opt.name)
		}
		return 0
	})
	L.RawSetField(-2, "__call")
	L.SetMetatable(-2)
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
// given.
func (m *serializerModule) callConfig(L lua.State, idx int) *lua.Serializer {
	if L.Type(idx) != lua.TypeTable {
		return m.cfg
	}
	o := m.cfg.Options()
	parseOptions(L, idx, &o)
	m.call.SetOptions(o)
	return m.call
}
