package msgpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Type is the MessagePack type of a value, classified as Tarantool's msgpuck
// does: every non-negative integer is Uint, every negative one Int.
type Type uint8

// Value types.
const (
	Nil Type = iota
	Uint
	Int
	Str
	Bin
	Array
	Map
	Bool
	Float
	Double
	Ext
	Invalid
)

var typeNames = [...]string{"nil", "unsigned", "integer", "string", "varbinary", "array", "map", "boolean", "float", "double", "extension", "invalid"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// ErrShort reports input that ends inside a value.
var ErrShort = errors.New("msgpack: unexpected end of data")

// ErrInvalid reports the reserved byte 0xc1 or trailing bytes.
var ErrInvalid = errors.New("msgpack: invalid data")

// TypeError reports a value of an unexpected type.
type TypeError struct {
	Want string
	Got  Type
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("msgpack: expected %s, got %s", e.Want, e.Got)
}

// typeTable maps the first byte of a value to its type.
var typeTable [256]Type

func init() {
	for i := 0; i < 256; i++ {
		c := byte(i)
		var t Type
		switch {
		case c <= 0x7f:
			t = Uint
		case c <= 0x8f:
			t = Map
		case c <= 0x9f:
			t = Array
		case c <= 0xbf:
			t = Str
		case c == 0xc0:
			t = Nil
		case c == 0xc1:
			t = Invalid
		case c == 0xc2 || c == 0xc3:
			t = Bool
		case c >= 0xc4 && c <= 0xc6:
			t = Bin
		case c >= 0xc7 && c <= 0xc9:
			t = Ext
		case c == 0xca:
			t = Float
		case c == 0xcb:
			t = Double
		case c >= 0xcc && c <= 0xcf:
			t = Uint
		case c >= 0xd0 && c <= 0xd3:
			t = Int
		case c >= 0xd4 && c <= 0xd8:
			t = Ext
		case c >= 0xd9 && c <= 0xdb:
			t = Str
		case c == 0xdc || c == 0xdd:
			t = Array
		case c == 0xde || c == 0xdf:
			t = Map
		default:
			t = Int
		}
		typeTable[i] = t
	}
}

// TypeOf returns the type of the value at the start of b, Invalid if b is
// empty.
func TypeOf(b []byte) Type {
	if len(b) == 0 {
		return Invalid
	}
	return typeTable[b[0]]
}

// ReadNil reads nil.
func ReadNil(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrShort
	}
	if b[0] != 0xc0 {
		return 0, &TypeError{"nil", typeTable[b[0]]}
	}
	return 1, nil
}

// ReadBool reads a boolean.
func ReadBool(b []byte) (bool, int, error) {
	if len(b) == 0 {
		return false, 0, ErrShort
	}
	switch b[0] {
	case 0xc2:
		return false, 1, nil
	case 0xc3:
		return true, 1, nil
	}
	return false, 0, &TypeError{"boolean", typeTable[b[0]]}
}

// readInt reads any integer. neg reports a negative value held in i;
// otherwise the value is u.
func readInt(b []byte) (u uint64, i int64, neg bool, n int, err error) {
	if len(b) == 0 {
		return 0, 0, false, 0, ErrShort
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return uint64(c), 0, false, 1, nil
	case c >= 0xe0:
		return 0, int64(int8(c)), true, 1, nil
	}
	var size int
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2:
		size = 4
	case 0xcf, 0xd3:
		size = 8
	default:
		return 0, 0, false, 0, &TypeError{"integer", typeTable[c]}
	}
	if len(b) < 1+size {
		return 0, 0, false, 0, ErrShort
	}
	p := b[1 : 1+size]
	switch c {
	case 0xcc:
		u = uint64(p[0])
	case 0xcd:
		u = uint64(binary.BigEndian.Uint16(p))
	case 0xce:
		u = uint64(binary.BigEndian.Uint32(p))
	case 0xcf:
		u = binary.BigEndian.Uint64(p)
	case 0xd0:
		i = int64(int8(p[0]))
	case 0xd1:
		i = int64(int16(binary.BigEndian.Uint16(p)))
	case 0xd2:
		i = int64(int32(binary.BigEndian.Uint32(p)))
	case 0xd3:
		i = int64(binary.BigEndian.Uint64(p))
	}
	if c >= 0xd0 {
		if i >= 0 {
			return uint64(i), 0, false, 1 + size, nil
		}
		return 0, i, true, 1 + size, nil
	}
	return u, 0, false, 1 + size, nil
}

