package luamod

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// PreloadJSON registers the json module (Tarantool's lua-cjson): encode,
// decode, new, cfg, NULL and null.
func PreloadJSON(L *lua.LState) {
	register(L, "json", func(L *lua.LState) int {
		L.Push(newJSONModule(L))
		return 1
	})
}

func newJSONModule(L *lua.LState) *lua.LTable {
	cfg := luaconv.DefaultConfig()
	mod := newSerializerModule(L, &cfg)
	mod.RawSetString("null", luaconv.NULL(L)) // compatibility with cjson
	setFuncs(L, mod, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if n := L.GetTop(); n != 1 && n != 2 {
				raise(L, "bad argument #1 to '?' (expected 1 or 2 arguments)")
			}
			c := callConfig(L, &cfg, 2)
			var buf bytes.Buffer
			if err := jsonEncode(L, c, &buf, L.Get(1), 0); err != nil {
				raise(L, err.Error())
			}
			L.Push(lua.LString(buf.String()))
			return 1
		},
		"decode": func(L *lua.LState) int {
			if n := L.GetTop(); n != 1 && n != 2 {
				raise(L, "bad argument #1 to '?' (expected 1 or 2 arguments)")
			}
			c := callConfig(L, &cfg, 2)
			v, err := jsonDecode(L, c, L.CheckString(1))
			if err != nil {
				raise(L, err.Error())
			}
			L.Push(v)
			return 1
		},
		"new": func(L *lua.LState) int {
			L.Push(newJSONModule(L))
			return 1
		},
	})
	return mod
}

// formatNumber is fpconv_g_fmt: printf("%.<prec>g"), with C's spelling
// of non-finite values. negNaN selects "-nan" for a NaN with the sign bit
// set, as glibc prints it (yaml); cjson prints every NaN as "nan".
func formatNumber(f float64, prec int, negNaN bool) string {
	switch {
	case math.IsNaN(f):
		if negNaN && math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if prec < 1 {
		prec = 1
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// jsonEscape is cjson's char2escape table: control characters, '"',
// '\\', '/' and DEL are escaped, everything else (UTF-8 included) is
// copied.
var jsonEscape = func() (t [256]string) {
	for c := 0; c < 0x20; c++ {
		t[c] = fmt.Sprintf("\\u%04x", c)
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = "\\b", "\\t", "\\n", "\\f", "\\r"
	t['"'], t['\\'], t['/'], t[0x7f] = "\\\"", "\\\\", "\\/", "\\u007f"
	return t
}()

func jsonString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if e := jsonEscape[s[i]]; e != "" {
			buf.WriteString(e)
		} else {
			buf.WriteByte(s[i])
		}
	}
	buf.WriteByte('"')
}

// jsonEncode is json_append_data.
func jsonEncode(L *lua.LState, cfg *luaconv.Config, buf *bytes.Buffer, v lua.LValue, depth int) error {
	f, err := luaconv.ToField(L, cfg, v)
	if err != nil {
		return err
	}
	switch f.Kind {
	case luaconv.KindNil:
		buf.WriteString("null")
	case luaconv.KindBool:
		buf.WriteString(strconv.FormatBool(f.Bool))
	case luaconv.KindUint:
		buf.WriteString(strconv.FormatUint(f.Uint, 10))
	case luaconv.KindInt:
		buf.WriteString(strconv.FormatInt(f.Int, 10))
	case luaconv.KindDouble:
		buf.WriteString(formatNumber(f.Double, cfg.EncodeNumberPrecision, false))
	case luaconv.KindStr:
		jsonString(buf, f.Str)
	case luaconv.KindRaw:
		if u, ok := ToUUID(f.Value); ok {
			jsonString(buf, u.String())
			return nil
		}
		dv, err := rawToLua(L, f.Raw)
		if err != nil {
			return err
		}
		return jsonEncode(L, cfg, buf, dv, depth)
	case luaconv.KindArray:
		if depth >= cfg.EncodeMaxDepth {
			if !cfg.EncodeDeepAsNil {
				return fmt.Errorf("Too high nest level")
			}
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i := 1; i <= f.Size; i++ {
			if i > 1 {
				buf.WriteByte(',')
			}
			if err := jsonEncode(L, cfg, buf, f.Table.RawGetInt(i), depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case luaconv.KindMap:
		if depth >= cfg.EncodeMaxDepth {
			if !cfg.EncodeDeepAsNil {
				return fmt.Errorf("Too high nest level")
			}
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('{')
		first := true
		for k, val := f.Table.Next(lua.LNil); k != lua.LNil; k, val = f.Table.Next(k) {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			kf, err := luaconv.ToField(L, cfg, k)
			if err != nil {
				return err
			}
			switch kf.Kind {
			case luaconv.KindUint:
				buf.WriteString(`"` + strconv.FormatUint(kf.Uint, 10) + `":`)
			case luaconv.KindInt:
				buf.WriteString(`"` + strconv.FormatInt(kf.Int, 10) + `":`)
			case luaconv.KindStr:
				jsonString(buf, kf.Str)
				buf.WriteByte(':')
			default:
				return fmt.Errorf("table key must be a number or string")
			}
			if err := jsonEncode(L, cfg, buf, val, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	}
	return nil
}

// rawToLua decodes the MessagePack of a raw-marshaled userdata (a tuple)
// for the text serializers. A value that decodes to another raw userdata
// (an extension with a registered decoder) is refused, so that the
// encoders cannot loop.
func rawToLua(L *lua.LState, raw []byte) (lua.LValue, error) {
	v, _, err := luaconv.Decode(L, raw)
	if err != nil {
		return nil, err
	}
	if ud, ok := v.(*lua.LUserData); ok {
		if _, isRaw := ud.Value.(luaconv.RawMarshaler); isRaw {
			return nil, fmt.Errorf("unsupported Lua type 'userdata'")
		}
	}
	return v, nil
}
