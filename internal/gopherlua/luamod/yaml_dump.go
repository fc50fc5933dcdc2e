package luamod

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// This file is lua-yaml's dumper (third_party/lua-yaml/lyaml.cc in
// Tarantool 2.6): it turns Lua values into the node tree yaml_emit.go
// writes, choosing scalar styles by lua-yaml's string rules.

// YAMLEmitterError is libyaml refusing the document, in Tarantool 2.6
// only for a bad %TAG directive. yaml.encode returns nil and Problem
// instead of raising.
type YAMLEmitterError struct{ Problem string }

func (e *YAMLEmitterError) Error() string { return e.Problem }

// maxDumpDepth bounds nesting. Tarantool's dumper has no bound (it
// ignores encode_max_depth) and crashes on a __serialize function that
// returns ever deeper fresh tables; shared tables are cut by anchors, so
// only such functions reach this.
const maxDumpDepth = 10000

// YAMLEncode renders v as one YAML document the way Tarantool's
// lua_yaml_encode does with serializer options cfg: yaml.encode with the
// module's cfg, the console with its own. A non-empty tagHandle or
// tagPrefix adds one %TAG directive (both empty: none). Errors are a
// failing __serialize or unsupported value as Tarantool words them, or a
// *YAMLEmitterError for a directive libyaml refuses. Output depends only
// on v's contents and gopher-lua's table order. L may be nil when v needs
// no Lua code (no __serialize function, no tostring fallback, no tuple).
func YAMLEncode(L *lua.LState, cfg *luaconv.Config, v lua.LValue, tagHandle, tagPrefix string) (string, error) {
	var tags []tagDirective
	if tagHandle != "" || tagPrefix != "" {
		tags = []tagDirective{{handle: tagHandle, prefix: tagPrefix}}
	}
	return encodeYAML(L, cfg, v, tags)
}

// encodeYAML is lua_yaml_encode with at most one user tag directive.
func encodeYAML(L *lua.LState, cfg *luaconv.Config, v lua.LValue, tags []tagDirective) (string, error) {
	d := &yamlDumper{L: L, cfg: cfg, refs: map[*lua.LTable]bool{}, anchors: map[*lua.LTable]string{}}
	for i := range tags {
		// The directive reaches libyaml as C strings.
		tags[i].handle = cString(tags[i].handle)
		tags[i].prefix = cString(tags[i].prefix)
		if !checkUTF8(tags[i].handle) || !checkUTF8(tags[i].prefix) {
			// yaml_document_start_event_initialize fails, lua-yaml
			// stops dumping without an error and returns what was
			// written: nothing.
			return "", nil
		}
		if p := analyzeTagDirective(tags[i]); p != "" && d.tagProblem == "" {
			d.tagProblem = p
		}
	}
	d.findReferences(v)
	d.queue.push(yamlEvent{accumulate: 1, level: 1}) // DOCUMENT-START
	root, err := d.node(v, 0)
	if err != nil {
		return "", err
	}
	return emitDocument(root, tags), nil
}

// checkUTF8 is libyaml's yaml_check_utf8: well-formed sequences of at
// most 4 bytes, no overlong forms; unlike Go it lets surrogates and
// values up to 0x1FFFFF through.
func checkUTF8(s string) bool {
	for i := 0; i < len(s); {
		w := charWidth(s[i])
		if w == 0 || i+w > len(s) {
			return false
		}
		v := rune(s[i]) & (0x7F >> w)
		if w == 1 {
			i++
			continue
		}
		for k := 1; k < w; k++ {
			if s[i+k]&0xC0 != 0x80 {
				return false
			}
			v = v<<6 | rune(s[i+k]&0x3F)
		}
		if (w == 2 && v < 0x80) || (w == 3 && v < 0x800) || (w == 4 && v < 0x10000) {
			return false
		}
		i += w
	}
	return true
}

