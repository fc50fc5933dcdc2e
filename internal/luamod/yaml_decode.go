package luamod

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spindledb/spindle/internal/lua"
	yamlv3 "gopkg.in/yaml.v3"
)

// yaml.decode: yaml.v3 parses (it is a port of the libyaml parser
// Tarantool uses) and the loader below pushes Lua values by lua-yaml's
// rules (lyaml.cc load_node and load_scalar).

const yamlDecodeUsage = "Usage: yaml.decode(document, [{tag_only = boolean}])"

// yamlMaxDecodeDepth bounds nesting: every level holds a table and a key
// on the Lua stack. libyaml has no bound (lua-yaml would overrun the Lua
// stack long before it), yaml.v3 stops at 10000.
const yamlMaxDecodeDepth = 10000

// yamlDecode is l_load: it pushes one value per document of doc and
// returns their count, raising libyaml's problem for a malformed
// document. Inside a Function only.
func yamlDecode(L lua.State, o lua.SerializerOptions, doc string) int {
	dec := yamlv3.NewDecoder(strings.NewReader(doc))
	L.NewTable() // the anchors of the current document, by name
	anchors := L.GetTop()
	count := 0
	for {
		var root yamlv3.Node
		err := dec.Decode(&root)
		if err == io.EOF {
			break
		}
		if err != nil {
			L.RaiseString(yamlParseError(err, count+1))
		}
		if root.Kind != yamlv3.DocumentNode || len(root.Content) == 0 {
			// A stream of comments only holds no document.
			continue
		}
		count++
		if !L.CheckStack(8) {
			L.RaiseString("stack overflow (yaml.decode)")
		}
		ld := yamlLoader{L: L, opts: o, anchors: anchors}
		ld.load(root.Content[0], 0)
		// Each document has anchors of its own.
		L.NewTable()
		L.Replace(anchors)
	}
	L.Remove(anchors)
	return count
}

// yamlParseError words a yaml.v3 error as lua-yaml's
// generate_error_message does ("<problem> at document: N, line: L"),
// as far as yaml.v3 tells: it reports the line but not the column nor
// the context.
func yamlParseError(err error, doc int) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		// libyaml leaves aliases to lua-yaml, which reports them.
		return "invalid reference: " + strings.TrimSuffix(name, "' referenced")
	}
	where := " at document: " + strconv.Itoa(doc)
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if _, err := strconv.Atoi(rest[:i]); err == nil {
				return rest[i+2:] + where + ", line: " + rest[:i] + "\n"
			}
		}
	}
	return msg + where + "\n"
}

// yamlLoader pushes the Lua values of one document.
type yamlLoader struct {
	L       lua.State
	opts    lua.SerializerOptions
	anchors int // stack index of the anchor table
}

// anchor is handle_anchor: the value on top becomes the anchor's.
func (y *yamlLoader) anchor(name string) {
	if name == "" {
		return
	}
	y.L.PushValue(-1)
	y.L.RawSetField(y.anchors, name)
}

// load pushes the value of n.
func (y *yamlLoader) load(n *yamlv3.Node, depth int) {
	L := y.L
	if depth >= yamlMaxDecodeDepth || !L.CheckStack(4) {
		L.RaiseString("yaml.decode: document is nested too deeply")
	}
	switch n.Kind {
	case yamlv3.AliasNode:
		L.RawGetField(y.anchors, n.Value)
		if L.IsNil(-1) {
			L.RaiseString("invalid reference: " + n.Value)
		}
	case yamlv3.SequenceNode:
		L.CreateTable(len(n.Content), 0)
		if y.opts.DecodeSaveMetatables {
			L.SetArrayHint(-1)
		}
		y.anchor(n.Anchor)
		for i, c := range n.Content {
			y.load(c, depth+1)
			L.RawSetI(-2, i+1)
		}
	case yamlv3.MappingNode:
		L.CreateTable(0, len(n.Content)/2)
		if y.opts.DecodeSaveMetatables {
			L.SetMapHint(-1)
		}
		y.anchor(n.Anchor)
		for i := 0; i+1 < len(n.Content); i += 2 {
			y.load(n.Content[i], depth+1)
			if L.Type(-1) == lua.TypeNumber && math.IsNaN(L.ToNumber(-1)) {
				L.RaiseString("table index is NaN")
			}
			y.load(n.Content[i+1], depth+1)
			L.RawSet(-3)
		}
	case yamlv3.ScalarNode:
		y.scalar(n)
	default:
		L.RaiseString("invalid event")
	}
}

