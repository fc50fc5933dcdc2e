package luamod

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

func init() { addModule("pickle", 0, preloadPickle) }

// preloadPickle registers require('pickle'): pack(format, ...) and
// unpack(format, data) as 2.6's src/lua/pickle.c, on native-endian
// integers and floats, with n/N/q big endian.
func preloadPickle(L lua.State, opts *Options) {
	p := &pickle{opts: opts}
	register(L, "pickle", func(L lua.State) int {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"pack":   p.pack,
			"unpack": p.unpack,
		})
		return 1
	})
}

type pickle struct {
	opts *Options
	// isUUID is a Lua function telling whether a cdata value is a
	// struct tt_uuid, made on first use.
	isUUID int
}

// Kinds of argument as luaL_tofield classifies them; pack accepts only
// the integer kinds for its integer formats.
const (
	fieldNil = iota
	fieldBool
	fieldUint
	fieldInt
	fieldFloat
	fieldDouble
	fieldStr
	fieldArray
	fieldMap
	fieldExt     // a known MessagePack extension (UUID)
	fieldUnknown // needs conversion: __serialize, tostring, or an error
)

// raiseLuajit raises msg as 2.6 raises a LuajitError diag (luaT_error):
// a box.error object where the host provides them, the message itself
// otherwise.
func (p *pickle) raiseLuajit(L lua.State, msg string) {
	if p.opts.NewError != nil {
		p.opts.NewError(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError", Message: msg})
		L.Raise()
	}
	L.RaiseString(msg)
}

// field classifies argument idx as luaL_checkfield does under the msgpack
// configuration: it may replace the argument on the stack with what its
// __serialize or tostring made of it, which the float and string formats
// then read. For integer kinds it returns the value's bits.
func (p *pickle) field(L lua.State, idx int, cfg lua.SerializerOptions) (int, uint64) {
	kind, v := p.toField(L, idx, cfg)
	if kind != fieldUnknown {
		return kind, v
	}
	// luaL_convertfield.
	if cfg.EncodeLoadMetatables {
		t := L.Type(idx)
		if t == lua.TypeUserdata || t == lua.TypeCdata && L.CdataType(idx) > ctypeCTypeID {
			kind, v = p.inspectObject(L, idx, cfg)
		}
	}
	if kind == fieldUnknown && cfg.EncodeUseToString {
		L.GetGlobal("tostring")
		L.PushValue(idx)
		L.Call(1, 1)
		L.Replace(idx)
		kind, v = p.toField(L, idx, cfg)
	}
	if kind != fieldUnknown {
		return kind, v
	}
	if cfg.EncodeInvalidAsNil {
		return fieldNil, 0
	}
	L.Errorf("unsupported Lua type '%s'", L.TypeName(idx))
	return 0, 0
}

// ctypeCTypeID is LuaJIT's last built-in ctype id; cdata of later ids are
// user types whose __serialize is honoured.
const ctypeCTypeID = 21

// toField is luaL_tofield.
func (p *pickle) toField(L lua.State, idx int, cfg lua.SerializerOptions) (int, uint64) {
	switch L.Type(idx) {
	case lua.TypeNumber:
		n := L.ToNumber(idx)
		switch {
		case !math.IsInf(n, 0) && !math.IsNaN(n) && n != math.Trunc(n):
			return fieldDouble, 0
		case n >= 0 && n < 1<<64:
			return fieldUint, uint64(n)
		case n >= -(1<<63) && n < 1<<63:
			return fieldInt, uint64(int64(n))
		}
		return p.checkNumber(L, n, fieldDouble, cfg), 0
	case lua.TypeCdata:
		ptr := L.CdataPointer(idx)
		switch L.CdataType(idx) {
		case 3: // bool
			return fieldBool, 0
		case 4, 5: // char, int8_t
			return signedField(int64(*(*int8)(ptr)))
		case 7:
			return signedField(int64(*(*int16)(ptr)))
		case 9:
			return signedField(int64(*(*int32)(ptr)))
		case lua.CTypeInt64:
			return signedField(*(*int64)(ptr))
		case 6:
			return fieldUint, uint64(*(*uint8)(ptr))
		case 8:
			return fieldUint, uint64(*(*uint16)(ptr))
		case 10:
			return fieldUint, uint64(*(*uint32)(ptr))
		case lua.CTypeUint64:
			return fieldUint, *(*uint64)(ptr)
		case 13: // float
			return p.checkNumber(L, float64(*(*float32)(ptr)), fieldFloat, cfg), 0
		case ctypeDouble:
			return p.checkNumber(L, *(*float64)(ptr), fieldDouble, cfg), 0
		case 17, 18: // void *, const void *
			if L.IsNull(idx) {
				return fieldNil, 0
			}
			return fieldUnknown, 0
		}
		if p.uuid(L, idx) {
			return fieldExt, 0
		}
		return fieldUnknown, 0
	case lua.TypeBoolean:
		return fieldBool, 0
	case lua.TypeNil, lua.TypeNone:
		return fieldNil, 0
	case lua.TypeString:
		return fieldStr, 0
	case lua.TypeTable:
		return p.inspectTable(L, idx, cfg)
	case lua.TypeLightUserdata, lua.TypeUserdata:
		if L.ToUserdata(idx) == nil {
			return fieldNil, 0
		}
	}
	return fieldUnknown, 0
}

func signedField(v int64) (int, uint64) {
	if v >= 0 {
		return fieldUint, uint64(v)
	}
	return fieldInt, uint64(v)
}

// checkNumber applies encode_invalid_numbers to a float field.
func (p *pickle) checkNumber(L lua.State, n float64, kind int, cfg lua.SerializerOptions) int {
	if !math.IsInf(n, 0) && !math.IsNaN(n) || cfg.EncodeInvalidNumbers {
		return kind
	}
	if !cfg.EncodeInvalidAsNil {
		p.raiseLuajit(L, "number must not be NaN or Inf")
	}
	return fieldNil
}

// uuid reports whether the cdata at idx is a struct tt_uuid (encoded as
// the UUID extension), asking ffi.istype; false while no such type is
// declared.
func (p *pickle) uuid(L lua.State, idx int) bool {
	if p.isUUID == 0 {
		if err := L.Load(`local ffi = require('ffi')
			return function(v)
				local ok, is = pcall(ffi.istype, 'struct tt_uuid', v)
				return ok and is
			end`, "=pickle"); err != nil {
			panic("luamod: " + err.Error())
		}
		L.Call(0, 1)
		p.isUUID = L.Ref()
	}
	L.PushRef(p.isUUID)
	L.PushValue(idx)
	L.Call(1, 1)
	is := L.ToBool(-1)
	L.Pop(1)
	return is
}

// inspectTable is lua_field_inspect_table: __serialize (a function whose
// result replaces the table, or a container type name), else an array
// when the keys are 1..n, else a map.
func (p *pickle) inspectTable(L lua.State, idx int, cfg lua.SerializerOptions) (int, uint64) {
	if cfg.EncodeLoadMetatables && L.GetMetatable(idx) {
		L.PushString("__serialize")
		L.RawGet(-2)
		L.Remove(-2)
		switch {
		case L.IsNil(-1):
			L.Pop(1)
		case L.IsFunction(-1):
			L.PushValue(idx)
			if !L.PCallValue(1, 1) {
				p.raiseLuajit(L, L.ErrorString(-1))
			}
			kind, v := p.toField(L, L.GetTop(), cfg)
			L.Replace(idx)
			return kind, v
		case !L.IsString(-1):
			p.raiseLuajit(L, "invalid __serialize value")
		default:
			s, _ := L.ToString(-1)
			L.Pop(1)
			switch s {
			case "array", "seq", "sequence":
				return fieldArray, 0
			case "map", "mapping":
				return fieldMap, 0
			}
			p.raiseLuajit(L, "invalid __serialize value")
		}
	}
	size, max := 0, 0.0
	L.PushNil()
	for L.Next(idx) {
		size++
		L.Pop(1)
		if L.Type(-1) != lua.TypeNumber {
			L.Pop(1)
			return fieldMap, 0
		}
		k := L.ToNumber(-1)
		if k != float64(size) && (k < 1 || math.Floor(k) != k) {
			L.Pop(1)
			return fieldMap, 0
		}
		if k > max {
			max = k
		}
	}
	if cfg.EncodeSparseRatio > 0 && max > float64(size*cfg.EncodeSparseRatio) && max > float64(cfg.EncodeSparseSafe) {
		if !cfg.EncodeSparseConvert {
			p.raiseLuajit(L, "excessively sparse array")
		}
		return fieldMap, 0
	}
	return fieldArray, 0
}

// inspectObject is lua_field_inspect_ucdata: a __serialize function found
// by indexing the userdata or cdata replaces it with its result. Errors
// while looking it up or calling it are ignored, as in Tarantool (a
// failed call's message becomes the value).
func (p *pickle) inspectObject(L lua.State, idx int, cfg lua.SerializerOptions) (int, uint64) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.PushValue(idx)
	L.PushString("__serialize")
	if err := L.GetTable(-2); err != nil || L.IsNil(-1) {
		return fieldUnknown, 0
	}
	if !L.IsFunction(-1) {
		L.Errorf("invalid __serialize value")
	}
	L.PushValue(idx)
	L.PCallValue(1, 1)
	L.Replace(idx)
	return p.toField(L, idx, cfg)
}

