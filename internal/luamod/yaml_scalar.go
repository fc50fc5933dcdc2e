package luamod

import (
	"strings"
	"unicode/utf8"
)

// Scalars for the emitter in yaml_emit.go: libyaml 0.2.5's character
// classes (which work on UTF-8 bytes), its scalar analysis and the
// writers of plain, single-quoted, double-quoted and literal scalars.

// yamlCharWidth is libyaml's WIDTH: the length of the UTF-8 sequence a lead
// byte starts, 0 for a continuation or invalid byte.
func yamlCharWidth(b byte) int {
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

// yamlIsAlpha is libyaml's IS_ALPHA: ASCII letters, digits, '_' and '-'.
func yamlIsAlpha(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-'
}

func yamlByteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// yamlIsBreak is IS_BREAK: CR, LF, NEL (U+0085), LS (U+2028), PS (U+2029).
func yamlIsBreak(s string, i int) bool {
	b := yamlByteAt(s, i)
	return b == '\r' || b == '\n' ||
		(b == 0xC2 && yamlByteAt(s, i+1) == 0x85) ||
		(b == 0xE2 && yamlByteAt(s, i+1) == 0x80 && (yamlByteAt(s, i+2) == 0xA8 || yamlByteAt(s, i+2) == 0xA9))
}

func yamlIsSpace(s string, i int) bool { return yamlByteAt(s, i) == ' ' }

// yamlIsBlankz is IS_BLANKZ: space, tab, line break or end of string.
func yamlIsBlankz(s string, i int) bool {
	b := yamlByteAt(s, i)
	return b == ' ' || b == '\t' || b == 0 || yamlIsBreak(s, i)
}

// yamlIsPrintable is libyaml 0.2.5's IS_PRINTABLE, which judges by the
// lead bytes only: no 4-byte character is printable, so every character
// outside the Basic Multilingual Plane is escaped as \UXXXXXXXX.
func yamlIsPrintable(s string, i int) bool {
	b, b1, b2 := yamlByteAt(s, i), yamlByteAt(s, i+1), yamlByteAt(s, i+2)
	return b == 0x0A ||
		(b >= 0x20 && b <= 0x7E) ||
		(b == 0xC2 && b1 >= 0xA0) ||
		(b > 0xC2 && b < 0xED) ||
		(b == 0xED && b1 < 0xA0) ||
		b == 0xEE ||
		(b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)))
}

func yamlIsBOM(s string, i int) bool {
	return yamlByteAt(s, i) == 0xEF && yamlByteAt(s, i+1) == 0xBB && yamlByteAt(s, i+2) == 0xBF
}

// yamlAnalyzeScalar is yaml_emitter_analyze_scalar.
func yamlAnalyzeScalar(s string) yamlScalarAnalysis {
	if s == "" {
		return yamlScalarAnalysis{blockPlainOK: true, singleQuotedOK: true}
	}
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var prevSpace, prevBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	precededByWS := true
	width := func(i int) int {
		if w := yamlCharWidth(s[i]); w != 0 {
			return w
		}
		return 1
	}
	followedByWS := yamlIsBlankz(s, width(0))
	for i := 0; i < len(s); {
		c := s[i]
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowInd, blockInd = true, true
			case '?', ':':
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			case '-':
				if followedByWS {
					flowInd, blockInd = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowInd = true
			case ':':
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			case '#':
				if precededByWS {
					flowInd, blockInd = true, true
				}
			}
		}
		if !yamlIsPrintable(s, i) {
			special = true
		}
		if yamlIsBreak(s, i) {
			lineBreaks = true
		}
		w := width(i)
		switch {
		case yamlIsSpace(s, i):
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case yamlIsBreak(s, i):
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = yamlIsBlankz(s, i)
		i += w
		if i < len(s) {
			followedByWS = yamlIsBlankz(s, i+width(i))
		}
	}
	a := yamlScalarAnalysis{multiline: lineBreaks, flowPlainOK: true, blockPlainOK: true, singleQuotedOK: true, blockOK: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlainOK, a.blockPlainOK = false, false
	}
	if trailingSpace {
		a.blockOK = false
	}
	if breakSpace {
		a.flowPlainOK, a.blockPlainOK, a.singleQuotedOK = false, false, false
	}
	if spaceBreak || special {
		a.flowPlainOK, a.blockPlainOK, a.singleQuotedOK, a.blockOK = false, false, false, false
	}
	if lineBreaks {
		a.flowPlainOK, a.blockPlainOK = false, false
	}
	if flowInd {
		a.flowPlainOK = false
	}
	if blockInd {
		a.blockPlainOK = false
	}
	return a
}

// writePlain is yaml_emitter_write_plain_scalar.
func (e *yamlEmitter) writePlain(s string, allowBreaks bool) {
	// libyaml 0.2.5 writes no separating space before an empty value in
	// block context, so "- " never ends a line.
	if !e.whitespace && (len(s) > 0 || e.flowLevel > 0) {
		e.put(' ')
	}
	e.writeFoldable(s, allowBreaks, false)
	e.whitespace = false
	e.indention = false
}

