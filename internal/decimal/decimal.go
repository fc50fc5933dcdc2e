// Package decimal is Tarantool 2.6's decimal number (src/lib/core/decimal.c
// over decNumber): a finite decimal floating point value of at most 38
// significant digits whose arithmetic, conversions, text form and
// MessagePack encoding (MP_EXT type 1, MP_DECIMAL) give the results 2.6
// gives. The arithmetic is github.com/cockroachdb/apd, which implements the
// same General Decimal Arithmetic specification as decNumber, under the
// context 2.6 uses for every operation:
//
//   - precision 38 digits, rounding ROUND_HALF_UP;
//   - emax 37 (a result of 10^38 or more overflows), emin -1 with
//     subnormal results allowed, so the smallest exponent (Etiny) is -38:
//     results are rounded to at most 38 digits after the decimal point;
//   - a result fails when the operation raises any condition but Inexact,
//     Rounded, Underflow, Subnormal and Clamped, or is not finite (2.6's
//     decimal_check_status).
//
// Invariants: a *Decimal is always finite (never NaN or infinite); values
// built by this package have at most MaxDigits digits and an exponent in
// [-MaxDigits, MaxDigits); values decoded from MessagePack or from the Lua
// cdata layout may have up to LayoutDigits digits and any exponent 2.6
// accepts there, and every operation takes them as operands. Operations
// never modify their operands and return fresh values; a failed operation
// returns ok == false and no value.
package decimal

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// MaxDigits is the precision of 2.6's decimals (DECIMAL_MAX_DIGITS).
const MaxDigits = 38

// Decimal is a finite decimal number: sign, coefficient and exponent.
// The zero value is 0. Copies made by assignment share the coefficient's
// storage; use Set, or the operations, which return fresh values.
type Decimal struct {
	a apd.Decimal
}

// ctx is 2.6's decimal_context.
var ctx = apd.Context{
	Precision:   MaxDigits,
	MaxExponent: MaxDigits - 1,
	MinExponent: -1,
	Rounding:    apd.RoundHalfUp,
}

// etiny is the smallest exponent of a result under ctx.
const etiny = -1 - (MaxDigits - 1)

// ignored are the conditions decimal_check_status clears: warnings of
// rounding and of subnormal results.
const ignored = apd.Inexact | apd.Rounded | apd.Underflow | apd.Subnormal | apd.Clamped

// check is decimal_check_status: d is the result of an operation that
// raised cond (and err, for conditions apd reports as errors).
func check(d *Decimal, cond apd.Condition, err error) (*Decimal, bool) {
	if err != nil || cond&^ignored != 0 || d.a.Form != apd.Finite {
		return nil, false
	}
	return d, true
}

// Set makes d a copy of x and returns d.
func (d *Decimal) Set(x *Decimal) *Decimal {
	d.a.Set(&x.a)
	return d
}

// FromInt64 is decimal_from_int64 (exact).
func FromInt64(i int64) *Decimal {
	d := new(Decimal)
	d.a.SetInt64(i)
	return d
}

// FromUint64 is decimal_from_uint64 (exact).
func FromUint64(u uint64) *Decimal {
	d := new(Decimal)
	d.a.Coeff.SetUint64(u)
	return d
}

