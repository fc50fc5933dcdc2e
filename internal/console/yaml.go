package console

import (
	"strings"
	"unicode/utf8"
)

// This file is a YAML emitter that reproduces, byte for byte, what
// libyaml 0.2.5 (the library the Debian tarantool 2.6.0 package links)
// writes for the events Tarantool's lua-yaml dumper sends it: indent 2,
// width 80, unicode output, explicit "---" and "..." markers. It works on
// a small node tree instead of an event stream; every rule below names
// the libyaml behaviour it reproduces.

// nodeKind is the kind of a YAML node.
type nodeKind uint8

const (
	scalarNode nodeKind = iota
	sequenceNode
	mappingNode
	aliasNode
)

// scalarStyle is the style the dumper requests; the emitter may still
// change it (libyaml's select_scalar_style).
type scalarStyle uint8

const (
	styleAny scalarStyle = iota
	stylePlain
	styleSingle
	styleDouble
	styleLiteral
)

// yamlNode is one node of the document. For mappings, children holds
// key, value, key, value...
type yamlNode struct {
	kind     nodeKind
	flow     bool // collection requested in flow style (__serialize "seq"/"map")
	anchor   string
	value    string      // scalar text, or the alias name
	style    scalarStyle // scalar only
	binary   bool        // scalar carries the !!binary tag
	children []*yamlNode
}

const (
	bestIndent = 2
	bestWidth  = 80
	// maxSimpleKey is libyaml's limit on the length of an implicit key.
	maxSimpleKey = 128
)

// scalarAnalysis is libyaml's scalar_data.
type scalarAnalysis struct {
	multiline       bool
	flowPlainOK     bool
	blockPlainOK    bool
	singleQuotedOK  bool
	blockOK         bool
	effectiveStyle  scalarStyle
	tagHandle       string
	tagSuffix       string
	simpleKeyLength int
}

type emitter struct {
	buf        []byte
	indent     int
	indents    []int
	flowLevel  int
	column     int
	whitespace bool
	indention  bool
	openEnded  int

	rootCtx, seqCtx, mapCtx, simpleKeyCtx bool
}

// emitDocument writes one explicit document ("---" ... "...") holding root.
func emitDocument(root *yamlNode) string {
	e := &emitter{indent: -1, whitespace: true, indention: true}
	e.writeIndent()
	e.writeIndicator("---", true, false, false)
	e.emitNode(root, true, false, false, false)
	e.writeIndent()
	e.writeIndicator("...", true, false, false)
	e.openEnded = 0
	e.writeIndent()
	return string(e.buf)
}

func (e *emitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = bestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		e.indent += bestIndent
	}
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *emitter) put(b byte) {
	e.buf = append(e.buf, b)
	e.column++
}

func (e *emitter) putBreak() {
	e.buf = append(e.buf, '\n')
	e.column = 0
}

// write copies one UTF-8 character of s at i and returns its width; the
// column advances by one per character, as in libyaml.
func (e *emitter) write(s string, i int) int {
	w := charWidth(s[i])
	if w == 0 || i+w > len(s) {
		w = 1
	}
	e.buf = append(e.buf, s[i:i+w]...)
	e.column++
	return w
}

// writeBreak copies a line break character (libyaml WRITE_BREAK).
func (e *emitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return 1
	}
	w := charWidth(s[i])
	e.buf = append(e.buf, s[i:i+w]...)
	e.column = 0
	return w
}

func (e *emitter) writeIndent() {
	indent := e.indent
	if indent < 0 {
		indent = 0
	}
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.indention = true
}

func (e *emitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	for i := 0; i < len(ind); {
		i += e.write(ind, i)
	}
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
	e.openEnded = 0
}

func (e *emitter) writeAnchor(name string) {
	for i := 0; i < len(name); {
		i += e.write(name, i)
	}
	e.whitespace = false
	e.indention = false
}

func (e *emitter) emitNode(n *yamlNode, root, seq, mapping, simpleKey bool) {
	e.rootCtx, e.seqCtx, e.mapCtx, e.simpleKeyCtx = root, seq, mapping, simpleKey
	switch n.kind {
	case aliasNode:
		e.writeIndicator("*", true, false, false)
		e.writeAnchor(n.value)
		if e.simpleKeyCtx {
			e.put(' ')
		}
	case scalarNode:
		e.emitScalar(n)
	case sequenceNode:
		e.processAnchor(n)
		if e.flowLevel > 0 || n.flow || len(n.children) == 0 {
			e.emitFlowSequence(n)
		} else {
			e.emitBlockSequence(n)
		}
	case mappingNode:
		e.processAnchor(n)
		if e.flowLevel > 0 || n.flow || len(n.children) == 0 {
			e.emitFlowMapping(n)
		} else {
			e.emitBlockMapping(n)
		}
	}
}

func (e *emitter) processAnchor(n *yamlNode) {
	if n.anchor == "" {
		return
	}
	e.writeIndicator("&", true, false, false)
	e.writeAnchor(n.anchor)
}

