package e2e

import (
	"syscall"
	"testing"

	"github.com/spindledb/spindle/client"
)

// TestSIGUSR1Checkpoint: SIGUSR1 makes a checkpoint, on Spindle as on
// tarantool 2.6.
func TestSIGUSR1Checkpoint(t *testing.T) {
	forBoth(t, func(t *testing.T, bin string) {
		in := start(t, bin, `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
box.schema.space.create('t'):create_index('pk')
box.space.t:insert{1}
`)
		c := dialT(t, in.Addr, client.Options{})
		waitEval(t, c, "return #box.info.gc().checkpoints", "1")
		if err := in.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		waitEval(t, c, "local c = box.info.gc().checkpoints return #c == 2 and c[2].signature == box.info.signature", "true")
	})
}
