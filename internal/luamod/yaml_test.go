package luamod

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
	yamlv3 "gopkg.in/yaml.v3"
)

// newYAMLTestState returns a state with the modules preloaded, the
// globals yaml, S (flow sequence) and M (flow mapping), and a helper
// enc(v[, opts]) returning what pcall(yaml.encode, v, opts) returns.
func newYAMLTestState(t testing.TB) lua.State {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	err := L.DoString(`yaml = require('yaml')
		S = function(t) return setmetatable(t, {__serialize = 'seq'}) end
		M = function(t) return setmetatable(t, {__serialize = 'map'}) end`, "=init")
	if err != nil {
		t.Fatal(err)
	}
	return L
}

// evalStrings runs chunk and returns its results as strings (nil as
// "nil").
func evalStrings(t testing.TB, L lua.State, chunk string) []string {
	t.Helper()
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.Load(chunk, "=test"); err != nil {
		t.Fatal(err)
	}
	if err := L.PCall(0, lua.MultRet); err != nil {
		t.Fatalf("%s: %v", chunk, err)
	}
	var res []string
	for i := top + 1; i <= L.GetTop(); i++ {
		if L.IsNil(i) {
			res = append(res, "nil")
			continue
		}
		s, err := L.ToStringMeta(i)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, s)
	}
	return res
}

// TestYAMLEncodeKnown holds outputs of Tarantool 2.6.0's yaml.encode
// (captured with tarantool -e) for libyaml's event-queue quirks and the
// cases earlier encoders got wrong, so that they are checked even where
// the differential test skips.
func TestYAMLEncodeKnown(t *testing.T) {
	L := newYAMLTestState(t)
	tests := []struct{ expr, want string }{
		{`{'\240\159\152\128', '0b101', string.rep('\255', 60)}`,
			"---\n- \"\\U0001F600\"\n- '0b101'\n- !!binary " + strings.Repeat("/", 80) + "\n...\n"},
		{`M{[string.rep('k', 129)] = 1}`,
			"--- {? '" + strings.Repeat("k", 129) + "'\n  : 1}\n...\n"},
		{`{[string.rep('k', 128)] = 1}`, "---\n" + strings.Repeat("k", 128) + ": 1\n...\n"},
		// The outer flow start has left libyaml's queue and its first
		// item is not processed yet: flow_level is 0, the string plain.
		{`(function() local t = {1, 'x y'} return S{t, t} end)()`, "--- [&0 [1, x y], *0]\n...\n"},
		// An empty flow key keeps the mapping start queued: quoted.
		{`{[S{}] = 'x y'}`, "---\n[]: 'x y'\n...\n"},
		{`{[{}] = 'x y'}`, "---\n[]: x y\n...\n"},
		{`{S{}, 'x y'}`, "---\n- []\n- x y\n...\n"},
		{`{'\226\128\168'}`, "---\n- '\u2028  '\n...\n"},
		{`{'x \226\128\168'}`, "---\n- \"x \\L\"\n...\n"},
		{`'\239\187\191'`, "--- !!binary 77u/\n...\n"},
		{`'\194\133'`, "--- !!binary woU=\n...\n"},
		{`'a\127b'`, "--- \"a\\x7Fb\"\n...\n"},
		{`'1' .. string.rep('0', 30)`, "--- '1" + strings.Repeat("0", 30) + "'\n...\n"},
		{`(function() local t = {} t[1] = t return t end)()`, "--- &0\n- *0\n...\n"},
		{`18446744073709551615ULL`, "--- 18446744073709551615\n...\n"},
		{`-9223372036854775807LL - 1`, "--- -9223372036854775808\n...\n"},
	}
	for _, tt := range tests {
		got := evalStrings(t, L, "return yaml.encode("+tt.expr+")")
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.expr, got, tt.want)
		}
	}
}

