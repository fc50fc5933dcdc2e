package msgpack

import (
	"encoding/binary"
	"math"
)

// AppendNil appends nil.
func AppendNil(b []byte) []byte { return append(b, 0xc0) }

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendUint appends u in its smallest unsigned form.
func AppendUint(b []byte, u uint64) []byte {
	switch {
	case u <= 0x7f:
		return append(b, byte(u))
	case u <= math.MaxUint8:
		return append(b, 0xcc, byte(u))
	case u <= math.MaxUint16:
		return append(b, 0xcd, byte(u>>8), byte(u))
	case u <= math.MaxUint32:
		return AppendUint32(b, uint32(u))
	default:
		return AppendUint64(b, u)
	}
}

// AppendUint32 appends u always as 0xce + 4 bytes (IPROTO lengths).
func AppendUint32(b []byte, u uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0xce), u)
}

// AppendUint64 appends u always as 0xcf + 8 bytes (IPROTO sync).
func AppendUint64(b []byte, u uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xcf), u)
}

// AppendInt appends i: non-negative values as unsigned (as Tarantool does),
// negative ones in their smallest signed form.
func AppendInt(b []byte, i int64) []byte {
	if i >= 0 {
		return AppendUint(b, uint64(i))
	}
	switch {
	case i >= -32:
		return append(b, byte(int8(i)))
	case i >= math.MinInt8:
		return append(b, 0xd0, byte(int8(i)))
	case i >= math.MinInt16:
		return append(b, 0xd1, byte(uint16(i)>>8), byte(i))
	case i >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(i))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
	}
}

// AppendFloat64 appends a double (0xcb).
func AppendFloat64(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
}

// AppendFloat32 appends a float (0xca).
func AppendFloat32(b []byte, f float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(f))
}

// AppendStrHeader appends the header of a string of n bytes.
func AppendStrHeader(b []byte, n uint32) []byte {
	switch {
	case n <= 31:
		return append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xda, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0xdb), n)
	}
}

// AppendString appends a string.
func AppendString(b []byte, s string) []byte {
	return append(AppendStrHeader(b, uint32(len(s))), s...)
}

// AppendStringBytes appends s as a string.
func AppendStringBytes(b []byte, s []byte) []byte {
	return append(AppendStrHeader(b, uint32(len(s))), s...)
}

// AppendBin appends a binary value.
func AppendBin(b []byte, v []byte) []byte {
	n := uint32(len(v))
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xc5, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc6), n)
	}
	return append(b, v...)
}

// AppendArrayHeader appends the header of an array of n elements.
func AppendArrayHeader(b []byte, n uint32) []byte {
	switch {
	case n <= 15:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0xdd), n)
	}
}

// AppendArray32Header appends an array header always as 0xdd + 4 bytes, the
// form Tarantool uses for IPROTO_DATA so the count can be patched in place.
func AppendArray32Header(b []byte, n uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0xdd), n)
}

// PutArray32Header overwrites a 5-byte header written by AppendArray32Header.
func PutArray32Header(b []byte, n uint32) {
	b[0] = 0xdd
	binary.BigEndian.PutUint32(b[1:5], n)
}

// AppendMapHeader appends the header of a map of n pairs.
func AppendMapHeader(b []byte, n uint32) []byte {
	switch {
	case n <= 15:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0xdf), n)
	}
}

// AppendExt appends an extension value of type typ.
func AppendExt(b []byte, typ int8, data []byte) []byte {
	n := len(data)
	switch n {
	case 1:
		b = append(b, 0xd4, byte(typ))
	case 2:
		b = append(b, 0xd5, byte(typ))
	case 4:
		b = append(b, 0xd6, byte(typ))
	case 8:
		b = append(b, 0xd7, byte(typ))
	case 16:
		b = append(b, 0xd8, byte(typ))
	default:
		switch {
		case n <= math.MaxUint8:
			b = append(b, 0xc7, byte(n), byte(typ))
		case n <= math.MaxUint16:
			b = append(b, 0xc8, byte(n>>8), byte(n), byte(typ))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xc9), uint32(n))
			b = append(b, byte(typ))
		}
	}
	return append(b, data...)
}
