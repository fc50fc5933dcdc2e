package tupleupdate

import (
	"math"
	"math/bits"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// arithType orders operand types as Tarantool does: the result of an
// arithmetic operation has the lowest type of its two operands.
type arithType uint8

const (
	arithDecimal arithType = iota // MP_DECIMAL
	arithDouble
	arithFloat
	arithInt
)

// arithVal is an arithmetic operand or result. Integers are kept in 128
// bits (Tarantool uses 96) so that the sum or difference of any two
// MessagePack integers is exact before the range check.
type arithVal struct {
	typ arithType
	hi  int64 // integer: two's complement high word
	lo  uint64
	dbl float64
	flt float32
	dec *decimal.Decimal
}

func intFromUint(u uint64) arithVal { return arithVal{typ: arithInt, lo: u} }
func intFromInt(i int64) arithVal {
	v := arithVal{typ: arithInt, lo: uint64(i)}
	if i < 0 {
		v.hi = -1
	}
	return v
}

func (v *arithVal) isUint64() bool   { return v.hi == 0 }
func (v *arithVal) isNegInt64() bool { return v.hi == -1 && v.lo >= 1<<63 }

func (v *arithVal) add(w arithVal) {
	var c uint64
	v.lo, c = bits.Add64(v.lo, w.lo, 0)
	v.hi = v.hi + w.hi + int64(c)
}

func (v *arithVal) negate() {
	var c uint64
	v.lo, c = bits.Add64(^v.lo, 1, 0)
	v.hi = ^v.hi + int64(c)
}

func (v arithVal) toDouble() float64 {
	switch v.typ {
	case arithDouble:
		return v.dbl
	case arithFloat:
		return float64(v.flt)
	}
	if v.isUint64() {
		return float64(v.lo)
	}
	return float64(int64(v.lo))
}

// readArith reads an arithmetic operand: the argument of + and - or the
// current value of the field they change.
func (o *op) readArith(b []byte) (arithVal, int, error) {
	switch msgpack.TypeOf(b) {
	case msgpack.Uint, msgpack.Int:
		u, i, neg, n, _ := msgpack.ReadInteger(b)
		if neg {
			return intFromInt(i), n, nil
		}
		return intFromUint(u), n, nil
	case msgpack.Double:
		f, n, _ := msgpack.ReadFloat(b)
		return arithVal{typ: arithDouble, dbl: f}, n, nil
	case msgpack.Float:
		f, n, _ := msgpack.ReadFloat(b)
		return arithVal{typ: arithFloat, flt: float32(f)}, n, nil
	case msgpack.Ext:
		// Only a decimal is a number. (2.6 takes whatever its decoder
		// leaves for bytes that are no decimal; they are rejected here.)
		if d, n, err := decimal.Decode(b); err == nil {
			return arithVal{typ: arithDecimal, dec: d}, n, nil
		}
	}
	return arithVal{}, 0, o.errArgType("a number")
}

// toDecimal converts an operand to a decimal as 2.6 does for an operation
// with a decimal: integers exactly, doubles through their 15 significant
// digits; infinities and NaN have none.
func (v arithVal) toDecimal() (*decimal.Decimal, bool) {
	switch v.typ {
	case arithDecimal:
		return v.dec, true
	case arithDouble:
		return decimal.FromFloat64(v.dbl)
	case arithFloat:
		return decimal.FromFloat64(float64(v.flt))
	}
	if v.isUint64() {
		return decimal.FromUint64(v.lo), true
	}
	return decimal.FromInt64(int64(v.lo)), true
}

// arithMake computes left <op> o.arith.
func (o *op) arithMake(left arithVal) (arithVal, error) {
	right := o.arith
	lowest := min(left.typ, right.typ)
	switch {
	case lowest == arithInt:
		if o.opcode == '-' {
			right.negate()
		}
		left.add(right)
		if !left.isUint64() && !left.isNegInt64() {
			return arithVal{}, o.errIntOverflow()
		}
		return left, nil
	case lowest >= arithDouble:
		a, b := left.toDouble(), right.toDouble()
		var c float64
		if o.opcode == '+' {
			c = a + b
		} else {
			c = a - b
		}
		// A result exactly representable as a float is stored
		// as one (unless the format says double).
		if c <= math.MaxFloat32 && c >= -math.MaxFloat32 {
			if fc := float32(c); float64(fc) == c {
				return arithVal{typ: arithFloat, flt: fc}, nil
			}
		}
		return arithVal{typ: arithDouble, dbl: c}, nil
	}
	// A decimal operand makes the result a decimal.
	a, ok1 := left.toDecimal()
	b, ok2 := right.toDecimal()
	if !ok1 || !ok2 {
		return arithVal{}, o.errArgType("a number convertible to decimal")
	}
	var c *decimal.Decimal
	var ok bool
	if o.opcode == '+' {
		c, ok = decimal.Add(a, b)
	} else {
		c, ok = decimal.Sub(a, b)
	}
	if !ok {
		return arithVal{}, o.errDecimalOverflow()
	}
	return arithVal{typ: arithDecimal, dec: c}, nil
}

func sizeofUint(u uint64) int {
	switch {
	case u <= 0x7f:
		return 1
	case u <= math.MaxUint8:
		return 2
	case u <= math.MaxUint16:
		return 3
	case u <= math.MaxUint32:
		return 5
	}
	return 9
}

func sizeofInt(i int64) int {
	switch {
	case i >= -32:
		return 1
	case i >= math.MinInt8:
		return 2
	case i >= math.MinInt16:
		return 3
	case i >= math.MinInt32:
		return 5
	}
	return 9
}

func sizeofStr(n int) int {
	switch {
	case n <= 31:
		return 1 + n
	case n <= math.MaxUint8:
		return 2 + n
	case n <= math.MaxUint16:
		return 3 + n
	}
	return 5 + n
}

func sizeofContainer(n uint32) int {
	switch {
	case n <= 15:
		return 1
	case n <= math.MaxUint16:
		return 3
	}
	return 5
}

// sizeof is an upper bound of the stored result (floats count as 9),
// exact for integers and decimals.
func (v *arithVal) sizeof() int {
	switch v.typ {
	case arithInt:
		if v.isUint64() {
			return sizeofUint(v.lo)
		}
		return sizeofInt(int64(v.lo))
	case arithDecimal:
		return len(v.dec.AppendMsgpack(nil))
	}
	return 9
}

func (v *arithVal) append(b []byte, asDouble bool) []byte {
	switch v.typ {
	case arithInt:
		if v.isUint64() {
			return msgpack.AppendUint(b, v.lo)
		}
		return msgpack.AppendInt(b, int64(v.lo))
	case arithDouble:
		return msgpack.AppendFloat64(b, v.dbl)
	case arithDecimal:
		return v.dec.AppendMsgpack(b)
	default:
		if asDouble {
			return msgpack.AppendFloat64(b, float64(v.flt))
		}
		return msgpack.AppendFloat32(b, v.flt)
	}
}

// doArith executes + or - on the field value old.
func (o *op) doArith(old []byte) error {
	left, _, err := o.readArith(old)
	if err != nil {
		return err
	}
	res, err := o.arithMake(left)
	if err != nil {
		return err
	}
	o.arith = res
	o.newFieldLen = res.sizeof()
	return nil
}

// doBit executes & | ^ on the field value old.
func (o *op) doBit(old []byte) error {
	if msgpack.TypeOf(old) != msgpack.Uint {
		return o.errArgType("a positive integer")
	}
	val, _, _ := msgpack.ReadUint(old)
	switch o.opcode {
	case '&':
		o.bit &= val
	case '^':
		o.bit ^= val
	default:
		o.bit |= val
	}
	o.newFieldLen = sizeofUint(o.bit)
	return nil
}

// spliceArg is the argument and, once executed, the plan of a splice:
// result = str[:offset] + paste + str[tailOffset:tailOffset+tailLength].
type spliceArg struct {
	offset     int32
	cutLength  int32
	paste      []byte
	tailOffset int32
	tailLength int32
}

// doSplice executes ':' on the field value old, clamping the offset and
// the cut length the way Tarantool does.
func (o *op) doSplice(old []byte) error {
	if msgpack.TypeOf(old) != msgpack.Str {
		return o.errArgType("a string")
	}
	str, _, _ := msgpack.ReadStr(old)
	strLen := int32(len(str))
	a := &o.splice
	if a.offset < 0 {
		if -int64(a.offset) > int64(strLen)+1 {
			return o.errSpliceBound()
		}
		a.offset += strLen + 1
	} else if a.offset > strLen {
		a.offset = strLen
	}
	if a.cutLength < 0 {
		if -int64(a.cutLength) > int64(strLen-a.offset) {
			a.cutLength = 0
		} else {
			a.cutLength += strLen - a.offset
		}
	} else if a.cutLength > strLen-a.offset {
		a.cutLength = strLen - a.offset
	}
	a.tailOffset = a.offset + a.cutLength
	a.tailLength = strLen - a.tailOffset
	o.newFieldLen = sizeofStr(int(a.offset) + len(a.paste) + int(a.tailLength))
	return nil
}

// doScalar executes a scalar operation (+ - & | ^ :) on old.
func (o *op) doScalar(old []byte) error {
	switch o.kind {
	case kindArith:
		return o.doArith(old)
	case kindBit:
		return o.doBit(old)
	default:
		return o.doSplice(old)
	}
}

// storeScalar appends the result of an executed scalar operation (or the
// value of '='); in is the old value of the field.
func (o *op) storeScalar(b []byte, in []byte, asDouble bool) []byte {
	switch o.kind {
	case kindArith:
		return o.arith.append(b, asDouble)
	case kindBit:
		return msgpack.AppendUint(b, o.bit)
	case kindSplice:
		str, _, _ := msgpack.ReadStr(in)
		a := &o.splice
		b = msgpack.AppendStrHeader(b, uint32(int(a.offset)+len(a.paste)+int(a.tailLength)))
		b = append(b, str[:a.offset]...)
		b = append(b, a.paste...)
		return append(b, str[a.tailOffset:a.tailOffset+a.tailLength]...)
	default:
		return append(b, o.value...)
	}
}
