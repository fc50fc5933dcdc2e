package luamod

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/spindledb/spindle/internal/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// PreloadYAML registers the yaml module: encode (Tarantool's lua-yaml
// over libyaml, reproduced byte for byte by yaml_emit.go), decode
// (yaml.v3 with Tarantool's scalar rules), new, cfg, NULL.
func PreloadYAML(L *lua.LState) {
	register(L, "yaml", func(L *lua.LState) int {
		L.Push(newYAMLModule(L))
		return 1
	})
}

const yamlUsage = "Usage: encode(object, {tag_prefix = <string>, tag_handle = <string>})"

func newYAMLModule(L *lua.LState) *lua.LTable {
	cfg := luaconv.DefaultConfig()
	mod := newSerializerModule(L, &cfg)
	setFuncs(L, mod, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() < 1 {
				raise(L, yamlUsage)
			}
			var prefix, handle string
			if opt := L.Get(2); opt != lua.LNil {
				t, ok := opt.(*lua.LTable)
				if !ok {
					raise(L, yamlUsage)
				}
				p, h := t.RawGetString("tag_prefix"), t.RawGetString("tag_handle")
				if (p != lua.LNil && p.Type() != lua.LTString && p.Type() != lua.LTNumber) ||
					(h != lua.LNil && h.Type() != lua.LTString && h.Type() != lua.LTNumber) ||
					(p == lua.LNil) != (h == lua.LNil) {
					raise(L, yamlUsage)
				}
				prefix, handle = lua.LVAsString(p), lua.LVAsString(h)
			}
			out, err := YAMLEncode(L, &cfg, L.Get(1), handle, prefix)
			if err != nil {
				raise(L, err.Error())
			}
			L.Push(lua.LString(out))
			return 1
		},
		"decode": func(L *lua.LState) int {
			v, err := yamlDecode(L, &cfg, L.CheckString(1))
			if err != nil {
				raise(L, err.Error())
			}
			L.Push(v)
			return 1
		},
		"new": func(L *lua.LState) int {
			L.Push(newYAMLModule(L))
			return 1
		},
	})
	return mod
}

// luaNumberRE matches what LuaJIT's tonumber() accepts after trimming:
// decimal and hexadecimal numbers, inf, infinity and nan.
var luaNumberRE = regexp.MustCompile(`^[+-]?(?:(?i:inf|infinity|nan)|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`)

func isLuaNumber(s string) bool {
	return luaNumberRE.MatchString(strings.Trim(s, " \t\n\v\f\r"))
}

func yamlIsNull(s string) bool { return s == "~" || s == "null" }

func yamlIsBool(s string) (bool, bool) {
	switch s {
	case "false", "no":
		return false, true
	case "true", "yes":
		return true, true
	}
	return false, false
}

// yamlNode is the document tree built from Lua values before emitting.
type yamlNode struct {
	kind     luaconv.Kind // KindArray, KindMap, or KindStr for scalars
	text     string
	style    scalarStyle
	tag      string
	flow     bool
	items    []*yamlNode // array items, or key, value, key, value...
	anchor   string
	alias    string
	table    *lua.LTable
	isScalar bool
}

type yamlDumper struct {
	L       *lua.LState
	cfg     *luaconv.Config
	refs    map[*lua.LTable]int // 1: seen once, 2: seen again (needs anchor)
	anchors map[*lua.LTable]string
	next    int
	depth   int
}

// YAMLEncode renders v as one YAML document, as Tarantool's yaml.encode.
func YAMLEncode(L *lua.LState, cfg *luaconv.Config, v lua.LValue, tagHandle, tagPrefix string) (string, error) {
	d := &yamlDumper{L: L, cfg: cfg, refs: map[*lua.LTable]int{}, anchors: map[*lua.LTable]string{}}
	d.findReferences(v, 0)
	root, err := d.node(v, false)
	if err != nil {
		return "", err
	}
	w := &yamlWriter{whitespace: true, indention: true}
	if tagHandle != "" {
		w.put("%TAG " + tagHandle + " " + tagPrefix)
		w.putBreak()
	}
	w.indicator("---", true, false, false)
	e := &yamlEmitter{w: w}
	e.emit(root, -1, false, false, true)
	w.writeIndent(0)
	w.indicator("...", true, false, false)
	w.writeIndent(0)
	return w.buf.String(), nil
}