// ReadUint reads a non-negative integer (in any integer encoding).
func ReadUint(b []byte) (uint64, int, error) {
	u, _, neg, n, err := readInt(b)
	if err != nil {
		return 0, 0, err
	}
	if neg {
		return 0, 0, &TypeError{"unsigned", Int}
	}
	return u, n, nil
}

// ReadInt reads an integer that fits int64.
func ReadInt(b []byte) (int64, int, error) {
	u, i, neg, n, err := readInt(b)
	if err != nil {
		return 0, 0, err
	}
	if neg {
		return i, n, nil
	}
	if u > math.MaxInt64 {
		return 0, 0, &TypeError{"integer", Uint}
	}
	return int64(u), n, nil
}

// ReadInteger reads any integer: neg reports whether the value is the
// negative i, otherwise it is the unsigned u.
func ReadInteger(b []byte) (u uint64, i int64, neg bool, n int, err error) {
	return readInt(b)
}

// ReadFloat reads a float or a double.
func ReadFloat(b []byte) (float64, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	switch b[0] {
	case 0xca:
		if len(b) < 5 {
			return 0, 0, ErrShort
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b[1:]))), 5, nil
	case 0xcb:
		if len(b) < 9 {
			return 0, 0, ErrShort
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), 9, nil
	}
	return 0, 0, &TypeError{"double", typeTable[b[0]]}
}

// ReadNumber reads any integer, float or double as a float64.
func ReadNumber(b []byte) (float64, int, error) {
	switch TypeOf(b) {
	case Float, Double:
		return ReadFloat(b)
	case Uint, Int:
		u, i, neg, n, err := readInt(b)
		if neg {
			return float64(i), n, err
		}
		return float64(u), n, err
	}
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	return 0, 0, &TypeError{"number", typeTable[b[0]]}
}

// lenHeader decodes a length that follows a 1-byte tag in size bytes.
func lenHeader(b []byte, size int) (uint32, int, error) {
	if len(b) < 1+size {
		return 0, 0, ErrShort
	}
	switch size {
	case 1:
		return uint32(b[1]), 2, nil
	case 2:
		return uint32(binary.BigEndian.Uint16(b[1:])), 3, nil
	default:
		return binary.BigEndian.Uint32(b[1:]), 5, nil
	}
}

// ReadStrHeader reads the header of a string and returns its byte length.
func ReadStrHeader(b []byte) (uint32, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	c := b[0]
	switch {
	case c >= 0xa0 && c <= 0xbf:
		return uint32(c & 0x1f), 1, nil
	case c == 0xd9:
		return lenHeader(b, 1)
	case c == 0xda:
		return lenHeader(b, 2)
	case c == 0xdb:
		return lenHeader(b, 4)
	}
	return 0, 0, &TypeError{"string", typeTable[c]}
}

// ReadStr reads a string; the result aliases b.
func ReadStr(b []byte) ([]byte, int, error) {
	l, h, err := ReadStrHeader(b)
	if err != nil {
		return nil, 0, err
	}
	end := uint64(h) + uint64(l)
	if end > uint64(len(b)) {
		return nil, 0, ErrShort
	}
	return b[h:end], int(end), nil
}

// ReadString reads a string and copies it.
func ReadString(b []byte) (string, int, error) {
	s, n, err := ReadStr(b)
	return string(s), n, err
}

// ReadBin reads a binary value; the result aliases b.
func ReadBin(b []byte) ([]byte, int, error) {
	if len(b) == 0 {
		return nil, 0, ErrShort
	}
	var l uint32
	var h int
	var err error
	switch b[0] {
	case 0xc4:
		l, h, err = lenHeader(b, 1)
	case 0xc5:
		l, h, err = lenHeader(b, 2)
	case 0xc6:
		l, h, err = lenHeader(b, 4)
	default:
		return nil, 0, &TypeError{"varbinary", typeTable[b[0]]}
	}
	if err != nil {
		return nil, 0, err
	}
	end := uint64(h) + uint64(l)
	if end > uint64(len(b)) {
		return nil, 0, ErrShort
	}
	return b[h:end], int(end), nil
}

// ReadArrayHeader reads the header of an array.
func ReadArrayHeader(b []byte) (uint32, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	c := b[0]
	switch {
	case c >= 0x90 && c <= 0x9f:
		return uint32(c & 0x0f), 1, nil
	case c == 0xdc:
		return lenHeader(b, 2)
	case c == 0xdd:
		return lenHeader(b, 4)
	}
	return 0, 0, &TypeError{"array", typeTable[c]}
}

// ReadMapHeader reads the header of a map.
func ReadMapHeader(b []byte) (uint32, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	c := b[0]
	switch {
	case c >= 0x80 && c <= 0x8f:
		return uint32(c & 0x0f), 1, nil
	case c == 0xde:
		return lenHeader(b, 2)
	case c == 0xdf:
		return lenHeader(b, 4)
	}
	return 0, 0, &TypeError{"map", typeTable[c]}
}