// yamlTagPrefix is LUAYAML_TAG_PREFIX, the prefix of the tags lua-yaml
// knows; yaml.v3 writes it "!!".
const yamlTagPrefix = "tag:yaml.org,2002:"

// scalar is load_scalar. Only strings that fall through to the last case
// get their anchor, as in lua-yaml: an alias of an anchored number or
// tagged scalar is an invalid reference.
func (y *yamlLoader) scalar(n *yamlv3.Node) {
	L := y.L
	s := n.Value
	if n.Style&yamlv3.TaggedStyle != 0 {
		tag := n.Tag
		if rest, ok := strings.CutPrefix(tag, "!!"); ok {
			tag = yamlTagPrefix + rest
		}
		switch strings.TrimPrefix(tag, yamlTagPrefix) {
		case "str":
			L.PushString(s)
			return
		case "int":
			// lua_pushinteger(strtol(str, NULL, 10))
			v, _ := yamlStrtoll(s)
			L.PushNumber(float64(v))
			return
		case "float":
			v, _ := yamlStrtod(s)
			y.number(v)
			return
		case "bool":
			b, _ := yamlIsBool(s)
			L.PushBool(b)
			return
		case "binary":
			L.PushString(yamlBase64Decode(s))
			return
		}
	}
	if n.Style&(yamlv3.SingleQuotedStyle|yamlv3.DoubleQuotedStyle|yamlv3.LiteralStyle|yamlv3.FoldedStyle) == 0 {
		if s == "" {
			// Non-standard: an empty plain scalar is "", not null.
			L.PushString("")
			return
		}
		if yamlIsNull(s) {
			L.PushNull()
			return
		}
		if b, ok := yamlIsBool(s); ok {
			L.PushBool(b)
			return
		}
		// Numbers as strtoll, strtoull and strtod read the whole text.
		// strtoll's overflow to LLONG_MAX falls through to strtoull,
		// its underflow to LLONG_MIN does not (lua-yaml checks only
		// the former).
		if v, end := yamlStrtoll(s); end == len(s) && v != math.MaxInt64 {
			L.PushInt64(v)
			return
		}
		if v, end := yamlStrtoull(s); end == len(s) {
			L.PushUint64(v)
			return
		}
		if v, end := yamlStrtod(s); end == len(s) {
			y.number(v)
			return
		}
	}
	L.PushString(s)
	y.anchor(n.Anchor)
}

// number pushes a decoded float, checked by luaL_checkfinite.
func (y *yamlLoader) number(v float64) {
	if !y.opts.DecodeInvalidNumbers && (math.IsNaN(v) || math.IsInf(v, 0)) {
		raise(y.L, "number must not be NaN or Inf")
	}
	y.L.PushNumber(v)
}

