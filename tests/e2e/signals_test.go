package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// signalInstance starts bin on an instance file whose box.cfg takes
// cfg besides listen and work_dir, opened to guest, and connects to it.
func signalInstance(t *testing.T, bin, cfg string) (*Instance, *client.Conn) {
	t.Helper()
	in := start(t, bin, `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')`+cfg+`}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
box.schema.space.create('t'):create_index('pk')
box.space.t:insert{1}
-- The log may go to a file: tell the harness the script is done.
print('entering the event loop') io.stdout:flush()
`)
	return in, dialT(t, in.Addr, client.Options{})
}

// TestSIGUSR1Checkpoint: SIGUSR1 makes a checkpoint, on Spindle as on
// tarantool 2.6.
func TestSIGUSR1Checkpoint(t *testing.T) {
	forBoth(t, func(t *testing.T, bin string) {
		in, c := signalInstance(t, bin, "")
		waitEval(t, c, "return #box.info.gc().checkpoints", "1")
		if err := in.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		waitEval(t, c, "local c = box.info.gc().checkpoints return #c == 2 and c[2].signature == box.info.signature", "true")
	})
}

// TestLogRotate: after the log file is renamed away, SIGHUP and
// log.rotate() make the instance write a new one at the configured
// path, which says it was reopened, on Spindle as on tarantool 2.6.
func TestLogRotate(t *testing.T) {
	forBoth(t, func(t *testing.T, bin string) {
		in, c := signalInstance(t, bin, ", log = 'file:instance.log'")
		path := filepath.Join(in.Dir, "instance.log")
		rotate := func(how func(), mark string) {
			t.Helper()
			if err := os.Rename(path, path+".old"); err != nil {
				t.Fatal(err)
			}
			how()
			deadline := time.Now().Add(10 * time.Second)
			for {
				evalT(t, c, "require('log').info('"+mark+"')")
				b, _ := os.ReadFile(path)
				if strings.Contains(string(b), " coio I> log file has been reopened\n") && strings.Contains(string(b), mark) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %s the log holds:\n%s", mark, b)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		rotate(func() {
			if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		}, "after SIGHUP")
		rotate(func() { evalT(t, c, "require('log').rotate()") }, "after log.rotate")
		waitEval(t, c, "return box.info.status", "running")
	})
}
