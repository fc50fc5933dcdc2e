package luamod

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/lua"
)

// newState returns a VM with the modules preloaded and print and
// io.write captured into out.
func newState(t testing.TB, opts Options, out *bytes.Buffer) lua.State {
	t.Helper()
	vm, err := lua.NewVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	L := vm.Main()
	Preload(L, opts)
	write := func(L lua.State, sep string) {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteString(sep)
			}
			s, err := L.ToStringMeta(i)
			if err != nil {
				L.RaiseString(err.Error())
			}
			out.WriteString(s)
		}
	}
	L.PushFunction(func(L lua.State) int {
		write(L, "\t")
		out.WriteByte('\n')
		return 0
	})
	L.SetGlobal("print")
	L.GetGlobal("io")
	L.PushFunction(func(L lua.State) int {
		write(L, "")
		return 0
	})
	L.RawSetField(-2, "write")
	L.Pop(1)
	return L
}

// runFile runs a corpus file with the modules preloaded and returns what
// it printed.
func runFile(t *testing.T, path string) string {
	t.Helper()
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	if err := L.DoString(string(src), "@"+abs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out.String()
}

// TestDifferentialTarantool runs testdata/*.lua under the real tarantool
// and under Spindle's LuaJIT with these modules and compares their output
// line by line.
func TestDifferentialTarantool(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH; differential test needs Tarantool 2.6")
	}
	files, _ := filepath.Glob("testdata/*.lua")
	if len(files) == 0 {
		t.Skip("no corpus files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			abs, _ := filepath.Abs(f)
			cmd := exec.CommandContext(ctx, bin, abs)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "TT_LOG=")
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("tarantool %s: %v", f, err)
			}
			got := runFile(t, f)
			wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
			for i := 0; i < len(wl) || i < len(gl); i++ {
				var w, g string
				if i < len(wl) {
					w = wl[i]
				}
				if i < len(gl) {
					g = gl[i]
				}
				if w != g {
					t.Errorf("line %d:\n tarantool: %q\n spindle:   %q", i+1, w, g)
				}
			}
		})
	}
}