// writeSingleQuoted is yaml_emitter_write_single_quoted_scalar.
func (e *yamlEmitter) writeSingleQuoted(s string, allowBreaks bool) {
	e.writeIndicator("'", true, false, false)
	if e.writeFoldable(s, allowBreaks, true) {
		e.writeIndent()
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

// writeFoldable is the loop plain and single-quoted scalars share: a
// single space past yamlWidth becomes a line break (in a quoted scalar
// never the first or last character), a run of line breaks is written
// with one extra "\n" before it, text after breaks starts at the
// indent, and quoted doubles "'". It reports whether s ended in breaks.
func (e *yamlEmitter) writeFoldable(s string, allowBreaks, quoted bool) (breaks bool) {
	spaces := false
	for i := 0; i < len(s); {
		switch {
		case yamlIsSpace(s, i):
			inner := !quoted || (i != 0 && i != len(s)-1)
			if allowBreaks && !spaces && e.column > yamlWidth && inner && !yamlIsSpace(s, i+1) {
				e.writeIndent()
				i++
			} else {
				i += e.write(s, i)
			}
			spaces = true
		case yamlIsBreak(s, i):
			if !breaks && s[i] == '\n' {
				e.putBreak()
			}
			i += e.writeBreak(s, i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if quoted && s[i] == '\'' {
				e.put('\'')
			}
			i += e.write(s, i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	return breaks
}

const yamlHexDigits = "0123456789ABCDEF"

// yamlEscapes are the short escapes of
// yaml_emitter_write_double_quoted_scalar; other characters that need
// escaping are written as \xXX, \uXXXX or \UXXXXXXXX.
var yamlEscapes = map[rune]byte{
	0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0A: 'n', 0x0B: 'v', 0x0C: 'f', 0x0D: 'r',
	0x1B: 'e', '"': '"', '\\': '\\', 0x85: 'N', 0xA0: '_', 0x2028: 'L', 0x2029: 'P',
}

// writeDoubleQuoted is yaml_emitter_write_double_quoted_scalar.
func (e *yamlEmitter) writeDoubleQuoted(s string, allowBreaks bool) {
	e.writeIndicator("\"", true, false, false)
	spaces := false
	for i := 0; i < len(s); {
		c := s[i]
		if !yamlIsPrintable(s, i) || yamlIsBOM(s, i) || yamlIsBreak(s, i) || c == '"' || c == '\\' {
			w := yamlCharWidth(c)
			if w == 0 || i+w > len(s) {
				w = 1
			}
			r := rune(c)
			if w > 1 {
				r, _ = utf8.DecodeRuneInString(s[i : i+w])
				if r == utf8.RuneError {
					r = rune(c)
					w = 1
				}
			}
			i += w
			e.put('\\')
			if esc, ok := yamlEscapes[r]; ok {
				e.put(esc)
			} else {
				digits := 2
				switch {
				case r <= 0xFF:
					e.put('x')
				case r <= 0xFFFF:
					e.put('u')
					digits = 4
				default:
					e.put('U')
					digits = 8
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					e.put(yamlHexDigits[(r>>uint(k))&0x0F])
				}
			}
			spaces = false
			continue
		}
		if yamlIsSpace(s, i) {
			if allowBreaks && !spaces && e.column > yamlWidth && i != 0 && i != len(s)-1 {
				e.writeIndent()
				if yamlIsSpace(s, i+1) {
					e.put('\\')
				}
				i++
			} else {
				i += e.write(s, i)
			}
			spaces = true
			continue
		}
		i += e.write(s, i)
		spaces = false
	}
	e.writeIndicator("\"", false, false, false)
	e.whitespace = false
	e.indention = false
}

// writeLiteral is yaml_emitter_write_literal_scalar with
// yaml_emitter_write_block_scalar_hints.
func (e *yamlEmitter) writeLiteral(s string) {
	e.writeIndicator("|", true, false, false)
	// An explicit indent when the text starts with a space or break, and
	// the chomping indicator from its trailing breaks.
	if yamlIsSpace(s, 0) || yamlIsBreak(s, 0) {
		e.writeIndicator(string(rune('0'+yamlIndent)), false, false, false)
	}
	chomp := ""
	if s == "" {
		chomp = "-"
	} else {
		last := yamlLastCharStart(s, len(s))
		switch {
		case !yamlIsBreak(s, last):
			chomp = "-"
		case last == 0:
			chomp = "+"
		default:
			if prev := yamlLastCharStart(s, last); yamlIsBreak(s, prev) {
				chomp = "+"
			}
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
	e.putBreak()
	e.indention = true
	e.whitespace = true
	breaks := true
	for i := 0; i < len(s); {
		if yamlIsBreak(s, i) {
			i += e.writeBreak(s, i)
			e.indention = true
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		i += e.write(s, i)
		e.indention = false
		breaks = false
	}
}

// yamlLastCharStart returns the start of the UTF-8 character that ends at end.
func yamlLastCharStart(s string, end int) int {
	i := end - 1
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}
