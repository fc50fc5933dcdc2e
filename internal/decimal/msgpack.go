package decimal

import (
	"encoding/binary"
	"errors"

	"github.com/spindledb/spindle/internal/msgpack"
)

// MPDecimal is the MessagePack extension type of decimals (MP_DECIMAL).
const MPDecimal int8 = 1

// LayoutDigits bounds the digits of a decoded decimal: the 39 digits
// decNumber's decimal_t (13 units of 3 digits) holds. 2.6 writes longer
// coefficients past the end of its buffer; they are rejected here.
const LayoutDigits = 39

// ErrInvalid reports MP_DECIMAL bytes 2.6 does not decode.
var ErrInvalid = errors.New("invalid MP_DECIMAL")

// The payload of an MP_DECIMAL (decimal_pack): the scale, minus the
// exponent, as a MessagePack integer (MP_UINT when the exponent is not
// positive, MP_INT otherwise), then the coefficient in packed BCD, most
// significant digit first, two digits a byte, ending with a sign nibble:
// 0xd for negative numbers, 0xc otherwise. An even number of digits
// starts with a zero nibble, so the BCD takes digits/2 + 1 bytes.

// PayloadLen is decimal_len: the size of d's MP_DECIMAL payload.
func (d *Decimal) PayloadLen() int {
	return len(d.AppendPayload(make([]byte, 0, 32)))
}

// AppendPayload is decimal_pack: d's MP_DECIMAL payload appended to b.
func (d *Decimal) AppendPayload(b []byte) []byte {
	if e := d.Exponent(); e > 0 {
		b = msgpack.AppendInt(b, int64(-e))
	} else {
		b = msgpack.AppendUint(b, uint64(-e))
	}
	digits := d.coeffDigits()
	sign := byte(0x0c)
	if d.a.Negative {
		sign = 0x0d
	}
	// Nibbles: an optional leading zero, the digits, the sign.
	i := 0
	if len(digits)%2 == 0 {
		b = append(b, digits[0]-'0')
		i = 1
	}
	for ; i+1 < len(digits); i += 2 {
		b = append(b, (digits[i]-'0')<<4|(digits[i+1]-'0'))
	}
	return append(b, (digits[i]-'0')<<4|sign)
}

// AppendMsgpack appends d as an MP_DECIMAL extension value
// (mp_encode_decimal).
func (d *Decimal) AppendMsgpack(b []byte) []byte {
	var buf [32]byte
	return msgpack.AppendExt(b, MPDecimal, d.AppendPayload(buf[:0]))
}

// Unpack is decimal_unpack of a whole payload: the value of an MP_DECIMAL
// whose extension data is p. It accepts exactly what 2.6 accepts:
//   - the scale is a MessagePack integer, read into a 32-bit int as
//     2.6 reads it (wider values wrap), and must lie in (-38, 38];
//   - the BCD is at least one byte, ends with a sign nibble (0xa..0xf;
//     0xb and 0xd are negative) and has no other nibble above 9; leading
//     zeros do not count as digits.
//
// The coefficient may have up to LayoutDigits digits, and the exponent
// needs no relation to the digits: 2.6 decodes values its arithmetic
// would not produce (an adjusted exponent above 37) and so does Unpack.
func Unpack(p []byte) (*Decimal, error) {
	if len(p) == 0 {
		return nil, ErrInvalid
	}
	var scale int32
	var n int
	switch msgpack.TypeOf(p) {
	case msgpack.Uint:
		u, m, err := msgpack.ReadUint(p)
		if err != nil {
			return nil, ErrInvalid
		}
		scale, n = int32(u), m
	case msgpack.Int:
		i, m, err := msgpack.ReadInt(p)
		if err != nil {
			return nil, ErrInvalid
		}
		scale, n = int32(i), m
	default:
		return nil, ErrInvalid
	}
	if scale > MaxDigits || scale <= -MaxDigits {
		return nil, ErrInvalid
	}
	bcd := p[n:]
	if len(bcd) == 0 {
		return nil, ErrInvalid
	}
	last := bcd[len(bcd)-1]
	neg := false
	switch last & 0x0f {
	case 0x0b, 0x0d:
		neg = true
	case 0x0a, 0x0c, 0x0e, 0x0f:
	default:
		return nil, ErrInvalid
	}
	digits := make([]byte, 0, 2*len(bcd))
	for i, c := range bcd {
		hi, lo := c>>4, c&0x0f
		if hi > 9 {
			return nil, ErrInvalid
		}
		if len(digits) > 0 || hi != 0 {
			digits = append(digits, '0'+hi)
		}
		if i == len(bcd)-1 {
			break
		}
		if lo > 9 {
			return nil, ErrInvalid
		}
		if len(digits) > 0 || lo != 0 {
			digits = append(digits, '0'+lo)
		}
	}
	if len(digits) > LayoutDigits {
		return nil, ErrInvalid
	}
	d := new(Decimal)
	d.a.Negative = neg
	d.a.Exponent = -scale
	if len(digits) > 0 {
		d.a.Coeff.SetString(string(digits), 10)
	}
	return d, nil
}

