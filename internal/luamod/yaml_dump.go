package luamod

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/lua"
)

// This file is lua-yaml's dumper (third_party/lua-yaml/lyaml.cc in
// Tarantool 2.6). The Lua value is first turned into hinted MessagePack
// in C (package lua), which classifies it with luaL_tofield's rules,
// calls __serialize and tostring, and records what YAML needs beyond
// MessagePack: flow style, tuples, anchors and aliases. The dumper reads
// that into the node tree yaml_emit.go writes, choosing scalar styles by
// lua-yaml's string rules.

// yamlEmitterError is libyaml refusing the document, in Tarantool 2.6
// only for a bad %TAG directive. yaml.encode returns nil and the problem
// instead of raising.
type yamlEmitterError struct{ problem string }

func (e *yamlEmitterError) Error() string { return e.problem }

// yamlEncode renders the value at idx as one YAML document the way
// Tarantool's lua_yaml_encode does with the serializer s, which must have
// Hints on: yaml.encode with the module's cfg, the console with its own.
// tags holds at most one %TAG directive. scratch is a serializer the
// encoder may overwrite, used only when a directive is refused. Errors
// raised while serializing (a __serialize function, an unsupported
// value) are raised as yaml.encode raises them; a refused directive is a
// *yamlEmitterError. L must be inside a Function.
func yamlEncode(L lua.State, s *lua.Serializer, idx int, tags []yamlTagDirective, scratch *lua.Serializer) (string, error) {
	problem := ""
	for i := range tags {
		// The directive reaches libyaml as C strings.
		tags[i].handle = yamlCString(tags[i].handle)
		tags[i].prefix = yamlCString(tags[i].prefix)
		if !yamlCheckUTF8(tags[i].handle) || !yamlCheckUTF8(tags[i].prefix) {
			// yaml_document_start_event_initialize fails, lua-yaml
			// stops dumping without an error and returns what was
			// written: nothing.
			return "", nil
		}
		if p := yamlAnalyzeTag(tags[i]); p != "" && problem == "" {
			problem = p
		}
	}
	if problem != "" {
		// libyaml objects when it processes DOCUMENT-START, which it
		// does once the root's first event follows: a root that cannot
		// be serialized raises first. Encoding with depth 0 and deep
		// values as nil classifies the root (calling its __serialize)
		// without descending.
		o := s.Options()
		o.Hints, o.EncodeMaxDepth, o.EncodeDeepAsNil = false, 0, true
		scratch.SetOptions(o)
		if _, ok := L.EncodeViewValue(idx, scratch); !ok {
			yamlRaiseEncodeError(L)
		}
		return "", &yamlEmitterError{problem: problem}
	}
	data, ok := L.EncodeViewValue(idx, s)
	if !ok {
		yamlRaiseEncodeError(L)
	}
	return yamlDump(data, s.Options(), tags)
}

// yamlRaiseEncodeError raises the encoder's error value on top as
// yaml.encode does: an error of a __serialize function unchanged, and
// luaL_convertfield's "unsupported Lua type" (raised in C, where it
// carries no position) with the position of yaml.encode's caller, as
// luaL_error gives it in Tarantool.
func yamlRaiseEncodeError(L lua.State) {
	if L.Type(-1) == lua.TypeString {
		if msg, _ := L.ToString(-1); strings.HasPrefix(msg, "unsupported Lua type '") {
			L.Pop(1)
			raise(L, msg)
		}
	}
	L.Raise()
}

// yamlDump writes the hinted MessagePack value data as a YAML document
// with the options o (encode_number_precision and, inside tuples, the
// invalid-number rules) and the %TAG directives tags, which must have
// passed yamlAnalyzeTag.
func yamlDump(data []byte, o lua.SerializerOptions, tags []yamlTagDirective) (string, error) {
	d := &yamlDumper{data: data, opts: o}
	d.queue.push(yamlEvent{accumulate: 1, level: 1}) // DOCUMENT-START
	root, err := d.node(false)
	if err != nil {
		return "", err
	}
	if d.pos != len(d.data) {
		return "", errYAMLMsgpack
	}
	return yamlEmitDocument(root, tags), nil
}

