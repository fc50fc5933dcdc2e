package tupleupdate

import (
	"unicode"
	"unicode/utf8"
)

// tokenType is the kind of a JSON path token.
type tokenType uint8

const (
	tokenNum tokenType = iota
	tokenStr
	tokenAny
	tokenEnd
)

// token is one JSON path step: [N] (num is 0-based), .key or ["key"], [*].
type token struct {
	typ tokenType
	num int32
	str []byte
}

func (t token) equal(u token) bool {
	if t.typ != u.typ {
		return false
	}
	switch t.typ {
	case tokenNum:
		return t.num == u.num
	case tokenStr:
		return string(t.str) == string(u.str)
	}
	return true
}

// lexer is Tarantool's json_lexer with index base 1: it splits a path
// such as [1].a["b"][2] into tokens and reports errors as the 1-based
// position, counted in UTF-8 symbols, where the path went wrong.
type lexer struct {
	src         []byte
	offset      int
	symbolCount int
}

func (l *lexer) eof() bool { return l.offset == len(l.src) }

// readSymbol reads one UTF-8 symbol; rc > 0 is an error position.
func (l *lexer) readSymbol() (r rune, rc int) {
	if l.eof() {
		return utf8.RuneError, l.symbolCount + 1
	}
	r, size := utf8.DecodeRune(l.src[l.offset:])
	if r == utf8.RuneError && size <= 1 {
		return r, l.symbolCount + 1
	}
	l.offset += size
	l.symbolCount++
	return r, 0
}

func (l *lexer) revertSymbol(offset int) {
	l.offset = offset
	l.symbolCount--
}

func (l *lexer) skipChar() {
	l.offset++
	l.symbolCount++
}

func (l *lexer) parseString(t *token, quote byte) int {
	l.skipChar()
	start := l.offset
	for {
		c, rc := l.readSymbol()
		if rc != 0 {
			return rc
		}
		if c == rune(quote) {
			n := l.offset - start - 1
			if n == 0 {
				return l.symbolCount
			}
			t.typ, t.str = tokenStr, l.src[start:start+n]
			return 0
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) parseInteger(t *token) int {
	pos := l.offset
	if !isDigit(l.src[pos]) {
		return l.symbolCount + 1
	}
	// C int arithmetic: wraps around on absurdly long numbers.
	var value int32
	n := 0
	for pos < len(l.src) && isDigit(l.src[pos]) {
		value = value*10 + int32(l.src[pos]-'0')
		n++
		pos++
	}
	if value < tupleIndexBase {
		return l.symbolCount + 1
	}
	l.offset += n
	l.symbolCount += n
	t.typ, t.num = tokenNum, value-tupleIndexBase
	return 0
}

func isIdentSymbol(c rune) bool {
	return unicode.IsLetter(c) || unicode.Is(unicode.Other_Alphabetic, c) ||
		unicode.Is(unicode.Nl, c) || c == '_' || unicode.IsDigit(c)
}

func (l *lexer) parseIdentifier(t *token) int {
	start := l.offset
	c, rc := l.readSymbol()
	if rc != 0 {
		return rc
	}
	if !unicode.IsLetter(c) && c != '_' {
		return l.symbolCount
	}
	last := l.offset
	for {
		c, rc := l.readSymbol()
		if rc != 0 {
			break
		}
		if !isIdentSymbol(c) {
			l.revertSymbol(last)
			break
		}
		last = l.offset
	}
	t.typ, t.str = tokenStr, l.src[start:l.offset]
	return 0
}

// next returns the next token; rc > 0 is a 1-based error position.
func (l *lexer) next() (t token, rc int) {
	if l.eof() {
		return token{typ: tokenEnd}, 0
	}
	last := l.offset
	c, rc := l.readSymbol()
	if rc != 0 {
		return t, rc
	}
	switch c {
	case '[':
		if l.eof() {
			return t, l.symbolCount
		}
		switch ch := l.src[l.offset]; ch {
		case '"', '\'':
			rc = l.parseString(&t, ch)
		case '*':
			l.skipChar()
			t.typ = tokenAny
		default:
			rc = l.parseInteger(&t)
		}
		if rc != 0 {
			return t, rc
		}
		if l.eof() || l.src[l.offset] != ']' {
			return t, l.symbolCount + 1
		}
		l.skipChar()
		return t, 0
	case '.':
		if l.eof() {
			return t, l.symbolCount + 1
		}
		rc = l.parseIdentifier(&t)
		return t, rc
	default:
		if last != 0 {
			return t, l.symbolCount
		}
		l.revertSymbol(last)
		rc = l.parseIdentifier(&t)
		return t, rc
	}
}
