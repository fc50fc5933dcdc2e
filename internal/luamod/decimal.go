package luamod

import (
	"math"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/lua"
)

// The decimal module is Tarantool 2.6's (src/lua/decimal.c): decimals are
// cdata of decimal_t, whose layout package decimal reads and writes, with
// arithmetic, comparison and __tostring metamethods set by ffi.metatype;
// the functions and metamethods are Go functions called directly, as 2.6's
// are C functions, so that their errors carry the positions luaL_error
// gives (the Lua code that called them or triggered the metamethod).
//
// It is loaded at preload, before every other module, because the
// serializers encode decimal_t as MP_DECIMAL and its MessagePack decoder
// must exist before any script decodes one, whether or not it required
// 'decimal'; being first also lets it take the ctype id 2.6's decimal_t
// has, which LuaJIT prints in messages about decimals ("attempt to get
// length of 'struct 114'").
func init() { addModule("decimal", -11, preloadDecimal) }

// decimalCdef is 2.6's declaration of decimal_t (decNumber for 38
// digits), an anonymous struct: LuaJIT names it by its ctype id.
const decimalCdef = `typedef struct {
	int32_t digits;
	int32_t exponent;
	uint8_t bits;
	uint16_t lsu[13];
} decimal_t;`

// decimalCtypeID is the ctype id of decimal_t in Tarantool 2.6.0.
const decimalCtypeID = 114

// mpDecimal is Tarantool's MessagePack extension type of decimals.
const mpDecimal = 1

func preloadDecimal(L lua.State, _ *Options) {
	top := L.GetTop()
	defer L.SetTop(top)
	// Anonymous structs take one ctype id each: probes fill the ids below
	// 2.6's so that decimal_t gets its number when the state has used
	// fewer (it keeps its own number otherwise).
	const declare = `local ffi, cdef, want = require('ffi'), ...
while tonumber(ffi.typeof('struct {}')) < want - 1 do end
ffi.cdef(cdef)
local t = ffi.typeof('decimal_t')
return t, t()`
	if err := L.Load(declare, "=decimal"); err != nil {
		panic("luamod: " + err.Error())
	}
	L.PushString(decimalCdef)
	L.PushInt(decimalCtypeID)
	if err := L.PCall(2, 2); err != nil {
		panic("luamod: " + err.Error())
	}
	L.SetDecimalType(-1, -2)
	L.Pop(1)
	ctype := L.AbsIndex(-1)

	mt := map[string]lua.Function{
		"__unm": func(L lua.State) int {
			// Unary operators get their operand twice (LuaJIT's
			// convention); the first is the decimal.
			pushDecimal(L, toDecimal(L, 1).Minus())
			return 1
		},
		"__add": decimalBinop(decimal.Add),
		"__sub": decimalBinop(decimal.Sub),
		"__mul": decimalBinop(decimal.Mul),
		"__div": decimalBinop(decimal.Div),
		"__mod": decimalBinop(decimal.Rem),
		"__pow": decimalBinop(decimal.Pow),
		"__eq": func(L lua.State) int {
			if L.IsNil(1) || L.IsNil(2) || L.IsNull(1) || L.IsNull(2) {
				L.PushBool(false)
				return 1
			}
			a, b := toDecimal(L, 1), toDecimal(L, 2)
			L.PushBool(decimal.Compare(a, b) == 0)
			return 1
		},
		"__lt": decimalCmp(func(c int) bool { return c < 0 }),
		"__le": decimalCmp(func(c int) bool { return c <= 0 }),
		"__tostring": func(L lua.State) int {
			if L.GetTop() < 1 {
				raise(L, "usage: decimal.tostring(decimal)")
			}
			L.PushString(checkDecimal(L, 1).String())
			return 1
		},
	}
	L.GetGlobal("require")
	L.PushString("ffi")
	L.Call(1, 1)
	if err := L.GetField(-1, "metatype"); err != nil {
		panic("luamod: " + err.Error())
	}
	L.PushValue(ctype)
	L.NewTable()
	L.SetFuncs(-1, mt)
	if err := L.PCall(2, 0); err != nil {
		panic("luamod: " + err.Error())
	}

	// The MessagePack decoder of MP_DECIMAL: the payload 2.6 accepts, or
	// the error its msgpack.decode gives for anything else.
	L.PushFunction(func(L lua.State) int {
		b, _ := L.ToBytesView(1)
		d, err := decimal.Unpack(b)
		if err != nil {
			L.RaiseString("msgpack.decode: invalid MsgPack")
		}
		pushDecimal(L, d)
		return 1
	})
	L.SetExtDecoder(mpDecimal)

	// The module is in package.loaded from the start, as 2.6's builtin
	// is, and stays the preload's result.
	L.NewTable()
	L.SetFuncs(-1, decimalFuncs)
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(-3)
	L.RawSetField(-2, "decimal")
	L.Pop(2)
	ref := L.Ref()
	register(L, "decimal", func(L lua.State) int {
		L.PushRef(ref)
		return 1
	})
}

