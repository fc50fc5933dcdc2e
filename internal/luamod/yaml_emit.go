package luamod

import "strings"

// This file reproduces, byte for byte, what libyaml 0.2.5 (the library
// the Debian tarantool 2.6.0 package links) writes for the events
// lua-yaml's dumper sends it: indent 2, width 80, unicode output, one
// explicit document ("---" ... "...") with optional %TAG directives. It
// works on a node tree instead of an event stream; the tree carries what
// libyaml learns from its look-ahead (whether a collection is empty,
// whether a key fits on one line). Each rule names the libyaml function
// it reproduces. Columns count characters, not bytes, as libyaml does.

// yamlNodeKind is the kind of a document node.
type yamlNodeKind uint8

const (
	yamlScalar yamlNodeKind = iota
	yamlSequence
	yamlMapping
	yamlAlias
)

// yamlScalarStyle is the style the dumper requests; the emitter may still
// change it (select_scalar_style).
type yamlScalarStyle uint8

const (
	yamlStyleAny yamlScalarStyle = iota
	yamlStylePlain
	yamlStyleSingle
	yamlStyleDouble
	yamlStyleLiteral
)

// yamlNode is one node of the document. For mappings, children holds
// key, value, key, value...
type yamlNode struct {
	kind     yamlNodeKind
	flow     bool // collection requested in flow style (__serialize "seq"/"map", tuples)
	anchor   string
	value    string          // scalar text, or the alias name
	style    yamlScalarStyle // scalars only
	tag      string          // a scalar's explicit tag (yamlBinaryTag), "" when implicit
	children []*yamlNode
}

// yamlTagDirective is a %TAG handle and the prefix it stands for.
type yamlTagDirective struct{ handle, prefix string }

const (
	yamlIndent = 2
	yamlWidth  = 80
	// yamlMaxSimpleKey is the longest implicit key check_simple_key allows,
	// in bytes of anchor, tag and text.
	yamlMaxSimpleKey = 128
	// yamlBinaryTag is the tag lua-yaml gives base64 strings.
	yamlBinaryTag = "tag:yaml.org,2002:binary"
)

// yamlDefaultTags are the directives every libyaml document knows;
// a user directive with the same handle replaces one.
var yamlDefaultTags = []yamlTagDirective{{"!", "!"}, {"!!", "tag:yaml.org,2002:"}}

// yamlScalarAnalysis is libyaml's scalar_data (analyze_scalar).
type yamlScalarAnalysis struct {
	multiline      bool
	flowPlainOK    bool
	blockPlainOK   bool
	singleQuotedOK bool
	blockOK        bool
}

// yamlEmitter holds libyaml's writer state. indent is the current
// indentation (-1 before the root), indents the saved ones.
type yamlEmitter struct {
	buf        []byte
	indent     int
	indents    []int
	flowLevel  int
	column     int
	whitespace bool
	indention  bool
	directives []yamlTagDirective

	mapCtx, simpleKeyCtx bool
}

// yamlAnalyzeTag is yaml_emitter_analyze_tag_directive: it returns
// libyaml's problem text for a directive it refuses, or "".
func yamlAnalyzeTag(d yamlTagDirective) string {
	h := d.handle
	switch {
	case h == "":
		return "tag handle must not be empty"
	case h[0] != '!':
		return "tag handle must start with '!'"
	case h[len(h)-1] != '!':
		return "tag handle must end with '!'"
	}
	for i := 1; i < len(h)-1; i++ {
		if !yamlIsAlpha(h[i]) {
			return "tag handle must contain alphanumerical characters only"
		}
	}
	if d.prefix == "" {
		return "tag prefix must not be empty"
	}
	return ""
}

// yamlEmitDocument writes one explicit document holding root, preceded by a
// %TAG line per user directive. The directives must have passed
// yamlAnalyzeTag.
func yamlEmitDocument(root *yamlNode, user []yamlTagDirective) string {
	e := &yamlEmitter{indent: -1, whitespace: true, indention: true}
	e.directives = append(e.directives, user...)
	for _, d := range yamlDefaultTags {
		if !e.hasDirective(d.handle) {
			e.directives = append(e.directives, d)
		}
	}
	for _, d := range user {
		e.writeIndicator("%TAG", true, false, false)
		e.writeTagHandle(d.handle)
		if !e.whitespace {
			e.put(' ')
		}
		e.writeTagContent(d.prefix)
		e.writeIndent()
	}
	e.writeIndent()
	e.writeIndicator("---", true, false, false)
	e.emitNode(root, false, false)
	// emit_document_end with implicit = 0: the "..." marker always
	// follows, which also settles libyaml's open_ended state.
	e.writeIndent()
	e.writeIndicator("...", true, false, false)
	e.writeIndent()
	return string(e.buf)
}