// Decode reads an MP_DECIMAL extension value at the start of b and returns
// it and its size (mp_decode_decimal). Other values, other extension
// types and payloads Unpack rejects are errors.
func Decode(b []byte) (*Decimal, int, error) {
	typ, data, n, err := msgpack.ReadExt(b)
	if err != nil {
		return nil, 0, err
	}
	if typ != MPDecimal {
		return nil, 0, ErrInvalid
	}
	d, err := Unpack(data)
	if err != nil {
		return nil, 0, err
	}
	return d, n, nil
}

// IsDecimal reports whether b starts with an MP_DECIMAL extension header
// (whatever its payload).
func IsDecimal(b []byte) bool {
	typ, _, _, err := msgpack.ReadExt(b)
	return err == nil && typ == MPDecimal
}

// The Lua cdata of a decimal is 2.6's decimal_t, decNumber's struct for 38
// digits as Tarantool declares it to the FFI:
//
//	typedef struct {
//		int32_t digits;    /* digits in the coefficient, >= 1 */
//		int32_t exponent;
//		uint8_t bits;      /* 0x80 negative, 0x70 special values */
//		uint16_t lsu[13];  /* coefficient, 3 digits a unit, least first */
//	} decimal_t;
//
// in host byte order (little-endian on the platforms Spindle runs on), 36
// bytes with a padding byte before lsu. Keeping 2.6's layout keeps the
// fields FFI code may read (d.digits, d.exponent) and the size.
const (
	LayoutSize  = 36
	layoutLSU   = 10
	layoutUnits = 13
	bitNeg      = 0x80
	bitSpecial  = 0x70
)

// PutLayout writes d as a decimal_t into p (every byte of it).
func (d *Decimal) PutLayout(p []byte) {
	_ = p[LayoutSize-1]
	clear(p[:LayoutSize])
	digits := d.coeffDigits()
	binary.LittleEndian.PutUint32(p[0:], uint32(len(digits)))
	binary.LittleEndian.PutUint32(p[4:], uint32(d.a.Exponent))
	if d.a.Negative {
		p[8] = bitNeg
	}
	// Units from the least significant digits up.
	for u, end := 0, len(digits); end > 0 && u < layoutUnits; u, end = u+1, end-3 {
		v := 0
		for _, c := range digits[max(end-3, 0):end] {
			v = v*10 + int(c-'0')
		}
		binary.LittleEndian.PutUint16(p[layoutLSU+2*u:], uint16(v))
	}
}

// layoutMaxExp bounds the exponent FromLayout takes: decimals are made
// with exponents in [-38, 37]; an exponent written by hand through the FFI
// may be anything, and a huge one would make a huge text form.
const layoutMaxExp = 1000

// FromLayout reads a decimal_t. ok is false for what no decimal operation
// of 2.6 produces and this package does not represent: infinities and
// NaNs, units above 999, a digit count outside [0, 39] (0 is taken as 1:
// it is what ffi.new('decimal_t') holds, and reads as zero) and an
// exponent beyond ±1000.
func FromLayout(p []byte) (*Decimal, bool) {
	_ = p[LayoutSize-1]
	digits := int32(binary.LittleEndian.Uint32(p[0:]))
	exp := int32(binary.LittleEndian.Uint32(p[4:]))
	bits := p[8]
	if bits&bitSpecial != 0 || digits < 0 || digits > LayoutDigits || exp < -layoutMaxExp || exp > layoutMaxExp {
		return nil, false
	}
	units := max((int(digits)+2)/3, 1)
	buf := make([]byte, 0, 3*units)
	for u := units - 1; u >= 0; u-- {
		v := binary.LittleEndian.Uint16(p[layoutLSU+2*u:])
		if v > 999 {
			return nil, false
		}
		buf = append(buf, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
	}
	d := new(Decimal)
	d.a.Negative = bits&bitNeg != 0
	d.a.Exponent = exp
	d.a.Coeff.SetString(string(buf), 10)
	return d, true
}