// ReadExt reads an extension value; data aliases b.
func ReadExt(b []byte) (typ int8, data []byte, n int, err error) {
	if len(b) == 0 {
		return 0, nil, 0, ErrShort
	}
	var l uint32
	var h int
	switch b[0] {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		l, h = 1<<(b[0]-0xd4), 1
	case 0xc7:
		l, h, err = lenHeader(b, 1)
	case 0xc8:
		l, h, err = lenHeader(b, 2)
	case 0xc9:
		l, h, err = lenHeader(b, 4)
	default:
		return 0, nil, 0, &TypeError{"extension", typeTable[b[0]]}
	}
	if err != nil {
		return 0, nil, 0, err
	}
	end := uint64(h) + 1 + uint64(l)
	if end > uint64(len(b)) {
		return 0, nil, 0, ErrShort
	}
	return int8(b[h]), b[h+1 : end], int(end), nil
}

var extLenSize = [3]int{1, 2, 4}

// skipSize is, for each first byte, the whole size of a value whose size
// the byte alone gives (scalars, fixstr, fixext); 0 for the rest:
// containers, values with a length field, and 0xc1.
var skipSize = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			t[c] = 1
		case c >= 0xa0 && c <= 0xbf:
			t[c] = uint8(1 + c&0x1f)
		case c == 0xcc || c == 0xd0:
			t[c] = 2
		case c == 0xcd || c == 0xd1:
			t[c] = 3
		case c == 0xca || c == 0xce || c == 0xd2:
			t[c] = 5
		case c == 0xcb || c == 0xcf || c == 0xd3:
			t[c] = 9
		case c >= 0xd4 && c <= 0xd8:
			t[c] = uint8(2 + 1<<(c-0xd4))
		}
	}
	return t
}()

// Skip returns the size of the value at the start of b. It walks nested
// containers iteratively (no recursion, so nesting depth is free) and
// checks every length against b. Most values are sized by their first
// byte alone (skipSize); that path is one table load.
func Skip(b []byte) (int, error) {
	pos := 0
	pending := uint64(1) // values still to skip
	for pending > 0 {
		pending--
		if pos >= len(b) {
			return 0, ErrShort
		}
		c := b[pos]
		if sz := skipSize[c]; sz != 0 {
			pos += int(sz)
			continue
		}
		var size uint64 // bytes of payload after the header
		hdr := 1
		switch {
		case c <= 0x8f:
			pending += 2 * uint64(c&0x0f)
		case c <= 0x9f:
			pending += uint64(c & 0x0f)
		case c == 0xc1:
			return 0, ErrInvalid
		case c == 0xc4 || c == 0xd9:
			l, h, err := lenHeader(b[pos:], 1)
			if err != nil {
				return 0, err
			}
			size, hdr = uint64(l), h
		case c == 0xc5 || c == 0xda:
			l, h, err := lenHeader(b[pos:], 2)
			if err != nil {
				return 0, err
			}
			size, hdr = uint64(l), h
		case c == 0xc6 || c == 0xdb:
			l, h, err := lenHeader(b[pos:], 4)
			if err != nil {
				return 0, err
			}
			size, hdr = uint64(l), h
		case c == 0xc7 || c == 0xc8 || c == 0xc9:
			l, h, err := lenHeader(b[pos:], extLenSize[c-0xc7])
			if err != nil {
				return 0, err
			}
			size, hdr = uint64(l)+1, h
		case c == 0xdc || c == 0xde:
			l, h, err := lenHeader(b[pos:], 2)
			if err != nil {
				return 0, err
			}
			hdr = h
			pending += uint64(l) << (c & 2 >> 1)
		case c == 0xdd || c == 0xdf:
			l, h, err := lenHeader(b[pos:], 4)
			if err != nil {
				return 0, err
			}
			hdr = h
			pending += uint64(l) << (c & 2 >> 1)
		}
		end := uint64(pos) + uint64(hdr) + size
		if end > uint64(len(b)) {
			return 0, ErrShort
		}
		pos = int(end)
		// Every element needs at least one byte: a count larger than the
		// rest of the input is truncated data, found without looping.
		if pending > uint64(len(b)-pos) {
			return 0, ErrShort
		}
	}
	if pos > len(b) {
		// The last value sized by its first byte ran past the end.
		return 0, ErrShort
	}
	return pos, nil
}

// Validate checks that b holds exactly one well-formed value.
func Validate(b []byte) error {
	n, err := Skip(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		return ErrInvalid
	}
	return nil
}