// cString cuts s at its first NUL, as C sees a Lua string.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// yamlEvent is what the dumper's event queue needs to know of one libyaml
// event: the look-ahead libyaml wants before processing it (1 for
// DOCUMENT-START, 2 for SEQUENCE-START, 3 for MAPPING-START, else 0), its
// effect on the nesting level (+1 collection start, -1 collection end),
// and whether a collection start asks for flow style.
type yamlEvent struct {
	accumulate int8
	level      int8
	flow       bool
}

// yamlEventQueue models libyaml's event queue and the part of its state
// lua-yaml looks at. lua-yaml quotes a string when the emitter's
// flow_level is positive or a flow collection's start event still waits
// in the queue (yaml_is_flow_mode). Neither is "inside a flow
// collection": libyaml raises flow_level only when it processes the
// collection's first item, and processes events only once it has enough
// look-ahead. So in [&0 [1, x y], *0] the string is plain (the outer
// start has left the queue, its first item has not been processed), and
// after an empty flow collection as the first key of a block mapping the
// value is quoted.
type yamlEventQueue struct {
	queued     []yamlEvent
	flowQueued int // flow collection starts among queued
	processed  int // events libyaml has taken off the queue
	// flowLevel is the emitter's flow_level; firstItem is set between
	// processing a flow collection's start and its first item (or end),
	// when libyaml increments flow_level.
	flowLevel int
	firstItem bool
	// open holds, per processed and unfinished collection, whether libyaml
	// writes it in flow style.
	open []bool
}

// flowMode is yaml_is_flow_mode.
func (q *yamlEventQueue) flowMode() bool { return q.flowLevel > 0 || q.flowQueued > 0 }

// push appends ev and takes events off the queue while libyaml would
// (yaml_emitter_emit and yaml_emitter_need_more_events).
func (q *yamlEventQueue) push(ev yamlEvent) {
	q.queued = append(q.queued, ev)
	if ev.flow {
		q.flowQueued++
	}
	n := 0
	for n < len(q.queued) && !needMoreEvents(q.queued[n:]) {
		q.process(q.queued[n], q.queued[n+1:])
		n++
	}
	q.processed += n
	q.queued = append(q.queued[:0], q.queued[n:]...)
}

// process follows flow_level through the emitter's state machine for
// ev; rest is the queue behind it.
func (q *yamlEventQueue) process(ev yamlEvent, rest []yamlEvent) {
	if ev.flow {
		q.flowQueued--
	}
	if q.firstItem {
		// yaml_emitter_emit_flow_{sequence_item,mapping_key} with first.
		q.flowLevel++
		q.firstItem = false
	}
	switch {
	case ev.level > 0 && ev.accumulate > 1:
		// emit_sequence_start/emit_mapping_start: flow style inside a
		// flow collection, on request, or when empty (check_empty_*).
		empty := len(rest) > 0 && rest[0].level < 0
		flow := q.flowLevel > 0 || ev.flow || empty
		q.open = append(q.open, flow)
		q.firstItem = flow
	case ev.level < 0 && len(q.open) > 0:
		if q.open[len(q.open)-1] {
			q.flowLevel--
		}
		q.open = q.open[:len(q.open)-1]
	}
}

// needMoreEvents is yaml_emitter_need_more_events for the queue q.
func needMoreEvents(q []yamlEvent) bool {
	head := q[0]
	if head.accumulate == 0 {
		return false
	}
	if len(q) > int(head.accumulate) {
		return false
	}
	level := 0
	for _, ev := range q {
		level += int(ev.level)
		if level == 0 {
			return false
		}
	}
	return true
}

// yamlDumper is lua-yaml's lua_yaml_dumper.
type yamlDumper struct {
	L   *lua.LState
	cfg *luaconv.Config
	// refs holds every table reachable from the value: false when seen
	// once, true when seen more than once (find_references).
	refs map[*lua.LTable]bool
	// anchors names multiply referenced tables in dump order.
	anchors    map[*lua.LTable]string
	nextAnchor int
	queue      yamlEventQueue
	// tagProblem is libyaml's objection to the %TAG directive, raised
	// when it processes DOCUMENT-START: after the root's first event.
	tagProblem string
}

