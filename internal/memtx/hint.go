package memtx

import (
	"encoding/binary"
	"math"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Comparison hints, after Tarantool 2.6's tuple_hint/key_hint: every TREE
// index entry carries a 64-bit summary of the tuple's first key part whose
// unsigned order agrees with the part's comparison order:
//
//	hint(a) < hint(b)  implies  compareValues(a, b) < 0
//	compareValues(a, b) == 0  implies  hint(a) == hint(b)
//
// so the B-tree compares two entries by hint and reads the tuples only when
// the hints are equal (or one of them is hintNone). A search key gets the
// hint of its first part once per search. Without hints every comparison
// dereferences the *Tuple and then its bytes: two cache misses per B-tree
// step; with them a step mostly touches only the node's own items.
//
// Layout (Spindle's own; hints are never persisted, so it may change; a
// cmp_def of one unsigned or integer part uses the exact layout further
// below instead):
//
//	[ class: 3 bits | value: 61 bits ]
//
// The class is the scalar order class (nil < boolean < number < string <
// varbinary), the same for every field type, so one layout serves typed and
// scalar parts and nil sorts first in nullable parts. The value:
//
//   - number: the integral part of the value (truncated towards zero),
//     clamped to [-2^60, 2^60-1] and biased by 2^60. Integers, negative
//     integers, floats and decimals share it, so 1, 1.0 and 1.5 all hint
//     2^60+1 and the exact comparison decides among them; NaN (below every
//     number) hints 0, the minimum. Truncation and clamping are monotone,
//     which is all the property needs — except that a decimal compares
//     with a double rounded to 15 digits, which can carry the double
//     across an integer (0.9999999999999999 equals decimal 1): a double
//     whose rounding would change its hint hints hintNone.
//   - boolean: 0 or 1.
//   - string (binary collation) and varbinary: the first 61 bits of the
//     bytes, zero-padded: a prefix of a lexicographic order is monotone.
//   - string under "unicode"/"unicode_ci": the first 61 bits of the
//     collation sort key, whose byte order is the collation order
//     (TestHintOrder checks this on random strings).
//   - nil (and absent or undecodable values, which compare as nil): 0.
//
// hintNone marks a value the hint cannot order: a value whose class the
// part's type does not compare by class (e.g. a string in an unsigned part,
// which only unvalidated bytes can produce) or an array/map/extension. Two
// entries fall back to the full comparison when either hint is hintNone,
// so the comparator is always exactly compareTuples; hints only skip work.
const (
	hintClassShift = 61
	hintValueBits  = 61
	hintValueMax   = 1<<hintValueBits - 1
	// hintNone has class 7, which no value uses.
	hintNone = ^uint64(0)

	// hintIntBias maps the clamped integral part [-2^60, 2^60-1] onto
	// [0, 2^61-1].
	hintIntBias = 1 << (hintValueBits - 1)
	// hintFloatMax is 2^60 as a double: no double lies in [2^60-1, 2^60),
	// so every double below it truncates to an integer below 2^60-1.
	hintFloatMax = float64(hintIntBias)
)

func makeHint(c valueClass, v uint64) uint64 {
	return uint64(c)<<hintClassShift | v
}

// uintHint hints an unsigned integer.
func uintHint(u uint64) uint64 {
	if u >= hintIntBias-1 {
		return makeHint(classNumber, hintValueMax)
	}
	return makeHint(classNumber, u+hintIntBias)
}

// negHint hints a negative integer.
func negHint(i int64) uint64 {
	if i <= -hintIntBias {
		return makeHint(classNumber, 0)
	}
	return makeHint(classNumber, uint64(i+hintIntBias))
}

// floatHint hints a double by its integral part; NaN hints the minimum.
// In a part that may hold decimals (number, scalar), a double whose
// 15-digit rounding (the value decimals compare it as) hints differently
// gets hintNone.
func floatHint(f float64, decimals bool) uint64 {
	h := truncFloatHint(f)
	if !decimals || floatHintDecimalSafe(f, h) {
		return h
	}
	return hintNone
}

// floatHintDecimalSafe reports whether the hint h of f is also the hint
// of f rounded to 15 digits (decimal_from_double), or f has no such
// rounding.
func floatHintDecimalSafe(f float64, h uint64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return true
	}
	// Below 10^15 an integer has at most 15 digits and is its own
	// rounding, and the rounding moves a double by at most 5e-15 of it:
	// only a fraction that close to 1 can carry.
	if a := math.Abs(f); a < 1e15 {
		if t := math.Trunc(a); a == t || 1-(a-t) > 1e-14*(a+1) {
			return true
		}
	}
	d, ok := decimal.FromFloat64(f)
	// A double beyond decimals' range is above or below all of them, as
	// its clamped hint is.
	return !ok || decimalHint(d) == h
}