// yamlCheckUTF8 is libyaml's yaml_check_utf8: well-formed sequences of
// at most 4 bytes, no overlong forms; unlike Go it lets surrogates and
// values up to 0x1FFFFF through.
func yamlCheckUTF8(s string) bool {
	for i := 0; i < len(s); {
		w := yamlCharWidth(s[i])
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

// yamlCString cuts s at its first NUL, as C sees a Lua string.
func yamlCString(s string) string {
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
	for n < len(q.queued) && !yamlNeedMoreEvents(q.queued[n:]) {
		q.process(q.queued[n], q.queued[n+1:])
		n++
	}
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

// yamlNeedMoreEvents is yaml_emitter_need_more_events for the queue q.
func yamlNeedMoreEvents(q []yamlEvent) bool {
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

// errYAMLMsgpack reports hinted MessagePack the dumper cannot read: a
// truncated or malformed tuple, since the C encoder writes only valid
// data.
var errYAMLMsgpack = errors.New("yaml: invalid MsgPack")

// yamlDumper is lua-yaml's lua_yaml_dumper over hinted MessagePack.
type yamlDumper struct {
	data  []byte
	pos   int
	opts  lua.SerializerOptions
	queue yamlEventQueue
}

// scalar queues a scalar event and returns its node.
func (d *yamlDumper) scalar(value string, style yamlScalarStyle) *yamlNode {
	d.queue.push(yamlEvent{})
	return &yamlNode{kind: yamlScalar, value: value, style: style}
}

func (d *yamlDumper) take(n int) ([]byte, error) {
	if n < 0 || len(d.data)-d.pos < n {
		return nil, errYAMLMsgpack
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *yamlDumper) uint(n int) (uint64, error) {
	b, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// node is dump_node for the value at d.pos. inTuple is set inside a
// tuple, where Tarantool dumps the Lua values msgpackffi decodes: every
// container marked seq/map, numbers as Lua numbers.
func (d *yamlDumper) node(inTuple bool) (*yamlNode, error) {
	flow, anchor := inTuple, ""
	// Hints are read outside tuples only: a tuple's own MessagePack may
	// hold extensions of any type.
	for !inTuple {
		typ, payload, ok, err := d.hint()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch typ {
		case lua.ExtCompact:
			flow = true
			if len(payload) == 1 && payload[0] == lua.CompactTuple {
				inTuple = true
			}
		case lua.ExtAnchor:
			anchor = strconv.FormatUint(uint64(binary.BigEndian.Uint32(payload)), 10)
		case lua.ExtAlias:
			d.queue.push(yamlEvent{})
			return &yamlNode{kind: yamlAlias, value: strconv.FormatUint(uint64(binary.BigEndian.Uint32(payload)), 10)}, nil
		}
	}
	b, err := d.take(1)
	if err != nil {
		return nil, err
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return d.scalar(strconv.Itoa(int(c)), yamlStylePlain), nil
	case c >= 0xe0:
		return d.scalar(strconv.Itoa(int(int8(c))), yamlStylePlain), nil
	case c >= 0xa0 && c <= 0xbf:
		return d.str(int(c & 0x1f))
	case c >= 0x90 && c <= 0x9f:
		return d.collection(int(c&0x0f), false, flow, anchor, inTuple)
	case c >= 0x80 && c <= 0x8f:
		return d.collection(int(c&0x0f), true, flow, anchor, inTuple)
	}
	switch c {
	case 0xc0:
		return d.scalar("null", yamlStylePlain), nil
	case 0xc2:
		return d.scalar("false", yamlStylePlain), nil
	case 0xc3:
		return d.scalar("true", yamlStylePlain), nil
	case 0xc4, 0xd9:
		n, err := d.uint(1)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xc5, 0xda:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xc6, 0xdb:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xca:
		bits, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.double(float64(math.Float32frombits(uint32(bits))), inTuple)
	case 0xcb:
		bits, err := d.uint(8)
		if err != nil {
			return nil, err
		}
		return d.double(math.Float64frombits(bits), inTuple)
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, err := d.uint(1 << (c - 0xcc))
		if err != nil {
			return nil, err
		}
		return d.scalar(strconv.FormatUint(v, 10), yamlStylePlain), nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		v, err := d.uint(n)
		if err != nil {
			return nil, err
		}
		// Sign-extend the n-byte two's complement value.
		shift := uint(64 - 8*n)
		return d.scalar(strconv.FormatInt(int64(v<<shift)>>shift, 10), yamlStylePlain), nil
	case 0xdc, 0xde:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.collection(int(n), c == 0xde, flow, anchor, inTuple)
	case 0xdd, 0xdf:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.collection(int(n), c == 0xdf, flow, anchor, inTuple)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9:
		d.pos--
		typ, payload, err := d.ext()
		if err != nil {
			return nil, err
		}
		return d.extension(typ, payload)
	}
	return nil, errYAMLMsgpack
}

// hint reads a hint extension at d.pos, if one is there.
func (d *yamlDumper) hint() (typ int8, payload []byte, ok bool, err error) {
	if d.pos >= len(d.data) {
		return 0, nil, false, errYAMLMsgpack
	}
	save := d.pos
	switch d.data[d.pos] {
	case 0xd4, 0xd6, 0xc7:
	default:
		return 0, nil, false, nil
	}
	typ, payload, err = d.ext()
	if err != nil {
		return 0, nil, false, err
	}
	switch {
	case typ == lua.ExtCompact && len(payload) <= 1,
		(typ == lua.ExtAnchor || typ == lua.ExtAlias) && len(payload) == 4:
		return typ, payload, true, nil
	}
	d.pos = save
	return 0, nil, false, nil
}

// ext reads an extension value's type and payload.
func (d *yamlDumper) ext() (int8, []byte, error) {
	b, err := d.take(1)
	if err != nil {
		return 0, nil, err
	}
	var n int
	switch c := b[0]; c {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		n = 1 << (c - 0xd4)
	case 0xc7, 0xc8, 0xc9:
		v, err := d.uint(1 << (c - 0xc7))
		if err != nil {
			return 0, nil, err
		}
		if v > uint64(len(d.data)) {
			return 0, nil, errYAMLMsgpack
		}
		n = int(v)
	default:
		return 0, nil, errYAMLMsgpack
	}
	t, err := d.take(1)
	if err != nil {
		return 0, nil, err
	}
	payload, err := d.take(n)
	return int8(t[0]), payload, err
}

// extension dumps the MessagePack extensions Tarantool 2.6 gives a Lua
// value to: MP_DECIMAL and MP_UUID, printed as their text.
func (d *yamlDumper) extension(typ int8, payload []byte) (*yamlNode, error) {
	switch typ {
	case 1:
		s, ok := yamlDecimalString(payload)
		if !ok {
			return nil, errYAMLMsgpack
		}
		return d.scalar(s, yamlStylePlain), nil
	case 2:
		if len(payload) != 16 {
			return nil, errYAMLMsgpack
		}
		return d.scalar(yamlUUIDString(payload), yamlStylePlain), nil
	}
	return nil, fmt.Errorf("msgpack.decode: unsupported extension: %d", typ)
}

// yamlUUIDString formats a big-endian MP_UUID payload as tt_uuid_str.
func yamlUUIDString(b []byte) string {
	const hex = "0123456789abcdef"
	var buf [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[j] = '-'
			j++
		}
		buf[j], buf[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(buf[:])
}

// yamlDecimalString formats an MP_DECIMAL payload as Tarantool's
// decimal_to_string does: plain digits, never an exponent. Payloads 2.6
// does not decode are errors.
func yamlDecimalString(p []byte) (string, bool) {
	d, err := decimal.Unpack(p)
	if err != nil {
		return "", false
	}
	return d.String(), true
}

// double dumps a float or double. Outside tuples the C encoder has
// classified numbers already: a double here is printed as fpconv_g_fmt
// does. Inside a tuple it is a Lua number, which luaL_tofield prints as
// an integer when it is one, and checks against encode_invalid_numbers.
func (d *yamlDumper) double(f float64, inTuple bool) (*yamlNode, error) {
	if inTuple {
		switch {
		case f == math.Trunc(f) && f >= 0 && f < 18446744073709551616.0:
			return d.scalar(strconv.FormatUint(uint64(f), 10), yamlStylePlain), nil
		case f == math.Trunc(f) && f >= -9223372036854775808.0 && f < 0:
			return d.scalar(strconv.FormatInt(int64(f), 10), yamlStylePlain), nil
		case (math.IsNaN(f) || math.IsInf(f, 0)) && !d.opts.EncodeInvalidNumbers:
			if !d.opts.EncodeInvalidAsNil {
				return nil, errors.New("number must not be NaN or Inf")
			}
			return d.scalar("null", yamlStylePlain), nil
		}
	}
	return d.scalar(yamlFormatNumber(f, d.opts.EncodeNumberPrecision), yamlStylePlain), nil
}

// str dumps a string of n bytes.
func (d *yamlDumper) str(n int) (*yamlNode, error) {
	b, err := d.take(n)
	if err != nil {
		return nil, err
	}
	node := yamlStringNode(string(b), d.queue.flowMode())
	d.queue.push(yamlEvent{})
	return node, nil
}

// collection is dump_array and dump_table for a container of n items
// (pairs for a map) at d.pos.
func (d *yamlDumper) collection(n int, isMap, flow bool, anchor string, inTuple bool) (*yamlNode, error) {
	items := n
	if isMap {
		items *= 2
	}
	// Every item takes at least one byte: a bound before allocating.
	if items > len(d.data)-d.pos {
		return nil, errYAMLMsgpack
	}
	node := &yamlNode{kind: yamlSequence, flow: flow, anchor: anchor, children: make([]*yamlNode, 0, items)}
	start := yamlEvent{accumulate: 2, level: 1, flow: flow}
	if isMap {
		node.kind = yamlMapping
		start.accumulate = 3
	}
	d.queue.push(start)
	for i := 0; i < items; i++ {
		c, err := d.node(inTuple)
		if err != nil {
			return nil, err
		}
		node.children = append(node.children, c)
	}
	d.queue.push(yamlEvent{level: -1})
	return node, nil
}

// yamlFormatNumber is fpconv_g_fmt: printf("%.<prec>g") with glibc's
// spelling of non-finite values ("-nan" for a NaN with the sign bit); a
// precision outside 1..14 means 14.
func yamlFormatNumber(f float64, prec int) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if prec <= 0 || prec > 14 {
		prec = 14
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// yamlStringNode applies lua-yaml's string rules: strings that read back
// as null, a boolean or a number are single-quoted; strings Tarantool
// does not consider printable UTF-8 become !!binary base64 (one line);
// in flow mode strings are single-quoted; strings with an empty line use
// the literal block style. libyaml may still pick a stronger style.
func yamlStringNode(s string, flowMode bool) *yamlNode {
	n := &yamlNode{kind: yamlScalar, value: s}
	if _, isBool := yamlIsBool(s); yamlIsNull(s) || isBool || yamlIsLuaNumber(s) {
		n.style = yamlStyleSingle
		return n
	}
	if !yamlPrintable(s) {
		n.value = base64.StdEncoding.EncodeToString([]byte(s))
		n.tag = yamlBinaryTag
		return n
	}
	switch {
	case flowMode:
		n.style = yamlStyleSingle
	case strings.Contains(s, "\n\n"):
		n.style = yamlStyleLiteral
	}
	return n
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

// yamlPrintable is Tarantool's utf8_check_printable
// (src/lib/core/util.c): valid UTF-8 whose non-ASCII characters libyaml
// prints unescaped or ICU's u_isprint accepts. ASCII control characters
// pass (libyaml escapes them).
func yamlPrintable(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < 0x80 {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w <= 1 {
			return false
		}
		if !yamlIsPrintable(s, i) && !yamlICUPrintable(r) {
			return false
		}
		i += w
	}
	return true
}

// yamlICUPrintable is ICU's u_isprint: every general category except C
// (controls, format, surrogates, private use, unassigned). Go's tables
// and the ICU 72 that Debian's tarantool links are both Unicode 15.0.
func yamlICUPrintable(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// yamlIsLuaNumber reports whether LuaJIT's lua_isnumber accepts s
// (lj_strscan with STRSCAN_OPT_TONUM): optional surrounding whitespace
// and sign, decimal with fraction and exponent, 0x hexadecimal with
// optional fraction and binary exponent, 0b binary, inf, infinity and
// nan.
func yamlIsLuaNumber(s string) bool {
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
	if !yamlIsDigit(body[0]) && body[0] != '.' {
		l := strings.ToLower(body)
		return l == "inf" || l == "infinity" || l == "nan"
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		return yamlScanMantissa(body[2:], yamlIsHexDigit, "pP")
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B') {
		for j := 2; j < len(body); j++ {
			if body[j] != '0' && body[j] != '1' {
				return false
			}
		}
		return true
	}
	return yamlScanMantissa(body, yamlIsDigit, "eE")
}

// yamlScanMantissa accepts digits with at most one '.', at least one
// digit, then an optional exponent introduced by one of exp.
func yamlScanMantissa(s string, digit func(byte) bool, exp string) bool {
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
		if !yamlIsDigit(s[j]) {
			return false
		}
	}
	return true
}

func yamlIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func yamlIsHexDigit(c byte) bool {
	return yamlIsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