// yamlIsCSpace is C's isspace in the C locale.
func yamlIsCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// yamlStrtoDigits scans what strtoll and strtoull read in base 10:
// leading white space, a sign, digits. It returns whether the sign was
// '-', the magnitude saturated at math.MaxUint64 (and whether it was),
// and the length read: 0 without digits, as the C functions set endptr
// to the start.
func yamlStrtoDigits(s string) (neg bool, mag uint64, overflow bool, end int) {
	i := 0
	for i < len(s) && yamlIsCSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && yamlIsDigit(s[i]) {
		d := uint64(s[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			overflow = true
		}
		if !overflow {
			mag = mag*10 + d
		}
		i++
	}
	if i == start {
		return false, 0, false, 0
	}
	if overflow {
		mag = math.MaxUint64
	}
	return neg, mag, overflow, i
}

// yamlStrtoll is strtoll(s, &end, 10) (and strtol on LP64): saturating
// at the int64 range.
func yamlStrtoll(s string) (int64, int) {
	neg, mag, _, end := yamlStrtoDigits(s)
	if neg {
		if mag >= 1<<63 {
			return math.MinInt64, end
		}
		return -int64(mag), end
	}
	if mag > math.MaxInt64 {
		return math.MaxInt64, end
	}
	return int64(mag), end
}

// yamlStrtoull is strtoull(s, &end, 10): a '-' negates the value modulo
// 2^64, overflow saturates at math.MaxUint64 whatever the sign.
func yamlStrtoull(s string) (uint64, int) {
	neg, mag, overflow, end := yamlStrtoDigits(s)
	if neg && !overflow {
		mag = -mag
	}
	return mag, end
}

// yamlStrtod is glibc's strtod(s, &end) in the C locale: the value of
// the longest prefix that reads as a number (white space, sign, then
// "inf", "infinity", "nan", "nan(chars)", hexadecimal with optional
// fraction and binary exponent, or decimal) and its length, 0 when none.
func yamlStrtod(s string) (float64, int) {
	i := 0
	for i < len(s) && yamlIsCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(v float64) float64 {
		if neg {
			return math.Copysign(v, -1)
		}
		return v
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		end := i + 3
		if j := strings.IndexByte(s[end:], ')'); end < len(s) && s[end] == '(' && j > 0 {
			ok := true
			for _, c := range []byte(s[end+1 : end+j]) {
				if !yamlIsAlpha(c) || c == '-' {
					ok = false
					break
				}
			}
			if ok {
				end += j + 1
			}
		}
		return sign(math.NaN()), end
	case strings.HasPrefix(rest, "0x"):
		j, digits := i+2, 0
		for j < len(s) && yamlIsHexDigit(s[j]) {
			j++
			digits++
		}
		if j < len(s) && s[j] == '.' {
			j++
			for j < len(s) && yamlIsHexDigit(s[j]) {
				j++
				digits++
			}
		}
		if digits == 0 {
			// "0x" alone reads as the 0 before the x.
			return sign(0), i + 1
		}
		mant := s[i:j]
		exp := "p0"
		if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
			k := j + 1
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
			}
			e := k
			for e < len(s) && yamlIsDigit(s[e]) {
				e++
			}
			if e > k {
				exp = "p" + s[j+1:e]
				j = e
			}
		}
		v, err := strconv.ParseFloat(mant+exp, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, 0
		}
		return sign(v), j
	}
	j, digits := i, 0
	for j < len(s) && yamlIsDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && yamlIsDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		e := k
		for e < len(s) && yamlIsDigit(s[e]) {
			e++
		}
		if e > k {
			j = e
		}
	}
	v, err := strconv.ParseFloat(s[i:j], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0
	}
	// ParseFloat gives ±Inf or 0 out of range, as strtod.
	return sign(v), j
}

// yamlBase64Decode is Tarantool's base64_decode (third_party/base64.c) as
// frombase64 uses it: every character outside the alphabet, '='
// included, is skipped, and a trailing incomplete group yields its
// whole bytes.
func yamlBase64Decode(s string) string {
	out := make([]byte, 0, len(s)*3/4+1)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(yamlBase64Alphabet, s[i])
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return string(out)
}

const yamlBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// yamlDecodeTag is load_tag for yaml.decode(doc, {tag_only = true}): the
// handle and prefix of the first document's %TAG directive, nil when it
// has none, or nil and the problem for malformed directives or more than
// one. Only the directives are read, as libyaml parses only up to the
// document start.
func yamlDecodeTag(L lua.State, doc string) int {
	var tags [][2]string
	// directives ends the last directive line, body starts the first
	// line that is neither a directive, blank nor a comment.
	directives, body := 0, len(doc)
	for off := 0; off < len(doc); {
		line := doc[off:]
		next := len(doc)
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], off+i+1
		}
		trimmed := strings.TrimRight(strings.TrimSuffix(line, "\r"), " \t")
		if t := strings.TrimLeft(trimmed, " \t"); t != "" && t[0] != '#' {
			if trimmed[0] != '%' {
				body = off
				break
			}
			directives = next
			if f := strings.Fields(trimmed); len(f) >= 3 && f[0] == "%TAG" {
				tags = append(tags, [2]string{f[1], f[2]})
			}
		}
		off = next
	}
	if directives > 0 {
		// Let the parser judge the directives, followed by a document
		// start as libyaml requires after them.
		head := doc[:directives]
		if !strings.HasPrefix(doc[body:], "---") {
			L.PushNil()
			L.PushString("did not find expected <document start> at document: 0\n")
			return 2
		}
		if !strings.HasSuffix(head, "\n") {
			head += "\n"
		}
		var n yamlv3.Node
		if err := yamlv3.Unmarshal([]byte(head+"--- ~\n"), &n); err != nil {
			L.PushNil()
			L.PushString(yamlParseError(err, 0))
			return 2
		}
	}
	switch len(tags) {
	case 0:
		L.PushNil()
		return 1
	case 1:
		L.PushString(tags[0][0])
		L.PushString(tags[0][1])
		return 2
	}
	L.PushNil()
	L.PushString("can not decode multiple tags")
	return 2
}
