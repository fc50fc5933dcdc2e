package luaconv

import (
	"errors"
	"fmt"
	"math"

	"github.com/spindledb/spindle/internal/msgpack"
	lua "github.com/yuin/gopher-lua"
)

// ErrInvalidMsgPack is msgpack.decode's message for malformed or
// truncated input.
var ErrInvalidMsgPack = errors.New("msgpack.decode: invalid MsgPack")

// maxDecodeDepth bounds container nesting on decode. Tarantool has no
// bound (mp_check recurses in C); a bound keeps hostile input from
// building millions of nested tables. No real document comes close.
const maxDecodeDepth = 4096

// ExtDecoder turns the payload of a MessagePack extension into a Lua
// value. It returns an error for a malformed payload.
type ExtDecoder func(L *lua.LState, data []byte) (lua.LValue, error)

type extRegistry map[int8]ExtDecoder

const registryExt = "spindle.luaconv.ext"

// SetExtDecoder makes Decode in state L turn extension type typ into a
// Lua value with fn (the uuid module registers MP_UUID = 2 here). Without
// a decoder an extension is an error, as for unknown types in Tarantool.
func SetExtDecoder(L *lua.LState, typ int8, fn ExtDecoder) {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	ud, ok := reg.RawGetString(registryExt).(*lua.LUserData)
	if !ok {
		ud = L.NewUserData()
		ud.Value = extRegistry{}
		reg.RawSetString(registryExt, ud)
	}
	ud.Value.(extRegistry)[typ] = fn
}

func extDecoder(L *lua.LState, typ int8) ExtDecoder {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if ud, ok := reg.RawGetString(registryExt).(*lua.LUserData); ok {
		return ud.Value.(extRegistry)[typ]
	}
	return nil
}

// Decode decodes the first MessagePack value of b into a Lua value and
// returns it with the number of bytes it used. MessagePack nil, at any
// level, becomes NULL, so arrays keep their length (msgpack.decode
// returns cdata NULL for a top-level nil as well). Errors carry
// msgpack.decode's messages; any input gives a value or an error, never a
// panic.
func Decode(L *lua.LState, b []byte) (lua.LValue, int, error) {
	return DecodeWith(L, &defaultConfig, b)
}

// DecodeWith is Decode under cfg (DecodeSaveMetatables,
// DecodeInvalidNumbers).
func DecodeWith(L *lua.LState, cfg *Config, b []byte) (lua.LValue, int, error) {
	d := decoder{L: L, cfg: cfg}
	if cfg.DecodeSaveMetatables {
		d.seq, d.mp = SeqMetatable(L), MapMetatable(L)
	}
	v, n, err := d.value(b, 0)
	if err != nil {
		return lua.LNil, 0, err
	}
	return v, n, nil
}

type decoder struct {
	L       *lua.LState
	cfg     *Config
	seq, mp *lua.LTable
	null    lua.LValue
}

func (d *decoder) nullValue() lua.LValue {
	if d.null == nil {
		d.null = NULL(d.L)
	}
	return d.null
}

func shortOr(err error) error {
	if err == nil {
		return nil
	}
	return ErrInvalidMsgPack
}

func (d *decoder) number(f float64) (lua.LValue, error) {
	if !d.cfg.DecodeInvalidNumbers && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, errors.New("number must not be NaN or Inf")
	}
	return lua.LNumber(f), nil
}

func (d *decoder) value(b []byte, depth int) (lua.LValue, int, error) {
	if len(b) == 0 {
		return nil, 0, ErrInvalidMsgPack
	}
	switch msgpack.TypeOf(b) {
	case msgpack.Nil:
		return d.nullValue(), 1, nil
	case msgpack.Bool:
		v, n, err := msgpack.ReadBool(b)
		return lua.LBool(v), n, shortOr(err)
	case msgpack.Uint:
		u, n, err := msgpack.ReadUint(b)
		return lua.LNumber(float64(u)), n, shortOr(err)
	case msgpack.Int:
		i, n, err := msgpack.ReadInt(b)
		return lua.LNumber(float64(i)), n, shortOr(err)
	case msgpack.Float, msgpack.Double:
		f, n, err := msgpack.ReadFloat(b)
		if err != nil {
			return nil, 0, ErrInvalidMsgPack
		}
		v, err := d.number(f)
		return v, n, err
	case msgpack.Str:
		s, n, err := msgpack.ReadStr(b)
		return lua.LString(s), n, shortOr(err)
	case msgpack.Bin:
		s, n, err := msgpack.ReadBin(b)
		return lua.LString(s), n, shortOr(err)
	case msgpack.Array:
		return d.array(b, depth)
	case msgpack.Map:
		return d.mapValue(b, depth)
	case msgpack.Ext:
		typ, data, n, err := msgpack.ReadExt(b)
		if err != nil {
			return nil, 0, ErrInvalidMsgPack
		}
		fn := extDecoder(d.L, typ)
		if fn == nil {
			return nil, 0, fmt.Errorf("Unsuported MsgPack extension type: %d", typ)
		}
		v, err := fn(d.L, data)
		if err != nil {
			return nil, 0, ErrInvalidMsgPack
		}
		return v, n, nil
	}
	if b[0] == 0xc1 {
		// msgpuck classifies the never-used byte 0xc1 as MP_EXT and
		// reads extension type 0 from it.
		return nil, 0, errors.New("Unsuported MsgPack extension type: 0")
	}
	return nil, 0, ErrInvalidMsgPack
}

func (d *decoder) array(b []byte, depth int) (lua.LValue, int, error) {
	if depth >= maxDecodeDepth {
		return nil, 0, ErrInvalidMsgPack
	}
	size, pos, err := msgpack.ReadArrayHeader(b)
	if err != nil {
		return nil, 0, ErrInvalidMsgPack
	}
	// Every element takes at least one byte: a header claiming more
	// elements than bytes left is truncated input, and checking first
	// keeps a hostile header from preallocating gigabytes.
	if uint64(size) > uint64(len(b)-pos) {
		return nil, 0, ErrInvalidMsgPack
	}
	t := d.L.CreateTable(int(size), 0)
	for i := 1; i <= int(size); i++ {
		v, n, err := d.value(b[pos:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		pos += n
		t.RawSetInt(i, v)
	}
	if d.seq != nil {
		t.Metatable = d.seq
	}
	return t, pos, nil
}

func (d *decoder) mapValue(b []byte, depth int) (lua.LValue, int, error) {
	if depth >= maxDecodeDepth {
		return nil, 0, ErrInvalidMsgPack
	}
	size, pos, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return nil, 0, ErrInvalidMsgPack
	}
	if uint64(size)*2 > uint64(len(b)-pos) {
		return nil, 0, ErrInvalidMsgPack
	}
	t := d.L.CreateTable(0, int(size))
	for i := 0; i < int(size); i++ {
		k, n, err := d.value(b[pos:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		pos += n
		v, n, err := d.value(b[pos:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		pos += n
		if kn, ok := k.(lua.LNumber); ok && math.IsNaN(float64(kn)) {
			return nil, 0, errors.New("table index is NaN")
		}
		t.RawSet(k, v)
	}
	if d.mp != nil {
		t.Metatable = d.mp
	}
	return t, pos, nil
}