// findReferences marks tables reachable more than once (lua-yaml's
// find_references); they get anchors and aliases.
func (d *yamlDumper) findReferences(v lua.LValue, depth int) {
	t, ok := v.(*lua.LTable)
	if !ok || depth > 1000 {
		return
	}
	d.refs[t]++
	if d.refs[t] > 1 {
		return
	}
	for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
		d.findReferences(val, depth+1)
		d.findReferences(k, depth+1)
	}
}

func (d *yamlDumper) scalar(text string, style scalarStyle) *yamlNode {
	return &yamlNode{kind: luaconv.KindStr, text: text, style: style, isScalar: true}
}

func (d *yamlDumper) node(v lua.LValue, inFlow bool) (*yamlNode, error) {
	f, err := luaconv.ToField(d.L, d.cfg, v)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case luaconv.KindNil:
		return d.scalar("null", stylePlain), nil
	case luaconv.KindBool:
		return d.scalar(strconv.FormatBool(f.Bool), styleAny), nil
	case luaconv.KindUint:
		return d.scalar(strconv.FormatUint(f.Uint, 10), styleAny), nil
	case luaconv.KindInt:
		return d.scalar(strconv.FormatInt(f.Int, 10), styleAny), nil
	case luaconv.KindDouble:
		return d.scalar(formatNumber(f.Double, d.cfg.EncodeNumberPrecision, true), styleAny), nil
	case luaconv.KindRaw:
		if u, ok := ToUUID(f.Value); ok {
			return d.scalar(u.String(), styleAny), nil
		}
		dv, err := rawToLua(d.L, f.Raw)
		if err != nil {
			return nil, err
		}
		return d.node(dv, inFlow)
	case luaconv.KindStr:
		s := f.Str
		if _, isBool := yamlIsBool(s); yamlIsNull(s) || isBool || isLuaNumber(s) {
			return d.scalar(s, styleSingle), nil
		}
		if utf8CheckPrintable(s) {
			style := styleAny
			if inFlow {
				style = styleSingle
			} else if strings.Contains(s, "\n\n") {
				style = styleLiteral
			}
			return d.scalar(s, style), nil
		}
		n := d.scalar(base64Encode([]byte(s), 0), styleAny)
		n.tag = "!!binary"
		return n, nil
	}
	// Arrays and maps.
	t := f.Table
	n := &yamlNode{kind: f.Kind, flow: f.Compact, table: t}
	if d.refs[t] > 1 {
		if name, ok := d.anchors[t]; ok {
			return &yamlNode{kind: luaconv.KindStr, alias: name, isScalar: true}, nil
		}
		name := strconv.Itoa(d.next)
		d.next++
		d.anchors[t] = name
		n.anchor = name
	}
	if d.depth >= d.cfg.EncodeMaxDepth {
		if !d.cfg.EncodeDeepAsNil {
			return nil, errTooDeep
		}
		return d.scalar("null", stylePlain), nil
	}
	d.depth++
	defer func() { d.depth-- }()
	childFlow := inFlow || n.flow
	if f.Kind == luaconv.KindArray {
		for i := 1; i <= f.Size; i++ {
			c, err := d.node(t.RawGetInt(i), childFlow)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	}
	for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
		kn, err := d.node(k, childFlow)
		if err != nil {
			return nil, err
		}
		vn, err := d.node(val, childFlow)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, kn, vn)
	}
	return n, nil
}

type yamlEmitter struct {
	w         *yamlWriter
	flowLevel int
}