// decimalFuncs are the module's functions (2.6's ldecimal_lib).
var decimalFuncs = map[string]lua.Function{
	"log10": decimalFunc("log10", (*decimal.Decimal).Log10),
	"ln":    decimalFunc("ln", (*decimal.Decimal).Ln),
	"exp":   decimalFunc("exp", (*decimal.Decimal).Exp),
	"sqrt":  decimalFunc("sqrt", (*decimal.Decimal).Sqrt),
	"abs": decimalFunc("abs", func(d *decimal.Decimal) (*decimal.Decimal, bool) {
		return d.Abs(), true
	}),
	"round": func(L lua.State) int {
		if L.GetTop() < 2 {
			raise(L, "usage: decimal.round(decimal, scale)")
		}
		d := checkDecimal(L, 1)
		pushDecimal(L, d.Round(luaToInt(L, 2)))
		return 1
	},
	"trim": func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, "usage: decimal.trim(decimal)")
		}
		pushDecimal(L, checkDecimal(L, 1).Trim())
		return 1
	},
	"rescale": func(L lua.State) int {
		if L.GetTop() < 2 {
			raise(L, "usage: decimal.rescale(decimal, scale)")
		}
		d := checkDecimal(L, 1)
		pushDecimal(L, d.Rescale(luaToInt(L, 2)))
		return 1
	},
	"scale": func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, "usage: decimal.scale(decimal)")
		}
		L.PushInt(checkDecimal(L, 1).Scale())
		return 1
	},
	"precision": func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, "usage: decimal.precision(decimal)")
		}
		L.PushInt(checkDecimal(L, 1).Precision())
		return 1
	},
	"new": func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, "usage: decimal.new(value)")
		}
		pushDecimal(L, toDecimal(L, 1))
		return 1
	},
	"is_decimal": func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, "usage: decimal.is_decimal(value)")
		}
		_, ok := L.ToDecimal(1)
		L.PushBool(ok)
		return 1
	},
}

// pushDecimal pushes d as a new decimal_t cdata.
func pushDecimal(L lua.State, d *decimal.Decimal) {
	d.PutLayout(L.PushDecimal())
}

// layoutDecimal reads the decimal_t at idx, a value of the decimal ctype.
// Only the FFI can write a layout no operation makes (fields assigned by
// hand): that is an error rather than a guess.
func layoutDecimal(L lua.State, b []byte) *decimal.Decimal {
	d, ok := decimal.FromLayout(b)
	if !ok {
		raise(L, "invalid decimal value")
	}
	return d
}

// checkDecimal is lua_checkdecimal: the decimal at idx, or luaL_checkcdata's
// and its own errors.
func checkDecimal(L lua.State, idx int) *decimal.Decimal {
	if L.Type(idx) != lua.TypeCdata {
		L.Errorf("expected cdata as %d argument", idx)
	}
	b, ok := L.ToDecimal(idx)
	if !ok {
		L.Errorf("expected decimal as %d argument", idx)
	}
	return layoutDecimal(L, b)
}