func TestYAMLEncodeTags(t *testing.T) {
	L := newYAMLTestState(t)
	tests := []struct {
		v, handle, prefix string
		want              []string
	}{
		{"1", "'!x!'", "'a b%c\\195\\169'", []string{"%TAG !x! a%20b%25c%C3%A9\n--- 1\n...\n"}},
		{"'\\255'", "'!t!'", "'tag:'", []string{"%TAG !t! tag:\n--- !t!yaml.org,2002:binary /w==\n...\n"}},
		{"'\\255'", "'!!'", "'p'", []string{"%TAG !! p\n--- !<tag:yaml.org,2002:binary> /w==\n...\n"}},
		{"1", "'!x!'", "'\\128'", []string{""}},
		{"1", "'x'", "'p'", []string{"nil", "tag handle must start with '!'"}},
		{"1", "'!x'", "'p'", []string{"nil", "tag handle must end with '!'"}},
		{"1", "'!'", "''", []string{"nil", "tag prefix must not be empty"}},
		{"1", "'!a.b!'", "'p'", []string{"nil", "tag handle must contain alphanumerical characters only"}},
		{"1", "''", "'p'", []string{"nil", "tag handle must not be empty"}},
		// The root is classified before libyaml objects to the
		// directive; what lies deeper is not.
		{"function() end", "'x'", "'p'", []string{"false", "unsupported Lua type 'function'"}},
		{"{function() end}", "'x'", "'p'", []string{"nil", "tag handle must start with '!'"}},
	}
	for _, tt := range tests {
		chunk := fmt.Sprintf("return yaml.encode(%s, {tag_handle = %s, tag_prefix = %s})", tt.v, tt.handle, tt.prefix)
		if tt.want[0] == "false" {
			chunk = fmt.Sprintf("return pcall(yaml.encode, %s, {tag_handle = %s, tag_prefix = %s})", tt.v, tt.handle, tt.prefix)
		}
		got := evalStrings(t, L, chunk)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %q want %q", chunk, got, tt.want)
		}
	}
}

func TestYAMLEncodeDepth(t *testing.T) {
	L := newYAMLTestState(t)
	// encode_max_depth does not apply to yaml.encode in Tarantool 2.6;
	// ever deeper values end in a Lua error (the C encoder's slots on
	// the Lua stack or its own depth bound), not a crash.
	err := L.DoString(`yaml.cfg{encode_max_depth = 2}
		local t = {} local c = t for i = 1, 300 do c[1] = {} c = c[1] end
		assert(#yaml.encode(t) > 600)
		t = {} c = t for i = 1, 300 do c.k = {} c = c.k end
		assert(#yaml.encode(t) > 600)
		local function deep(err)
			return err == 'stack overflow (serializer)' or err:match('^Too high nest level') ~= nil
		end
		local mt = {} mt.__serialize = function() return {setmetatable({}, mt)} end
		local ok, err = pcall(yaml.encode, setmetatable({}, mt))
		assert(not ok and deep(err), err)
		t = {} c = t for i = 1, 20000 do c[1] = {} c = c[1] end
		ok, err = pcall(yaml.encode, t)
		assert(not ok and deep(err), err)
		local doc = string.rep('[', 20000) .. string.rep(']', 20000)
		ok, err = pcall(yaml.decode, doc)
		assert(not ok, 'deep document decoded')`, "=depth")
	if err != nil {
		t.Fatal(err)
	}
}

func TestYAMLDecodeErrors(t *testing.T) {
	L := newYAMLTestState(t)
	tests := []struct{ doc, want string }{
		// yaml.v3 reports no column, and a line only where it knows one.
		{"a: b: c", "mapping values are not allowed in this context at document: 1\n"},
		{"--- 1\n--- [\n", "did not find expected node content at document: 2, line: 2\n"},
		{"a: *y", "invalid reference: y"},
		{"{nan: 1}", "table index is NaN"},
	}
	for _, tt := range tests {
		got := evalStrings(t, L, fmt.Sprintf("return pcall(yaml.decode, %q)", tt.doc))
		if len(got) != 2 || got[0] != "false" || got[1] != tt.want {
			t.Errorf("%q: got %q want %q", tt.doc, got, tt.want)
		}
	}
	// luaL_error positions: usage errors name the Lua caller.
	got := evalStrings(t, L, "return pcall(function() local v = yaml.decode() return v end)")
	if want := "test:1: " + yamlDecodeUsage; got[1] != want {
		t.Errorf("usage: got %q want %q", got[1], want)
	}
}

// TestYAMLIsLuaNumber checks yamlIsLuaNumber against LuaJIT itself.
func TestYAMLIsLuaNumber(t *testing.T) {
	L := newYAMLTestState(t)
	cases := []string{"1", "-1", "+1", " 1 ", "1.", ".5", "1e5", "1E-5", "0x10", "0X1F", "0x1p4", "0x1.8",
		"0b101", "inf", "-nan", "Infinity", "+.5e+3", "", " ", "-", ".", "1e", "0x", "1_000", "1LL", "- 1",
		"1..2", "e5", "0b2", "x1", "1e+", "infx", "1ULL", "1i", "0x.8", "0x.", "\t5\n", "\v5\f", "nan(1)",
		"0b", "-0b1", "0x1P-2", "1e999", "00", "08", "1,5", "١"}
	for _, s := range cases {
		L.PushString(s)
		want := L.IsNumber(-1)
		L.Pop(1)
		if got := yamlIsLuaNumber(s); got != want {
			t.Errorf("yamlIsLuaNumber(%q) = %v, LuaJIT says %v", s, got, want)
		}
	}
}

