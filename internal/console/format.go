package console

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spindledb/spindle/internal/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// EmptyOutput is what the console prints for a request with no results.
const EmptyOutput = "---\n...\n"

// formatterConfig is the console's YAML serializer (console.c
// serializer_yaml): defaults plus encode_invalid_numbers,
// encode_load_metatables, encode_use_tostring and encode_invalid_as_nil.
func formatterConfig() luaconv.Config {
	cfg := luaconv.DefaultConfig()
	cfg.EncodeInvalidNumbers = true
	cfg.EncodeLoadMetatables = true
	cfg.EncodeUseToString = true
	cfg.EncodeInvalidAsNil = true
	return cfg
}

// maxFormatDepth bounds nesting produced by __serialize functions that
// return ever deeper fresh tables; shared tables are cut by anchors.
const maxFormatDepth = 10000

// formatExceptionPrefix is how console.lua reports a serializer failure.
const formatExceptionPrefix = "console: an exception occurred when formatting the output: "

// Format renders values the way Tarantool's console prints the results of
// a request (console.lua output_handlers.yaml with status true): one YAML
// document holding a sequence of the values, nil shown as null. No values
// give "---\n...\n". If a value cannot be serialized (a __serialize
// function raised an error) the output is the console's error document.
// L must be the state the values belong to and must not be used
// concurrently (callers hold the baton).
func Format(L *lua.LState, values []lua.LValue) string {
	if len(values) == 0 {
		return EmptyOutput
	}
	out, err := formatValues(L, values)
	if err != nil {
		return formatErrorValue(L, lua.LString(formatExceptionPrefix+err.Error()))
	}
	return out
}

// FormatError renders a failed request the way the console does
// (output_handlers.yaml with status false): "---\n- error: <err>\n...\n".
// A *lua.ApiError contributes its Lua error value, so error objects and
// tables raised with error() print as Tarantool prints them; any other
// error contributes its message. A nil error prints "error: null".
func FormatError(L *lua.LState, err error) string {
	if err == nil {
		return formatErrorValue(L, lua.LNil)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return formatErrorValue(L, apiErr.Object)
	}
	return formatErrorValue(L, lua.LString(err.Error()))
}

// FormatErrorValue renders the error value v (what pcall returned) as the
// console's error document.
func FormatErrorValue(L *lua.LState, v lua.LValue) string {
	return formatErrorValue(L, v)
}

func formatErrorValue(L *lua.LState, v lua.LValue) string {
	if v == nil {
		v = lua.LNil
	}
	t := L.NewTable()
	if v == lua.LNil {
		v = luaconv.NULL(L)
	}
	t.RawSetString("error", v)
	out, err := formatValues(L, []lua.LValue{t})
	if err != nil {
		// console.lua would raise here; print the failure instead of
		// losing the session.
		t.RawSetString("error", lua.LString(formatExceptionPrefix+err.Error()))
		out, _ = formatValues(L, []lua.LValue{t})
	}
	return out
}

// formatValues is lbox_console_format_yaml: the values become the items
// of one block sequence, encoded as a single document.
func formatValues(L *lua.LState, values []lua.LValue) (string, error) {
	d := &dumper{L: L, cfg: formatterConfig(), refs: map[*lua.LTable]bool{}, anchors: map[*lua.LTable]string{}}
	for _, v := range values {
		d.findReferences(v)
	}
	root := &yamlNode{kind: sequenceNode}
	for _, v := range values {
		n, err := d.node(v, false, 0)
		if err != nil {
			return "", err
		}
		root.children = append(root.children, n)
	}
	return emitDocument(root), nil
}

// dumper is lua-yaml's lua_yaml_dumper: it turns Lua values into nodes.
type dumper struct {
	L   *lua.LState
	cfg luaconv.Config
	// refs marks every table reachable from the values: false when seen
	// once, true when seen more than once (find_references).
	refs map[*lua.LTable]bool
	// anchors names multiply referenced tables in dump order.
	anchors    map[*lua.LTable]string
	nextAnchor int
}