func (e *yamlEmitter) hasDirective(handle string) bool {
	for _, d := range e.directives {
		if d.handle == handle {
			return true
		}
	}
	return false
}

func (e *yamlEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = yamlIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		e.indent += yamlIndent
	}
}

func (e *yamlEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *yamlEmitter) put(b byte) {
	e.buf = append(e.buf, b)
	e.column++
}

func (e *yamlEmitter) putBreak() {
	e.buf = append(e.buf, '\n')
	e.column = 0
}

// write copies one UTF-8 character of s at i and returns its width; the
// column advances by one per character (libyaml WRITE).
func (e *yamlEmitter) write(s string, i int) int {
	w := yamlCharWidth(s[i])
	if w == 0 || i+w > len(s) {
		w = 1
	}
	e.buf = append(e.buf, s[i:i+w]...)
	e.column++
	return w
}

// writeBreak copies a line break character (libyaml WRITE_BREAK).
func (e *yamlEmitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return 1
	}
	w := yamlCharWidth(s[i])
	e.buf = append(e.buf, s[i:i+w]...)
	e.column = 0
	return w
}

// writeIndent is yaml_emitter_write_indent.
func (e *yamlEmitter) writeIndent() {
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

// writeIndicator is yaml_emitter_write_indicator.
func (e *yamlEmitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	for i := 0; i < len(ind); {
		i += e.write(ind, i)
	}
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

func (e *yamlEmitter) writeAnchor(name string) {
	for i := 0; i < len(name); {
		i += e.write(name, i)
	}
	e.whitespace = false
	e.indention = false
}

// writeTagHandle is yaml_emitter_write_tag_handle.
func (e *yamlEmitter) writeTagHandle(h string) {
	if !e.whitespace {
		e.put(' ')
	}
	for i := 0; i < len(h); {
		i += e.write(h, i)
	}
	e.whitespace = false
	e.indention = false
}

// writeTagContent is yaml_emitter_write_tag_content without its leading
// space: URI characters as they are, every other byte as %XX.
func (e *yamlEmitter) writeTagContent(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if yamlIsAlpha(c) || strings.IndexByte(";/?:@&=+$,_.~*'()[]", c) >= 0 {
			i += e.write(s, i)
			continue
		}
		w := yamlCharWidth(c)
		if w == 0 || i+w > len(s) {
			w = 1
		}
		for _, b := range []byte(s[i : i+w]) {
			e.put('%')
			e.put(yamlHexDigits[b>>4])
			e.put(yamlHexDigits[b&0x0F])
		}
		i += w
	}
	e.whitespace = false
	e.indention = false
}

// resolveTag is yaml_emitter_analyze_tag: the first directive whose
// prefix starts the tag (and is shorter) gives handle and suffix; with no
// such directive the handle is empty and the tag is written verbatim.
func (e *yamlEmitter) resolveTag(tag string) (handle, suffix string) {
	for _, d := range e.directives {
		if len(d.prefix) < len(tag) && strings.HasPrefix(tag, d.prefix) {
			return d.handle, tag[len(d.prefix):]
		}
	}
	return "", tag
}

// processTag is yaml_emitter_process_tag.
func (e *yamlEmitter) processTag(tag string) {
	handle, suffix := e.resolveTag(tag)
	if handle != "" {
		e.writeTagHandle(handle)
		e.writeTagContent(suffix)
		return
	}
	e.writeIndicator("!<", true, false, false)
	e.writeTagContent(suffix)
	e.writeIndicator(">", false, false, false)
}

// emitNode is yaml_emitter_emit_node for a node in a mapping (as key or
// value) or elsewhere; simpleKey marks an implicit key.
func (e *yamlEmitter) emitNode(n *yamlNode, mapping, simpleKey bool) {
	e.mapCtx, e.simpleKeyCtx = mapping, simpleKey
	switch n.kind {
	case yamlAlias:
		e.writeIndicator("*", true, false, false)
		e.writeAnchor(n.value)
		if e.simpleKeyCtx {
			e.put(' ')
		}
	case yamlScalar:
		e.emitScalar(n)
	default:
		// emit_sequence_start/emit_mapping_start: flow style inside a
		// flow collection, on request, or for an empty collection.
		e.processAnchor(n)
		flow := e.flowLevel > 0 || n.flow || len(n.children) == 0
		switch {
		case n.kind == yamlSequence && flow:
			e.emitFlowSequence(n)
		case n.kind == yamlSequence:
			e.emitBlockSequence(n)
		case flow:
			e.emitFlowMapping(n)
		default:
			e.emitBlockMapping(n)
		}
	}
}

func (e *yamlEmitter) processAnchor(n *yamlNode) {
	if n.anchor == "" {
		return
	}
	e.writeIndicator("&", true, false, false)
	e.writeAnchor(n.anchor)
}

func (e *yamlEmitter) emitFlowSequence(n *yamlNode) {
	e.writeIndicator("[", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	for i, item := range n.children {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlWidth {
			e.writeIndent()
		}
		e.emitNode(item, false, false)
	}
	e.flowLevel--
	e.popIndent()
	e.writeIndicator("]", false, false, false)
}

func (e *yamlEmitter) emitFlowMapping(n *yamlNode) {
	e.writeIndicator("{", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	for i := 0; i+1 < len(n.children); i += 2 {
		key, value := n.children[i], n.children[i+1]
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlWidth {
			e.writeIndent()
		}
		e.emitKey(key, false)
		e.emitNode(value, true, false)
	}
	e.flowLevel--
	e.popIndent()
	e.writeIndicator("}", false, false, false)
}

func (e *yamlEmitter) emitBlockSequence(n *yamlNode) {
	// A sequence that is a mapping value is written at the key's indent.
	e.increaseIndent(false, e.mapCtx && !e.indention)
	for _, item := range n.children {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.emitNode(item, false, false)
	}
	e.popIndent()
}

func (e *yamlEmitter) emitBlockMapping(n *yamlNode) {
	e.increaseIndent(false, false)
	for i := 0; i+1 < len(n.children); i += 2 {
		key, value := n.children[i], n.children[i+1]
		e.writeIndent()
		e.emitKey(key, true)
		e.emitNode(value, true, false)
	}
	e.popIndent()
}

// emitKey writes a mapping key and the ':' before its value
// (emit_{flow,block}_mapping_key and _value): implicit when
// checkSimpleKey allows, else explicit with "?" and ":" on a new line in
// block style, or after a fold at yamlWidth in flow style.
func (e *yamlEmitter) emitKey(key *yamlNode, block bool) {
	if e.checkSimpleKey(key) {
		e.emitNode(key, true, true)
		e.writeIndicator(":", false, false, false)
		return
	}
	e.writeIndicator("?", true, false, block)
	e.emitNode(key, true, false)
	if block || e.column > yamlWidth {
		e.writeIndent()
	}
	e.writeIndicator(":", true, false, block)
}

// checkSimpleKey is check_simple_key: single-line scalars, aliases and
// empty collections may be implicit keys when anchor, tag and text take
// at most yamlMaxSimpleKey bytes.
func (e *yamlEmitter) checkSimpleKey(n *yamlNode) bool {
	length := len(n.anchor)
	switch n.kind {
	case yamlAlias:
		length = len(n.value)
	case yamlScalar:
		if yamlAnalyzeScalar(n.value).multiline {
			return false
		}
		length += len(n.value)
		if n.tag != "" {
			handle, suffix := e.resolveTag(n.tag)
			length += len(handle) + len(suffix)
		}
	case yamlSequence, yamlMapping:
		if len(n.children) != 0 {
			return false
		}
	}
	return length <= yamlMaxSimpleKey
}

// emitScalar is yaml_emitter_emit_scalar.
func (e *yamlEmitter) emitScalar(n *yamlNode) {
	a := yamlAnalyzeScalar(n.value)
	style := e.selectStyle(n, &a)
	if n.tag != "" {
		e.processTag(n.tag)
	}
	e.increaseIndent(true, false)
	allowBreaks := !e.simpleKeyCtx
	switch style {
	case yamlStylePlain:
		e.writePlain(n.value, allowBreaks)
	case yamlStyleSingle:
		e.writeSingleQuoted(n.value, allowBreaks)
	case yamlStyleDouble:
		e.writeDoubleQuoted(n.value, allowBreaks)
	case yamlStyleLiteral:
		e.writeLiteral(n.value)
	}
	e.popIndent()
}

// selectStyle is select_scalar_style for the flags lua-yaml passes:
// untagged scalars are plain- and quoted-implicit, tagged (!!binary)
// ones carry their tag, so both follow the same rules.
func (e *yamlEmitter) selectStyle(n *yamlNode, a *yamlScalarAnalysis) yamlScalarStyle {
	style := n.style
	if style == yamlStyleAny {
		style = yamlStylePlain
	}
	if e.simpleKeyCtx && a.multiline {
		style = yamlStyleDouble
	}
	flow := e.flowLevel > 0
	if style == yamlStylePlain {
		if (flow && !a.flowPlainOK) || (!flow && !a.blockPlainOK) {
			style = yamlStyleSingle
		}
		if len(n.value) == 0 && (flow || e.simpleKeyCtx) {
			style = yamlStyleSingle
		}
	}
	if style == yamlStyleSingle && !a.singleQuotedOK {
		style = yamlStyleDouble
	}
	if style == yamlStyleLiteral && (!a.blockOK || flow || e.simpleKeyCtx) {
		style = yamlStyleDouble
	}
	return style
}
