package luamod

import (
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// PreloadMsgpack registers the msgpack module: encode, decode,
// decode_unchecked, decode_array_header, decode_map_header, NULL, cfg,
// new.
func PreloadMsgpack(L *lua.LState) {
	installExtDecoders(L)
	register(L, "msgpack", func(L *lua.LState) int {
		L.Push(newMsgpackModule(L))
		return 1
	})
}

func newMsgpackModule(L *lua.LState) *lua.LTable {
	cfg := luaconv.DefaultConfig()
	mod := newSerializerModule(L, &cfg)
	setFuncs(L, mod, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() < 1 {
				raise(L, "msgpack.encode: a Lua object expected")
			}
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				raise(L, "msgpack.encode: argument 2 must be of type 'struct ibuf'")
			}
			b, err := luaconv.EncodeWith(L, &cfg, nil, L.Get(1))
			if err != nil {
				raise(L, err.Error())
			}
			L.Push(lua.LString(b))
			return 1
		},
		"decode": func(L *lua.LState) int {
			return msgpackDecode(L, &cfg)
		},
		"decode_unchecked": func(L *lua.LState) int {
			return msgpackDecode(L, &cfg)
		},
		"decode_array_header": func(L *lua.LState) int {
			return msgpackHeader(L, "decode_array_header", 0x90, 0xdc)
		},
		"decode_map_header": func(L *lua.LState) int {
			return msgpackHeader(L, "decode_map_header", 0x80, 0xde)
		},
		"new": func(L *lua.LState) int {
			L.Push(newMsgpackModule(L))
			return 1
		},
	})
	return mod
}

// msgpackDecode is msgpack.decode(str[, offset]): it returns the value
// and the 1-based offset of the next byte. Tarantool's decode_unchecked
// trusts its input; here both check, since bad input must never crash.
// decode_array_header/decode_map_header take a string here: Tarantool's
// take a char* cdata, which gopher-lua cannot express.
func msgpackDecode(L *lua.LState, cfg *luaconv.Config) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		if n, isNum := L.Get(1).(lua.LNumber); isNum {
			s = lua.LString(n.String())
		} else {
			raise(L, "msgpack.decode: a Lua string or 'char *' expected")
		}
	}
	offset := L.OptInt(2, 1)
	if offset <= 0 {
		raise(L, "msgpack.decode: offset is out of bounds")
	}
	if offset-1 > len(s) {
		raise(L, "msgpack.decode: offset is out of bounds")
	}
	v, n, err := luaconv.DecodeWith(L, cfg, []byte(s[offset-1:]))
	if err != nil {
		raise(L, err.Error())
	}
	L.Push(v)
	L.Push(lua.LNumber(offset + n))
	return 2
}

func msgpackHeader(L *lua.LState, fn string, fix byte, wide byte) int {
	s := L.CheckString(1)
	b := []byte(s)
	var size uint32
	var n int
	switch {
	case len(b) > 0 && b[0]&0xf0 == fix:
		size, n = uint32(b[0]&0x0f), 1
	case len(b) >= 3 && b[0] == wide:
		size, n = uint32(b[1])<<8|uint32(b[2]), 3
	case len(b) >= 5 && b[0] == wide+1:
		size, n = uint32(b[1])<<24|uint32(b[2])<<16|uint32(b[3])<<8|uint32(b[4]), 5
	default:
		what := "array"
		if fix == 0x80 {
			what = "map"
		}
		raise(L, "msgpack."+fn+": unexpected end of buffer or not an "+what)
	}
	L.Push(lua.LNumber(size))
	L.Push(lua.LNumber(n + 1))
	return 2
}