// truncFloatHint hints a double by its integral part, clamped.
func truncFloatHint(f float64) uint64 {
	switch {
	case math.IsNaN(f), f <= -hintFloatMax:
		return makeHint(classNumber, 0)
	case f >= hintFloatMax:
		return makeHint(classNumber, hintValueMax)
	}
	return makeHint(classNumber, uint64(int64(f)+hintIntBias))
}

// decimalHint hints a decimal by its integral part, clamped.
func decimalHint(d *decimal.Decimal) uint64 {
	if i, ok := d.Int64(); ok {
		if i >= 0 {
			return uintHint(uint64(i))
		}
		return negHint(i)
	}
	if d.IsNegative() {
		return makeHint(classNumber, 0)
	}
	return makeHint(classNumber, hintValueMax)
}

// numberHint hints a number of a part that may (decimals) or may not hold
// decimals.
func numberHint(v []byte, decimals bool) uint64 {
	if u, ok := fastUint(v); ok {
		return uintHint(u)
	}
	switch n := decodeNumber(v); n.kind {
	case numNeg:
		return negHint(n.i)
	case numFloat:
		return floatHint(n.f, decimals)
	case numDec:
		return decimalHint(n.dec)
	default:
		return uintHint(n.u)
	}
}

// bytesHint takes the first 61 bits of b, zero-padded.
func bytesHint(c valueClass, b []byte) uint64 {
	var x uint64
	if len(b) >= 8 {
		x = binary.BigEndian.Uint64(b)
	} else {
		for i, ch := range b {
			x |= uint64(ch) << (56 - 8*i)
		}
	}
	return makeHint(c, x>>(64-hintValueBits))
}

func stringHint(coll *collator, v []byte) uint64 {
	// compareStrings compares whatever ReadStr returns, even on error;
	// the hint must summarize the same bytes.
	s, _, _ := msgpack.ReadStr(v)
	if coll != nil {
		s = coll.key(s)
	}
	return bytesHint(classStr, s)
}

func boolHint(v []byte) uint64 {
	b, _, _ := msgpack.ReadBool(v)
	if b {
		return makeHint(classBool, 1)
	}
	return makeHint(classBool, 0)
}

// valueHint is the hint of value v (nil or mpNil when absent) in a part of
// type t, mirroring compareValues case by case.
func valueHint(t FieldType, coll *collator, v []byte) uint64 {
	c := classOf(v)
	if c == classNil {
		return makeHint(classNil, 0)
	}
	switch t {
	case FieldNumber, FieldDecimal:
		if c == classNumber {
			return numberHint(v, true)
		}
		return hintNone
	case FieldUnsigned, FieldInteger, FieldDouble:
		// No decimal is valid there: one (in unvalidated bytes) would
		// compare with doubles the part's float hints ignore.
		if c == classNumber && !decimal.IsDecimal(v) {
			return numberHint(v, false)
		}
		return hintNone
	case FieldString:
		if c == classStr {
			return stringHint(coll, v)
		}
		return hintNone
	case FieldBoolean:
		if c == classBool {
			return boolHint(v)
		}
		return hintNone
	case FieldVarbinary:
		if c == classBin {
			b, _, _ := msgpack.ReadBin(v)
			return bytesHint(classBin, b)
		}
		return hintNone
	}
	// Scalar (and anything else, which compareValues treats as scalar).
	switch c {
	case classBool:
		return boolHint(v)
	case classNumber:
		return numberHint(v, true)
	case classStr:
		return stringHint(coll, v)
	case classBin:
		b, _, _ := msgpack.ReadBin(v)
		return bytesHint(classBin, b)
	}
	return hintNone
}

