package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// replMaster is a Spindle master: a replication user and a space with a
// row written before any replica exists.
const replMaster = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication_timeout = 0.2}
box.once('schema', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    box.schema.space.create('test'):create_index('primary')
    box.space.test:insert{1, 'before join'}
end)
`

// replReplica is a real Tarantool 2.6 replica of MASTER.
const replReplica = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = {'replicator:password@' .. os.getenv('MASTER')},
        read_only = true, replication_timeout = 0.2,
        replication_connect_timeout = 10}
`

// evalT evaluates expr and returns its first result.
func evalT(t *testing.T, c *client.Conn, expr string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Eval(ctx, expr, nil)
	if err != nil {
		t.Fatalf("eval %q: %v", expr, err)
	}
	if len(res) == 0 {
		return nil
	}
	return res[0]
}

// waitEval polls expr until it returns want (as printed) for up to 10 s.
func waitEval(t *testing.T, c *client.Conn, expr, want string) {
	t.Helper()
	waitEvalFor(t, c, expr, want, 10*time.Second)
}

// waitEvalFor polls expr until it prints as want or timeout passes;
// errors (a row not there yet) are retried like wrong values.
func waitEvalFor(t *testing.T, c *client.Conn, expr, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got any
	var err error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var res []any
		res, err = c.Eval(ctx, expr, nil)
		cancel()
		got = nil
		if len(res) > 0 {
			got = res[0]
		}
		if err == nil && fmt.Sprint(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v (error %v), want %s", expr, got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTarantoolReplicaFollowsSpindleMaster bootstraps a real Tarantool
// 2.6 replica from a Spindle master (VOTE, JOIN, SUBSCRIBE), checks that
// it gets the rows written before and after it joined, that both sides
// show the link in box.info.replication, and that a restarted replica
// catches up by SUBSCRIBE alone, without joining again.
func TestTarantoolReplicaFollowsSpindleMaster(t *testing.T) {
	tarantool := tarantoolBin(t)
	master := start(t, spindleBin, replMaster)
	mc := dialT(t, master.Addr, client.Options{})

	replicaDir := t.TempDir()
	replica := startIn(t, tarantool, replicaDir, replReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})

	waitEval(t, rc, "return box.space.test:get{1}[2]", "before join")
	evalT(t, mc, "box.space.test:insert{2, 'after join'}")
	waitEval(t, rc, "return box.space.test:get{2}[2]", "after join")
	for _, line := range []string{"initial data sent.", "final data sent.", "recover from `"} {
		if !strings.Contains(master.Output(), line) {
			t.Errorf("master log lacks %q", line)
		}
	}

	waitEval(t, mc, "return box.info.replication[2].downstream.status", "follow")
	waitEval(t, rc, "return box.info.replication[1].upstream.status", "follow")
	waitEval(t, rc, "return box.info.id", "2")
	// The replica ACKs what it applied: the master sees its vclock.
	waitEval(t, mc, "return box.info.replication[2].downstream.vclock[1] == box.info.vclock[1]", "true")
	if idle := evalT(t, mc, "return box.info.replication[2].downstream.idle"); fmt.Sprint(idle) == "<nil>" {
		t.Errorf("downstream idle missing")
	}

	// Restart the replica while the master keeps writing.
	rc.Close()
	replica.Stop(t)
	waitEval(t, mc, "return box.info.replication[2].downstream.status", "stopped")
	evalT(t, mc, "box.space.test:insert{3, 'while down'}")
	replica = startIn(t, tarantool, replicaDir, replReplica, "MASTER="+master.Addr)
	rc = dialT(t, replica.Addr, client.Options{})
	waitEval(t, rc, "return box.space.test:get{3}[2]", "while down")
	evalT(t, mc, "box.space.test:insert{4, 'after restart'}")
	waitEval(t, rc, "return box.space.test:get{4}[2]", "after restart")
	waitEval(t, mc, "return box.info.replication[2].downstream.status", "follow")
	if out := replica.Output(); strings.Contains(out, "bootstrapping replica") || !strings.Contains(out, "subscribed") {
		t.Errorf("restarted replica did not just subscribe:\n%s", out)
	}
	if n := strings.Count(master.Output(), "joining replica"); n != 1 {
		t.Errorf("master saw %d joins, want 1", n)
	}
	waitEval(t, mc, "local ids = {} for _, t in box.space._cluster:pairs() do table.insert(ids, t[1]) end return table.concat(ids, ',')", "1,2")
	waitEval(t, rc, "return box.space.test:count()", "4")
}
