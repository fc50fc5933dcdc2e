package luaconv

import (
	"errors"
	"fmt"

	"github.com/spindledb/spindle/internal/msgpack"
	lua "github.com/yuin/gopher-lua"
)

var defaultConfig = DefaultConfig()

// Encode appends the MessagePack form of v to dst with msgpack's default
// configuration. It needs no Lua state, so a table or userdata whose
// __serialize is a function yields ErrNeedState; Lua-facing code uses
// EncodeL.
func Encode(dst []byte, v lua.LValue) ([]byte, error) {
	return EncodeWith(nil, &defaultConfig, dst, v)
}

// EncodeL is Encode with a Lua state for __serialize functions.
func EncodeL(L *lua.LState, dst []byte, v lua.LValue) ([]byte, error) {
	return EncodeWith(L, &defaultConfig, dst, v)
}

// EncodeWith appends v encoded under cfg (msgpack.encode's
// luamp_encode_r). On error dst is returned unchanged in length.
func EncodeWith(L *lua.LState, cfg *Config, dst []byte, v lua.LValue) ([]byte, error) {
	n := len(dst)
	out, err := encodeValue(L, cfg, dst, v, 0)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// EncodeArgs appends the values L[base..top] as one MessagePack array:
// the body of a CALL/EVAL reply.
func EncodeArgs(dst []byte, L *lua.LState, base int) ([]byte, error) {
	top := L.GetTop()
	count := 0
	if top >= base {
		count = top - base + 1
	}
	n := len(dst)
	dst = msgpack.AppendArrayHeader(dst, uint32(count))
	for i := base; i <= top; i++ {
		var err error
		if dst, err = encodeValue(L, &defaultConfig, dst, L.Get(i), 0); err != nil {
			return dst[:n], err
		}
	}
	return dst, nil
}

// EncodeValues appends vs as one MessagePack array.
func EncodeValues(L *lua.LState, dst []byte, vs ...lua.LValue) ([]byte, error) {
	n := len(dst)
	dst = msgpack.AppendArrayHeader(dst, uint32(len(vs)))
	for _, v := range vs {
		var err error
		if dst, err = encodeValue(L, &defaultConfig, dst, v, 0); err != nil {
			return dst[:n], err
		}
	}
	return dst, nil
}

func nestError(level int) error {
	return fmt.Errorf("Too high nest level - %d", level+1)
}

func encodeValue(L *lua.LState, cfg *Config, dst []byte, v lua.LValue, level int) ([]byte, error) {
	f, err := ToField(L, cfg, v)
	if err != nil {
		return dst, err
	}
	return encodeField(L, cfg, dst, &f, level)
}

func encodeField(L *lua.LState, cfg *Config, dst []byte, f *Field, level int) ([]byte, error) {
	switch f.Kind {
	case KindNil:
		return msgpack.AppendNil(dst), nil
	case KindBool:
		return msgpack.AppendBool(dst, f.Bool), nil
	case KindUint:
		return msgpack.AppendUint(dst, f.Uint), nil
	case KindInt:
		return msgpack.AppendInt(dst, f.Int), nil
	case KindDouble:
		return msgpack.AppendFloat64(dst, f.Double), nil
	case KindStr:
		return msgpack.AppendString(dst, f.Str), nil
	case KindRaw:
		if _, err := msgpack.Skip(f.Raw); err != nil {
			return dst, errors.New("msgpack.encode: invalid MsgPack")
		}
		return append(dst, f.Raw...), nil
	case KindArray:
		if level >= cfg.EncodeMaxDepth {
			if !cfg.EncodeDeepAsNil {
				return dst, nestError(level)
			}
			return msgpack.AppendNil(dst), nil
		}
		dst = msgpack.AppendArrayHeader(dst, uint32(f.Size))
		t := f.Table
		for i := 1; i <= f.Size; i++ {
			var err error
			if dst, err = encodeValue(L, cfg, dst, t.RawGetInt(i), level+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case KindMap:
		if level >= cfg.EncodeMaxDepth {
			if !cfg.EncodeDeepAsNil {
				return dst, nestError(level)
			}
			return msgpack.AppendNil(dst), nil
		}
		dst = msgpack.AppendMapHeader(dst, uint32(f.Size))
		t := f.Table
		written := 0
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			if written == f.Size {
				break // a __serialize function changed the table under us
			}
			var err error
			if dst, err = encodeValue(L, cfg, dst, k, level+1); err != nil {
				return dst, err
			}
			if dst, err = encodeValue(L, cfg, dst, val, level+1); err != nil {
				return dst, err
			}
			written++
		}
		for ; written < f.Size; written++ {
			// Keep the header honest if pairs vanished meanwhile.
			dst = msgpack.AppendNil(msgpack.AppendNil(dst))
		}
		return dst, nil
	}
	return dst, fmt.Errorf("luaconv: unknown field kind %d", f.Kind)
}