// Parse is decimal_from_string: decNumber's numeric string syntax (an
// optional sign, digits with at most one '.', an optional exponent of
// 'e' or 'E', an optional sign and digits), nothing before or after it.
// The C string ends at its first NUL byte. The value is rounded to the
// context: more than 38 digits round, tiny values round to a subnormal or
// zero, and an adjusted exponent above 37 fails. Infinities and NaNs,
// which decNumber parses, fail as 2.6's finite check makes them fail.
func Parse(s string) (*Decimal, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// Coefficient: digits and at most one point, at least one digit.
	var coeff []byte
	frac, seenPoint, ndigits := 0, false, 0
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if seenPoint {
				return nil, false
			}
			seenPoint = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		ndigits++
		if seenPoint {
			frac++
		}
		if len(coeff) > 0 || c != '0' {
			coeff = append(coeff, c)
		}
	}
	if ndigits == 0 {
		return nil, false
	}
	// Exponent: saturated far beyond any value that can survive the
	// context, so that its size never wraps.
	const expLimit = 1 << 40
	var exp int64
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return nil, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return nil, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return nil, false
			}
			if exp < expLimit {
				exp = exp*10 + int64(c-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	return fromDigits(neg, coeff, exp-int64(frac))
}

// fromDigits makes a decimal of the given sign, coefficient digits
// (without leading zeros; empty for zero) and exponent, rounded to the
// context as decNumber rounds a number it reads.
func fromDigits(neg bool, coeff []byte, exp int64) (*Decimal, bool) {
	d := new(Decimal)
	d.a.Negative = neg
	if len(coeff) == 0 {
		// Zero: its exponent clamps to [Etiny, emax].
		d.a.Exponent = int32(max(min(exp, MaxDigits-1), etiny))
		return d, true
	}
	adj := exp + int64(len(coeff)) - 1
	switch {
	case adj > MaxDigits-1:
		return nil, false
	case adj < etiny-1:
		// Far below half of the smallest subnormal: rounds to zero.
		d.a.Exponent = etiny
		return d, true
	}
	// The rest fits apd's exponent range; apd rounds it.
	if _, ok := d.a.Coeff.SetString(string(coeff), 10); !ok {
		return nil, false
	}
	d.a.Exponent = int32(exp)
	cond, err := ctx.Round(&d.a, &d.a)
	return check(d, cond, err)
}

// FromFloat64 is decimal_from_double: the double printed with "%.15g"
// (DBL_DIG significant digits, so 0.1 becomes 0.1 and not its binary
// expansion), read back as a decimal. Infinities and NaN fail.
func FromFloat64(f float64) (*Decimal, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	// %.15g: 15 significant digits, correctly rounded (glibc prints
	// exact conversions, as strconv does), then trailing zeros dropped;
	// scientific form when the decimal exponent X is below -4 or at
	// least 15, with the coefficient's digits after its point.
	s := strconv.FormatFloat(f, 'e', 14, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	e := strings.IndexByte(s, 'e')
	x, _ := strconv.Atoi(s[e+1:])
	digits := []byte(s[:1] + s[2:e])
	// The value is digits * 10^(x-14).
	exp := int64(x - 14)
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if x >= -4 && x < 15 && exp > 0 {
		// Fixed notation prints the integer's zeros: they are
		// coefficient digits of exponent 0, not an exponent.
		for ; exp > 0; exp-- {
			digits = append(digits, '0')
		}
	}
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	return fromDigits(neg, digits, exp)
}

// IsNegative reports whether d's sign is negative (-0 included).
func (d *Decimal) IsNegative() bool { return d.a.Negative }

// IsZero reports whether d is zero, of either sign.
func (d *Decimal) IsZero() bool { return d.a.Coeff.Sign() == 0 }

// Exponent is d's exponent: d = coefficient * 10^Exponent.
func (d *Decimal) Exponent() int { return int(d.a.Exponent) }

// Digits is the number of digits of d's coefficient (1 for zero).
func (d *Decimal) Digits() int {
	if d.IsZero() {
		return 1
	}
	return int(d.a.NumDigits())
}

// coeffDigits returns the decimal digits of the coefficient, most
// significant first ("0" for zero).
func (d *Decimal) coeffDigits() []byte {
	return d.a.Coeff.Append(nil, 10)
}

// Precision is decimal_precision: the number of digits d's text form
// shows, the integer part's and the fraction's.
func (d *Decimal) Precision() int {
	e, n := d.Exponent(), d.Digits()
	if e <= 0 {
		return max(n, -e)
	}
	return n + e
}

// Scale is decimal_scale: the number of digits after the point.
func (d *Decimal) Scale() int {
	if e := d.Exponent(); e < 0 {
		return -e
	}
	return 0
}

// String is decimal_to_string: decNumber's to-string as Tarantool builds
// it, without exponential notation: the coefficient's digits with the
// point placed by the exponent, zeros appended for a positive exponent,
// "0." and zeros prepended for a value below one.
func (d *Decimal) String() string {
	return string(d.Append(nil))
}

// Append appends d's text form (String) to b.
func (d *Decimal) Append(b []byte) []byte {
	if d.a.Negative {
		b = append(b, '-')
	}
	digits := d.coeffDigits()
	exp := d.Exponent()
	switch {
	case exp >= 0:
		b = append(b, digits...)
		for ; exp > 0; exp-- {
			b = append(b, '0')
		}
	case len(digits)+exp > 0:
		pre := len(digits) + exp
		b = append(b, digits[:pre]...)
		b = append(b, '.')
		b = append(b, digits[pre:]...)
	default:
		b = append(b, '0', '.')
		for pre := len(digits) + exp; pre < 0; pre++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	}
	return b
}

// Compare is decimal_compare: -1, 0 or 1 as a is less than, equal to or
// greater than b by value (1.0 equals 1, -0 equals 0).
func Compare(a, b *Decimal) int { return a.a.Cmp(&b.a) }

// Add is decimal_add.
func Add(a, b *Decimal) (*Decimal, bool) {
	d := new(Decimal)
	cond, err := ctx.Add(&d.a, &a.a, &b.a)
	return check(d, cond, err)
}

// Sub is decimal_sub.
func Sub(a, b *Decimal) (*Decimal, bool) {
	d := new(Decimal)
	cond, err := ctx.Sub(&d.a, &a.a, &b.a)
	return check(d, cond, err)
}

// Mul is decimal_mul.
func Mul(a, b *Decimal) (*Decimal, bool) {
	d := new(Decimal)
	cond, err := ctx.Mul(&d.a, &a.a, &b.a)
	return check(d, cond, err)
}

// Div is decimal_div; division by zero fails.
func Div(a, b *Decimal) (*Decimal, bool) {
	d := new(Decimal)
	cond, err := quo(&ctx, &d.a, &a.a, &b.a)
	return check(d, cond, err)
}

// Rem is decimal_remainder: a - b*n with n the quotient truncated
// towards zero (the sign of a); a zero divisor fails, and so does a
// quotient of more than 38 digits.
func Rem(a, b *Decimal) (*Decimal, bool) {
	d := new(Decimal)
	cond, err := ctx.Rem(&d.a, &a.a, &b.a)
	return check(d, cond, err)
}

// Minus is decimal_minus, decNumber's 0 - d (with the zero at d's
// exponent): the sign flips, but the negation of a zero is +0.
func (d *Decimal) Minus() *Decimal {
	z := new(Decimal)
	z.a.Exponent = d.a.Exponent
	r := new(Decimal)
	// Subtracting from a zero at d's exponent is exact for every d this
	// package holds (at most 39 digits round to 38, which Inexact and
	// Rounded allow); the conditions cannot fail it.
	_, _ = ctx.Sub(&r.a, &z.a, &d.a)
	return r
}

// Abs is decimal_abs, decNumber's 0 + d or 0 - d: a zero result is +0.
func (d *Decimal) Abs() *Decimal {
	if d.a.Negative {
		return d.Minus()
	}
	z := new(Decimal)
	z.a.Exponent = d.a.Exponent
	r := new(Decimal)
	_, _ = ctx.Add(&r.a, &z.a, &d.a)
	return r
}

// ctxEven is ctx with the rounding decNumber's exp, ln, log10 and square
// root use whatever the context says: ROUND_HALF_EVEN.
var ctxEven = func() apd.Context {
	c := ctx
	c.Rounding = apd.RoundHalfEven
	return c
}()

// roundScale is decimal_round_with_mode: d rounded to scale digits after
// the point by decNumberPlus under a context of just enough precision
// (the integer digits plus scale, at least 1) whose emin, -1 or 0 for
// scale 0, makes a value below one subnormal so that its exponent stays
// at least -scale. A scale outside [0, 38] fails; a scale not below d's
// returns d unchanged.
func (d *Decimal) roundScale(scale int, mode apd.Rounder) (*Decimal, bool) {
	if scale < 0 || scale > MaxDigits {
		return nil, false
	}
	if scale >= d.Scale() {
		return new(Decimal).Set(d), true
	}
	ndig := max(d.Precision()-d.Scale()+scale, 1)
	c := apd.Context{
		Precision:   uint32(ndig),
		MaxExponent: int32(ndig),
		MinExponent: -1,
		Rounding:    mode,
	}
	if scale == 0 {
		c.MinExponent = 0
	}
	// decNumberPlus is 0 + d with the zero at d's exponent.
	z := new(Decimal)
	z.a.Exponent = d.a.Exponent
	r := new(Decimal)
	// The context has room for the rounded value, so it cannot fail.
	_, _ = c.Add(&r.a, &z.a, &d.a)
	return r, true
}

// Round is decimal_round, half away from zero; a scale the rounding
// cannot use (outside [0, 38]) leaves the value as it is, as Lua's
// decimal.round does.
func (d *Decimal) Round(scale int) *Decimal {
	if r, ok := d.roundScale(scale, apd.RoundHalfUp); ok {
		return r
	}
	return new(Decimal).Set(d)
}

// Floor is decimal_floor, Round towards zero.
func (d *Decimal) Floor(scale int) *Decimal {
	if r, ok := d.roundScale(scale, apd.RoundDown); ok {
		return r
	}
	return new(Decimal).Set(d)
}

// Trim is decimal_trim (decNumber's trim): the coefficient's trailing
// zeros are removed, those of a fraction until the exponent reaches 0 and,
// when the exponent is already positive, all of them (they are not
// written digits there); a zero keeps its sign and gets exponent 0.
func (d *Decimal) Trim() *Decimal {
	r := new(Decimal).Set(d)
	if r.IsZero() {
		r.a.Exponent = 0
		return r
	}
	digits := r.coeffDigits()
	n := 0
	for n < len(digits)-1 && digits[len(digits)-1-n] == '0' && (r.a.Exponent > 0 || int(r.a.Exponent)+n < 0) {
		n++
	}
	if n > 0 {
		r.a.Coeff.SetString(string(digits[:len(digits)-n]), 10)
		r.a.Exponent += int32(n)
	}
	return r
}

// Rescale is decimal_rescale: d with exactly scale digits after the
// point, rounding (half away from zero) when that drops digits and
// appending zeros otherwise. A negative scale, or zeros that would make
// the value longer than 38 digits, leave the value as it is.
func (d *Decimal) Rescale(scale int) *Decimal {
	if scale < 0 {
		return new(Decimal).Set(d)
	}
	if scale <= d.Scale() {
		return d.Round(scale)
	}
	delta := scale + d.Exponent()
	if scale > MaxDigits || d.Digits()+delta > MaxDigits {
		return new(Decimal).Set(d)
	}
	r := new(Decimal).Set(d)
	var p apd.BigInt
	p.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(delta)), nil)
	r.a.Coeff.Mul(&r.a.Coeff, &p)
	r.a.Exponent = int32(-scale)
	return r
}

