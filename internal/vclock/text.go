package vclock

import "fmt"

// ParseError reports text that is not a vclock. Offset is 1-based, as
// Tarantool's vclock_from_string reports it ("invalid vclock at offset N"
// in xlog meta errors).
type ParseError struct {
	Offset int
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid vclock at offset %d", e.Offset)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseDigits reads a run of decimal digits at s[p:] the way strtoll does
// after its first digit: it always consumes the whole run and reports
// overflow of int64 separately.
func parseDigits(s string, p int) (val int64, end int, overflow bool) {
	for end = p; end < len(s) && isDigit(s[end]); end++ {
		d := int64(s[end] - '0')
		if !overflow {
			if val > (1<<63-1-d)/10 {
				overflow = true
			} else {
				val = val*10 + d
			}
		}
	}
	return val, end, overflow
}

// Parse reads the text form "{id: lsn, ...}" written in .xlog/.snap meta
// headers. It accepts exactly what Tarantool's vclock_from_string accepts:
// blanks around tokens, ids < Max, non-negative LSNs, a repeated id only if
// its earlier value was 0, and trailing blanks. An LSN of 0 makes the
// component present with value 0, as in Tarantool.
func Parse(s string) (VClock, error) {
	var v VClock
	p := 0
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	fail := func() (VClock, error) { return VClock{}, &ParseError{Offset: p + 1} }

	for isBlank(at(p)) {
		p++
	}
	if at(p) != '{' {
		return fail()
	}
	p++
	for {
		// key: an id, or '}' for an empty clock.
		for isBlank(at(p)) {
			p++
		}
		if at(p) == '}' {
			p++
			break
		}
		if !isDigit(at(p)) {
			return fail()
		}
		id, end, overflow := parseDigits(s, p)
		p = end
		if overflow || id >= Max {
			return fail()
		}
		for isBlank(at(p)) {
			p++
		}
		if at(p) != ':' {
			return fail()
		}
		p++
		for isBlank(at(p)) {
			p++
		}
		if !isDigit(at(p)) {
			return fail()
		}
		lsn, end, overflow := parseDigits(s, p)
		p = end
		if overflow || v.Get(ReplicaID(id)) > 0 {
			return fail()
		}
		v.present |= 1 << id
		v.lsn[id] = lsn
		for isSpace(at(p)) {
			p++
		}
		if at(p) == '}' {
			p++
			break
		}
		if at(p) != ',' {
			return fail()
		}
		p++
	}
	for isBlank(at(p)) {
		p++
	}
	if p != len(s) {
		return fail()
	}
	var sum int64
	v.Each(func(_ ReplicaID, lsn LSN) { sum += int64(lsn) })
	v.signature = sum
	return v, nil
}
