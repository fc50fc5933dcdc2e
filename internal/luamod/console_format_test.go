package luamod

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
)

// newConsoleTestState returns a state with the parts of box the console
// corpus uses: box.NULL and box.tuple.new (tuples holding the
// MessagePack of a table).
func newConsoleTestState(t testing.TB) lua.State {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	L.NewTable()
	L.SetTupleMetatable()
	L.NewTable()
	L.PushNull()
	L.RawSetField(-2, "NULL")
	L.NewTable()
	L.PushFunction(func(L lua.State) int {
		L.CheckType(1, lua.TypeTable)
		data, err := L.Encode(nil, 1, nil)
		if err != nil {
			L.RaiseString(err.Error())
		}
		L.PushTuple(data, 0, 0)
		return 1
	})
	L.RawSetField(-2, "new")
	L.RawSetField(-2, "tuple")
	L.SetGlobal("box")
	return L
}

// consoleEval is console.lua's local_eval: the request is compiled as
// "return <request>" so that an expression prints its values, else as
// typed, under loadstring's chunk name (the source); it runs under pcall
// and its results or its error are formatted.
func consoleEval(L lua.State, request string) string {
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.Load("return "+request, "return "+request); err != nil {
		if err := L.Load(request, request); err != nil {
			return ConsoleFormatErrorMessage(L, err.Error())
		}
	}
	if !L.PCallValue(0, lua.MultRet) {
		return ConsoleFormatError(L, -1)
	}
	return ConsoleFormat(L, top+1)
}

type consoleGoldenCase struct {
	request string
	output  string
}

