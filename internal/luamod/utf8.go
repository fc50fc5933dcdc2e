package luamod

import (
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/spindledb/spindle/internal/lua"
)

func init() { addModule("utf8", 0, preloadUTF8) }

// preloadUTF8 installs the utf8 global (also require('utf8')): 2.6's
// src/lua/utf8.c, which walks UTF-8 with ICU's macros and maps case and
// compares with ICU. Here the walking reproduces ICU's rules for
// ill-formed input (u8Next, u8Fwd1, u8Back1), case mapping is x/text's
// full Unicode mapping of the root locale, and comparison its Unicode
// Collation Algorithm at the strengths Tarantool asks ICU for.
func preloadUTF8(L lua.State, _ *Options) {
	// Collators and casers keep state between calls; the module runs
	// under the Lua baton, so one of each serves all calls.
	cmp := collate.New(language.Und)
	casecmp := collate.New(language.Und, collate.Loose)
	upper, lower := cases.Upper(language.Und), cases.Lower(language.Und)
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"upper":   func(L lua.State) int { return utf8Case(L, "upper", upper) },
		"lower":   func(L lua.State) int { return utf8Case(L, "lower", lower) },
		"len":     utf8Len,
		"next":    utf8NextFn,
		"char":    utf8Char,
		"sub":     utf8Sub,
		"islower": utf8Checker("islower", func(r rune) bool { return unicode.Is(unicode.Ll, r) }),
		"isupper": utf8Checker("isupper", func(r rune) bool { return unicode.Is(unicode.Lu, r) }),
		"isdigit": utf8Checker("isdigit", func(r rune) bool { return unicode.Is(unicode.Nd, r) }),
		"isalpha": utf8Checker("isalpha", unicode.IsLetter),
		"cmp":     utf8Compare("Usage: utf8.cmp(<string1>, <string2>)", cmp),
		"casecmp": utf8Compare("Usage: utf8.casecmp(<string1>, <string2>)", casecmp),
	})
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(-3)
	L.RawSetField(-2, "utf8")
	L.Pop(2)
	L.SetGlobal("utf8")
}

// luaInt is luaL_checkinteger's value narrowed to a C int, as utf8.c
// stores it.
func luaInt(L lua.State, n int) int {
	return int(int32(int64(L.CheckNumber(n))))
}

func optLuaInt(L lua.State, n, def int) int {
	if L.IsNoneOrNil(n) {
		return def
	}
	return luaInt(L, n)
}

// Bit sets of the second bytes allowed after a three-byte lead (indexed
// by lead&0xf, bit t1>>5) and after a four-byte lead (indexed by t1>>4,
// bit lead&7): ICU's U8_LEAD3_T1_BITS and U8_LEAD4_T1_BITS, which rule
// out overlong forms, surrogates and code points past U+10FFFF.
const (
	lead3T1Bits = "\x20\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x10\x30\x30"
	lead4T1Bits = "\x00\x00\x00\x00\x00\x00\x00\x00\x1e\x0f\x0f\x0f\x00\x00\x00\x00"
)

func isTrail(b byte) bool { return b&0xc0 == 0x80 }

func validLead3T1(lead, t1 byte) bool { return lead3T1Bits[lead&0xf]&(1<<(t1>>5)) != 0 }

func validLead4T1(lead, t1 byte) bool { return lead4T1Bits[t1>>4]&(1<<(lead&7)) != 0 }

// u8Next decodes the code point at s[i] as ICU's U8_NEXT: it returns -1
// for an ill-formed sequence, and the index after what it consumed, which
// for ill-formed input is its longest well-formed prefix (at least one
// byte).
func u8Next(s []byte, i int) (rune, int) {
	c := rune(s[i])
	i++
	if c < 0x80 {
		return c, i
	}
	n := len(s)
	if i == n {
		return -1, i
	}
	switch {
	case c >= 0xf0:
		// U+10000..U+10FFFF: F0..F4, then three trail bytes.
		t1 := s[i]
		if c > 0xf4 || !validLead4T1(byte(c), t1) {
			return -1, i
		}
		c = (c&7)<<6 | rune(t1&0x3f)
		i++
		if i == n || !isTrail(s[i]) {
			return -1, i
		}
		c = c<<6 | rune(s[i]&0x3f)
		i++
	case c >= 0xe0:
		// U+0800..U+FFFF except surrogates.
		t1 := s[i]
		if !validLead3T1(byte(c), t1) {
			return -1, i
		}
		c = (c&0xf)<<6 | rune(t1&0x3f)
		i++
	case c >= 0xc2:
		c &= 0x1f
	default:
		return -1, i
	}
	if i == n || !isTrail(s[i]) {
		return -1, i
	}
	return c<<6 | rune(s[i]&0x3f), i + 1
}

