package msgpack

import (
	"fmt"
	"sort"
)

// ExtValue is an extension value decoded by Decode.
type ExtValue struct {
	Type int8
	Data []byte
}

// Decode decodes the value at the start of b into Go values: nil, bool,
// uint64 (non-negative integers), int64 (negative), float32, float64,
// string, []byte, []any, map[any]any and ExtValue. It is meant for tools,
// tests and control paths, not for tuple processing.
func Decode(b []byte) (any, int, error) {
	if _, err := Skip(b); err != nil {
		return nil, 0, err
	}
	return decode(b)
}

func decode(b []byte) (any, int, error) {
	switch TypeOf(b) {
	case Nil:
		return nil, 1, nil
	case Bool:
		return ReadBool(b)
	case Uint:
		return ReadUint(b)
	case Int:
		return ReadInt(b)
	case Float:
		f, n, err := ReadFloat(b)
		return float32(f), n, err
	case Double:
		return ReadFloat(b)
	case Str:
		return ReadString(b)
	case Bin:
		v, n, err := ReadBin(b)
		return append([]byte(nil), v...), n, err
	case Array:
		cnt, pos, err := ReadArrayHeader(b)
		if err != nil {
			return nil, 0, err
		}
		arr := make([]any, 0, min(cnt, 1024))
		for i := uint32(0); i < cnt; i++ {
			v, n, err := decode(b[pos:])
			if err != nil {
				return nil, 0, err
			}
			arr = append(arr, v)
			pos += n
		}
		return arr, pos, nil
	case Map:
		cnt, pos, err := ReadMapHeader(b)
		if err != nil {
			return nil, 0, err
		}
		m := make(map[any]any, min(cnt, 1024))
		for i := uint32(0); i < cnt; i++ {
			k, n, err := decode(b[pos:])
			if err != nil {
				return nil, 0, err
			}
			pos += n
			v, n, err := decode(b[pos:])
			if err != nil {
				return nil, 0, err
			}
			pos += n
			switch k.(type) {
			case []any, map[any]any, []byte, ExtValue:
				k = fmt.Sprint(k) // unhashable keys become their text
			}
			m[k] = v
		}
		return m, pos, nil
	case Ext:
		t, d, n, err := ReadExt(b)
		return ExtValue{t, append([]byte(nil), d...)}, n, err
	}
	if len(b) == 0 {
		return nil, 0, ErrShort
	}
	return nil, 0, ErrInvalid
}

// Append encodes a Go value. It supports the types Decode returns plus
// every Go integer kind, []string, []uint64, []int, map[string]any and
// map[uint64]any. Map keys are written in sorted order so the output is
// deterministic.
func Append(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return AppendNil(b), nil
	case bool:
		return AppendBool(b, x), nil
	case int:
		return AppendInt(b, int64(x)), nil
	case int8:
		return AppendInt(b, int64(x)), nil
	case int16:
		return AppendInt(b, int64(x)), nil
	case int32:
		return AppendInt(b, int64(x)), nil
	case int64:
		return AppendInt(b, x), nil
	case uint:
		return AppendUint(b, uint64(x)), nil
	case uint8:
		return AppendUint(b, uint64(x)), nil
	case uint16:
		return AppendUint(b, uint64(x)), nil
	case uint32:
		return AppendUint(b, uint64(x)), nil
	case uint64:
		return AppendUint(b, x), nil
	case float32:
		return AppendFloat32(b, x), nil
	case float64:
		return AppendFloat64(b, x), nil
	case string:
		return AppendString(b, x), nil
	case []byte:
		return AppendBin(b, x), nil
	case ExtValue:
		return AppendExt(b, x.Type, x.Data), nil
	case Raw:
		return append(b, x...), nil
	case []any:
		b = AppendArrayHeader(b, uint32(len(x)))
		var err error
		for _, e := range x {
			if b, err = Append(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case []string:
		b = AppendArrayHeader(b, uint32(len(x)))
		for _, e := range x {
			b = AppendString(b, e)
		}
		return b, nil
	case []uint64:
		b = AppendArrayHeader(b, uint32(len(x)))
		for _, e := range x {
			b = AppendUint(b, e)
		}
		return b, nil
	case []int:
		b = AppendArrayHeader(b, uint32(len(x)))
		for _, e := range x {
			b = AppendInt(b, int64(e))
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = AppendMapHeader(b, uint32(len(x)))
		var err error
		for _, k := range keys {
			b = AppendString(b, k)
			if b, err = Append(b, x[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[uint64]any:
		keys := make([]uint64, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		b = AppendMapHeader(b, uint32(len(x)))
		var err error
		for _, k := range keys {
			b = AppendUint(b, k)
			if b, err = Append(b, x[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[any]any:
		keys := make([]any, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b = AppendMapHeader(b, uint32(len(x)))
		var err error
		for _, k := range keys {
			if b, err = Append(b, k); err != nil {
				return nil, err
			}
			if b, err = Append(b, x[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("msgpack: cannot encode %T", v)
}

// MustAppend is Append for values known to be encodable; it panics
// otherwise (a programming error, never input-driven).
func MustAppend(b []byte, v any) []byte {
	b, err := Append(b, v)
	if err != nil {
		panic(err)
	}
	return b
}

// Raw is an already encoded value that Append copies as it is.
type Raw []byte
