package popen

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

func wait(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not end")
	}
}

func TestSpawnPipes(t *testing.T) {
	p, err := Spawn(Options{Argv: []string{"/bin/sh", "-c", "read x; echo got $x; echo err >&2; exit 3"},
		Stdio: [3]Stdio{Pipe, Pipe, Pipe}, CloseFDs: true, RestoreSignals: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pid() <= 0 {
		t.Fatalf("pid %d", p.Pid())
	}
	if _, err := p.Pipes[0].Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	p.Pipes[0].Close()
	out, _ := io.ReadAll(p.Pipes[1])
	errOut, _ := io.ReadAll(p.Pipes[2])
	wait(t, p)
	if string(out) != "got hello\n" || string(errOut) != "err\n" {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	if st, code := p.State(); st != Exited || code != 3 || p.Pid() != -1 {
		t.Fatalf("state %v code %d pid %d", st, code, p.Pid())
	}
}

func TestSpawnExecFailure(t *testing.T) {
	p, err := Spawn(Options{Argv: []string{"/nonexistent/program"}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, p)
	if st, code := p.State(); st != Exited || code != int(syscall.ENOENT) {
		t.Fatalf("state %v code %d, want exited with ENOENT", st, code)
	}
}

func TestSpawnSignalsAndStreams(t *testing.T) {
	p, err := Spawn(Options{Argv: []string{"/bin/sleep", "30"}, Stdio: [3]Stdio{DevNull, Close, Inherit}, Setsid: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM, true); err != nil {
		t.Fatal(err)
	}
	wait(t, p)
	if st, sig := p.State(); st != Signaled || sig != int(syscall.SIGTERM) {
		t.Fatalf("state %v signal %d", st, sig)
	}
	if err := p.Signal(syscall.SIGKILL, false); err != syscall.ESRCH {
		t.Fatalf("signal to an ended child: %v", err)
	}
	// The environment given is the child's whole environment.
	q, err := Spawn(Options{Argv: []string{"/bin/sh", "-c", "echo $FOO"},
		Env: []string{"FOO=bar"}, Stdio: [3]Stdio{Inherit, Pipe, Inherit}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(q.Pipes[1])
	wait(t, q)
	if string(out) != "bar\n" {
		t.Fatalf("stdout %q", out)
	}
	// A closed stdout: the child's writes fail.
	c, err := Spawn(Options{Argv: []string{"/bin/sh", "-c", "echo x || echo failed >&2"},
		Stdio: [3]Stdio{Inherit, Close, Pipe}})
	if err != nil {
		t.Fatal(err)
	}
	errOut, _ := io.ReadAll(c.Pipes[2])
	wait(t, c)
	if !strings.Contains(string(errOut), "failed") {
		t.Fatalf("stderr %q", errOut)
	}
	if Command([]string{"/bin/echo", "hello world", "x"}) != "/bin/echo 'hello world' x" {
		t.Fatal(Command([]string{"/bin/echo", "hello world", "x"}))
	}
}
