package luamod

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is a port of the parts of libyaml's emitter (emitter.c) that
// Tarantool's yaml.encode reaches: block and flow collections with indent
// 2, line width 80, and the scalar analysis that chooses plain, single-
// quoted, double-quoted or literal style. Output must match Tarantool
// byte for byte because the console prints results with it.

type scalarStyle int

const (
	styleAny scalarStyle = iota
	stylePlain
	styleSingle
	styleDouble
	styleLiteral
)

const yamlWidth = 80

type yamlWriter struct {
	buf        strings.Builder
	column     int
	whitespace bool
	indention  bool
}

func (w *yamlWriter) put(s string) {
	w.buf.WriteString(s)
	w.column += utf8.RuneCountInString(s)
}

func (w *yamlWriter) putBreak() {
	w.buf.WriteByte('\n')
	w.column = 0
}

// writeIndent is yaml_emitter_write_indent.
func (w *yamlWriter) writeIndent(indent int) {
	if indent < 0 {
		indent = 0
	}
	if !w.indention || w.column > indent || (w.column == indent && !w.whitespace) {
		w.putBreak()
	}
	for w.column < indent {
		w.put(" ")
	}
	w.whitespace = true
	w.indention = true
}

func (w *yamlWriter) indicator(s string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !w.whitespace {
		w.put(" ")
	}
	w.put(s)
	w.whitespace = isWhitespace
	w.indention = w.indention && isIndention
}

type scalarAnalysis struct {
	multiline                          bool
	flowPlain, blockPlain, singleQuote bool
	blockAllowed                       bool
}