// u8Fwd1 is ICU's U8_FWD_1: the index after the code point (or ill-formed
// sequence) at s[i].
func u8Fwd1(s []byte, i int) int {
	_, i = u8Next(s, i)
	return i
}

// u8Back1 is ICU's U8_BACK_1 (utf8_back1SafeBody): the start of the code
// point that ends right before s[i], not going below start; a trail byte
// that no valid lead precedes is a unit of its own.
func u8Back1(s []byte, start, i int) int {
	i--
	c := s[i]
	if !isTrail(c) || start >= i {
		return i
	}
	orig := i
	b1 := s[i-1]
	switch {
	case b1 >= 0xc2 && b1 <= 0xf4:
		if b1 < 0xe0 || (b1 < 0xf0 && validLead3T1(b1, c)) || (b1 >= 0xf0 && validLead4T1(b1, c)) {
			return i - 1
		}
	case isTrail(b1) && start < i-1:
		b2 := s[i-2]
		switch {
		case b2 >= 0xe0 && b2 <= 0xf4:
			if (b2 < 0xf0 && validLead3T1(b2, b1)) || (b2 >= 0xf0 && validLead4T1(b2, b1)) {
				return i - 2
			}
		case isTrail(b2) && start < i-2:
			if b3 := s[i-3]; b3 >= 0xf0 && b3 <= 0xf4 && validLead4T1(b3, b2) {
				return i - 3
			}
		}
	}
	return orig
}

// convertOffset turns a 1-based, possibly negative, byte offset into a
// positive one (utf8_convert_offset); 0 when it is before the string.
func convertOffset(offset, n int) int {
	if offset >= 0 {
		return offset
	}
	if -offset > n {
		return 0
	}
	return n + offset + 1
}

// utf8Len is utf8.len(s[, i[, j]]): the number of code points starting in
// bytes i..j (1 and -1 by default), or nil and the byte position after
// the first ill-formed sequence, or nil and "position is out of string".
func utf8Len(L lua.State) int {
	if L.GetTop() > 3 || !L.IsString(1) {
		L.Errorf("Usage: utf8.len(<string>, [i, [j]])")
	}
	s, _ := L.ToBytesView(1)
	n := len(s)
	start := convertOffset(optLuaInt(L, 2, 1), n)
	end := convertOffset(optLuaInt(L, 3, -1), n)
	if start < 1 {
		L.PushNil()
		L.PushString("position is out of string")
		return 2
	}
	start--
	if start > n || end > n {
		L.PushNil()
		L.PushString("position is out of string")
		return 2
	}
	count := 0
	for start < end {
		count++
		var c rune
		c, start = u8Next(s, start)
		if c < 0 {
			L.PushNil()
			L.PushInt(start)
			return 2
		}
	}
	L.PushInt(count)
	return 1
}

// utf8NextFn is utf8.next(s[, i]): the byte position after the code
// point at byte i (1 by default) and the code point, or nothing at the
// end or at an ill-formed sequence.
func utf8NextFn(L lua.State) int {
	if L.GetTop() > 2 || !L.IsString(1) {
		L.Errorf("Usage: utf8.next(<string>, [<byte offset>])")
	}
	s, _ := L.ToBytesView(1)
	pos := convertOffset(optLuaInt(L, 2, 1), len(s))
	if pos > 0 {
		pos--
	}
	if pos >= len(s) {
		return 0
	}
	c, next := u8Next(s, pos)
	if c < 0 {
		return 0
	}
	L.PushInt(next + 1)
	L.PushInt(int(c))
	return 2
}

// appendUnsafe is ICU's U8_APPEND_UNSAFE: the UTF-8 form of c with no
// checks, surrogates and values past U+10FFFF included (their high bits
// lost in the first byte).
func appendUnsafe(b []byte, c uint32) []byte {
	switch {
	case c <= 0x7f:
		return append(b, byte(c))
	case c <= 0x7ff:
		return append(b, byte(c>>6|0xc0), byte(c&0x3f|0x80))
	case c <= 0xffff:
		return append(b, byte(c>>12|0xe0), byte(c>>6&0x3f|0x80), byte(c&0x3f|0x80))
	}
	return append(b, byte(c>>18|0xf0), byte(c>>12&0x3f|0x80), byte(c>>6&0x3f|0x80), byte(c&0x3f|0x80))
}

