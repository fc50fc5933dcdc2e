package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRefusedJoins: a replica whose credentials or privileges do not allow
// it to join keeps retrying with the reason in its log, and the master
// does not register it.
func TestRefusedJoins(t *testing.T) {
	master := start(t, spindleBin, `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.create('replicator', {password = 'password'})
box.schema.user.grant('replicator', 'replication')
box.schema.user.create('nopriv', {password = 'password'})
box.schema.user.grant('guest', 'read,write,execute', 'universe')
`)
	cases := []struct {
		name, uri, want string
	}{
		{"wrong password", "replicator:wrong@" + master.Addr, "Incorrect password supplied for user 'replicator'"},
		{"unknown user", "ghost:password@" + master.Addr, "User 'ghost' is not found"},
		{"no replication privilege", "nopriv:password@" + master.Addr, "Read access to universe '' is denied for user 'nopriv'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script := fmt.Sprintf(`box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
    replication = {%q}, read_only = true, replication_connect_timeout = 3, replication_timeout = 0.2}`, c.uri)
			if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			r := spawnScript(t, spindleBin, dir, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
			waitOutput(t, r, c.want, 15*time.Second)
		})
	}
	c := dialT(t, master.Addr, clientOptions())
	res, err := c.Eval(ctxT(t), "return box.space._cluster:count()", nil)
	if err != nil || toU64(res[0]) != 1 {
		t.Fatalf("the master registered a refused replica: %v %v", res, err)
	}
}

// foreignReplica is a replica of MASTER that is later pointed elsewhere.
const foreignReplica = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = {'replicator:password@' .. os.getenv('MASTER')},
        replication_timeout = 0.2, replication_connect_timeout = 2}
`

// testForeignReplicaset points a replica of replica set A at the master
// of replica set B at run time. Unregistered there, it is refused with
// ER_UNKNOWN_REPLICA; once B knows its uuid, the replica set
// uuids differ: ER_REPLICASET_UUID_MISMATCH in upstream.message and the
// log, the applier stops for good and the instance stays orphan until
// replication points back at A. B's instance is registered in A so that
// box.info.replication has an entry to show the upstream in.
func testForeignReplicaset(t *testing.T, replicaBin string) {
	a := start(t, spindleBin, conflictMaster)
	b := start(t, spindleBin, conflictMaster)
	ac := dialT(t, a.Addr, clientOptions())
	bc := dialT(t, b.Addr, clientOptions())
	r := start(t, replicaBin, foreignReplica, "MASTER="+a.Addr)
	rc := dialT(t, r.Addr, clientOptions())
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 20*time.Second)
	rUUID := fmt.Sprint(evalT(t, rc, "return box.info.uuid"))
	aCluster := fmt.Sprint(evalT(t, ac, "return box.info.cluster.uuid"))
	bCluster := fmt.Sprint(evalT(t, bc, "return box.info.cluster.uuid"))
	bUUID := fmt.Sprint(evalT(t, bc, "return box.info.uuid"))
	evalT(t, ac, fmt.Sprintf("box.space._cluster:insert{3, %q}", bUUID))
	waitEvalFor(t, rc, "return box.space._cluster:get{3} ~= nil", "true", 20*time.Second)

	if _, err := rc.Eval(ctxT(t), "box.cfg{replication = {'replicator:password@' .. ...}}", []any{b.Addr}); err != nil {
		t.Fatal(err)
	}
	unknown := fmt.Sprintf("Replica %s is not registered with replica set %s", rUUID, bCluster)
	waitOutput(t, r, "ER_UNKNOWN_REPLICA: "+unknown, 20*time.Second)
	waitOutput(t, r, "will retry every 0.20 second", 5*time.Second)

	// 2.6 says it retries but stops its applier on ER_UNKNOWN_REPLICA;
	// Spindle retries. Either way, stop it before B learns the uuid and
	// point the replica at B again.
	evalT(t, rc, "box.cfg{replication = {}}")
	evalT(t, bc, fmt.Sprintf("box.space._cluster:insert{2, %q}", rUUID))
	if _, err := rc.Eval(ctxT(t), "box.cfg{replication = {'replicator:password@' .. ...}}", []any{b.Addr}); err != nil {
		t.Fatal(err)
	}
	mismatch := fmt.Sprintf("Replica set UUID mismatch: expected %s, got %s", bCluster, aCluster)
	waitOutput(t, r, "ER_REPLICASET_UUID_MISMATCH: "+mismatch, 20*time.Second)
	waitEvalFor(t, rc, "return box.info.replication[3].upstream.status", "stopped", 10*time.Second)
	if got := fmt.Sprint(evalT(t, rc, "return box.info.replication[3].upstream.message")); got != mismatch {
		t.Errorf("upstream.message = %q, want %q", got, mismatch)
	}
	time.Sleep(time.Second)
	if n := strings.Count(r.Output(), "ER_REPLICASET_UUID_MISMATCH"); n != 1 {
		t.Errorf("the refused applier retried: %d refusals logged", n)
	}
	if got := fmt.Sprint(evalT(t, rc, "return box.info.status")); got != "orphan" {
		t.Errorf("box.info.status = %s, want orphan", got)
	}
	if n := toU64(evalT(t, bc, "return box.space.test:count()")); n != 0 {
		t.Errorf("B got rows")
	}

	if _, err := rc.Eval(ctxT(t), "box.cfg{replication = {'replicator:password@' .. ...}}", []any{a.Addr}); err != nil {
		t.Fatal(err)
	}
	waitEvalFor(t, rc, "return box.info.status", "running", 20*time.Second)
	evalT(t, ac, "box.space.test:insert{1, 'back home'}")
	waitEvalFor(t, rc, "return box.space.test:get{1} ~= nil", "true", 20*time.Second)
}

func TestForeignReplicasetRefused(t *testing.T) { testForeignReplicaset(t, spindleBin) }

// TestForeignReplicasetRefusedTarantool is the reference: a Tarantool 2.6
// replica in the same scenario.
func TestForeignReplicasetRefusedTarantool(t *testing.T) {
	testForeignReplicaset(t, tarantoolBin(t))
}
