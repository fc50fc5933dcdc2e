package luamod

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
	yamlv3 "gopkg.in/yaml.v3"
)

var errTooDeep = errors.New("Too high nest level")

// yamlDecode parses a YAML document with yaml.v3 and converts it with
// lua-yaml's rules (load_scalar): plain "~"/"null" are NULL, only
// true/false/yes/no are booleans, integers and floats as strtoll /
// strtoull / strtod accept them, the empty plain scalar is "", and
// !!str/!!int/!!float/!!bool/!!binary tags are honoured. An empty stream
// decodes to nothing (nil).
func yamlDecode(L *lua.LState, cfg *luaconv.Config, s string) (lua.LValue, error) {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal([]byte(s), &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return lua.LNil, nil
	}
	y := &yamlLoader{L: L, cfg: cfg, anchors: map[*yamlv3.Node]lua.LValue{}}
	return y.load(doc.Content[0], 0)
}

type yamlLoader struct {
	L       *lua.LState
	cfg     *luaconv.Config
	anchors map[*yamlv3.Node]lua.LValue
}

func (y *yamlLoader) load(n *yamlv3.Node, depth int) (lua.LValue, error) {
	if depth > 1000 {
		return nil, errors.New("yaml: document is nested too deeply")
	}
	switch n.Kind {
	case yamlv3.AliasNode:
		if v, ok := y.anchors[n.Alias]; ok {
			return v, nil
		}
		return y.load(n.Alias, depth+1)
	case yamlv3.SequenceNode:
		t := y.L.NewTable()
		y.anchors[n] = t
		for i, c := range n.Content {
			v, err := y.load(c, depth+1)
			if err != nil {
				return nil, err
			}
			t.RawSetInt(i+1, v)
		}
		if y.cfg.DecodeSaveMetatables {
			t.Metatable = luaconv.SeqMetatable(y.L)
		}
		return t, nil
	case yamlv3.MappingNode:
		t := y.L.NewTable()
		y.anchors[n] = t
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := y.load(n.Content[i], depth+1)
			if err != nil {
				return nil, err
			}
			v, err := y.load(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			if kn, ok := k.(lua.LNumber); ok && math.IsNaN(float64(kn)) {
				return nil, errors.New("table index is NaN")
			}
			t.RawSet(k, v)
		}
		if y.cfg.DecodeSaveMetatables {
			t.Metatable = luaconv.MapMetatable(y.L)
		}
		return t, nil
	case yamlv3.ScalarNode:
		v, err := y.scalar(n)
		if err == nil {
			y.anchors[n] = v
		}
		return v, err
	}
	return nil, fmt.Errorf("unsupported YAML node kind %d", n.Kind)
}

func (y *yamlLoader) scalar(n *yamlv3.Node) (lua.LValue, error) {
	s := n.Value
	switch n.Tag {
	case "!!str":
		if n.Style&yamlv3.TaggedStyle != 0 {
			return lua.LString(s), nil
		}
	case "!!int":
		if n.Style&yamlv3.TaggedStyle != 0 {
			i, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			return lua.LNumber(i), nil
		}
	case "!!float":
		if n.Style&yamlv3.TaggedStyle != 0 {
			f := parseFloatLoose(s[:floatPrefix(s)])
			return y.number(f)
		}
	case "!!bool":
		if n.Style&yamlv3.TaggedStyle != 0 {
			b, _ := yamlIsBool(s)
			return lua.LBool(b), nil
		}
	case "!!binary":
		return lua.LString(base64Decode(s)), nil
	}
	if n.Style&(yamlv3.SingleQuotedStyle|yamlv3.DoubleQuotedStyle|yamlv3.LiteralStyle|yamlv3.FoldedStyle) != 0 {
		return lua.LString(s), nil
	}
	if s == "" {
		return lua.LString(""), nil
	}
	if yamlIsNull(s) {
		return luaconv.NULL(y.L), nil
	}
	if b, ok := yamlIsBool(s); ok {
		return lua.LBool(b), nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && i != math.MaxInt64 {
		return lua.LNumber(i), nil
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return lua.LNumber(u), nil
	}
	if f, ok := strtodWhole(s); ok {
		return y.number(f)
	}
	return lua.LString(s), nil
}

func (y *yamlLoader) number(f float64) (lua.LValue, error) {
	if !y.cfg.DecodeInvalidNumbers && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, errors.New("number must not be NaN or Inf")
	}
	return lua.LNumber(f), nil
}

// strtodWhole reports whether strtod would consume all of s.
func strtodWhole(s string) (float64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" {
		return 0, false
	}
	lower := strings.ToLower(strings.TrimLeft(t, "+-"))
	switch lower {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil
	}
	if n := floatPrefix(t); n == len(t) && strings.ContainsAny(t, "0123456789") {
		return parseFloatLoose(t), true
	}
	return 0, false
}
