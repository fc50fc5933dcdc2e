package memtx

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/spindledb/spindle/internal/msgpack"
)

// Value comparison follows Tarantool 2.6's tuple_compare.cc: values are
// compared straight from their msgpack bytes, integers and floating point
// numbers by exact value (never by converting an integer to a double), NaN
// sorts below every number (a quiet NaN above a signalling one), and scalar
// values order by class: nil < boolean < number < string < varbinary.
//
// Every function here is total on arbitrary bytes: data that fails to decode
// compares as if it were nil, so a corrupted or unvalidated value can at
// worst mis-order, never panic.

// mpNil is the encoding of nil, used for absent fields.
var mpNil = []byte{0xc0}

// valueClass orders scalar values of different msgpack types.
type valueClass uint8

const (
	classNil valueClass = iota
	classBool
	classNumber
	classStr
	classBin
	classOther
)

func classOf(v []byte) valueClass {
	switch msgpack.TypeOf(v) {
	case msgpack.Nil, msgpack.Invalid:
		return classNil
	case msgpack.Bool:
		return classBool
	case msgpack.Uint, msgpack.Int, msgpack.Float, msgpack.Double:
		return classNumber
	case msgpack.Str:
		return classStr
	case msgpack.Bin:
		return classBin
	}
	return classOther
}

// compareValues compares two field values of an index part of type t.
// Missing fields are passed as nil or mpNil; nil sorts first whatever the
// type, which is how nullable parts order.
func compareValues(t FieldType, coll *collator, a, b []byte) int {
	ca, cb := classOf(a), classOf(b)
	switch {
	case ca == classNil && cb == classNil:
		return 0
	case ca == classNil:
		return -1
	case cb == classNil:
		return 1
	}
	switch t {
	case FieldUnsigned, FieldInteger, FieldNumber, FieldDouble:
		return compareNumbers(a, b)
	case FieldString:
		return compareStrings(coll, a, b)
	case FieldBoolean:
		return compareBools(a, b)
	case FieldVarbinary:
		x, _, _ := msgpack.ReadBin(a)
		y, _, _ := msgpack.ReadBin(b)
		return bytes.Compare(x, y)
	}
	// Scalar (and, defensively, anything else): class first.
	if ca != cb {
		return cmpInt(int(ca) - int(cb))
	}
	switch ca {
	case classBool:
		return compareBools(a, b)
	case classNumber:
		return compareNumbers(a, b)
	case classStr:
		return compareStrings(coll, a, b)
	case classBin:
		x, _, _ := msgpack.ReadBin(a)
		y, _, _ := msgpack.ReadBin(b)
		return bytes.Compare(x, y)
	}
	// Values Spindle does not index (arrays, maps, extensions): a
	// deterministic byte order keeps the tree consistent.
	return bytes.Compare(a, b)
}

func cmpInt(d int) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

func compareBools(a, b []byte) int {
	x, _, _ := msgpack.ReadBool(a)
	y, _, _ := msgpack.ReadBool(b)
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

func compareStrings(coll *collator, a, b []byte) int {
	x, _, _ := msgpack.ReadStr(a)
	y, _, _ := msgpack.ReadStr(b)
	if coll != nil {
		return coll.compare(x, y)
	}
	return bytes.Compare(x, y)
}

// number is a decoded msgpack number: an unsigned integer, a negative
// integer or a float.
type number struct {
	kind numKind
	u    uint64
	i    int64
	f    float64
}

type numKind uint8

const (
	numUint numKind = iota
	numNeg
	numFloat
)

func decodeNumber(v []byte) number {
	if len(v) == 0 {
		return number{}
	}
	switch c := v[0]; {
	case c <= 0x7f:
		return number{kind: numUint, u: uint64(c)}
	case c >= 0xe0:
		return number{kind: numNeg, i: int64(int8(c))}
	case c == 0xca:
		if len(v) >= 5 {
			return number{kind: numFloat, f: float64(math.Float32frombits(binary.BigEndian.Uint32(v[1:])))}
		}
		return number{}
	case c == 0xcb:
		if len(v) >= 9 {
			return number{kind: numFloat, f: math.Float64frombits(binary.BigEndian.Uint64(v[1:]))}
		}
		return number{}
	}
	u, i, neg, _, err := msgpack.ReadInteger(v)
	switch {
	case err != nil:
		return number{}
	case neg:
		return number{kind: numNeg, i: i}
	}
	return number{kind: numUint, u: u}
}

// compareNumbers compares two numeric msgpack values exactly.
func compareNumbers(a, b []byte) int {
	// Fast path: both unsigned integers, the common primary key case.
	if x, ok := fastUint(a); ok {
		if y, ok := fastUint(b); ok {
			return cmpUint(x, y)
		}
	}
	return compareNum(decodeNumber(a), decodeNumber(b))
}

// fastUint decodes an unsigned msgpack integer (fixint, 0xcc..0xcf).
func fastUint(v []byte) (uint64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	switch c := v[0]; {
	case c <= 0x7f:
		return uint64(c), true
	case c == 0xcc && len(v) >= 2:
		return uint64(v[1]), true
	case c == 0xcd && len(v) >= 3:
		return uint64(binary.BigEndian.Uint16(v[1:])), true
	case c == 0xce && len(v) >= 5:
		return uint64(binary.BigEndian.Uint32(v[1:])), true
	case c == 0xcf && len(v) >= 9:
		return binary.BigEndian.Uint64(v[1:]), true
	}
	return 0, false
}

func compareNum(x, y number) int {
	switch {
	case x.kind == numFloat && y.kind == numFloat:
		return compareFloats(x.f, y.f)
	case x.kind == numFloat:
		return compareFloatInt(x.f, y)
	case y.kind == numFloat:
		return -compareFloatInt(y.f, x)
	case x.kind == numUint && y.kind == numUint:
		return cmpUint(x.u, y.u)
	case x.kind == numNeg && y.kind == numNeg:
		return cmpInt64(x.i, y.i)
	case x.kind == numNeg:
		return -1
	}
	return 1
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const quietNaNBit = 1 << 51

// compareFloats orders doubles with NaN below every number and a quiet NaN
// above a signalling one, as Tarantool does.
func compareFloats(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case !an && !bn:
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case an && bn:
		return cmpUint(math.Float64bits(a)&quietNaNBit, math.Float64bits(b)&quietNaNBit)
	case an:
		return -1
	}
	return 1
}

const (
	two63 = 9223372036854775808.0  // 2^63
	two64 = 18446744073709551616.0 // 2^64
)

// compareFloatInt compares a double with an integer exactly: the double's
// integral part is compared as an integer, then its fraction breaks ties.
func compareFloatInt(f float64, n number) int {
	if math.IsNaN(f) {
		return -1
	}
	if n.kind == numUint {
		switch {
		case f < 0:
			return -1
		case f >= two64:
			return 1
		}
		t := math.Trunc(f)
		if c := cmpUint(uint64(t), n.u); c != 0 {
			return c
		}
		return fracSign(f - t)
	}
	switch {
	case f >= 0:
		return 1
	case f < -two63:
		return -1
	}
	t := math.Trunc(f)
	if c := cmpInt64(int64(t), n.i); c != 0 {
		return c
	}
	return fracSign(f - t)
}

func fracSign(d float64) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}