func (e *emitter) emitFlowSequence(n *yamlNode) {
	e.writeIndicator("[", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	for i, item := range n.children {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > bestWidth {
			e.writeIndent()
		}
		e.emitNode(item, false, true, false, false)
	}
	e.flowLevel--
	e.popIndent()
	e.writeIndicator("]", false, false, false)
}

func (e *emitter) emitFlowMapping(n *yamlNode) {
	e.writeIndicator("{", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	for i := 0; i+1 < len(n.children); i += 2 {
		key, value := n.children[i], n.children[i+1]
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > bestWidth {
			e.writeIndent()
		}
		if e.checkSimpleKey(key) {
			e.emitNode(key, false, false, true, true)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, false)
			e.emitNode(key, false, false, true, false)
			if e.column > bestWidth {
				e.writeIndent()
			}
			e.writeIndicator(":", true, false, false)
		}
		e.emitNode(value, false, false, true, false)
	}
	e.flowLevel--
	e.popIndent()
	e.writeIndicator("}", false, false, false)
}

func (e *emitter) emitBlockSequence(n *yamlNode) {
	// A sequence that is a mapping value is written at the key's indent.
	e.increaseIndent(false, e.mapCtx && !e.indention)
	for _, item := range n.children {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.emitNode(item, false, true, false, false)
	}
	e.popIndent()
}

func (e *emitter) emitBlockMapping(n *yamlNode) {
	e.increaseIndent(false, false)
	for i := 0; i+1 < len(n.children); i += 2 {
		key, value := n.children[i], n.children[i+1]
		e.writeIndent()
		if e.checkSimpleKey(key) {
			e.emitNode(key, false, false, true, true)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.emitNode(key, false, false, true, false)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		e.emitNode(value, false, false, true, false)
	}
	e.popIndent()
}

// checkSimpleKey is libyaml's check_simple_key: short single-line scalars,
// aliases and empty collections may be implicit keys.
func (e *emitter) checkSimpleKey(n *yamlNode) bool {
	length := len(n.anchor)
	switch n.kind {
	case aliasNode:
		length = len(n.value)
	case scalarNode:
		a := analyzeScalar(n.value)
		if a.multiline {
			return false
		}
		length += len(n.value)
		if n.binary {
			length += len("!!") + len("binary")
		}
	case sequenceNode, mappingNode:
		if len(n.children) != 0 {
			return false
		}
	}
	return length <= maxSimpleKey
}

func (e *emitter) emitScalar(n *yamlNode) {
	a := analyzeScalar(n.value)
	style := e.selectStyle(n, &a)
	if n.binary {
		// process_tag: "!!" handle then the "binary" suffix.
		if !e.whitespace {
			e.put(' ')
		}
		e.buf = append(e.buf, "!!binary"...)
		e.column += len("!!binary")
		e.whitespace = false
		e.indention = false
	}
	e.increaseIndent(true, false)
	allowBreaks := !e.simpleKeyCtx
	switch style {
	case stylePlain:
		e.writePlain(n.value, allowBreaks)
	case styleSingle:
		e.writeSingleQuoted(n.value, allowBreaks)
	case styleDouble:
		e.writeDoubleQuoted(n.value, allowBreaks)
	case styleLiteral:
		e.writeLiteral(n.value)
	}
	e.popIndent()
}

// selectStyle is libyaml's select_scalar_style for the flags lua-yaml
// passes: every scalar is implicit except !!binary ones, which carry
// their tag and so follow the same rules.
func (e *emitter) selectStyle(n *yamlNode, a *scalarAnalysis) scalarStyle {
	style := n.style
	if style == styleAny {
		style = stylePlain
	}
	if e.simpleKeyCtx && a.multiline {
		style = styleDouble
	}
	flow := e.flowLevel > 0
	if style == stylePlain {
		if (flow && !a.flowPlainOK) || (!flow && !a.blockPlainOK) {
			style = styleSingle
		}
		if len(n.value) == 0 && (flow || e.simpleKeyCtx) {
			style = styleSingle
		}
	}
	if style == styleSingle && !a.singleQuotedOK {
		style = styleDouble
	}
	if style == styleLiteral && (!a.blockOK || flow || e.simpleKeyCtx) {
		style = styleDouble
	}
	return style
}

func charWidth(b byte) int {
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

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isBreakAt(s string, i int) bool {
	b := byteAt(s, i)
	return b == '\r' || b == '\n' ||
		(b == 0xC2 && byteAt(s, i+1) == 0x85) ||
		(b == 0xE2 && byteAt(s, i+1) == 0x80 && (byteAt(s, i+2) == 0xA8 || byteAt(s, i+2) == 0xA9))
}

func isSpaceAt(s string, i int) bool { return byteAt(s, i) == ' ' }

// isBlankzAt: space, tab, line break or end of string (NUL).
func isBlankzAt(s string, i int) bool {
	b := byteAt(s, i)
	return b == ' ' || b == '\t' || b == 0 || isBreakAt(s, i)
}

// isPrintableAt is libyaml 0.2.5's IS_PRINTABLE.
func isPrintableAt(s string, i int) bool {
	b, b1, b2 := byteAt(s, i), byteAt(s, i+1), byteAt(s, i+2)
	return b == 0x0A ||
		(b >= 0x20 && b <= 0x7E) ||
		(b == 0xC2 && b1 >= 0xA0) ||
		(b > 0xC2 && b < 0xED) ||
		(b == 0xED && b1 < 0xA0) ||
		b == 0xEE ||
		(b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)))
}

func isBOMAt(s string, i int) bool {
	return byteAt(s, i) == 0xEF && byteAt(s, i+1) == 0xBB && byteAt(s, i+2) == 0xBF
}

// analyzeScalar is libyaml's analyze_scalar.
func analyzeScalar(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{blockPlainOK: true, singleQuotedOK: true}
	}
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var prevSpace, prevBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	precededByWS := true
	width := func(i int) int {
		w := charWidth(s[i])
		if w == 0 {
			w = 1
		}
		return w
	}
	followedByWS := isBlankzAt(s, width(0))
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
		if !isPrintableAt(s, i) {
			special = true
		}
		if isBreakAt(s, i) {
			lineBreaks = true
		}
		w := width(i)
		switch {
		case isSpaceAt(s, i):
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
		case isBreakAt(s, i):
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
		precededByWS = isBlankzAt(s, i)
		i += w
		if i < len(s) {
			followedByWS = isBlankzAt(s, i+width(i))
		}
	}
	a := scalarAnalysis{multiline: lineBreaks, flowPlainOK: true, blockPlainOK: true, singleQuotedOK: true, blockOK: true}
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

func (e *emitter) writePlain(s string, allowBreaks bool) {
	// libyaml 0.2.5 writes no separating space before an empty value in
	// block context, so "- " never ends a line.
	if !e.whitespace && (len(s) > 0 || e.flowLevel > 0) {
		e.put(' ')
	}
	spaces, breaks := false, false
	for i := 0; i < len(s); {
		switch {
		case isSpaceAt(s, i):
			if allowBreaks && !spaces && e.column > bestWidth && !isSpaceAt(s, i+1) {
				e.writeIndent()
				i++
			} else {
				i += e.write(s, i)
			}
			spaces = true
		case isBreakAt(s, i):
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
			i += e.write(s, i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeSingleQuoted(s string, allowBreaks bool) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	for i := 0; i < len(s); {
		switch {
		case isSpaceAt(s, i):
			if allowBreaks && !spaces && e.column > bestWidth && i != 0 && i != len(s)-1 && !isSpaceAt(s, i+1) {
				e.writeIndent()
				i++
			} else {
				i += e.write(s, i)
			}
			spaces = true
		case isBreakAt(s, i):
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
			if s[i] == '\'' {
				e.put('\'')
			}
			i += e.write(s, i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	if breaks {
		e.writeIndent()
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

const hexDigits = "0123456789ABCDEF"

func (e *emitter) writeDoubleQuoted(s string, allowBreaks bool) {
	e.writeIndicator("\"", true, false, false)
	spaces := false
	for i := 0; i < len(s); {
		c := s[i]
		if !isPrintableAt(s, i) || isBOMAt(s, i) || isBreakAt(s, i) || c == '"' || c == '\\' {
			w := charWidth(c)
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
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0B:
				e.put('v')
			case 0x0C:
				e.put('f')
			case 0x0D:
				e.put('r')
			case 0x1B:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5C:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
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
					e.put(hexDigits[(r>>uint(k))&0x0F])
				}
			}
			spaces = false
			continue
		}
		if isSpaceAt(s, i) {
			if allowBreaks && !spaces && e.column > bestWidth && i != 0 && i != len(s)-1 {
				e.writeIndent()
				if isSpaceAt(s, i+1) {
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

func (e *emitter) writeLiteral(s string) {
	e.writeIndicator("|", true, false, false)
	// Block scalar hints: an explicit indent when the text starts with a
	// space or break, and the chomping indicator from its trailing breaks.
	if isSpaceAt(s, 0) || isBreakAt(s, 0) {
		e.writeIndicator(string(rune('0'+bestIndent)), false, false, false)
	}
	e.openEnded = 0
	chomp := ""
	if s == "" {
		chomp = "-"
	} else {
		last := lastCharStart(s, len(s))
		switch {
		case !isBreakAt(s, last):
			chomp = "-"
		case last == 0:
			chomp = "+"
			e.openEnded = 2
		default:
			if prev := lastCharStart(s, last); isBreakAt(s, prev) {
				chomp = "+"
				e.openEnded = 2
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
		if isBreakAt(s, i) {
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

// lastCharStart returns the start of the UTF-8 character that ends at end.
func lastCharStart(s string, end int) int {
	i := end - 1
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}