// IsInt is decimal_is_int: d has no non-zero digit after the point.
func (d *Decimal) IsInt() bool {
	if d.a.Exponent >= 0 || d.IsZero() {
		return true
	}
	digits := d.coeffDigits()
	for i := 0; i < -int(d.a.Exponent); i++ {
		if i >= len(digits) {
			return true
		}
		if digits[len(digits)-1-i] != '0' {
			return false
		}
	}
	return true
}

// Int64 is decimal_to_int64: d truncated towards zero; ok is false when
// that does not fit an int64.
func (d *Decimal) Int64() (int64, bool) {
	t := d.Floor(0)
	if t.a.Exponent > 0 {
		if t.a.Exponent > 19 {
			if t.IsZero() {
				return 0, true
			}
			return 0, false
		}
		var p apd.BigInt
		p.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(t.a.Exponent)), nil)
		t.a.Coeff.Mul(&t.a.Coeff, &p)
		t.a.Exponent = 0
	}
	if !t.a.Coeff.IsUint64() {
		return 0, false
	}
	u := t.a.Coeff.Uint64()
	if t.a.Negative {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// Float64 is d's nearest double (for display and conversions; 2.6's
// comparisons never convert a decimal to a double).
func (d *Decimal) Float64() float64 {
	// The text is always valid syntax; out of range, ParseFloat
	// returns the infinity of the sign, as it should.
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}
