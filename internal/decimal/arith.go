package decimal

import (
	"github.com/cockroachdb/apd/v3"
)

// This file holds the operations whose results apd does not give as
// decNumber gives them: division and square root, which decNumber
// reduces to an ideal exponent when they are exact and rounds from the
// exact value otherwise, powers, computed by decNumber's own algorithm,
// and the transcendental functions, which decNumber rounds correctly (or
// nearly so) and apd, at the same precision, sometimes does not.

var (
	bigTen = apd.NewBigInt(10)
	bigOne = apd.NewBigInt(1)
)

// pow10 returns 10^n (n >= 0).
func pow10(n int64) *apd.BigInt {
	var p apd.BigInt
	return p.Exp(bigTen, apd.NewBigInt(n), nil)
}

// reduce strips trailing zeros of d's coefficient while its exponent is
// below ideal: the exponent an exact result of a division or a square
// root takes in decNumber.
func reduce(d *apd.Decimal, ideal int32) {
	if d.Coeff.Sign() == 0 {
		return
	}
	var q, r apd.BigInt
	for d.Exponent < ideal {
		q.QuoRem(&d.Coeff, bigTen, &r)
		if r.Sign() != 0 {
			return
		}
		d.Coeff.Set(&q)
		d.Exponent++
	}
}

// numDigits is the number of decimal digits of a non-negative integer
// (1 for 0).
func numDigits(b *apd.BigInt) int64 {
	var d apd.Decimal
	d.Coeff.Set(b)
	return max(d.NumDigits(), 1)
}

// quo is decNumber's divide under c: the exact quotient rounded once
// (computed to more digits than c keeps, plus a sticky digit for a
// non-zero remainder), and, when exact, reduced to the ideal exponent
// x.Exponent - y.Exponent. A zero dividend gives a zero at that exponent,
// clamped; a zero divisor fails.
func quo(c *apd.Context, d, x, y *apd.Decimal) (apd.Condition, error) {
	neg := x.Negative != y.Negative
	ideal := int64(x.Exponent) - int64(y.Exponent)
	switch {
	case y.Coeff.Sign() == 0 && x.Coeff.Sign() == 0:
		return apd.DivisionUndefined | apd.InvalidOperation, nil
	case y.Coeff.Sign() == 0:
		return apd.DivisionByZero, nil
	case x.Coeff.Sign() == 0:
		var z apd.Decimal
		z.Negative = neg
		z.Exponent = int32(ideal)
		return c.Round(d, &z)
	}
	// Scale the dividend so that the integer quotient has at least two
	// digits more than the precision.
	k := max(int64(c.Precision)+2+numDigits(&y.Coeff)-numDigits(&x.Coeff), 0)
	var n, q, r apd.BigInt
	n.Mul(&x.Coeff, pow10(k))
	q.QuoRem(&n, &y.Coeff, &r)
	var t apd.Decimal
	t.Negative = neg
	t.Exponent = int32(ideal - k)
	exact := r.Sign() == 0
	if !exact {
		q.Mul(&q, bigTen)
		q.Add(&q, bigOne)
		t.Exponent--
	}
	t.Coeff.Set(&q)
	cond, err := c.Round(d, &t)
	if err != nil {
		return cond, err
	}
	if !exact {
		// The sticky digit stood for a remainder Round did not see.
		cond |= apd.Inexact | apd.Rounded
	} else if cond&apd.Inexact == 0 && d.Form == apd.Finite {
		reduce(d, int32(ideal))
	}
	return cond, nil
}

// Sqrt is decimal_sqrt; a negative operand fails. As decNumber's square
// root it is correctly rounded (half to even), and an exact root takes
// the ideal exponent floor(exponent/2) as far as its trailing zeros
// allow; the root of a zero is that zero at the ideal exponent.
func (d *Decimal) Sqrt() (*Decimal, bool) {
	x := &d.a
	ideal := x.Exponent >> 1 // floor, for negative exponents too
	r := new(Decimal)
	if x.Coeff.Sign() == 0 {
		var z apd.Decimal
		z.Negative = x.Negative
		z.Exponent = ideal
		cond, err := ctxEven.Round(&r.a, &z)
		return check(r, cond, err)
	}
	if x.Negative {
		return nil, false
	}
	// sqrt(c * 10^e) = sqrt(c * 10^(e-2q)) * 10^q: choose q so that the
	// integer under the root has at least 2*(38+3) digits.
	e := int64(x.Exponent)
	q := (e + numDigits(&x.Coeff) - 2*(MaxDigits+3))
	q = q >> 1
	var n, s, sq apd.BigInt
	n.Mul(&x.Coeff, pow10(e-2*q))
	s.Sqrt(&n)
	sq.Mul(&s, &s)
	exact := sq.Cmp(&n) == 0
	var t apd.Decimal
	t.Exponent = int32(q)
	if !exact {
		s.Mul(&s, bigTen)
		s.Add(&s, bigOne)
		t.Exponent--
	}
	t.Coeff.Set(&s)
	cond, err := ctxEven.Round(&r.a, &t)
	if err != nil {
		return nil, false
	}
	if !exact {
		cond |= apd.Inexact | apd.Rounded
	} else if cond&apd.Inexact == 0 {
		reduce(&r.a, ideal)
	}
	return check(r, cond, nil)
}