func isYAMLPrintable(r rune) bool {
	return r == 0x0A || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

func isBreak(r rune) bool {
	return r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029
}

func isBlankZ(r rune) bool {
	return r == ' ' || r == '\t' || isBreak(r) || r == 0
}

// analyzeScalar is yaml_emitter_analyze_scalar.
func analyzeScalar(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{blockPlain: true, singleQuote: true}
	}
	rs := []rune(s)
	at := func(i int) rune {
		if i < len(rs) {
			return rs[i]
		}
		return 0
	}
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var prevSpace, prevBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	preceded := true
	followed := isBlankZ(at(1))
	for i, c := range rs {
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowInd, blockInd = true, true
			case '?', ':':
				flowInd = true
				if followed {
					blockInd = true
				}
			case '-':
				if followed {
					flowInd, blockInd = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowInd = true
			case ':':
				flowInd = true
				if followed {
					blockInd = true
				}
			case '#':
				if preceded {
					flowInd, blockInd = true, true
				}
			}
		}
		if !isYAMLPrintable(c) {
			special = true
		}
		if isBreak(c) {
			lineBreaks = true
		}
		last := i == len(rs)-1
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if last {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(c):
			if i == 0 {
				leadingBreak = true
			}
			if last {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevBreak, prevSpace = true, false
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isBlankZ(c)
		followed = isBlankZ(at(i + 2))
	}
	a := scalarAnalysis{multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuote: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.singleQuote = false, false, false
	}
	if spaceBreak || special {
		a.flowPlain, a.blockPlain, a.singleQuote, a.blockAllowed = false, false, false, false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowInd {
		a.flowPlain = false
	}
	if blockInd {
		a.blockPlain = false
	}
	return a
}

// selectStyle is yaml_emitter_select_scalar_style.
func selectStyle(s string, style scalarStyle, flow, simpleKey bool) scalarStyle {
	a := analyzeScalar(s)
	if style == styleAny {
		style = stylePlain
	}
	if style == stylePlain {
		if (flow && !a.flowPlain) || (!flow && !a.blockPlain) {
			style = styleSingle
		}
		if s == "" && (flow || simpleKey) {
			style = styleSingle
		}
	}
	if style == styleSingle && !a.singleQuote {
		style = styleDouble
	}
	if style == styleLiteral && (!a.blockAllowed || flow || simpleKey) {
		style = styleDouble
	}
	return style
}

// writeScalar writes s in style at indent (the scalar's own indent).
func (w *yamlWriter) writeScalar(s string, style scalarStyle, indent int, allowBreaks bool) {
	switch style {
	case stylePlain:
		w.writePlain(s, indent, allowBreaks)
	case styleSingle:
		w.writeSingle(s, indent, allowBreaks)
	case styleDouble:
		w.writeDouble(s, indent, allowBreaks)
	case styleLiteral:
		w.writeLiteral(s, indent)
	}
}

func (w *yamlWriter) writePlain(s string, indent int, allowBreaks bool) {
	if !w.whitespace && s != "" {
		w.put(" ")
	}
	rs := []rune(s)
	spaces, breaks := false, false
	for i, c := range rs {
		switch {
		case c == ' ':
			if allowBreaks && !spaces && w.column > yamlWidth && (i+1 >= len(rs) || rs[i+1] != ' ') {
				w.writeIndent(indent)
			} else {
				w.put(" ")
			}
			spaces = true
		case isBreak(c):
			if !breaks && c == '\n' {
				w.putBreak()
			}
			w.putBreak()
			w.indention = true
			breaks = true
		default:
			if breaks {
				w.writeIndent(indent)
			}
			w.put(string(c))
			w.indention = false
			spaces, breaks = false, false
		}
	}
	w.whitespace = false
	w.indention = false
}

func (w *yamlWriter) writeSingle(s string, indent int, allowBreaks bool) {
	w.indicator("'", true, false, false)
	rs := []rune(s)
	spaces, breaks := false, false
	for i, c := range rs {
		switch {
		case c == ' ':
			if allowBreaks && !spaces && w.column > yamlWidth && i != 0 && i != len(rs)-1 && rs[i+1] != ' ' {
				w.writeIndent(indent)
			} else {
				w.put(" ")
			}
			spaces = true
		case isBreak(c):
			if !breaks && c == '\n' {
				w.putBreak()
			}
			w.putBreak()
			w.indention = true
			breaks = true
		default:
			if breaks {
				w.writeIndent(indent)
			}
			if c == '\'' {
				w.put("'")
			}
			w.put(string(c))
			w.indention = false
			spaces, breaks = false, false
		}
	}
	if breaks {
		w.writeIndent(indent)
	}
	w.indicator("'", false, false, false)
	w.whitespace = false
	w.indention = false
}

func (w *yamlWriter) writeDouble(s string, indent int, allowBreaks bool) {
	w.indicator("\"", true, false, false)
	rs := []rune(s)
	spaces := false
	for i, c := range rs {
		if !isYAMLPrintable(c) || c == 0xFEFF || isBreak(c) || c == '"' || c == '\\' {
			var esc string
			switch c {
			case 0:
				esc = "0"
			case 7:
				esc = "a"
			case 8:
				esc = "b"
			case 9:
				esc = "t"
			case 0xA:
				esc = "n"
			case 0xB:
				esc = "v"
			case 0xC:
				esc = "f"
			case 0xD:
				esc = "r"
			case 0x1B:
				esc = "e"
			case '"':
				esc = "\""
			case '\\':
				esc = "\\"
			case 0x85:
				esc = "N"
			case 0xA0:
				esc = "_"
			case 0x2028:
				esc = "L"
			case 0x2029:
				esc = "P"
			default:
				switch {
				case c <= 0xFF:
					esc = fmt.Sprintf("x%02X", c)
				case c <= 0xFFFF:
					esc = fmt.Sprintf("u%04X", c)
				default:
					esc = fmt.Sprintf("U%08X", c)
				}
			}
			w.put("\\" + esc)
			spaces = false
			continue
		}
		if c == ' ' {
			if allowBreaks && !spaces && w.column > yamlWidth && i != 0 && i != len(rs)-1 {
				w.writeIndent(indent)
				if rs[i+1] == ' ' {
					w.put("\\")
				}
			} else {
				w.put(" ")
			}
			spaces = true
			continue
		}
		w.put(string(c))
		spaces = false
	}
	w.indicator("\"", false, false, false)
	w.whitespace = false
	w.indention = false
}

func (w *yamlWriter) writeLiteral(s string, indent int) {
	hints := ""
	if s != "" && (s[0] == ' ' || s[0] == '\n') {
		hints = strconv.Itoa(2) // best_indent
	}
	switch {
	case !strings.HasSuffix(s, "\n"):
		hints += "-"
	case s == "\n" || strings.HasSuffix(s, "\n\n"):
		hints += "+"
	}
	w.indicator("|"+hints, true, false, false)
	w.putBreak()
	w.indention, w.whitespace = true, true
	breaks := true
	for _, c := range s {
		if isBreak(c) {
			w.putBreak()
			breaks = true
			w.indention = true
			continue
		}
		if breaks {
			w.writeIndent(indent)
		}
		w.put(string(c))
		w.indention = false
		breaks = false
	}
}

// utf8CheckPrintable is Tarantool's utf8_check_printable: strings that
// fail it are emitted as !!binary.
func utf8CheckPrintable(s string) bool {
	b := []byte(s)
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		r, width := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && width <= 1 {
			return false
		}
		ok := (c == 0xC2 && b[i+1] >= 0xA0) || (c > 0xC2 && c < 0xED) ||
			(c == 0xED && b[i+1] < 0xA0) || c == 0xEE ||
			(c == 0xEF && !(b[i+1] == 0xBB && b[i+2] == 0xBF) &&
				!(b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF))) ||
			unicode.IsPrint(r)
		if !ok {
			return false
		}
		i += width
	}
	return true
}
