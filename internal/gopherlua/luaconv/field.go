package luaconv

import (
	"errors"
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Config is a serializer configuration: the options of Tarantool's
// struct luaL_serializer (msgpack.cfg, json.cfg, yaml.cfg). Each module
// owns one; the zero value is not useful, start from DefaultConfig.
type Config struct {
	EncodeSparseConvert   bool // excessively sparse arrays become maps (else error)
	EncodeSparseRatio     int  // see ToField
	EncodeSparseSafe      int  // arrays up to this size are never "excessively sparse"
	EncodeMaxDepth        int  // deepest container level accepted by encoders
	EncodeDeepAsNil       bool // containers deeper than EncodeMaxDepth become nil
	EncodeInvalidNumbers  bool // allow NaN and Inf
	EncodeNumberPrecision int  // %.Ng precision of doubles in json/yaml
	EncodeLoadMetatables  bool // honour __serialize
	EncodeUseToString     bool // serialize unsupported values with tostring()
	EncodeInvalidAsNil    bool // serialize unsupported values as nil
	DecodeInvalidNumbers  bool // accept NaN and Inf when decoding
	DecodeSaveMetatables  bool // mark decoded arrays/maps with seq/map metatables
	DecodeMaxDepth        int  // deepest container level accepted by json.decode
}

// DefaultConfig returns Tarantool 2.6's defaults (src/lua/utils.c OPTIONS).
func DefaultConfig() Config {
	return Config{
		EncodeSparseConvert:   true,
		EncodeSparseRatio:     2,
		EncodeSparseSafe:      10,
		EncodeMaxDepth:        128,
		EncodeInvalidNumbers:  true,
		EncodeNumberPrecision: 14,
		EncodeLoadMetatables:  true,
		DecodeInvalidNumbers:  true,
		DecodeSaveMetatables:  true,
		DecodeMaxDepth:        128,
	}
}

// Kind is the serialization class of a Lua value (Tarantool's mp_type as
// chosen by luaL_tofield).
type Kind uint8

// Kinds of Field.
const (
	KindNil    Kind = iota
	KindBool        // Field.Bool
	KindUint        // Field.Uint: every non-negative integer
	KindInt         // Field.Int: negative integers only
	KindDouble      // Field.Double
	KindStr         // Field.Str
	KindArray       // Field.Table, elements 1..Field.Size (holes are nil)
	KindMap         // Field.Table, Field.Size pairs
	KindRaw         // Field.Raw: one complete MessagePack value (tuples)
)

// Field is a classified Lua value. Table is the table to walk for arrays
// and maps: it may differ from the input when a __serialize function
// replaced the value.
type Field struct {
	Kind    Kind
	Bool    bool
	Uint    uint64
	Int     int64
	Double  float64
	Str     string
	Table   *lua.LTable
	Size    int
	Compact bool // __serialize was exactly "seq" or "map": YAML flow style
	Raw     []byte
	// Value is the classified Lua value after any __serialize replacement.
	Value lua.LValue
}

// RawMarshaler is implemented by Go values stored in LUserData.Value that
// already are MessagePack (tuples). MsgpackRaw returns exactly one
// complete MessagePack value; callers must not modify it.
type RawMarshaler interface {
	MsgpackRaw() []byte
}

// ErrNeedState is returned when a value needs a Lua state to be
// classified (a __serialize function, or tostring fallback) and none was
// given.
var ErrNeedState = errors.New("__serialize function needs a Lua state")

// maxSerializeChain bounds __serialize functions returning values that
// themselves have __serialize functions; Tarantool recurses in C without a
// bound and would crash, we report an error instead.
const maxSerializeChain = 64

var exp64 = math.Ldexp(1, 64)
var exp63 = math.Ldexp(1, 63)

// ClassifyNumber types a Lua number the way luaL_tofield does.
func ClassifyNumber(n float64) Field {
	if !math.IsInf(n, 0) && !math.IsNaN(n) {
		if _, frac := math.Modf(n); frac != 0 {
			return Field{Kind: KindDouble, Double: n, Value: lua.LNumber(n)}
		}
	}
	switch {
	case n >= 0 && n < exp64:
		return Field{Kind: KindUint, Uint: uint64(n), Value: lua.LNumber(n)}
	case n >= -exp63 && n < exp63:
		return Field{Kind: KindInt, Int: int64(n), Value: lua.LNumber(n)}
	}
	return Field{Kind: KindDouble, Double: n, Value: lua.LNumber(n)}
}

// ToField classifies v (Tarantool's luaL_checkfield: luaL_tofield followed
// by luaL_convertfield). L may be nil; then values that need Lua code to
// serialize yield ErrNeedState.
func ToField(L *lua.LState, cfg *Config, v lua.LValue) (Field, error) {
	return toField(L, cfg, v, 0)
}

func toField(L *lua.LState, cfg *Config, v lua.LValue, chain int) (Field, error) {
	if chain > maxSerializeChain {
		return Field{}, errors.New("__serialize recursion is too deep")
	}
	switch x := v.(type) {
	case lua.LNumber:
		f := ClassifyNumber(float64(x))
		if f.Kind == KindDouble && !cfg.EncodeInvalidNumbers && (math.IsNaN(f.Double) || math.IsInf(f.Double, 0)) {
			if !cfg.EncodeInvalidAsNil {
				return Field{}, errors.New("number must not be NaN or Inf")
			}
			return Field{Kind: KindNil, Value: lua.LNil}, nil
		}
		return f, nil
	case lua.LString:
		return Field{Kind: KindStr, Str: string(x), Value: x}, nil
	case lua.LBool:
		return Field{Kind: KindBool, Bool: bool(x), Value: x}, nil
	case *lua.LNilType:
		return Field{Kind: KindNil, Value: lua.LNil}, nil
	case *lua.LTable:
		return inspectTable(L, cfg, x, chain)
	case *lua.LUserData:
		if IsNULL(x) {
			return Field{Kind: KindNil, Value: x}, nil
		}
		if rm, ok := x.Value.(RawMarshaler); ok {
			return Field{Kind: KindRaw, Raw: rm.MsgpackRaw(), Value: x}, nil
		}
		if cfg.EncodeLoadMetatables {
			f, ok, err := inspectUserData(L, cfg, x, chain)
			if err != nil || ok {
				return f, err
			}
		}
	}
	return convertField(L, cfg, v, chain)
}

// convertField is luaL_convertfield's fallback for values msgpack has no
// type for.
func convertField(L *lua.LState, cfg *Config, v lua.LValue, chain int) (Field, error) {
	if cfg.EncodeUseToString {
		if L == nil {
			return Field{}, ErrNeedState
		}
		s := L.ToStringMeta(v)
		return toField(L, cfg, s, chain+1)
	}
	if cfg.EncodeInvalidAsNil {
		return Field{Kind: KindNil, Value: lua.LNil}, nil
	}
	return Field{}, fmt.Errorf("unsupported Lua type '%s'", typeName(v))
}

// typeName is lua_typename as LuaJIT spells it.
func typeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTFunction:
		return "function"
	case lua.LTThread:
		return "thread"
	case lua.LTUserData:
		return "userdata"
	}
	return v.Type().String()
}