// packWidth is the byte width and byte order of each integer format.
var packWidth = map[byte]struct {
	n   int
	big bool
}{
	'b': {1, false}, 'B': {1, false},
	's': {2, false}, 'S': {2, false}, 'n': {2, true},
	'i': {4, false}, 'I': {4, false}, 'N': {4, true},
	'l': {8, false}, 'L': {8, false}, 'q': {8, true}, 'Q': {8, true},
}

// cFormat is a format string as C reads it: up to its first zero byte.
func cFormat(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// pack is pickle.pack(format, ...): each format letter takes the next
// argument. b/s/i/l (any case) are 8/16/32/64-bit integers in native
// order, n/N/q/Q 16/32/64-bit big endian, d and f doubles and floats,
// a/A strings as they are.
func (p *pickle) pack(L lua.State) int {
	format := cFormat(L.CheckString(1))
	nargs := L.GetTop()
	cfg := L.VM().MsgpackSerializer().Options()
	var out []byte
	for i, c := range []byte(format) {
		arg := i + 2
		if arg > nargs {
			L.Errorf("pickle.pack: argument count does not match the format")
		}
		kind, v := p.field(L, arg, cfg)
		if w, ok := packWidth[c]; ok {
			if kind != fieldUint && kind != fieldInt {
				L.Errorf("pickle.pack: expected %d-bit int", w.n*8)
			}
			var b [8]byte
			if w.big {
				binary.BigEndian.PutUint64(b[:], v<<(64-8*w.n))
			} else {
				binary.NativeEndian.PutUint64(b[:], v)
			}
			out = append(out, b[:w.n]...)
			continue
		}
		switch c {
		case 'd':
			out = binary.NativeEndian.AppendUint64(out, math.Float64bits(L.ToNumber(arg)))
		case 'f':
			out = binary.NativeEndian.AppendUint32(out, math.Float32bits(float32(L.ToNumber(arg))))
		case 'a', 'A':
			out = append(out, L.CheckString(arg)...)
		default:
			L.Errorf("pickle.pack: unsupported pack format specifier '%c'", c)
		}
	}
	L.PushBytes(out)
	return 1
}

// unpack is pickle.unpack(format, data): the values of pack's formats
// (integers as numbers, 64-bit ones as uint64 cdata from 1e14 on), a/A
// taking the rest of data; data must be used up exactly.
func (p *pickle) unpack(L lua.State) int {
	fullFormat := L.CheckString(1)
	format := cFormat(fullFormat)
	data := L.CheckString(2)
	pos, n := 0, 0
	need := func(c byte, size int) {
		if pos+size > len(data) {
			L.Errorf("pickle.unpack('%c'): got %d bytes (expected: %d+)", c, len(data), pos+size)
		}
	}
	for _, c := range []byte(format) {
		switch c {
		case 'b':
			need(c, 1)
			L.PushInt(int(data[pos]))
			pos++
		case 's', 'n':
			need(c, 2)
			v := binary.NativeEndian.Uint16([]byte(data[pos:]))
			if c == 'n' {
				v = binary.BigEndian.Uint16([]byte(data[pos:]))
			}
			L.PushInt(int(v))
			pos += 2
		case 'i', 'N':
			need(c, 4)
			v := binary.NativeEndian.Uint32([]byte(data[pos:]))
			if c == 'N' {
				v = binary.BigEndian.Uint32([]byte(data[pos:]))
			}
			L.PushNumber(float64(v))
			pos += 4
		case 'l', 'q':
			need(c, 8)
			v := binary.NativeEndian.Uint64([]byte(data[pos:]))
			if c == 'q' {
				v = binary.BigEndian.Uint64([]byte(data[pos:]))
			}
			L.PushUint64(v)
			pos += 8
		case 'd':
			need(c, 8)
			L.PushNumber(math.Float64frombits(binary.NativeEndian.Uint64([]byte(data[pos:]))))
			pos += 8
		case 'f':
			need(c, 4)
			L.PushNumber(float64(math.Float32frombits(binary.NativeEndian.Uint32([]byte(data[pos:])))))
			pos += 4
		case 'a', 'A':
			L.PushString(data[pos:])
			pos = len(data)
		default:
			L.Errorf("pickle.unpack: unsupported format specifier '%c'", c)
		}
		n++
	}
	if pos != len(data) {
		L.Errorf("pickle.unpack('%s'): too many bytes: unpacked %d, total %d", format, pos, len(data))
	}
	return n
}
