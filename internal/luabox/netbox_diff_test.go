package luabox

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/box"
)

// startTarantoolServer starts tarantool with testdata/netbox/server.lua
// in a directory of its own and returns the address it listens on.
func startTarantoolServer(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	script, err := filepath.Abs("testdata/netbox/server.lua")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, script)
	cmd.Env = append(os.Environ(), "WD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log.txt"))
		t.Fatalf("tarantool did not report its address: %v\n%s", err, log)
	}
	return strings.TrimSpace(line)
}

// runBothClients runs the Lua file script in tarantool and in this
// runtime (New with host, when not nil, else the runtime of the other
// net.box tests), each with env plus NB_DIR and NB_ADDR from addr (a
// fresh server address per run, "" for none), and compares the lines the
// runs leave in `out`.
func runBothClients(t *testing.T, bin, script string, addr func() string, host func(rt **Runtime) Host) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata/netbox", script))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(abs)

	// The reference: tarantool runs the script.
	wrapper := filepath.Join(t.TempDir(), "run.lua")
	os.WriteFile(wrapper, []byte(`dofile(os.getenv('NB_SCRIPT')) io.stdout:write(out) os.exit(0)`), 0o644)
	cmd := exec.Command(bin, wrapper)
	cmd.Env = append(os.Environ(), "NB_ADDR="+addr(), "NB_SCRIPT="+abs, "NB_DIR="+dir, "NB_WORK_DIR="+t.TempDir())
	cmd.Dir = t.TempDir()
	ref, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("tarantool: %v\n%s\n%s", err, ref, stderr)
	}
	want := string(ref)

	// Spindle's runtime runs it, in this process.
	t.Setenv("NB_ADDR", addr())
	t.Setenv("NB_SCRIPT", abs)
	t.Setenv("NB_DIR", dir)
	t.Setenv("NB_WORK_DIR", t.TempDir())
	var got, log string
	if host == nil {
		got, log = runNetBoxLua(t, `dofile(os.getenv('NB_SCRIPT'))`)
	} else {
		got, log = runNetBoxLuaHost(t, host, `dofile(os.getenv('NB_SCRIPT'))`)
	}

	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(wl) < 10 {
		t.Fatalf("the reference printed too little:\n%s", want)
	}
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("line %d differs:\n  tarantool: %s\n  spindle:   %s", i+1, w, g)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

// TestNetBoxDifferential runs testdata/netbox/client.lua in tarantool
// and in this runtime, each against a fresh tarantool server, and
// requires the same lines: values both ways (64-bit integers as cdata,
// box.NULL), space objects, errors, timeouts, futures, pushes, buffers,
// the connection triggers and when they fire (schema reload, a dropped
// connection and the reconnect, close, triggers that raise), connect's
// arguments and failures.
func TestNetBoxDifferential(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found; skipping the differential test")
	}
	runBothClients(t, bin, "client.lua", func() string { return startTarantoolServer(t, bin) }, nil)
}

// nbBoxHost brings up an in-memory box (no journal) at the first
// box.cfg, for net.box.self's tests.
type nbBoxHost struct {
	nbHost
	rt **Runtime
}

func (h nbBoxHost) ApplyCfg(first bool, _, _ map[string]any) error {
	if first {
		b := box.New(box.Options{InstanceUUID: "11111111-2222-3333-4444-555555555555"})
		if err := b.Bootstrap("aaaaaaaa-2222-3333-4444-555555555555", 1); err != nil {
			return err
		}
		(*h.rt).Box = b
	}
	return nil
}

// TestNetBoxSelfDifferential runs testdata/netbox/self.lua, which uses
// net.box.self before and after box.cfg, in tarantool and in this
// runtime with an in-memory box.
func TestNetBoxSelfDifferential(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found; skipping the differential test")
	}
	runBothClients(t, bin, "self.lua", func() string { return "" }, func(rt **Runtime) Host { return nbBoxHost{rt: rt} })
}
