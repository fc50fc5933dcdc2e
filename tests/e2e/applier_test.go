package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// testReplicaFollows bootstraps a Spindle replica from master (JOIN,
// first checkpoint, SUBSCRIBE) and checks the data, ids, replica set
// uuid, read-only mode, box.info.replication[1].upstream, a restart that
// catches up without re-joining and, when restartMaster is given, that
// the replica reconnects to a restarted master.
func testReplicaFollows(t *testing.T, master *Instance, restartMaster func() *Instance) {
	mc := dialT(t, master.Addr, client.Options{})
	replicaDir := t.TempDir()
	replica := startIn(t, spindleBin, replicaDir, replReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})

	waitEval(t, rc, "return box.space.test:get{1}[2]", "before join")
	evalT(t, mc, "box.space.test:insert{2, 'after join'}")
	waitEval(t, rc, "return box.space.test:get{2}[2]", "after join")
	waitEval(t, rc, "return box.info.id", "2")
	waitEval(t, rc, "return box.info.cluster.uuid == "+fmt.Sprintf("%q", fmt.Sprint(evalT(t, mc, "return box.info.cluster.uuid"))), "true")
	waitEval(t, rc, "return box.info.replication[1].upstream.status", "follow")
	waitEval(t, rc, "return box.info.replication[1].upstream.peer", master.Addr)
	waitEval(t, rc, "return box.info.status", "running")
	waitEval(t, rc, "return box.info.ro", "true")
	waitEval(t, rc, "return (pcall(box.space.test.insert, box.space.test, {9}))", "false")
	waitEval(t, mc, "return box.info.replication[2].downstream.status", "follow")
	// ACKs reach the master.
	waitEval(t, mc, "return box.info.replication[2].downstream.vclock[1] == box.info.vclock[1]", "true")
	waitEval(t, rc, "return box.info.vclock[1] == "+fmt.Sprint(evalT(t, mc, "return box.info.vclock[1]")), "true")
	// The master's collector keeps the xlogs the replica still needs,
	// and box.info.gc() names it as 2.6 does.
	waitEval(t, mc, `local u = box.info.replication[2].uuid
for _, c in ipairs(box.info.gc().consumers) do
    if c.name == 'replica ' .. u and c.signature <= box.info.signature and type(c.vclock) == 'table' then return true end
end
return false`, "true")
	out := replica.Output()
	for _, line := range []string{"bootstrapping replica from ", "initial data received", "final data received",
		"saving snapshot", "subscribed", "remote master "} {
		if !strings.Contains(out, line) {
			t.Errorf("replica log lacks %q:\n%s", line, out)
		}
	}

	// Restart the replica while the master keeps writing.
	rc.Close()
	replica.Stop(t)
	evalT(t, mc, "box.space.test:insert{3, 'while down'}")
	replica = startIn(t, spindleBin, replicaDir, replReplica, "MASTER="+master.Addr)
	rc = dialT(t, replica.Addr, client.Options{})
	waitEval(t, rc, "return box.space.test:get{3}[2]", "while down")
	if out := replica.Output(); strings.Contains(out, "bootstrapping replica") || !strings.Contains(out, "subscribed") {
		t.Errorf("restarted replica did not just subscribe:\n%s", out)
	}
	waitEval(t, rc, "return box.space.test:count()", "3")

	if restartMaster == nil {
		return
	}
	mc.Close()
	master = restartMaster()
	mc = dialT(t, master.Addr, client.Options{})
	evalT(t, mc, "box.space.test:insert{4, 'after master restart'}")
	waitEval(t, rc, "return box.space.test:get{4}[2]", "after master restart")
	if out := replica.Output(); !strings.Contains(out, "will retry every 0.20 second") && !strings.Contains(out, "can't read row") {
		t.Errorf("replica did not log the broken link:\n%s", out)
	}
	if n := strings.Count(master.Output(), "joining replica"); n != 0 {
		t.Errorf("restarted master saw %d joins", n)
	}
}

func TestSpindleReplicaOfSpindleMaster(t *testing.T) {
	dir := t.TempDir()
	master := startIn(t, spindleBin, dir, replMaster)
	addr := master.Addr
	testReplicaFollows(t, master, func() *Instance {
		master.Stop(t)
		// Same port: the replica's source does not change.
		return startInAddr(t, spindleBin, dir, replMaster, addr)
	})
}

func TestSpindleReplicaOfTarantoolMaster(t *testing.T) {
	tarantool := tarantoolBin(t)
	master := start(t, tarantool, replMaster)
	testReplicaFollows(t, master, nil)
}

// startInAddr is startIn on a given address (a restarted master keeps
// the port its replicas know): LISTEN is overridden and the readiness
// check dials addr.
func startInAddr(t *testing.T, bin, dir, script, addr string) *Instance {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	in := spawnScript(t, bin, dir, addr)
	for i := 0; i < 150; i++ {
		select {
		case <-in.done:
			t.Fatalf("%s exited early: %v\n%s", bin, in.waitErr, in.Output())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return in
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s", bin, addr)
	return nil
}