// utf8Char is utf8.char(code, ...): the code points as one string.
func utf8Char(L lua.State) int {
	top := L.GetTop()
	if top < 1 {
		// Tarantool's message lacks the closing parenthesis.
		L.Errorf("Usage: utf8.char(<char code>")
	}
	var b []byte
	for i := 1; i <= top; i++ {
		b = appendUnsafe(b, uint32(int32(int64(L.CheckNumber(i)))))
	}
	L.PushBytes(b)
	return 1
}

// fwdN and backN are ICU's U8_FWD_N and U8_BACK_N: n code points
// forward (not past the end) or backward (not before start).
func fwdN(s []byte, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		i = u8Fwd1(s, i)
	}
	return i
}

func backN(s []byte, start, i, n int) int {
	for ; n > 0 && i > start; n-- {
		i = u8Back1(s, start, i)
	}
	return i
}

// utf8Sub is utf8.sub(s, i[, j]): the code points i..j (j -1 by default;
// negative positions count from the end), as utf8.c's utf8_sub bounds
// them.
func utf8Sub(L lua.State) int {
	if L.GetTop() < 2 || !L.IsString(1) {
		L.Errorf("Usage: utf8.sub(<string>, [i, [j]])")
	}
	startPos := luaInt(L, 2)
	if startPos > 0 {
		startPos--
	}
	endPos := optLuaInt(L, 3, -1)
	s, _ := L.ToBytesView(1)
	n := len(s)
	startOff, endOff := 0, n
	if startPos >= 0 {
		startOff = fwdN(s, 0, startPos)
		if endPos >= 0 {
			endOff = fwdN(s, startOff, endPos-startPos)
		} else {
			endOff = backN(s, 0, n, -(endPos + 1))
		}
	} else {
		var k int
		if endPos < 0 {
			endOff = backN(s, 0, n, -(endPos + 1))
			startOff = endOff
			k = endPos - startPos + 1
		} else {
			endOff = fwdN(s, 0, endPos)
			k = -startPos
			startOff = n
		}
		startOff = backN(s, 0, startOff, k)
	}
	if endOff < startOff {
		endOff = startOff
	}
	L.PushBytes(s[startOff:endOff])
	return 1
}

// utf8Case maps the case of the string argument: well-formed runs go
// through the caser whole (so context rules such as the final sigma
// apply), ill-formed sequences are copied unchanged, as ICU's
// ucasemap_utf8ToUpper/ToLower do.
func utf8Case(L lua.State, name string, caser cases.Caser) int {
	if L.GetTop() != 1 || !L.IsString(1) {
		L.Errorf("Usage: utf8.%s(<string>)", name)
	}
	s, _ := L.ToBytesView(1)
	out := make([]byte, 0, len(s))
	run := 0
	for i := 0; i < len(s); {
		c, next := u8Next(s, i)
		if c < 0 {
			out = append(out, caser.Bytes(s[run:i])...)
			out = append(out, s[i:next]...)
			run = next
		}
		i = next
	}
	out = append(out, caser.Bytes(s[run:])...)
	L.PushBytes(out)
	return 1
}

// utf8Checker makes utf8.islower and the like: true for a string that is
// exactly one well-formed code point with the property, or for a code
// point number with it.
func utf8Checker(name string, is func(rune) bool) lua.Function {
	return func(L lua.State) int {
		if L.GetTop() != 1 {
			L.Errorf("Usage: utf8.%s(<string> or <one symbol code>)", name)
		}
		result := false
		if L.Type(1) == lua.TypeString {
			s, _ := L.ToBytesView(1)
			if len(s) > 0 {
				c, next := u8Next(s, 0)
				result = c >= 0 && next == len(s) && is(c)
			}
		} else {
			result = is(rune(int32(int64(L.CheckNumber(1)))))
		}
		L.PushBool(result)
		return 1
	}
}

// utf8Compare makes utf8.cmp and utf8.casecmp: -1, 0 or 1 as the two
// strings collate.
func utf8Compare(usage string, c *collate.Collator) lua.Function {
	return func(L lua.State) int {
		if L.GetTop() != 2 || !L.IsString(1) || !L.IsString(2) {
			raise(L, usage)
		}
		a, _ := L.ToBytesView(1)
		b, _ := L.ToBytesView(2)
		L.PushInt(c.Compare(a, b))
		return 1
	}
}