func (d *dumper) findReferences(v lua.LValue) {
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

// anchorFor returns the anchor a collection gets, or an alias node when
// the table was already written (get_yaml_anchor).
func (d *dumper) anchorFor(t *lua.LTable) (anchor string, alias *yamlNode) {
	if t == nil || !d.refs[t] {
		return "", nil
	}
	if name, ok := d.anchors[t]; ok {
		return "", &yamlNode{kind: aliasNode, value: name}
	}
	name := strconv.Itoa(d.nextAnchor)
	d.nextAnchor++
	d.anchors[t] = name
	return name, nil
}

// node is lua-yaml's dump_node. inFlow reports that an enclosing
// collection is in flow style: Tarantool then always quotes strings.
func (d *dumper) node(v lua.LValue, inFlow bool, depth int) (*yamlNode, error) {
	if depth > maxFormatDepth {
		return nil, errors.New("Too high nest level")
	}
	f, err := luaconv.ToField(d.L, &d.cfg, v)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case luaconv.KindNil:
		return &yamlNode{kind: scalarNode, value: "null", style: stylePlain}, nil
	case luaconv.KindBool:
		return &yamlNode{kind: scalarNode, value: strconv.FormatBool(f.Bool), style: stylePlain}, nil
	case luaconv.KindUint:
		return &yamlNode{kind: scalarNode, value: strconv.FormatUint(f.Uint, 10), style: stylePlain}, nil
	case luaconv.KindInt:
		return &yamlNode{kind: scalarNode, value: strconv.FormatInt(f.Int, 10), style: stylePlain}, nil
	case luaconv.KindDouble:
		return &yamlNode{kind: scalarNode, value: formatDouble(f.Double, d.cfg.EncodeNumberPrecision), style: stylePlain}, nil
	case luaconv.KindStr:
		return stringNode(f.Str, inFlow), nil
	case luaconv.KindArray:
		anchor, alias := d.anchorFor(f.Table)
		if alias != nil {
			return alias, nil
		}
		n := &yamlNode{kind: sequenceNode, flow: f.Compact, anchor: anchor}
		childFlow := inFlow || f.Compact
		for i := 1; i <= f.Size; i++ {
			c, err := d.node(f.Table.RawGetInt(i), childFlow, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		return n, nil
	case luaconv.KindMap:
		anchor, alias := d.anchorFor(f.Table)
		if alias != nil {
			return alias, nil
		}
		n := &yamlNode{kind: mappingNode, flow: f.Compact, anchor: anchor}
		childFlow := inFlow || f.Compact
		for k, val := f.Table.Next(lua.LNil); k != lua.LNil; k, val = f.Table.Next(k) {
			kn, err := d.node(k, childFlow, depth+1)
			if err != nil {
				return nil, err
			}
			vn, err := d.node(val, childFlow, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, kn, vn)
		}
		return n, nil
	case luaconv.KindRaw:
		// A tuple prints as its __serialize result: the decoded fields,
		// arrays and maps marked seq/map, hence in flow style.
		dv, _, err := luaconv.Decode(d.L, f.Raw)
		if err != nil {
			return nil, err
		}
		return d.node(dv, inFlow, depth+1)
	}
	return nil, fmt.Errorf("unsupported Lua type '%s'", v.Type())
}

// stringNode applies lua-yaml's string rules: strings that read back as
// null, a boolean or a number are single-quoted; strings Tarantool does
// not consider printable UTF-8 become !!binary base64; inside flow
// collections strings are single-quoted; strings with an empty line use
// the literal block style.
func stringNode(s string, inFlow bool) *yamlNode {
	if isYAMLNull(s) || isYAMLBool(s) || isLuaNumber(s) {
		return &yamlNode{kind: scalarNode, value: s, style: styleSingle}
	}
	if !tarantoolPrintable(s) {
		return &yamlNode{kind: scalarNode, value: base64.StdEncoding.EncodeToString([]byte(s)), style: styleAny, binary: true}
	}
	style := styleAny
	if inFlow {
		style = styleSingle
	} else if strings.Contains(s, "\n\n") {
		style = styleLiteral
	}
	return &yamlNode{kind: scalarNode, value: s, style: style}
}

// isYAMLNull is lua-yaml's yaml_is_null: only "~" and "null".
func isYAMLNull(s string) bool { return s == "~" || s == "null" }

// isYAMLBool is lua-yaml's yaml_is_bool.
func isYAMLBool(s string) bool { return s == "true" || s == "false" || s == "yes" || s == "no" }

// tarantoolPrintable is utf8_check_printable (src/lib/core/util.c): valid
// UTF-8 whose non-ASCII characters are printable; ASCII control
// characters pass (libyaml escapes them later).
func tarantoolPrintable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
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

// icuPrintable approximates ICU's u_isprint: every general category
// except C (controls, format, surrogates, private use, unassigned).
func icuPrintable(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// formatDouble is fpconv_g_fmt: printf("%.*g", precision, f), with glibc's
// spelling of infinities and NaNs.
func formatDouble(f float64, precision int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', precision, 64)
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
		switch c := s[j]; {
		case digit(c):
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			goto exponent
		}
	}
exponent:
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
