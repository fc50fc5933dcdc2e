package luamod

import (
	"math"

	"github.com/spindledb/spindle/internal/lua"
)

// tonumber64(v [, base]) converts to a 64-bit integer as 2.6's
// lbox_tonumber64 does: numbers and numeric cdata come back as they are
// (base 10 only), strings are parsed by C's strtoull after Tarantool's
// own trimming of spaces, a sign, 0x/0b prefixes and LL/ULL suffixes.
// Results below 1e14 in magnitude are numbers, larger ones int64/uint64
// cdata; what does not parse is nil.
func tonumber64(L lua.State) int {
	L.CheckAny(1)
	base := -1
	if !L.IsNoneOrNil(2) {
		// luaL_optint: the number truncated to a C int.
		base = int(int32(int64(L.CheckNumber(2))))
	}
	if !(base >= 2 && base <= 36) && base != -1 {
		L.ArgError(2, "base out of range")
	}
	switch L.Type(1) {
	case lua.TypeNumber:
		if base != -1 && base != 10 {
			L.ArgError(1, "string expected")
		}
		L.SetTop(1)
		return 1
	case lua.TypeString:
		s, _ := L.ToString(1)
		if u, neg, ok := parseNumber64(s, base); ok {
			if neg {
				L.PushInt64(int64(-u))
			} else {
				L.PushUint64(u)
			}
			return 1
		}
	case lua.TypeCdata:
		if base != -1 && base != 10 {
			L.ArgError(1, "string expected")
		}
		if id := L.CdataType(1); id >= ctypeInt8 && id <= ctypeDouble {
			L.SetTop(1)
			return 1
		}
	}
	L.PushNil()
	return 1
}

// LuaJIT's ctype ids of the numeric types tonumber64 returns as they are:
// int8_t through double.
const (
	ctypeInt8   = 5
	ctypeDouble = 14
)

// cSpace is C's isspace in the C locale.
func cSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// parseNumber64 parses s as tonumber64 does. It returns the value's
// magnitude-as-bits and whether to push it as a signed (negative)
// integer; ok is false when tonumber64 returns nil.
func parseNumber64(s string, base int) (v uint64, signed, ok bool) {
	end := len(s)
	for end > 0 && cSpace(s[end-1]) {
		end--
	}
	if end == 0 {
		// Only spaces, or nothing: strtoull converts nothing.
		return 0, false, false
	}
	start := 0
	for cSpace(s[start]) {
		start++
	}
	arg := s[start:end]
	rest := s[start:] // strtoull reads past the trimmed end
	negative := false
	if len(arg) > 0 && arg[0] == '-' {
		negative = true
		arg, rest = arg[1:], rest[1:]
	}
	if len(arg) > 2 && arg[0] == '0' {
		switch {
		case (arg[1] == 'x' || arg[1] == 'X') && (base == 16 || base == -1):
			base = 16
			arg, rest = arg[2:], rest[2:]
		case (arg[1] == 'b' || arg[1] == 'B') && (base == 2 || base == -1):
			base = 2
			arg, rest = arg[2:], rest[2:]
		}
	}
	n := len(arg)
	unsigned := false
	if n > 2 && (base == 2 || base == 16 || base == -1) {
		// A trailing U, then LL, then U if none came before: a U
		// that is not followed (leftwards) by LL stays cut off
		// though it is not a suffix, as in Tarantool.
		if arg[n-1] == 'u' || arg[n-1] == 'U' {
			unsigned = true
			n--
		}
		if isL(arg[n-1]) && isL(arg[n-2]) {
			n -= 2
			if !unsigned && (arg[n-1] == 'u' || arg[n-1] == 'U') {
				unsigned = true
				n--
			}
		} else {
			unsigned = false
		}
	}
	if base == -1 {
		base = 10
	}
	u, used, overflow := strtoull(rest, base)
	if overflow || used != n {
		return 0, false, false
	}
	if n == 0 {
		return 0, false, false
	}
	if !negative {
		return u, false, true
	}
	if unsigned {
		return -u, false, true
	}
	if u != 0 && u-1 > math.MaxInt64 {
		return 0, false, false
	}
	return u, true, true
}

func isL(c byte) bool { return c == 'l' || c == 'L' }

// strtoull is glibc's strtoull(s, &end, base) for bases 2..36 on a
// NUL-free prefix of s: leading spaces, an optional sign, an optional
// 0x for base 16, then digits. used is the number of bytes consumed (0
// when nothing converts, except that a bare "0x" consumes the "0");
// overflow is ERANGE. A minus sign negates the result modulo 2^64.
func strtoull(s string, base int) (v uint64, used int, overflow bool) {
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		i += 2
	}
	digits := i
	for i < len(s) {
		d := digitValue(s[i])
		if d >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		v = v*uint64(base) + uint64(d)
		i++
	}
	if i == digits {
		if digits >= 2 && (s[digits-1] == 'x' || s[digits-1] == 'X') && s[digits-2] == '0' {
			return 0, digits - 1, false
		}
		return 0, 0, false
	}
	if overflow {
		return math.MaxUint64, i, true
	}
	if neg {
		v = -v
	}
	return v, i, false
}

// digitValue is the value of an alphanumeric digit (case-insensitive),
// 99 for other bytes.
func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}
