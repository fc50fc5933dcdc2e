package luabox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runNetDiff runs testdata/net/<script> in tarantool and in this
// runtime, each with NB_WORK_DIR set to a directory of its own, and
// requires the same lines in `out`. Scripts start their servers on
// 127.0.0.1 or unix sockets in that directory and bound every wait.
func runNetDiff(t *testing.T, script string) {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool not found; the differential test needs Tarantool 2.6")
	}
	abs, err := filepath.Abs(filepath.Join("testdata/net", script))
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(t.TempDir(), "run.lua")
	os.WriteFile(wrapper, []byte(`dofile(os.getenv('NB_SCRIPT')) io.stdout:write(out) os.exit(0)`), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, wrapper)
	cmd.Env = append(os.Environ(), "NB_SCRIPT="+abs, "NB_WORK_DIR="+t.TempDir())
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

	t.Setenv("NB_SCRIPT", abs)
	t.Setenv("NB_WORK_DIR", t.TempDir())
	got, log := runNetBoxLua(t, `dofile(os.getenv('NB_SCRIPT'))`)

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

// TestSocketFibersDifferential runs testdata/net/socket_fibers.lua: reads
// that let other fibers run, timeouts, wakeups and cancellations of
// waiting fibers, tcp_server's client fibers and their names, a socket
// closed under a waiting fiber, unix socket servers.
func TestSocketFibersDifferential(t *testing.T) { runNetDiff(t, "socket_fibers.lua") }

// TestHTTPClientDifferential runs testdata/net/http_client.lua: requests
// as a socket.tcp_server sees them, responses (headers, cookies, proto,
// bodies, encodings), redirects, failures as statuses and as errors,
// argument errors, client objects and counters, requests from many
// fibers, woken and cancelled requests, unix_socket.
func TestHTTPClientDifferential(t *testing.T) { runNetDiff(t, "http_client.lua") }