// push queues ev and reports libyaml's refusal of the document once it
// has processed DOCUMENT-START.
func (d *yamlDumper) push(ev yamlEvent) error {
	d.queue.push(ev)
	if d.tagProblem != "" && d.queue.processed > 0 {
		return &YAMLEmitterError{Problem: d.tagProblem}
	}
	return nil
}

func (d *yamlDumper) findReferences(v lua.LValue) {
	t, ok := v.(*lua.LTable)
	if !ok {
		return
	}
	if seen, ok := d.refs[t]; ok {
		if !seen {
			d.refs[t] = true
		}
		return
	}
	d.refs[t] = false
	for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
		d.findReferences(val)
		d.findReferences(k)
	}
}

// anchorFor is get_yaml_anchor: the anchor a collection gets, or an alias
// node when the table was already written.
func (d *yamlDumper) anchorFor(t *lua.LTable) (anchor string, alias *yamlNode) {
	if t == nil || !d.refs[t] {
		return "", nil
	}
	if name, ok := d.anchors[t]; ok {
		return "", &yamlNode{kind: yamlAlias, value: name}
	}
	name := strconv.Itoa(d.nextAnchor)
	d.nextAnchor++
	d.anchors[t] = name
	return name, nil
}

// scalar queues a scalar event and returns its node.
func (d *yamlDumper) scalar(n *yamlNode) (*yamlNode, error) {
	n.kind = yamlScalar
	return n, d.push(yamlEvent{})
}

// node is dump_node.
func (d *yamlDumper) node(v lua.LValue, depth int) (*yamlNode, error) {
	if depth > maxDumpDepth {
		return nil, errTooDeep
	}
	f, err := luaconv.ToField(d.L, d.cfg, v)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case luaconv.KindNil:
		return d.scalar(&yamlNode{value: "null", style: stylePlain})
	case luaconv.KindBool:
		return d.scalar(&yamlNode{value: strconv.FormatBool(f.Bool), style: stylePlain})
	case luaconv.KindUint:
		return d.scalar(&yamlNode{value: strconv.FormatUint(f.Uint, 10), style: stylePlain})
	case luaconv.KindInt:
		return d.scalar(&yamlNode{value: strconv.FormatInt(f.Int, 10), style: stylePlain})
	case luaconv.KindDouble:
		return d.scalar(&yamlNode{value: formatNumber(f.Double, d.cfg.EncodeNumberPrecision, true), style: stylePlain})
	case luaconv.KindStr:
		return d.scalar(stringNode(f.Str, d.queue.flowMode()))
	case luaconv.KindRaw:
		if u, ok := ToUUID(f.Value); ok {
			return d.scalar(&yamlNode{value: u.String(), style: stylePlain})
		}
		// A tuple serializes as its decoded fields, arrays and maps
		// marked seq/map, hence in flow style.
		dv, err := rawToLua(d.L, f.Raw)
		if err != nil {
			return nil, err
		}
		return d.node(dv, depth+1)
	case luaconv.KindArray, luaconv.KindMap:
		return d.collection(&f, depth)
	}
	return nil, fmt.Errorf("unsupported Lua type '%s'", v.Type())
}

