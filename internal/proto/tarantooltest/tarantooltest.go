// Package tarantooltest starts a real Tarantool 2.6 on a free loopback
// port for differential tests of the protocol code, the client and the
// load generator.
//
// It is test support only: production packages must never import it. It
// runs the `tarantool` binary from PATH with a temporary work_dir, so
// callers skip their test when Available reports false.
package tarantooltest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Available reports whether a tarantool binary is on PATH.
func Available() bool {
	_, err := exec.LookPath("tarantool")
	return err == nil
}

// SkipMessage is the reason tests give when Available is false.
const SkipMessage = "tarantool binary not found in PATH; skipping comparison with real Tarantool 2.6"

// Instance is a running tarantool process.
type Instance struct {
	Addr string // 127.0.0.1:port
	Dir  string // its work_dir; holds tarantool.log
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs tarantool in dir (which must exist and be empty) with the
// Lua setup code run after box.cfg and before the instance starts
// listening, so a client that connects sees the finished setup. It waits
// until the listener sends a greeting, at most 20 seconds.
func Start(dir, setup string) (*Instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	script := fmt.Sprintf(`box.cfg{work_dir=%q, log=%q, memtx_memory=64*1024*1024}
%s
box.cfg{listen=%q}
`, dir, filepath.Join(dir, "tarantool.log"), setup, addr)
	path := filepath.Join(dir, "init.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("tarantool", path)
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "stdout.txt"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group keeps a ^C aimed at `go test` from reaching
	// it before Stop does; Pdeathsig kills it if the test binary dies
	// without calling Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	in := &Instance{Addr: addr, Dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); out.Close(); close(in.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-in.done:
			return nil, fmt.Errorf("tarantool exited during start-up: %s", in.logTail())
		default:
		}
		if greeted(addr) {
			return in, nil
		}
		if time.Now().After(deadline) {
			in.Stop()
			return nil, errors.New("tarantool did not start listening in 20s: " + in.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the process and waits for it to exit.
func (in *Instance) Stop() {
	if in.cmd.Process != nil {
		in.cmd.Process.Kill()
	}
	<-in.done
}

// logTail returns the end of the instance's log and stdout for error
// messages.
func (in *Instance) logTail() string {
	var b strings.Builder
	for _, f := range []string{"stdout.txt", "tarantool.log"} {
		data, _ := os.ReadFile(filepath.Join(in.Dir, f))
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		b.Write(data)
	}
	return b.String()
}

func greeted(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "Tarantool ")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