// inspectUserData calls a __serialize method reached through the value's
// __index (Tarantool looks it up with lua_gettable).
func inspectUserData(L *lua.LState, cfg *Config, ud *lua.LUserData, chain int) (Field, bool, error) {
	mt, ok := ud.Metatable.(*lua.LTable)
	if !ok {
		return Field{}, false, nil
	}
	var method lua.LValue = lua.LNil
	switch idx := mt.RawGetString("__index").(type) {
	case *lua.LTable:
		method = idx.RawGetString("__serialize")
	case *lua.LFunction:
		if L == nil {
			return Field{}, false, ErrNeedState
		}
		if err := L.CallByParam(lua.P{Fn: idx, NRet: 1, Protect: true}, ud, lua.LString("__serialize")); err != nil {
			return Field{}, false, nil // Tarantool ignores lookup errors
		}
		method = L.Get(-1)
		L.Pop(1)
	}
	if method == lua.LNil {
		return Field{}, false, nil
	}
	fn, ok := method.(*lua.LFunction)
	if !ok {
		return Field{}, false, errors.New("invalid __serialize value")
	}
	res, err := callSerialize(L, fn, ud)
	if err != nil {
		return Field{}, false, err
	}
	f, err := toField(L, cfg, res, chain+1)
	return f, true, err
}