// wide is the context of intermediate transcendental results: more
// digits than any result keeps and apd's whole exponent range, so that
// only the final rounding (to ctx, ctxEven or Ln's context) rounds
// noticeably and underflows.
var wide = apd.Context{
	Precision:   MaxDigits + 24,
	MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent,
	Rounding:    apd.RoundHalfEven,
}

// final rounds the wide intermediate t to c: the result of an inexact
// operation.
func final(c *apd.Context, t *apd.Decimal) (*Decimal, bool) {
	r := new(Decimal)
	cond, err := c.Round(&r.a, t)
	return check(r, cond|apd.Inexact|apd.Rounded, err)
}

// expUnderflow is an exponent whose power of e, about 10^-435, is far
// below half the smallest subnormal, 10^-38/2: every power below it rounds
// to zero (and apd does not compute powers far below it).
var expUnderflow = apd.New(-1000, 0)

// Exp is decimal_exp (e^d, rounded half to even). As decNumber does, an
// operand of magnitude 10^8 or more overflows when positive and, when
// negative, gives the zero decNumber's underflowing power leaves: 0 with
// exponent -11 (its working precision of 11 digits over emin -1).
func (d *Decimal) Exp() (*Decimal, bool) {
	x := &d.a
	if x.Coeff.Sign() == 0 {
		return FromInt64(1), true
	}
	if int64(x.Exponent)+x.NumDigits() > 8 {
		if !x.Negative {
			return nil, false
		}
		r := new(Decimal)
		r.a.Exponent = -11
		return r, true
	}
	if x.Negative && x.Cmp(expUnderflow) < 0 {
		// Far below the smallest subnormal (and apd's range).
		r := new(Decimal)
		r.a.Exponent = etiny
		return r, true
	}
	var t apd.Decimal
	if _, err := wide.Exp(&t, x); err != nil {
		return nil, false
	}
	return final(&ctxEven, &t)
}

// isPow10 reports whether x is a positive power of ten (1, 10, 0.001,
// 100.00) and returns its base-10 logarithm.
func isPow10(x *apd.Decimal) (int64, bool) {
	if x.Negative || x.Coeff.Sign() == 0 {
		return 0, false
	}
	digits := x.Coeff.Append(nil, 10)
	if digits[0] != '1' {
		return 0, false
	}
	for _, c := range digits[1:] {
		if c != '0' {
			return 0, false
		}
	}
	return int64(x.Exponent) + int64(len(digits)) - 1, true
}

// Log10 is decimal_log10; zero and negative operands fail. The logarithm
// of a power of ten is that exact integer, as in decNumber; any other is
// rounded half to even in ctxLog10.
func (d *Decimal) Log10() (*Decimal, bool) {
	x := &d.a
	if x.Negative || x.Coeff.Sign() == 0 {
		return nil, false
	}
	if n, ok := isPow10(x); ok {
		return FromInt64(n), true
	}
	var t apd.Decimal
	if _, err := wide.Log10(&t, x); err != nil {
		return nil, false
	}
	return final(&ctxLog10, &t)
}

// ctxLog10 is the context of decNumberLog10's final division: 38 digits
// half to even and the wide exponent range of decNumber's mathematical
// functions, so that, unlike any other result, a logarithm close to zero
// keeps 38 digits below 10^-38 (log10(1 + 10^-37) has exponent -75).
var ctxLog10 = apd.Context{
	Precision:   MaxDigits,
	MaxExponent: 99999,
	MinExponent: -99999,
	Rounding:    apd.RoundHalfEven,
}

// ctxLn is the context decimal_ln computes in: emin lowered to -38 so that
// decNumber's ln can produce results near zero, such as ln(1 + 10^-37).
var ctxLn = func() apd.Context {
	c := ctxEven
	c.MinExponent = -MaxDigits
	return c
}()

// Ln is decimal_ln: the natural logarithm rounded (half to even) in
// ctxLn, then rounded to 37 digits after the point. ln(1) is exactly 0.
func (d *Decimal) Ln() (*Decimal, bool) {
	x := &d.a
	if x.Negative || x.Coeff.Sign() == 0 {
		return nil, false
	}
	if x.Exponent == 0 && x.Coeff.Cmp(bigOne) == 0 {
		return new(Decimal), true
	}
	var t apd.Decimal
	if _, err := wide.Ln(&t, x); err != nil {
		return nil, false
	}
	r, ok := final(&ctxLn, &t)
	if !ok {
		return nil, false
	}
	return r.Round(MaxDigits - 1), true
}

