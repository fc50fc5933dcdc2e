package luabox

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/say"
)

// nbHost is a Host for runtimes that never configure box; the methods
// these tests never reach come from the nil embedded Host.
type nbHost struct{ Host }

func (nbHost) ApplyCfg(bool, map[string]any, map[string]any) error { return nil }
func (nbHost) Info() Info                                          { return Info{Status: "running"} }

// nbLog is a log destination safe for concurrent writers.
type nbLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *nbLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *nbLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// nbStubModules are minimal log and json modules for the start-up Lua
// (boot/cfg.lua requires both) while the real ones, which other work
// ports to LuaJIT, are not in luamod yet. They are found through
// LUA_PATH, which LuaJIT reads when a state is created, so they are
// used only when luamod registers no preload of the same name: the real
// modules take over as soon as they exist.
var nbStubModules = map[string]string{
	"log.lua": `local function nop() end
return {info = nop, warn = nop, error = nop, verbose = nop, debug = nop,
        crit = nop, syserror = nop, cfg = nop, rotate = nop}`,
	"json.lua": `return {encode = function(v) return tostring(v) end}`,
}

// nbRuntime creates a runtime for the net.box tests.
func nbRuntime(tb testing.TB) (*Runtime, *fiber.Scheduler, *nbLog) {
	return nbRuntimeHost(tb, nil)
}

// nbRuntimeHost is nbRuntime with the Host host makes (given where the
// runtime will be), nbHost when host is nil.
func nbRuntimeHost(tb testing.TB, host func(rt **Runtime) Host) (*Runtime, *fiber.Scheduler, *nbLog) {
	tb.Helper()
	dir := tb.TempDir()
	for name, src := range nbStubModules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Setenv("LUA_PATH", filepath.Join(dir, "?.lua")+";;")
	logBuf := &nbLog{}
	sched := fiber.NewScheduler()
	var rt *Runtime
	var h Host = nbHost{}
	if host != nil {
		h = host(&rt)
	}
	rt, err := New(sched, say.New(logBuf), h)
	if err != nil {
		tb.Fatal(err)
	}
	// The VM is not closed: workers of connections a test leaves open may
	// still take the baton after it ends.
	return rt, sched, logBuf
}

// runNetBoxLua runs src in the main fiber of a fresh runtime and returns
// the global `out` (a string the script builds) and the log.
func runNetBoxLua(t *testing.T, src string) (string, string) {
	t.Helper()
	return runNetBoxLuaHost(t, nil, src)
}

// runNetBoxLuaHost is runNetBoxLua with the Host host makes.
func runNetBoxLuaHost(t *testing.T, host func(rt **Runtime) Host, src string) (string, string) {
	t.Helper()
	rt, sched, logBuf := nbRuntimeHost(t, host)
	f := sched.New("test.lua")
	f.Acquire()
	fc := rt.NewFiberCtx(f, nil)
	if err := rt.RunString(fc, src, "=test.lua"); err != nil {
		rt.ReleaseFiberCtx(fc)
		f.Finish()
		t.Fatalf("script failed: %v\nlog:\n%s", err, logBuf.String())
	}
	fc.L.GetGlobal("out")
	out, _ := fc.L.ToString(-1)
	fc.L.Pop(1)
	rt.ReleaseFiberCtx(fc)
	f.Finish()
	return out, logBuf.String()
}