func callSerialize(L *lua.LState, fn *lua.LFunction, v lua.LValue) (lua.LValue, error) {
	if L == nil {
		return nil, ErrNeedState
	}
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, v); err != nil {
		if ae, ok := err.(*lua.ApiError); ok {
			return nil, errors.New(lua.LVAsString(ae.Object))
		}
		return nil, err
	}
	res := L.Get(-1)
	L.Pop(1)
	return res, nil
}

// inspectTable is lua_field_inspect_table: the __serialize override, then
// the array test (keys exactly 1..n up to holes) and the sparse rule.
func inspectTable(L *lua.LState, cfg *Config, t *lua.LTable, chain int) (Field, error) {
	if cfg.EncodeLoadMetatables {
		if mt, ok := t.Metatable.(*lua.LTable); ok {
			switch s := mt.RawGetString("__serialize").(type) {
			case *lua.LNilType:
			case *lua.LFunction:
				res, err := callSerialize(L, s, t)
				if err != nil {
					return Field{}, err
				}
				return toField(L, cfg, res, chain+1)
			case lua.LString, lua.LNumber:
				// lua_isstring accepts numbers; none of them names a kind.
				switch name := lua.LVAsString(s); name {
				case "array", "seq", "sequence":
					return Field{Kind: KindArray, Table: t, Size: arrayLen(t), Compact: name == "seq", Value: t}, nil
				case "map", "mapping":
					return Field{Kind: KindMap, Table: t, Size: mapLen(t), Compact: name == "map", Value: t}, nil
				}
				return Field{}, errors.New("invalid __serialize value")
			default:
				return Field{}, errors.New("invalid __serialize value")
			}
		}
	}
	size := 0
	maxKey := 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		size++
		n, isNum := k.(lua.LNumber)
		kf := float64(n)
		if !isNum || (kf != float64(size) && (kf < 1 || math.Floor(kf) != kf)) {
			for k, _ = t.Next(k); k != lua.LNil; k, _ = t.Next(k) {
				size++
			}
			return Field{Kind: KindMap, Table: t, Size: size, Value: t}, nil
		}
		if kf > maxKey {
			maxKey = kf
		}
	}
	if cfg.EncodeSparseRatio > 0 && maxKey > float64(size*cfg.EncodeSparseRatio) &&
		maxKey > float64(cfg.EncodeSparseSafe) {
		if !cfg.EncodeSparseConvert {
			return Field{}, errors.New("excessively sparse array")
		}
		return Field{Kind: KindMap, Table: t, Size: size, Value: t}, nil
	}
	if maxKey > math.MaxUint32 {
		// Only reachable with EncodeSparseRatio 0: Tarantool keeps the
		// size in a uint32_t; refuse rather than allocate 2^32 slots.
		return Field{}, errors.New("excessively sparse array")
	}
	return Field{Kind: KindArray, Table: t, Size: int(maxKey), Value: t}, nil
}

// arrayLen is luaL_arrlen: the greatest positive integral numeric key.
func arrayLen(t *lua.LTable) int {
	maxKey := 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) <= maxKey || math.Floor(float64(n)) != float64(n) {
			continue
		}
		maxKey = float64(n)
	}
	if maxKey > math.MaxUint32 {
		maxKey = math.MaxUint32
	}
	return int(maxKey)
}

// mapLen is luaL_maplen: the number of pairs.
func mapLen(t *lua.LTable) int {
	n := 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n++
	}
	return n
}
