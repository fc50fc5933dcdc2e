package console

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/luamod"
)

// newTestState returns a LuaJIT state with the built-in modules and the
// parts of box the corpus uses: box.NULL and box.tuple.new.
func newTestState(t testing.TB) lua.State {
	vm, err := lua.NewVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	L := vm.Main()
	luamod.Preload(L, luamod.Options{})
	L.NewTable() // the tuple metatable
	L.NewTable() // its methods: the upvalue of __index
	L.PushCFunction(lua.TupleIndex, 1)
	L.RawSetField(-2, "__index")
	L.SetTupleMetatable()
	L.NewTable()
	L.PushNull()
	L.RawSetField(-2, "NULL")
	L.NewTable()
	L.PushFunction(func(L lua.State) int {
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
		got := ev.Eval(c.request)
		if got != c.output {
			t.Errorf("request %s\n got: %q\nwant: %q", c.request, got, c.output)
		}
	}
}

func TestFormatDirect(t *testing.T) {
	L := newTestState(t)
	tests := []struct {
		chunk string
		want  string
	}{
		{"return", "---\n...\n"},
		{"return nil", "---\n- null\n...\n"},
		{"return 1, 'two'", "---\n- 1\n- two\n...\n"},
		{"return box.NULL", "---\n- null\n...\n"},
		{"return box.tuple.new{1, 'a'}", "---\n- [1, 'a']\n...\n"},
		{"return 18446744073709551615ULL", "---\n- 18446744073709551615\n...\n"},
	}
	for _, tt := range tests {
		if err := L.Load(tt.chunk, "=t"); err != nil {
			t.Fatal(err)
		}
		if err := L.PCall(0, lua.MultRet); err != nil {
			t.Fatal(err)
		}
		if got := Format(L, 1); got != tt.want {
			t.Errorf("%s: got %q want %q", tt.chunk, got, tt.want)
		}
		L.SetTop(0)
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

func BenchmarkFormatTable(b *testing.B) {
	L := newTestState(b)
	if err := L.DoString(`bench = {1, 'two', {a = 1, b = {3, 4}}, setmetatable({1, 2, 3}, {__serialize = 'seq'}), 'x: y'}`, "=b"); err != nil {
		b.Fatal(err)
	}
	L.GetGlobal("bench")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Format(L, 1)
	}
}
