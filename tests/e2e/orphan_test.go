package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// orphanReplica is a writable replica of MASTER with a short connect
// timeout: restarted while its master is down, it becomes orphan.
const orphanReplica = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = {'replicator:password@' .. os.getenv('MASTER')},
        replication_timeout = 0.2, replication_connect_timeout = 1}
`

// testOrphan restarts a replica while its master is down: box.cfg waits
// replication_connect_timeout, the instance starts in status 'orphan',
// read-only (writes fail with ER_READONLY); when the master comes back
// the replica leaves orphan mode ("leaving orphan mode") and takes writes.
func testOrphan(t *testing.T, replicaBin string) {
	masterDir := t.TempDir()
	master := startIn(t, spindleBin, masterDir, conflictMaster)
	addr := master.Addr
	replicaDir := t.TempDir()
	replica := startIn(t, replicaBin, replicaDir, orphanReplica, "MASTER="+addr)
	rc := dialT(t, replica.Addr, client.Options{})
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 20*time.Second)
	waitEvalFor(t, rc, "return box.info.status", "running", 5*time.Second)
	rc.Close()
	replica.Stop(t)
	master.Stop(t)

	rAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if err := os.WriteFile(filepath.Join(replicaDir, "instance.lua"), []byte(orphanReplica), 0o644); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	replica = spawnScript(t, replicaBin, replicaDir, rAddr, "MASTER="+addr)
	waitOutput(t, replica, "entering the event loop", 20*time.Second)
	if d := time.Since(started); d < 900*time.Millisecond {
		t.Errorf("box.cfg returned after %v, before replication_connect_timeout", d)
	}
	rc = dialT(t, rAddr, client.Options{})
	if got := fmt.Sprint(evalT(t, rc, "return box.info.status")); got != "orphan" {
		t.Fatalf("box.info.status = %s, want orphan", got)
	}
	if got := fmt.Sprint(evalT(t, rc, "return box.info.ro")); got != "true" {
		t.Errorf("an orphan is not read-only: box.info.ro = %s", got)
	}
	got := fmt.Sprint(evalT(t, rc, "local ok, e = pcall(box.space.test.insert, box.space.test, {100}) return ok and 'ok' or e.code .. ' ' .. e.message"))
	if want := "7 Can't modify data because this instance is in read-only mode."; got != want {
		t.Errorf("write on an orphan: %s, want %s", got, want)
	}
	out := replica.Output()
	for _, line := range []string{"connecting to 1 replicas", "C> failed to connect to 1 out of 1 replicas",
		"synchronizing with 1 replicas", "C> failed to synchronize with 1 out of 1 replicas", "C> entering orphan mode"} {
		if !strings.Contains(out, line) {
			t.Errorf("replica log lacks %q", line)
		}
	}

	startInAddr(t, spindleBin, masterDir, conflictMaster, addr)
	waitEvalFor(t, rc, "return box.info.status", "running", 30*time.Second)
	waitOutput(t, replica, "C> leaving orphan mode", 5*time.Second)
	waitEvalFor(t, rc, "return box.info.ro", "false", 5*time.Second)
	evalT(t, rc, "box.space.test:insert{100, 'after orphan'}")
	mc := dialT(t, addr, client.Options{})
	if got := fmt.Sprint(evalT(t, mc, "return box.info.status")); got != "running" {
		t.Errorf("master status %s", got)
	}
}

func TestOrphanUntilMasterComes(t *testing.T) { testOrphan(t, spindleBin) }

// TestOrphanUntilMasterComesTarantool is the reference: a Tarantool 2.6
// replica of the Spindle master in the same scenario.
func TestOrphanUntilMasterComesTarantool(t *testing.T) { testOrphan(t, tarantoolBin(t)) }