func TestYAMLCheckUTF8(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "abc": true, "é": true, "\U0001F600": true,
		"\xed\xa0\x80":     true, // a surrogate: libyaml lets it through
		"\xf4\x90\x80\x80": true, // above U+10FFFF, likewise
		"\xc0\x80":         false, "\x80": false, "\xe2\x82": false, "\xf8\x88\x80\x80\x80": false,
	} {
		if got := yamlCheckUTF8(s); got != want {
			t.Errorf("yamlCheckUTF8(%q) = %v", s, got)
		}
	}
}

func TestYAMLStrto(t *testing.T) {
	for _, tt := range []struct {
		s    string
		v    float64
		neg  bool
		used int
	}{
		{"1.5abc", 1.5, false, 3}, {"0x10", 16, false, 4}, {"0x", 0, false, 1}, {"0x1p4x", 16, false, 5},
		{"-inf", math.Inf(-1), true, 4}, {"infinity", math.Inf(1), false, 8}, {"infinit", math.Inf(1), false, 3},
		{"1e", 1, false, 1}, {"1e+5", 1e5, false, 4}, {".", 0, false, 0}, {"-0", 0, true, 2},
		{"1e999", math.Inf(1), false, 5}, {" \t7", 7, false, 3}, {"0x.8", 0.5, false, 4},
	} {
		v, used := yamlStrtod(tt.s)
		if v != tt.v || used != tt.used || math.Signbit(v) != tt.neg {
			t.Errorf("yamlStrtod(%q) = %v, %d; want %v, %d", tt.s, v, used, tt.v, tt.used)
		}
	}
	if v, n := yamlStrtod("nan(12)x"); !math.IsNaN(v) || n != 7 {
		t.Errorf("nan(12): %v %d", v, n)
	}
	if v, n := yamlStrtod("-nan"); !math.IsNaN(v) || !math.Signbit(v) || n != 4 {
		t.Errorf("-nan: %v %d", v, n)
	}
	for _, tt := range []struct {
		s    string
		v    int64
		used int
	}{
		{"12abc", 12, 2}, {"-9223372036854775809", math.MinInt64, 20}, {"99999999999999999999", math.MaxInt64, 20},
		{"+5", 5, 2}, {"-", 0, 0}, {"", 0, 0}, {"-0", 0, 2},
	} {
		if v, used := yamlStrtoll(tt.s); v != tt.v || used != tt.used {
			t.Errorf("yamlStrtoll(%q) = %d, %d", tt.s, v, used)
		}
	}
	if v, _ := yamlStrtoull("-1"); v != math.MaxUint64 {
		t.Errorf("strtoull(-1) = %d", v)
	}
	if v, _ := yamlStrtoull("99999999999999999999999"); v != math.MaxUint64 {
		t.Errorf("strtoull overflow = %d", v)
	}
}

func TestYAMLDecimalString(t *testing.T) {
	for _, tt := range []struct {
		payload []byte
		want    string
	}{
		{[]byte{0x02, 0x12, 0x34, 0x5d}, "-123.45"},
		{[]byte{0x00, 0x1c}, "1"},
		{[]byte{0x00, 0x0c}, "0"},
		{[]byte{0x02, 0x0c}, "0.00"},
		{[]byte{0xfe, 0x1c}, "100"},
		{[]byte{0x08, 0x1c}, "0.00000001"},
		{[]byte{0x06, 0x1c}, "0.000001"},
		{[]byte{0x01, 0x00, 0x1c}, "0.1"},
	} {
		if got, ok := yamlDecimalString(tt.payload); !ok || got != tt.want {
			t.Errorf("% x: got %q, %v; want %q", tt.payload, got, ok, tt.want)
		}
	}
	for _, bad := range [][]byte{nil, {0x00}, {0x00, 0x1a, 0x1c}, {0x00, 0xa1}, {0xc0, 0x1c}} {
		if got, ok := yamlDecimalString(bad); ok {
			t.Errorf("% x: accepted as %q", bad, got)
		}
	}
}

