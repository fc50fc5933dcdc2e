package console

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTarantool returns the path of the reference tarantool binary or
// skips the test.
func needTarantool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found: skipping comparison with Tarantool 2.6")
	}
	return path
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startTarantool runs a Tarantool instance with a binary port (user
// tester/pw with super rights) and a text console, both on 127.0.0.1.
func startTarantool(t *testing.T) (binAddr, consoleAddr string) {
	bin := needTarantool(t)
	dir := t.TempDir()
	binAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	consoleAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	script := fmt.Sprintf(`
box.cfg{work_dir = %q, listen = %q, log = 'tarantool.log'}
box.schema.user.create('tester', {password = 'pw', if_not_exists = true})
box.schema.user.grant('tester', 'super', nil, nil, {if_not_exists = true})
require('console').listen(%q)
`, dir, binAddr, consoleAddr)
	path := filepath.Join(dir, "instance.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, path)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", consoleAddr); err == nil {
			c.Close()
			return binAddr, consoleAddr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("tarantool did not start listening")
	return "", ""
}

// TestTarantoolGolden re-captures the corpus from a live Tarantool and
// checks that testdata/format.golden is still what it prints.
func TestTarantoolGolden(t *testing.T) {
	_, consoleAddr := startTarantool(t)
	c, err := net.Dial("tcp", consoleAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	greeting := make([]byte, 128)
	if _, err := io.ReadFull(r, greeting); err != nil {
		t.Fatal(err)
	}
	if string(greeting) != Greeting(DefaultVersion) {
		t.Errorf("greeting %q, ours %q", greeting, Greeting(DefaultVersion))
	}
	for _, gc := range readGolden(t, "testdata/format.golden") {
		if _, err := io.WriteString(c, gc.request+"\n"); err != nil {
			t.Fatal(err)
		}
		got, err := readDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		if got != gc.output {
			t.Errorf("tarantool now prints for %s:\n%q\ngolden:\n%q", gc.request, got, gc.output)
		}
	}
}

// TestTarantoolProtocol sends the protocol cases to Tarantool's
// console.listen port and compares every reply with ours.
func TestTarantoolProtocol(t *testing.T) {
	_, consoleAddr := startTarantool(t)
	c, err := net.Dial("tcp", consoleAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	io.ReadFull(r, make([]byte, 128))
	for _, tc := range protocolCases {
		io.WriteString(c, tc.request)
		got, err := readDocument(r)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.reply {
			t.Errorf("%q: tarantool %q, expected %q", tc.request, got, tc.reply)
		}
	}
}

// TestTarantoolConnect uses Dial against both of Tarantool's ports.
func TestTarantoolConnect(t *testing.T) {
	binAddr, consoleAddr := startTarantool(t)
	for _, uri := range []string{consoleAddr, "tester:pw@" + binAddr} {
		rc, err := Dial(uri, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		for _, tc := range []struct{ req, want string }{
			{"1, 'two'", "---\n- 1\n- two\n...\n"},
			{"function h()\nreturn {a = 'x: y'}\nend", "---\n...\n"},
			{"h()", "---\n- a: 'x: y'\n...\n"},
			{"error('boom')", "---\n- error: boom\n...\n"},
			{"box.tuple.new({1, 'a'})", "---\n- [1, 'a']\n...\n"},
		} {
			got, ok := rc.Eval(tc.req)
			if !ok || got != tc.want {
				t.Errorf("%s %q: got %q %v want %q", uri, tc.req, got, ok, tc.want)
			}
		}
		if strings.HasPrefix(uri, "tester") != rc.Binary() {
			t.Errorf("%s: Binary() = %v", uri, rc.Binary())
		}
		rc.Close()
	}
	if _, err := Dial("tester:wrong@"+binAddr, 5*time.Second); err == nil || !strings.Contains(err.Error(), "Incorrect password") {
		t.Errorf("wrong password: %v", err)
	}
}

// TestTarantoolPipe runs Tarantool's local console with stdin from a pipe
// and checks it prints pipeTranscript, the transcript our REPL is held to.
func TestTarantoolPipe(t *testing.T) {
	bin := needTarantool(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "console.lua")
	os.WriteFile(path, []byte("require('console').start()\nos.exit(0)\n"), 0o644)
	cmd := exec.Command(bin, path)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdin = strings.NewReader(pipeInput)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != pipeTranscript {
		t.Fatalf("tarantool printed:\n%q\nexpected:\n%q", out, pipeTranscript)
	}
}
