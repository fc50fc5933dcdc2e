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

	lua "github.com/yuin/gopher-lua"
)

// runGopher runs a corpus file under gopher-lua with the modules
// preloaded and returns what it printed.
func runGopher(t *testing.T, path string) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	Preload(L, Options{})
	var out bytes.Buffer
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(lua.LVAsString(L.ToStringMeta(L.Get(i))))
		}
		out.WriteByte('\n')
		return 0
	}))
	ioTable := L.GetGlobal("io").(*lua.LTable)
	ioTable.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(lua.LVAsString(L.ToStringMeta(L.Get(i))))
		}
		return 0
	}))
	if err := L.DoFile(path); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out.String()
}

// TestDifferentialTarantool runs testdata/*.lua under the real tarantool
// and under gopher-lua and compares their output line by line.
func TestDifferentialTarantool(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH; differential test needs Tarantool 2.6")
	}
	files, _ := filepath.Glob("testdata/*.lua")
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, f := range files {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, f)
			cmd.Dir = t.TempDir()
			abs, _ := filepath.Abs(f)
			cmd.Args[1] = abs
			cmd.Stdin = nil
			cmd.Env = append(os.Environ(), "TT_LOG=")
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("tarantool %s: %v", f, err)
			}
			got := runGopher(t, f)
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