// Pow is decimal_pow, decNumber's power:
//   - 0 to a positive power is 0 (negative for an odd integer power of
//     -0), to a negative one infinite (a failure), 0^0 fails;
//   - an integer exponent of at most 9 digits is computed by repeated
//     squaring (of 1/a for a negative one) in a context of 38 digits plus
//     the exponent's integer digits plus 2, rounded half to even with
//     2.6's emin and emax, then rounded to 38 digits half up;
//   - any other exponent needs a positive base and gives e^(b*ln(a))
//     rounded half up (1 to such a power is 1 padded to 38 digits,
//     deemed inexact).
func Pow(a, b *Decimal) (*Decimal, bool) {
	x, y := &a.a, &b.a
	n, isInt, small := intExponent(y)
	neg := x.Negative && isInt && n&1 == 1
	if x.Coeff.Sign() == 0 {
		if y.Coeff.Sign() == 0 || y.Negative {
			return nil, false
		}
		r := new(Decimal)
		r.a.Negative = neg
		return r, true
	}
	if !small {
		if x.Negative {
			return nil, false
		}
		return powWide(x, y, isInt)
	}
	if n == 0 {
		return FromInt64(1), true
	}
	aset := apd.Context{
		Precision:   uint32(MaxDigits + int64(y.Exponent) + y.NumDigits() + 2),
		MaxExponent: ctx.MaxExponent,
		MinExponent: ctx.MinExponent,
		Rounding:    apd.RoundHalfEven,
	}
	var cond apd.Condition
	var base, acc apd.Decimal
	base.Set(x)
	acc.SetInt64(1)
	if n < 0 {
		c, err := quo(&aset, &base, &acc, x)
		if err != nil {
			return nil, false
		}
		cond |= c
		n = -n
	}
	// decNumber's loop: the bits of n below bit 31, from the top; the
	// accumulator squares once a set bit was seen.
	bits := uint32(n)
	seen := false
	for i := 1; ; i++ {
		if cond&(apd.Overflow|apd.Underflow) != 0 && (cond&apd.Overflow != 0 || acc.Coeff.Sign() == 0) {
			break
		}
		bits <<= 1
		if bits&(1<<31) != 0 {
			seen = true
			c, err := aset.Mul(&acc, &acc, &base)
			if err != nil {
				return nil, false
			}
			cond |= c
		}
		if i == 31 {
			break
		}
		if !seen {
			continue
		}
		c, err := aset.Mul(&acc, &acc, &acc)
		if err != nil {
			return nil, false
		}
		cond |= c
	}
	if acc.Form != apd.Finite {
		return nil, false
	}
	acc.Negative = neg
	r := new(Decimal)
	c, err := ctx.Round(&r.a, &acc)
	return check(r, cond|c, err)
}

// intExponent classifies a power's exponent as decGetInt does: whether it
// is an integer, and whether it has at most 9 digits (n is then its
// value); for a larger integer n keeps its parity only.
func intExponent(y *apd.Decimal) (n int64, isInt, small bool) {
	var yi Decimal
	yi.a.Set(y)
	if !yi.IsInt() {
		return 0, false, false
	}
	digits := yi.Trim().coeffDigits()
	exp := int64(yi.Trim().a.Exponent)
	if exp > 0 {
		// Trailing zeros: an even number unless the value is zero.
		if int64(len(digits))+exp > 9 {
			return 0, true, false
		}
		for ; exp > 0; exp-- {
			digits = append(digits, '0')
		}
	} else if exp < 0 {
		digits = digits[:int64(len(digits))+exp]
		if len(digits) == 0 {
			digits = []byte{'0'}
		}
	}
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) > 9 {
		return int64(digits[len(digits)-1]-'0') & 1, true, false
	}
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	if y.Negative {
		n = -n
	}
	return n, true, true
}

// powWide is the power of a positive base to an exponent that is not a
// small integer: e^(y*ln(x)) computed wide, rounded half up. A base of 1
// gives exactly 1 for an integer exponent and 1 padded to 38 digits
// otherwise; a product too far below zero for e^ to represent underflows
// to zero.
func powWide(x, y *apd.Decimal, isInt bool) (*Decimal, bool) {
	var l apd.Decimal
	if _, err := wide.Ln(&l, x); err != nil {
		return nil, false
	}
	if l.Coeff.Sign() == 0 {
		if isInt {
			return FromInt64(1), true
		}
		r := new(Decimal)
		r.a.Coeff.Set(pow10(MaxDigits - 1))
		r.a.Exponent = -(MaxDigits - 1)
		return r, true
	}
	if _, err := wide.Mul(&l, &l, y); err != nil {
		return nil, false
	}
	if l.Negative && l.Cmp(expUnderflow) < 0 {
		r := new(Decimal)
		r.a.Exponent = etiny
		return r, true
	}
	var t apd.Decimal
	if _, err := wide.Exp(&t, &l); err != nil {
		return nil, false
	}
	return final(&ctx, &t)
}