// Exact integer hints. A cmp_def of one unsigned or integer part
// (cmpDef.exact) hints its integers with room to spare: an integer i in
// (-2^59, 2^59-1) hints the even value 2*(i+2^59), which determines it, so
// two entries with that hint hold equal keys and the B-tree compares them
// without reading either tuple (exactHint) - for a lookup or a REPLACE
// that finds its key, the one comparison that would read a stored tuple,
// a cache miss. Integers beyond that range clamp to 0 and exactClampHigh
// and compare in full. The odd values between are the hints of search keys
// that must sort just before or just after an integer: the lower bound of
// an EQ, GE or LT seek (pivotLow) and the upper bound of a GT, LE or REQ
// seek (pivotHigh), which an equal hint would make the tree take for the
// integer itself. Nil hints as in valueHint; anything else (a float, which
// only unvalidated bytes can put in such a part or key) hints hintNone.
const (
	exactBias      = 1 << 59
	exactClampHigh = (1<<60 - 1) << 1
)

func exactUintHint(u uint64) uint64 {
	if u >= exactBias-1 {
		return makeHint(classNumber, exactClampHigh)
	}
	return makeHint(classNumber, (u+exactBias)<<1)
}

func exactNegHint(i int64) uint64 {
	if i <= -exactBias {
		return makeHint(classNumber, 0)
	}
	return makeHint(classNumber, uint64(i+exactBias)<<1)
}

// exactIntHint is the hint of a value of an exact cmp_def's part.
func exactIntHint(v []byte) uint64 {
	if u, ok := fastUint(v); ok {
		return exactUintHint(u)
	}
	switch classOf(v) {
	case classNil:
		return makeHint(classNil, 0)
	case classNumber:
		switch n := decodeNumber(v); n.kind {
		case numUint:
			return exactUintHint(n.u)
		case numNeg:
			return exactNegHint(n.i)
		}
	}
	return hintNone
}

// exactHint reports whether h, a hint of an exact cmp_def, determines
// its integer.
func exactHint(h uint64) bool {
	v := h & hintValueMax
	return h>>hintClassShift == uint64(classNumber) && v&1 == 0 && v != 0 && v != exactClampHigh
}

// tupleHint is the hint of a stored tuple's first cmp_def part.
func (cd *cmpDef) tupleHint(t *Tuple) uint64 {
	if t.pivot != notPivot {
		return cd.keyHint(t.data(), t.fieldCount(), t.pivot)
	}
	p := &cd.parts[0]
	if cd.exact {
		return exactIntHint(t.field(p.fieldNo))
	}
	return valueHint(p.typ, p.coll, t.field(p.fieldNo))
}

// keyHint is the hint of a search key's first part (the parts' bytes and
// count) as a pivot of the given kind; an empty key has no first part to
// summarize.
func (cd *cmpDef) keyHint(key []byte, count uint32, kind pivotKind) uint64 {
	if count == 0 {
		return hintNone
	}
	p := &cd.parts[0]
	if !cd.exact {
		return valueHint(p.typ, p.coll, key)
	}
	h := exactIntHint(key)
	if exactHint(h) {
		// The key is the whole cmp_def: a bound sorts next to it.
		switch kind {
		case pivotLow:
			h--
		case pivotHigh:
			h++
		}
	}
	return h
}