// toDecimal is lua_todecimal: the value at idx (1 or 2, the argument
// number the messages give) as a decimal — a decimal, a Lua number (through
// "%.15g", as decimal_from_double), a string in decNumber's syntax, or an
// integer, float or double cdata.
func toDecimal(L lua.State, idx int) *decimal.Decimal {
	switch L.Type(idx) {
	case lua.TypeNumber:
		if d, ok := decimal.FromFloat64(L.ToNumber(idx)); ok {
			return d
		}
	case lua.TypeString:
		s, _ := L.ToString(idx)
		if d, ok := decimal.Parse(s); ok {
			return d
		}
	case lua.TypeCdata:
		if b, ok := L.ToDecimal(idx); ok {
			return layoutDecimal(L, b)
		}
		var f float64
		switch L.CdataType(idx) {
		case lua.CTypeFloat:
			f = float64(*(*float32)(L.CdataPointer(idx)))
		case lua.CTypeDouble:
			f = *(*float64)(L.CdataPointer(idx))
		default:
			u, i, sign := L.Integer(idx)
			switch sign {
			case 1:
				return decimal.FromUint64(u)
			case -1:
				return decimal.FromInt64(i)
			}
			L.Errorf("expected decimal, number or string as %d argument", idx)
		}
		if d, ok := decimal.FromFloat64(f); ok {
			return d
		}
	default:
		L.Errorf("expected decimal, number or string as %d argument", idx)
	}
	L.Errorf("incorrect value to convert to decimal as %d argument", idx)
	return nil
}

// decimalBinop is LDECIMAL_BINOP: both operands converted, the operation,
// or "decimal operation failed".
func decimalBinop(op func(a, b *decimal.Decimal) (*decimal.Decimal, bool)) lua.Function {
	return func(L lua.State) int {
		a, b := toDecimal(L, 1), toDecimal(L, 2)
		r, ok := op(a, b)
		if !ok {
			raise(L, "decimal operation failed")
		}
		pushDecimal(L, r)
		return 1
	}
}

// decimalCmp is LDECIMAL_CMPOP: nil on either side is an error of its
// own, any other operand is converted.
func decimalCmp(pred func(int) bool) lua.Function {
	return func(L lua.State) int {
		if L.IsNil(1) || L.IsNil(2) {
			raise(L, "attempt to compare decimal with nil")
		}
		a, b := toDecimal(L, 1), toDecimal(L, 2)
		L.PushBool(pred(decimal.Compare(a, b)))
		return 1
	}
}

// decimalFunc is LDECIMAL_FUNC: one operand converted, the operation, or
// "decimal operation failed".
func decimalFunc(name string, op func(d *decimal.Decimal) (*decimal.Decimal, bool)) lua.Function {
	usage := "usage: decimal." + name + "(decimal)"
	return func(L lua.State) int {
		if L.GetTop() < 1 {
			raise(L, usage)
		}
		r, ok := op(toDecimal(L, 1))
		if !ok {
			raise(L, "decimal operation failed")
		}
		pushDecimal(L, r)
		return 1
	}
}

// luaToInt is (int)lua_tointeger(L, idx) on LuaJIT/x86-64: a number or a
// numeric string truncated towards zero to 64 bits (what does not fit,
// NaN included, becomes INT64_MIN as cvttsd2si makes it), then cut to
// 32 bits; anything else is 0.
func luaToInt(L lua.State, idx int) int {
	t := L.Type(idx)
	if t != lua.TypeNumber && (t != lua.TypeString || !L.IsNumber(idx)) {
		return 0
	}
	f := L.ToNumber(idx)
	v := int64(math.MinInt64)
	if f > -9223372036854775808.0 && f < 9223372036854775808.0 {
		v = int64(f)
	}
	return int(int32(v))
}