// FuzzYAMLEncodeString checks the emitter against a YAML parser: every
// string printed as text (not !!binary) reads back unchanged, in block
// and in flow context.
func FuzzYAMLEncodeString(f *testing.F) {
	for _, s := range []string{"", "a", "x: y", "a\n\nb", "'", " a ", "a\tb", "#", "- x", "\u2028", strings.Repeat("ab ", 40), "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, flow := range []bool{false, true} {
			n := yamlStringNode(s, flow)
			root := &yamlNode{kind: yamlSequence, children: []*yamlNode{{kind: yamlSequence, flow: flow, children: []*yamlNode{n}}}}
			doc := yamlEmitDocument(root, nil)
			if n.tag != "" || (s == "" && !flow) {
				// An empty block item is printed as "-", which YAML
				// reads as null; Tarantool prints it so too.
				continue
			}
			if strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
				continue // line break normalisation differs between parsers
			}
			var got [][]string
			if err := yamlv3.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatalf("%q: unparsable %q: %v", s, doc, err)
			}
			if len(got) != 1 || len(got[0]) != 1 || got[0][0] != s {
				t.Fatalf("%q: emitted %q read back %q", s, doc, got)
			}
		}
	})
}

// FuzzYAMLDecode feeds arbitrary documents to yaml.decode: it must
// return values or raise a string, never crash, and what it returns must
// encode and decode again.
func FuzzYAMLDecode(f *testing.F) {
	for _, s := range []string{"1", "- a\n- b", "{a: [1, 2]}", "a: &x [5]\nb: *x", "&x [*x]", "--- 1\n--- 2",
		"!!binary aGVsbG8=", "!!float 0x10", "'x'", "|\n  a\n\n  b\n", "? [1]\n: 2", "%TAG !t! tag:x\n--- 1",
		"18446744073709551616", "-9223372036854775809", "nan", "{~: 1}", "a: b: c", "[", "\x00", "\xff"} {
		f.Add(s, false)
	}
	f.Add("%TAG !t! tag:x\n--- 1", true)
	L := newYAMLTestState(f)
	err := L.DoString(`function roundtrip(doc, tag_only)
		local r = {n = 0}
		local function pack(...) r = {n = select('#', ...), ...} end
		local ok, err = pcall(function() pack(yaml.decode(doc, {tag_only = tag_only})) end)
		if not ok then
			assert(type(err) == 'string', 'error is not a string')
			return
		end
		if tag_only then return end
		for i = 1, r.n do
			local enc = yaml.encode(r[i])
			local n = select('#', yaml.decode(enc))
			assert(n == 1, 'encoded value decodes to ' .. n .. ' values: ' .. enc)
		end
	end`, "=fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string, tagOnly bool) {
		top := L.GetTop()
		defer L.SetTop(top)
		L.GetGlobal("roundtrip")
		L.PushString(doc)
		L.PushBool(tagOnly)
		if err := L.PCall(2, 0); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
	})
}

// yamlFragments are pieces random strings are built from: indicators,
// spaces, breaks, quotes, words that read as other types, non-ASCII and
// bytes that force !!binary.
var yamlFragments = []string{"a", "word", " ", "  ", "\n", "\n\n", "\t", ":", ": ", "#", " #", "-", "- ", "?", "'", "\"", "\\",
	",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "---", "...", "1", "0x1F", "1e5", "true", "no", "null", "~",
	"é", "\u00a0", "\U0001F600", "\x01", "\x7f", "\xff", strings.Repeat("long ", 20), strings.Repeat("x", 90)}

// randomYAMLValue pushes a random Lua value: strings from yamlFragments,
// numbers, booleans and nested tables, some marked for flow style. It
// returns the value's Go model: string, float64, bool, []any, or
// [][2]any for a map.
func randomYAMLValue(L lua.State, r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case k < 5 || depth > 3:
		var sb strings.Builder
		for n := r.IntN(4) + 1; n > 0; n-- {
			sb.WriteString(yamlFragments[r.IntN(len(yamlFragments))])
		}
		L.PushString(sb.String())
		return sb.String()
	case k == 5:
		v := float64(r.IntN(2000) - 1000)
		L.PushNumber(v)
		return v
	case k == 6:
		v := r.IntN(2) == 0
		L.PushBool(v)
		return v
	default:
		L.NewTable()
		isMap := r.IntN(2) == 0
		var items []any
		var pairs [][2]any
		for n := r.IntN(4); n > 0; n-- {
			if isMap {
				key := randomYAMLValue(L, r, 9)
				L.PushValue(-1)
				L.RawGet(-3)
				dup := !L.IsNil(-1)
				L.Pop(1)
				val := randomYAMLValue(L, r, depth+1)
				L.RawSet(-3)
				if !dup {
					pairs = append(pairs, [2]any{key, val})
				} else {
					for i := range pairs {
						if pairs[i][0] == key {
							pairs[i][1] = val
						}
					}
				}
			} else {
				items = append(items, randomYAMLValue(L, r, depth+1))
				L.RawSetI(-2, len(items))
			}
		}
		if r.IntN(3) == 0 {
			if isMap {
				L.SetMapHint(-1)
			} else {
				L.SetArrayHint(-1)
			}
		}
		if isMap && len(pairs) > 0 {
			return pairs
		}
		if items == nil {
			items = []any{}
		}
		return items
	}
}

