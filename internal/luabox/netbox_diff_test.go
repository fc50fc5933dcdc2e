package luabox

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

// TestNetBoxDifferential runs testdata/netbox/client.lua in tarantool
// and in this runtime, each against a fresh tarantool server, and
// requires the same lines: values both ways (64-bit integers as cdata,
// box.NULL), space objects, errors, timeouts, futures, pushes, buffers,
// the connection triggers and when they fire (schema reload, a dropped
// connection and the reconnect, close, triggers that raise), connect's
// arguments and net.box.self.
func TestNetBoxDifferential(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found; skipping the differential test")
	}
	client, err := filepath.Abs("testdata/netbox/client.lua")
	if err != nil {
		t.Fatal(err)
	}

	// The reference: tarantool as the client.
	wrapper := filepath.Join(t.TempDir(), "run.lua")
	os.WriteFile(wrapper, []byte(`dofile(os.getenv('NB_CLIENT')) io.stdout:write(out) os.exit(0)`), 0o644)
	cmd := exec.Command(bin, wrapper)
	cmd.Env = append(os.Environ(), "NB_ADDR="+startTarantoolServer(t, bin), "NB_CLIENT="+client)
	cmd.Dir = t.TempDir()
	ref, err := cmd.Output()
	if err != nil {
		t.Fatalf("tarantool client: %v\n%s", err, ref)
	}
	want := string(ref)

	// Spindle's runtime as the client, in this process.
	t.Setenv("NB_ADDR", startTarantoolServer(t, bin))
	t.Setenv("NB_CLIENT", client)
	got, log := runNetBoxLua(t, `dofile(os.getenv('NB_CLIENT'))`)

	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(wl) < 100 {
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