// collection is dump_array and dump_table.
func (d *yamlDumper) collection(f *luaconv.Field, depth int) (*yamlNode, error) {
	anchor, alias := d.anchorFor(f.Table)
	if alias != nil {
		return alias, d.push(yamlEvent{})
	}
	n := &yamlNode{kind: yamlSequence, flow: f.Compact, anchor: anchor}
	start := yamlEvent{accumulate: 2, level: 1, flow: f.Compact}
	if f.Kind == luaconv.KindMap {
		n.kind = yamlMapping
		start.accumulate = 3
	}
	if err := d.push(start); err != nil {
		return nil, err
	}
	if f.Kind == luaconv.KindArray {
		for i := 1; i <= f.Size; i++ {
			c, err := d.node(f.Table.RawGetInt(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
	} else {
		for k, val := f.Table.Next(lua.LNil); k != lua.LNil; k, val = f.Table.Next(k) {
			kn, err := d.node(k, depth+1)
			if err != nil {
				return nil, err
			}
			vn, err := d.node(val, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, kn, vn)
		}
	}
	return n, d.push(yamlEvent{level: -1})
}

// stringNode applies lua-yaml's string rules: strings that read back as
// null, a boolean or a number are single-quoted; strings Tarantool does
// not consider printable UTF-8 become !!binary base64 (one line); in flow
// mode strings are single-quoted; strings with an empty line use the
// literal block style. libyaml may still pick a stronger style.
func stringNode(s string, flowMode bool) *yamlNode {
	if _, isBool := yamlIsBool(s); yamlIsNull(s) || isBool || isLuaNumber(s) {
		return &yamlNode{value: s, style: styleSingle}
	}
	if !utf8CheckPrintable(s) {
		return &yamlNode{value: base64.StdEncoding.EncodeToString([]byte(s)), tag: yamlBinaryTag}
	}
	style := styleAny
	if flowMode {
		style = styleSingle
	} else if strings.Contains(s, "\n\n") {
		style = styleLiteral
	}
	return &yamlNode{value: s, style: style}
}

// yamlIsNull is lua-yaml's yaml_is_null: only "~" and "null".
func yamlIsNull(s string) bool { return s == "~" || s == "null" }

// yamlIsBool is lua-yaml's yaml_is_bool: the value and whether s is one
// of "true", "yes", "false", "no".
func yamlIsBool(s string) (value, ok bool) {
	switch s {
	case "false", "no":
		return false, true
	case "true", "yes":
		return true, true
	}
	return false, false
}

// utf8CheckPrintable is Tarantool's utf8_check_printable
// (src/lib/core/util.c): valid UTF-8 whose non-ASCII characters libyaml
// prints unescaped or ICU's u_isprint accepts. ASCII control characters
// pass (libyaml escapes them).
func utf8CheckPrintable(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < 0x80 {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w <= 1 {
			return false
		}
		if !isPrintableAt(s, i) && !icuPrintable(r) {
			return false
		}
		i += w
	}
	return true
}

// icuPrintable is ICU's u_isprint: every general category except C
// (controls, format, surrogates, private use, unassigned). Go's tables
// and the ICU 72 that Debian's tarantool links are both Unicode 15.0.
func icuPrintable(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// isLuaNumber reports whether LuaJIT's lua_isnumber accepts s (lj_strscan
// with STRSCAN_OPT_TONUM): optional surrounding whitespace and sign,
// decimal with fraction and exponent, 0x hexadecimal with optional
// fraction and binary exponent, 0b binary, inf, infinity and nan.
func isLuaNumber(s string) bool {
	i, n := 0, len(s)
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	for i < n && isSpace(s[i]) {
		i++
	}
	for n > i && isSpace(s[n-1]) {
		n--
	}
	if i < n && (s[i] == '-' || s[i] == '+') {
		i++
	}
	body := s[i:n]
	if body == "" {
		return false
	}
	if !isDigit(body[0]) && body[0] != '.' {
		l := strings.ToLower(body)
		return l == "inf" || l == "infinity" || l == "nan"
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		return scanMantissa(body[2:], isHexDigit, "pP")
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B') {
		for j := 2; j < len(body); j++ {
			if body[j] != '0' && body[j] != '1' {
				return false
			}
		}
		return true
	}
	return scanMantissa(body, isDigit, "eE")
}

// scanMantissa accepts digits with at most one '.', at least one digit,
// then an optional exponent introduced by one of exp.
func scanMantissa(s string, digit func(byte) bool, exp string) bool {
	j, digits, dot := 0, 0, false
	for ; j < len(s); j++ {
		c := s[j]
		if digit(c) {
			digits++
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		break
	}
	if digits == 0 {
		return false
	}
	if j == len(s) {
		return true
	}
	if !strings.ContainsRune(exp, rune(s[j])) {
		return false
	}
	j++
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	if j == len(s) {
		return false
	}
	for ; j < len(s); j++ {
		if !isDigit(s[j]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