// readConsoleGolden parses testdata/console_format.golden: "=== request"
// lines followed by the YAML document Tarantool 2.6.0 printed for that
// request over console.listen.
func readConsoleGolden(t testing.TB, path string) []consoleGoldenCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []consoleGoldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "=== ") {
			cases = append(cases, consoleGoldenCase{request: line[4:]})
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

// TestConsoleFormatGolden evaluates every corpus request and compares
// the output with what Tarantool 2.6.0 printed.
func TestConsoleFormatGolden(t *testing.T) {
	cases := readConsoleGolden(t, "testdata/console_format.golden")
	if len(cases) < 150 {
		t.Fatalf("golden corpus has %d cases", len(cases))
	}
	L := newConsoleTestState(t)
	for _, c := range cases {
		if got := consoleEval(L, c.request); got != c.output {
			t.Errorf("request %s\n got: %q\nwant: %q", c.request, got, c.output)
		}
		if L.GetTop() != 0 {
			t.Fatalf("request %s left %d values on the stack", c.request, L.GetTop())
		}
	}
}

func TestConsoleFormatDirect(t *testing.T) {
	L := newConsoleTestState(t)
	tests := []struct {
		name string
		push func()
		want string
	}{
		{"none", func() {}, "---\n...\n"},
		{"nil", func() { L.PushNil() }, "---\n- null\n...\n"},
		{"values", func() { L.PushInt(1); L.PushString("two") }, "---\n- 1\n- two\n...\n"},
		{"NULL", func() { L.PushNull() }, "---\n- null\n...\n"},
		{"tuple", func() { L.NewTable(); L.SetTupleMetatable(); L.PushTuple([]byte{0x92, 0x01, 0xa1, 'a'}, 0, 0) }, "---\n- [1, 'a']\n...\n"},
		{"uint64", func() { L.PushUint64(1 << 63) }, "---\n- 9223372036854775808\n...\n"},
	}
	for _, tt := range tests {
		L.PushString("below")
		tt.push()
		if got := ConsoleFormat(L, 2); got != tt.want {
			t.Errorf("%s: got %q want %q", tt.name, got, tt.want)
		}
		L.SetTop(0)
	}
}

// TestConsoleFormatToString: the console's serializer prints values
// nothing else serializes by tostring().
func TestConsoleFormatToString(t *testing.T) {
	L := newConsoleTestState(t)
	for request, prefix := range map[string]string{
		"function() end": "---\n- 'function: 0x",
		"math.floor":     "---\n- 'function: builtin#",
		"(function() local u = newproxy(true) getmetatable(u).__tostring = function() return 'U' end return u end)()": "---\n- U\n",
	} {
		if got := consoleEval(L, request); !strings.HasPrefix(got, prefix) {
			t.Errorf("%s: got %q, want a prefix %q", request, got, prefix)
		}
	}
}

func TestConsoleFormatTuples(t *testing.T) {
	L := newConsoleTestState(t)
	tests := []struct {
		data []byte
		want string
	}{
		// A double that is an integer is a Lua number printed as one.
		{[]byte{0x93, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xca, 0x3f, 0xc0, 0, 0, 0xcb, 0x43, 0x0c, 0x6b, 0xf5, 0x26, 0x34, 0, 0},
			"---\n- [1, 1.5, 1000000000000000]\n...\n"},
		// Nested containers are flow style; binary and nil fields.
		{[]byte{0x93, 0x91, 0x81, 0xa1, 'k', 0xa3, 'x', ' ', 'y', 0xc4, 0x01, 0xff, 0xc0},
			"---\n- [[{'k': 'x y'}], !!binary /w==, null]\n...\n"},
		// UUID and decimal extensions print as text.
		{append([]byte{0x92, 0xd8, 0x02}, append(bytes.Repeat([]byte{0x11}, 16), 0xd6, 0x01, 0x02, 0x12, 0x34, 0x5d)...),
			"---\n- [11111111-1111-1111-1111-111111111111, -123.45]\n...\n"},
		// A user extension of a hint's type is data inside a tuple.
		{[]byte{0x91, 0xc7, 0x00, 0x7f}, ""},
	}
	for _, tt := range tests {
		L.NewTable()
		L.SetTupleMetatable()
		L.PushTuple(tt.data, 0, 0)
		got := ConsoleFormat(L, 1)
		L.SetTop(0)
		if tt.want == "" {
			if !strings.Contains(got, "unsupported extension: 127") {
				t.Errorf("% x: got %q, want an unsupported extension", tt.data, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("% x: got %q want %q", tt.data, got, tt.want)
		}
	}
}

func TestConsoleFormatError(t *testing.T) {
	L := newConsoleTestState(t)
	tests := []struct {
		push func()
		want string
	}{
		{func() { L.PushNil() }, "---\n- error: null\n...\n"},
		{func() { L.PushString("x") }, "---\n- error: x\n...\n"},
		{func() { L.PushString("x: y") }, "---\n- error: 'x: y'\n...\n"},
		{func() { L.PushString("Duplicate key exists in unique index 'primary' in space 'test'") },
			"---\n- error: Duplicate key exists in unique index 'primary' in space 'test'\n...\n"},
		{func() { L.PushInt(5) }, "---\n- error: 5\n...\n"},
	}
	for _, tt := range tests {
		tt.push()
		if got := ConsoleFormatError(L, -1); got != tt.want {
			t.Errorf("got %q want %q", got, tt.want)
		}
		L.SetTop(0)
	}
	if got, want := ConsoleFormatErrorMessage(L, "it's"), "---\n- error: it's\n...\n"; got != want {
		t.Errorf("message: got %q want %q", got, want)
	}
}

// TestConsoleFormatSerializeError: a failing __serialize turns into the
// console's exception report instead of a Go error or a panic.
func TestConsoleFormatSerializeError(t *testing.T) {
	L := newConsoleTestState(t)
	got := consoleEval(L, "setmetatable({}, {__serialize = function() error('boom', 0) end})")
	want := "---\n- error: 'console: an exception occurred when formatting the output: boom'\n...\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	got = consoleEval(L, "error(setmetatable({}, {__serialize = function() error('boom', 0) end}))")
	if got != want {
		t.Fatalf("error value: got %q want %q", got, want)
	}
}

func TestConsoleFormatGo(t *testing.T) {
	tests := []struct {
		values []any
		want   string
	}{
		{nil, "---\n...\n"},
		{[]any{true, "x: y", 5, -5, 1.5, 2.0, nil}, "---\n- true\n- 'x: y'\n- 5\n- -5\n- 1.5\n- 2\n- null\n...\n"},
		{[]any{map[string]any{"error": "x"}}, "---\n- error: x\n...\n"},
		{[]any{[]any{"a", []any{}}, map[string]any{"b": 1, "a": "c d"}}, "---\n- - a\n  - []\n- a: c d\n  b: 1\n...\n"},
	}
	for _, tt := range tests {
		if got := ConsoleFormatGo(tt.values...); got != tt.want {
			t.Errorf("%v: got %q want %q", tt.values, got, tt.want)
		}
	}
}

func BenchmarkConsoleFormatTable(b *testing.B) {
	L := newConsoleTestState(b)
	if err := L.DoString(`bench = {1, 'two', {a = 1, b = {3, 4}}, setmetatable({1, 2, 3}, {__serialize = 'seq'}), 'x: y'}`, "=bench"); err != nil {
		b.Fatal(err)
	}
	L.GetGlobal("bench")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ConsoleFormat(L, 1)
	}
}
