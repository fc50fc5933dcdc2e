package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// spindleBin is the binary built once for the whole package.
var spindleBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spindle-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	spindleBin = filepath.Join(dir, "spindle")
	out, err := exec.Command("go", "build", "-o", spindleBin, "../../cmd/spindle").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building spindle: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Instance is a running server process.
type Instance struct {
	Addr    string
	Dir     string
	cmd     *exec.Cmd
	mu      sync.Mutex
	out     bytes.Buffer
	done    chan struct{}
	waitErr error
}

func (in *Instance) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.Write(p)
}

// Output returns what the process printed so far (stdout and log).
func (in *Instance) Output() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.String()
}

// Kill sends SIGKILL and waits for the process.
func (in *Instance) Kill() {
	in.cmd.Process.Kill()
	<-in.done
}

// Stop sends SIGTERM and waits (at most 10 s) for a clean exit.
func (in *Instance) Stop(t testing.TB) {
	in.cmd.Process.Signal(os.Interrupt)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
		t.Errorf("instance did not stop on SIGINT; output:\n%s", in.Output())
	}
}

// start runs bin (spindle or tarantool) on an instance file in a fresh
// directory with LISTEN and WORK_DIR set, and waits until it accepts
// connections.
func start(t testing.TB, bin, script string, env ...string) *Instance {
	t.Helper()
	return startIn(t, bin, t.TempDir(), script, env...)
}

// startIn is start with a given directory, so that an instance can be
// restarted on the files an earlier one left.
func startIn(t testing.TB, bin, dir, script string, env ...string) *Instance {
	t.Helper()
	path := filepath.Join(dir, "instance.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	in := &Instance{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, done: make(chan struct{})}
	cmd := exec.Command(bin, "instance.lua") // relative: error messages name the file the same way for every run
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"LISTEN=" + in.Addr, "WORK_DIR=" + dir}, env...)...)
	cmd.Stdout, cmd.Stderr = in, in
	in.cmd = cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.waitErr = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		select {
		case <-in.done:
		default:
			in.Kill()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), in.Output())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-in.done:
			t.Fatalf("%s exited early: %v\n%s", bin, in.waitErr, in.Output())
		default:
		}
		c, err := net.DialTimeout("tcp", in.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			// The listener opens before box is ready and the instance file
			// goes on after box.cfg; the event loop starts when it ends.
			if strings.Contains(in.Output(), "entering the event loop") {
				return in
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not start in time:\n%s", bin, in.Output())
	return nil
}

// tarantoolBin returns the reference binary or skips the test.
func tarantoolBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool 2.6 is not installed: skipping the comparison with the reference (apt-get install tarantool)")
	}
	return p
}

// runClient runs a Lua client script under the reference tarantool with
// ADDR set, bounded in time, and returns its stdout.
func runClient(t testing.TB, tarantool, script, addr string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "client.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tarantool, "client.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("client timed out\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	return stdout.String()
}