// scalarLen is the length libyaml's simple-key check counts.
func simpleKey(n *yamlNode) bool {
	if n.alias != "" {
		return true
	}
	if n.isScalar {
		a := analyzeScalar(n.text)
		return len(n.text)+len(n.tag)+len(n.anchor) <= 128 && !a.multiline
	}
	return len(n.items) == 0 && len(n.anchor) <= 128
}

// emit writes node n. indent is the enclosing collection's indent;
// mappingCtx/simpleKeyCtx are libyaml's mapping_context and
// simple_key_context.
func (e *yamlEmitter) emit(n *yamlNode, indent int, mappingCtx, simpleKeyCtx, root bool) {
	w := e.w
	if n.alias != "" {
		w.indicator("*"+n.alias, true, false, false)
		return
	}
	if n.anchor != "" {
		w.indicator("&"+n.anchor, true, false, false)
	}
	if n.tag != "" {
		w.indicator(n.tag, true, false, false)
	}
	if n.isScalar {
		style := selectStyle(n.text, n.style, e.flowLevel > 0, simpleKeyCtx)
		scalarIndent := 2
		if indent >= 0 {
			scalarIndent = indent + 2
		}
		if e.flowLevel > 0 && indent >= 0 {
			scalarIndent = indent + 2
		}
		w.writeScalar(n.text, style, scalarIndent, !simpleKeyCtx)
		return
	}
	if e.flowLevel > 0 || n.flow || len(n.items) == 0 {
		e.emitFlow(n, indent)
		return
	}
	// Block collection: increase_indent(0, indentless).
	newIndent := 0
	indentless := mappingCtx && !w.indention && n.kind == luaconv.KindArray
	if indent >= 0 {
		newIndent = indent
		if !indentless {
			newIndent = indent + 2
		}
	}
	if n.kind == luaconv.KindArray {
		for _, item := range n.items {
			w.writeIndent(newIndent)
			w.indicator("-", true, false, true)
			e.emit(item, newIndent, false, false, false)
		}
		return
	}
	for i := 0; i < len(n.items); i += 2 {
		k, v := n.items[i], n.items[i+1]
		w.writeIndent(newIndent)
		if simpleKey(k) {
			e.emit(k, newIndent, true, true, false)
			w.indicator(":", false, false, false)
		} else {
			w.indicator("?", true, false, true)
			e.emit(k, newIndent, true, false, false)
			w.writeIndent(newIndent)
			w.indicator(":", true, false, true)
		}
		e.emit(v, newIndent, true, false, false)
	}
}

func (e *yamlEmitter) emitFlow(n *yamlNode, indent int) {
	w := e.w
	open, closing := "[", "]"
	if n.kind == luaconv.KindMap {
		open, closing = "{", "}"
	}
	w.indicator(open, true, true, false)
	flowIndent := 2
	if indent >= 0 {
		flowIndent = indent + 2
	}
	e.flowLevel++
	if n.kind == luaconv.KindArray {
		for i, item := range n.items {
			if i > 0 {
				w.indicator(",", false, false, false)
			}
			if w.column > yamlWidth {
				w.writeIndent(flowIndent)
			}
			e.emit(item, flowIndent, false, false, false)
		}
	} else {
		for i := 0; i < len(n.items); i += 2 {
			if i > 0 {
				w.indicator(",", false, false, false)
			}
			if w.column > yamlWidth {
				w.writeIndent(flowIndent)
			}
			k, v := n.items[i], n.items[i+1]
			if simpleKey(k) {
				e.emit(k, flowIndent, true, true, false)
				w.indicator(":", false, false, false)
			} else {
				w.indicator("?", true, false, false)
				e.emit(k, flowIndent, true, false, false)
				w.indicator(":", true, false, false)
			}
			e.emit(v, flowIndent, true, false, false)
		}
	}
	e.flowLevel--
	w.indicator(closing, false, false, false)
}
