package memtx

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Value comparison follows Tarantool 2.6's tuple_compare.cc: values are
// compared straight from their msgpack bytes, integers and floating point
// numbers by exact value (never by converting an integer to a double), NaN
// sorts below every number (a quiet NaN above a signalling one), and scalar
// values order by class: nil < boolean < number < string < varbinary.
//
// Decimals (MP_DECIMAL) are numbers. A decimal compares with an integer
// exactly and with a double as 2.6 compares them: the double converted to
// a decimal through its 15 significant digits (decimal_from_double), so
// that decimal 0.1 equals double 0.1. Where 2.6 leaves the result
// undefined (it compares with an uninitialized decimal), infinities and
// NaN order as for doubles: NaN and -Inf below every decimal, +Inf above.
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
	case msgpack.Ext:
		if decimal.IsDecimal(v) {
			return classNumber
		}
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
	case FieldUnsigned, FieldInteger, FieldNumber, FieldDouble, FieldDecimal:
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
// integer, a float or a decimal.
type number struct {
	kind numKind
	u    uint64
	i    int64
	f    float64
	dec  *decimal.Decimal
}

type numKind uint8

const (
	numUint numKind = iota
	numNeg
	numFloat
	numDec
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
	case c >= 0xd4 && c <= 0xd8, c >= 0xc7 && c <= 0xc9:
		// An extension: a decimal, or (unvalidated bytes) nothing.
		if d, _, err := decimal.Decode(v); err == nil {
			return number{kind: numDec, dec: d}
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
	case x.kind == numDec || y.kind == numDec:
		return compareDecimalNum(x, y)
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

// numDecimal converts a number to a decimal as 2.6's comparator does
// (integers exactly, doubles through decimal_from_double). A double no
// decimal represents gives nil and its order against every decimal: -1
// for NaN and -Inf, 1 for +Inf.
func numDecimal(n number) (*decimal.Decimal, int) {
	switch n.kind {
	case numDec:
		return n.dec, 0
	case numUint:
		return decimal.FromUint64(n.u), 0
	case numNeg:
		return decimal.FromInt64(n.i), 0
	}
	if d, ok := decimal.FromFloat64(n.f); ok {
		return d, 0
	}
	if n.f > 0 {
		return nil, 1
	}
	return nil, -1
}

// compareDecimalNum compares two numbers at least one of which is a
// decimal (mp_compare_decimal_any_number).
func compareDecimalNum(x, y number) int {
	a, oa := numDecimal(x)
	b, ob := numDecimal(y)
	switch {
	case a == nil && b == nil:
		return compareFloats(x.f, y.f)
	case a == nil:
		return oa
	case b == nil:
		return -ob
	}
	return decimal.Compare(a, b)
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
