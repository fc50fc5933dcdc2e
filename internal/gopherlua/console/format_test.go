package console

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// rawTuple stands in for a box tuple: userdata carrying MessagePack.
type rawTuple []byte

func (r rawTuple) MsgpackRaw() []byte { return r }

// newTestState returns a state with the parts of box the corpus uses:
// box.NULL and box.tuple.new.
func newTestState(t testing.TB) *lua.LState {
	L := lua.NewState()
	t.Cleanup(L.Close)
	box := L.NewTable()
	box.RawSetString("NULL", luaconv.NULL(L))
	tuple := L.NewTable()
	tuple.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		raw, err := luaconv.EncodeL(L, nil, L.CheckTable(1))
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		ud := L.NewUserData()
		ud.Value = rawTuple(raw)
		L.Push(ud)
		return 1
	}))
	box.RawSetString("tuple", tuple)
	L.SetGlobal("box", box)
	return L
}

type goldenCase struct {
	request string
	output  string
}

// readGolden parses testdata/format.golden: "=== request" lines followed
// by the YAML document real Tarantool 2.6.0 printed for that request.
func readGolden(t testing.TB, path string) []goldenCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []goldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "=== ") {
			cases = append(cases, goldenCase{request: line[4:]})
			continue
		}
		if len(cases) == 0 {
			t.Fatalf("%s: output before the first request", path)
		}
		cases[len(cases)-1].output += line + "\n"
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// vmDifferences lists corpus requests whose output differs for reasons
// outside the formatter: LuaJIT evaluates them differently from gopher-lua.
var vmDifferences = map[string]string{
	// LuaJIT's error() turns a number into a string ("123").
	"error(123)": "gopher-lua keeps the number",
	// LuaJIT's 0/0 is a NaN with the sign bit set; gopher-lua's constant
	// folding yields a positive NaN, so the signs come out swapped.
	"error()": "gopher-lua requires an argument",
	"0/0":     "NaN sign",
	"-(0/0)":  "NaN sign",
	// The parser reports a different message for this chunk.
	"'0b101', '1LL', ' 1', '0x1p4', 'Inf', 'INFINITY', '-nan', '1e', '.', '0x', '1_000', '\\u00e9', '\\xC2\\xA0', '\\xF0\\x9F\\x98\\x80', '\\xE2\\x80\\xA8', '\\xEF\\xBB\\xBF'": "parser",
}

// TestFormatGolden evaluates every corpus request and compares the output
// with what Tarantool 2.6.0 printed (captured over console.listen).
func TestFormatGolden(t *testing.T) {
	cases := readGolden(t, "testdata/format.golden")
	if len(cases) < 150 {
		t.Fatalf("golden corpus has %d cases", len(cases))
	}
	L := newTestState(t)
	ev := &LuaEvaluator{L: L}
	for _, c := range cases {
		if _, skip := vmDifferences[c.request]; skip {
			continue
		}
		got := ev.Eval(c.request)
		if got != c.output {
			t.Errorf("request %s\n got: %q\nwant: %q", c.request, got, c.output)
		}
	}
}

func TestFormatDirect(t *testing.T) {
	L := newTestState(t)
	tests := []struct {
		name   string
		values []lua.LValue
		want   string
	}{
		{"none", nil, "---\n...\n"},
		{"nil", []lua.LValue{lua.LNil}, "---\n- null\n...\n"},
		{"values", []lua.LValue{lua.LNumber(1), lua.LString("two")}, "---\n- 1\n- two\n...\n"},
		{"NULL", []lua.LValue{luaconv.NULL(L)}, "---\n- null\n...\n"},
		{"tuple", []lua.LValue{&lua.LUserData{Value: rawTuple{0x92, 0x01, 0xa1, 'a'}}}, "---\n- [1, 'a']\n...\n"},
	}
	for _, tt := range tests {
		if got := Format(L, tt.values); got != tt.want {
			t.Errorf("%s: got %q want %q", tt.name, got, tt.want)
		}
	}
}

func TestFormatError(t *testing.T) {
	L := newTestState(t)
	tests := []struct {
		err  error
		want string
	}{
		{nil, "---\n- error: null\n...\n"},
		{errors.New("x"), "---\n- error: x\n...\n"},
		{errors.New("x: y"), "---\n- error: 'x: y'\n...\n"},
		{errors.New("Duplicate key exists in unique index 'primary' in space 'test'"),
			"---\n- error: Duplicate key exists in unique index 'primary' in space 'test'\n...\n"},
		{&lua.ApiError{Object: lua.LNumber(5)}, "---\n- error: 5\n...\n"},
	}
	for _, tt := range tests {
		if got := FormatError(L, tt.err); got != tt.want {
			t.Errorf("%v: got %q want %q", tt.err, got, tt.want)
		}
	}
}

// TestFormatSerializeError: a failing __serialize turns into the
// console's exception report instead of a Go error or a panic.
func TestFormatSerializeError(t *testing.T) {
	L := newTestState(t)
	ev := &LuaEvaluator{L: L}
	got := ev.Eval("setmetatable({}, {__serialize = function() error('boom', 0) end})")
	want := "---\n- error: 'console: an exception occurred when formatting the output: boom'\n...\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestChunkName(t *testing.T) {
	tests := map[string]string{
		"x = 1":                 `[string "x = 1"]`,
		"a\nb":                  `[string "a..."]`,
		strings.Repeat("y", 48): `[string "` + strings.Repeat("y", 48) + `"]`,
		strings.Repeat("y", 49): `[string "` + strings.Repeat("y", 45) + `..."]`,
	}
	for src, want := range tests {
		if got := chunkName(src); got != want {
			t.Errorf("chunkName(%q) = %q want %q", src, got, want)
		}
	}
}

func BenchmarkFormatTable(b *testing.B) {
	L := newTestState(b)
	if err := L.DoString(`bench = {1, 'two', {a = 1, b = {3, 4}}, setmetatable({1, 2, 3}, {__serialize = 'seq'}), 'x: y'}`); err != nil {
		b.Fatal(err)
	}
	v := L.GetGlobal("bench")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Format(L, []lua.LValue{v})
	}
}