// checkYAMLNode compares a parsed node with the model of the value it
// came from: scalars by their text (base64-decoded for !!binary),
// sequences item by item, maps as sets of pairs.
func checkYAMLNode(n *yamlv3.Node, v any) error {
	switch x := v.(type) {
	case string, float64, bool:
		want := fmt.Sprint(x)
		if n.Kind != yamlv3.ScalarNode {
			return fmt.Errorf("%q: got node kind %v", want, n.Kind)
		}
		got := n.Value
		if n.Tag == "!!binary" {
			b, err := base64.StdEncoding.DecodeString(got)
			if err != nil {
				return err
			}
			got = string(b)
		}
		if strings.ContainsAny(want, "\r") || (want == "" && n.Tag == "!!null") {
			return nil
		}
		if got != want {
			return fmt.Errorf("scalar %q read back as %q", want, got)
		}
		return nil
	case []any:
		if len(x) == 0 && n.Kind == yamlv3.MappingNode && len(n.Content) == 0 {
			return nil
		}
		if n.Kind != yamlv3.SequenceNode || len(n.Content) != len(x) {
			return fmt.Errorf("sequence of %d items read back as kind %v with %d", len(x), n.Kind, len(n.Content))
		}
		for i := range x {
			if err := checkYAMLNode(n.Content[i], x[i]); err != nil {
				return err
			}
		}
		return nil
	case [][2]any:
		if n.Kind != yamlv3.MappingNode || len(n.Content) != 2*len(x) {
			return fmt.Errorf("map of %d pairs read back as kind %v with %d", len(x), n.Kind, len(n.Content))
		}
	pairs:
		for _, p := range x {
			for i := 0; i < len(n.Content); i += 2 {
				if checkYAMLNode(n.Content[i], p[0]) == nil {
					if err := checkYAMLNode(n.Content[i+1], p[1]); err != nil {
						return err
					}
					continue pairs
				}
			}
			return fmt.Errorf("key %v not read back", p[0])
		}
		return nil
	}
	return fmt.Errorf("unexpected value %v", v)
}

// TestYAMLEncodeRoundTrip encodes random nested values and parses them
// back with yaml.v3 (the model): whatever style the emitter picks, the
// text must mean the original strings and structure.
func TestYAMLEncodeRoundTrip(t *testing.T) {
	L := newYAMLTestState(t)
	r := rand.New(rand.NewPCG(1, 2))
	L.GetGlobal("yaml")
	L.RawGetField(-1, "encode")
	enc := L.GetTop()
	for i := 0; i < 3000; i++ {
		L.PushValue(enc)
		v := randomYAMLValue(L, r, 0)
		if err := L.PCall(1, 1); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		doc, _ := L.ToString(-1)
		L.Pop(1)
		var root yamlv3.Node
		if err := yamlv3.Unmarshal([]byte(doc), &root); err != nil {
			t.Fatalf("case %d: unparsable %q: %v", i, doc, err)
		}
		if err := checkYAMLNode(root.Content[0], v); err != nil {
			t.Fatalf("case %d: %v in %q", i, err, doc)
		}
	}
}

// FuzzYAMLDump feeds arbitrary bytes to the dumper as hinted
// MessagePack: it must return a document or an error, never panic (a
// tuple's MessagePack reaches it as stored).
func FuzzYAMLDump(f *testing.F) {
	for _, s := range [][]byte{{0x91, 0x01}, {0xc7, 0x00, 0x7f, 0x92, 0xa1, 'a', 0xc0},
		{0xd4, 0x7f, 0x01, 0x91, 0xd6, 0x01, 0x02, 0x12, 0x34, 0x5d},
		{0x92, 0xd6, 0x7e, 0, 0, 0, 0, 0x90, 0xd6, 0x7d, 0, 0, 0, 0}, {0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc3}} {
		f.Add(s)
	}
	o := newYAMLSerializer().Options()
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := yamlDump(data, o, nil)
		if err == nil && !strings.HasSuffix(out, "...\n") {
			t.Fatalf("% x: document %q", data, out)
		}
	})
}
