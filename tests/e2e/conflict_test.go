package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// conflictMaster is a Spindle master whose space test a writable replica
// also writes to.
const conflictMaster = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'), replication_timeout = 0.2}
box.once('schema', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    box.schema.space.create('test'):create_index('primary')
end)
`

// conflictReplica is a writable replica of MASTER.
const conflictReplica = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = {'replicator:password@' .. os.getenv('MASTER')},
        replication_timeout = 0.2, replication_connect_timeout = 20}
`

// testDuplicateKeyConflict writes the same key on the master and on the
// replica: the replica's applier stops ('stopped', the duplicate key in
// upstream.message and the log) and does not retry; with
// replication_skip_conflict and the replication reset, the row is skipped
// and the stream goes on; a before_replace trigger on the replica can
// resolve the next conflict itself. spindle says whether the replica is
// Spindle (it names the key and both tuples, and counts skipped rows).
func testDuplicateKeyConflict(t *testing.T, replicaBin string, spindle bool) {
	master := start(t, spindleBin, conflictMaster)
	mc := dialT(t, master.Addr, client.Options{})
	replica := start(t, replicaBin, conflictReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})
	waitEvalFor(t, rc, "return box.space.test ~= nil and box.info.replication[1].upstream.status", "follow", 20*time.Second)

	evalT(t, rc, "box.space.test:insert{10, 'local'}")
	evalT(t, mc, "box.space.test:insert{10, 'remote'}")
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "stopped", 20*time.Second)
	msg := fmt.Sprint(evalT(t, rc, "return box.info.replication[1].upstream.message"))
	const prefix = "Duplicate key exists in unique index 'primary' in space 'test'"
	want := prefix
	if spindle {
		want += `: key [10], existing tuple [10, "local"], incoming tuple [10, "remote"]`
	}
	if msg != want {
		t.Errorf("upstream.message = %q, want %q", msg, want)
	}
	waitEvalFor(t, rc, "return box.info.status", "running", 5*time.Second)
	out := replica.Output()
	for _, line := range []string{
		"E> error applying row: {type: 'INSERT', replica_id: 1, lsn: ",
		`space_id: 512, index_id: 0, tuple: [10, "remote"]}`,
		"I> can't read row",
		"E> ER_TUPLE_FOUND: " + prefix,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("replica log lacks %q", line)
		}
	}

	// Stopped means stopped: nothing more is applied, no reconnect.
	evalT(t, mc, "box.space.test:insert{11, 'after the conflict'}")
	time.Sleep(time.Second)
	if got := fmt.Sprint(evalT(t, rc, "return box.info.replication[1].upstream.status, box.space.test:get{11} == nil")); got != "stopped" {
		t.Errorf("after a conflict the applier is %s", got)
	}
	if res, _ := rc.Eval(ctxT(t), "return box.space.test:get{11} == nil", nil); len(res) != 1 || res[0] != true {
		t.Errorf("a stopped applier applied a later row")
	}
	if n := strings.Count(replica.Output(), "E> ER_TUPLE_FOUND"); n != 1 {
		t.Errorf("the applier retried: %d conflicts logged", n)
	}

	// Skip the conflicting row: 2.6's way to resume is to set the
	// replication sources again.
	evalT(t, rc, `box.cfg{replication_skip_conflict = true}
local src = box.cfg.replication
box.cfg{replication = {}}
box.cfg{replication = src}`)
	waitEvalFor(t, rc, "return box.space.test:get{11} ~= nil", "true", 20*time.Second)
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 20*time.Second)
	if got := fmt.Sprint(evalT(t, rc, "return box.space.test:get{10}[2]")); got != "local" {
		t.Errorf("the skipped row overwrote the local one: %s", got)
	}
	// The skipped row was logged as a NOP: the vclocks meet.
	waitEvalFor(t, rc, "return box.info.vclock[1]", fmt.Sprint(evalT(t, mc, "return box.info.vclock[1]")), 10*time.Second)
	if spindle {
		if got := fmt.Sprint(evalT(t, rc, "return box.info.replication[1].upstream.skipped")); got != "1" {
			t.Errorf("upstream.skipped = %s, want 1", got)
		}
	}

	// A before_replace trigger resolves conflicts of replicated rows: the
	// local tuple wins.
	evalT(t, rc, `box.cfg{replication_skip_conflict = false}
box.space.test:before_replace(function(old, new)
    if old ~= nil and new ~= nil and old[2] == 'local' then return old end
end)`)
	evalT(t, rc, "box.space.test:insert{20, 'local'}")
	evalT(t, mc, "box.space.test:insert{20, 'remote'}")
	evalT(t, mc, "box.space.test:insert{21, 'next'}")
	waitEvalFor(t, rc, "return box.space.test:get{21} ~= nil", "true", 20*time.Second)
	if got := fmt.Sprint(evalT(t, rc, "return box.space.test:get{20}[2], box.info.replication[1].upstream.status")); got != "local" {
		t.Errorf("before_replace did not keep the local tuple: %s", got)
	}
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 5*time.Second)
	waitEvalFor(t, rc, "return box.info.vclock[1]", fmt.Sprint(evalT(t, mc, "return box.info.vclock[1]")), 10*time.Second)
}

func TestDuplicateKeyConflictSpindleReplica(t *testing.T) {
	testDuplicateKeyConflict(t, spindleBin, true)
}

// TestDuplicateKeyConflictTarantoolReplica runs the same scenario with a
// real Tarantool 2.6 replica of the Spindle master: the reference for the
// status, the message prefix, the log lines and skip_conflict.
func TestDuplicateKeyConflictTarantoolReplica(t *testing.T) {
	testDuplicateKeyConflict(t, tarantoolBin(t), false)
}
