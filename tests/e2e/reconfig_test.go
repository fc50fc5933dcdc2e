package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// rcMeshInstance is one writable rcMember of a replica set that replicates
// from every address in PEERS (comma-separated, itself included): started
// together, identical files bootstrap one set, as in the seed.
const rcMeshInstance = `
local peers = {}
for a in string.gmatch(os.getenv('PEERS'), '[^,]+') do
    table.insert(peers, 'replicator:password@' .. a)
end
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = peers, replication_timeout = 0.2,
        replication_connect_timeout = 30}
box.once('schema', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    box.schema.space.create('test'):create_index('primary')
end)
`

// rcMember is a running instance with a client connection.
type rcMember struct {
	in *Instance
	c  *client.Conn
}

// rcStartMesh starts n members of a full mesh from rcMeshInstance and waits
// until every one serves requests and knows all n instance ids.
func rcStartMesh(t *testing.T, n int) []rcMember {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	peers := "PEERS=" + strings.Join(addrs, ",")
	ms := make([]rcMember, n)
	for i := range ms {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(rcMeshInstance), 0o644); err != nil {
			t.Fatal(err)
		}
		ms[i].in = spawnScript(t, spindleBin, dir, addrs[i], peers)
	}
	for i := range ms {
		waitOutput(t, ms[i].in, "entering the event loop", 60*time.Second)
		ms[i].c = dialT(t, addrs[i], client.Options{})
	}
	for i := range ms {
		waitEvalFor(t, ms[i].c, "return box.space._cluster:count()", fmt.Sprint(n), 30*time.Second)
		waitEvalFor(t, ms[i].c, "return box.info.status", "running", 30*time.Second)
	}
	return ms
}

// rcSetReplication runs box.cfg{replication = ...} on c with the given
// addresses (through the replicator user) and returns how long it took.
func rcSetReplication(t *testing.T, c *client.Conn, addrs ...string) time.Duration {
	t.Helper()
	args := make([]any, len(addrs))
	for i, a := range addrs {
		args[i] = a
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Eval(ctx, `local t = {}
for _, a in ipairs({...}) do table.insert(t, 'replicator:password@' .. a) end
box.cfg{replication = t}`, args)
	if err != nil {
		t.Fatalf("box.cfg{replication = %v}: %v", addrs, err)
	}
	return time.Since(start)
}

// rcInsert writes {key, who} on m, retrying while m is briefly orphan.
func rcInsert(t *testing.T, m rcMember, key int, who string) {
	t.Helper()
	var err error
	for try := 0; try < 200; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = m.c.Insert(ctx, 512, []any{key, who})
		cancel()
		if err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("insert %d on %s: %v", key, m.in.Addr, err)
}

// rcConverge waits until every rcMember holds the same rows of test and the
// same vclock.
func rcConverge(t *testing.T, ms []rcMember, rows int) {
	t.Helper()
	check := `local vc = {} for id, lsn in pairs(box.info.vclock) do if id ~= 0 then table.insert(vc, id .. ':' .. lsn) end end
table.sort(vc) local keys = {} for _, tu in box.space.test:pairs() do table.insert(keys, tu[1]) end
return box.space.test:count() .. '|' .. table.concat(vc, ',') .. '|' .. table.concat(keys, ',')`
	deadline := time.Now().Add(30 * time.Second)
	for {
		var first string
		same := true
		for i, m := range ms {
			res := evalT(t, m.c, check)
			s := fmt.Sprint(res)
			if i == 0 {
				first = s
			} else if s != first {
				same = false
			}
		}
		if same && strings.HasPrefix(first, fmt.Sprintf("%d|", rows)) {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range ms {
				t.Logf("%s: %v", m.in.Addr, evalT(t, m.c, check))
			}
			t.Fatalf("members did not rcConverge on %d rows", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rcUpstream returns box.info.replication[id].upstream.status on m, or
// "none" when the entry has no upstream.
func rcUpstream(t *testing.T, m rcMember, rcID string) string {
	t.Helper()
	return fmt.Sprint(evalT(t, m.c, `local id = `+rcID+`
local r = box.info.replication[id]
return r and r.upstream and r.upstream.status or 'none'`))
}

// rcID is a Lua expression for the instance id of rcMember m as seen from
// anywhere in the set.
func rcID(t *testing.T, m rcMember) string {
	return fmt.Sprint(evalT(t, m.c, "return box.info.id"))
}

// TestReconfigureMeshToRingAndChain reconfigures a running three-rcMember
// full mesh with box.cfg{replication=...}: into a ring (each rcMember
// replicates only from the previous one), into a chain (head -> middle ->
// tail), back to a mesh, and then removes a rcMember from it. Every change
// written meanwhile reaches every rcMember that should get it, and
// box.info.replication follows the configuration.
func TestReconfigureMeshToRingAndChain(t *testing.T) {
	ms := rcStartMesh(t, 3)
	a, b, c := ms[0], ms[1], ms[2]
	ids := []string{rcID(t, a), rcID(t, b), rcID(t, c)}
	key := 0
	writeEach := func(tag string, on ...rcMember) {
		for _, m := range on {
			key++
			rcInsert(t, m, key, tag)
		}
	}
	writeEach("mesh", a, b, c)
	rcConverge(t, ms, key)

	// Ring: a <- c, b <- a, c <- b.
	for i, m := range ms {
		prev := ms[(i+2)%3]
		if d := rcSetReplication(t, m.c, prev.in.Addr); d > 20*time.Second {
			t.Errorf("box.cfg took %v", d)
		}
	}
	for i, m := range ms {
		prev, next := (i+2)%3, (i+1)%3
		waitEvalFor(t, m.c, fmt.Sprintf("local r = box.info.replication[%s] return r.upstream and r.upstream.status", ids[prev]), "follow", 20*time.Second)
		if s := rcUpstream(t, m, ids[next]); s != "none" {
			t.Errorf("rcMember %d still has an upstream to %d: %s", i, next, s)
		}
	}
	writeEach("ring", a, b, c, a, b, c)
	rcConverge(t, ms, key)

	// Chain: a (head, no upstream) -> b -> c.
	rcSetReplication(t, a.c)
	rcSetReplication(t, b.c, a.in.Addr)
	rcSetReplication(t, c.c, b.in.Addr)
	if s := rcUpstream(t, a, ids[2]); s != "none" {
		t.Errorf("the head still follows the tail: %s", s)
	}
	writeEach("chain", a, a, a)
	rcConverge(t, ms, key)

	// Back to a full mesh, then remove c from it: a and b replicate from
	// each other only, c from nobody.
	for _, m := range ms {
		rcSetReplication(t, m.c, a.in.Addr, b.in.Addr, c.in.Addr)
	}
	writeEach("mesh again", c, b, a)
	rcConverge(t, ms, key)
	rcSetReplication(t, a.c, a.in.Addr, b.in.Addr)
	rcSetReplication(t, b.c, a.in.Addr, b.in.Addr)
	rcSetReplication(t, c.c)
	for _, m := range []rcMember{a, b} {
		if s := rcUpstream(t, m, ids[2]); s != "none" {
			t.Errorf("%s still follows the removed rcMember: %s", m.in.Addr, s)
		}
	}
	writeEach("without c", a, b)
	rcConverge(t, []rcMember{a, b}, key)
	if n := toU64(evalT(t, c.c, "return box.space.test:count()")); n != uint64(key-2) {
		t.Errorf("the removed rcMember got %d rows, want %d", n, key-2)
	}
	for _, m := range ms {
		if out := m.in.Output(); strings.Contains(out, "ER_UNSUPPORTED") {
			t.Errorf("%s logged an unsupported reconfiguration:\n%s", m.in.Addr, out)
		}
	}
}

// TestFailoverBackAndForth runs the seed's controlled failover from the
// master to the replica and back again (read_only on the master, its
// signature, wait for the replica to reach it, read_only = false on the
// replica), checking that writes flow in the new direction each time.
func TestFailoverBackAndForth(t *testing.T) {
	mAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	rAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := []string{"MASTER_URI=" + mAddr, "REPLICA_URI=" + rAddr}
	m := spawn(t, t.TempDir(), mAddr, append(env, "RO=false", "NAME=master")...)
	r := spawn(t, t.TempDir(), rAddr, append(env, "RO=true", "NAME=replica")...)
	waitOutput(t, m, "entering the event loop", 30*time.Second)
	waitOutput(t, r, "entering the event loop", 30*time.Second)
	cur := rcMember{m, dialT(t, mAddr, client.Options{})}
	other := rcMember{r, dialT(t, rAddr, client.Options{})}
	key := 0
	for round := 0; round < 4; round++ {
		key++
		rcInsert(t, cur, key, fmt.Sprintf("round %d", round))
		// 1. read_only on the current master; 2. its signature.
		evalT(t, cur.c, "box.cfg{read_only = true}")
		sig := fmt.Sprint(evalT(t, cur.c, "return box.info.signature"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cur.c.Insert(ctx, 512, []any{1000 + round, "x"})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("round %d: the demoted master accepted a write: %v", round, err)
		}
		// 3. the other reaches the signature; 4. read_only = false there.
		waitEvalFor(t, other.c, "return box.info.signature >= "+sig, "true", 20*time.Second)
		evalT(t, other.c, "box.cfg{read_only = false}")
		key++
		rcInsert(t, other, key, fmt.Sprintf("after round %d", round))
		waitEvalFor(t, cur.c, fmt.Sprintf("return box.space.test:get{%d} ~= nil", key), "true", 20*time.Second)
		waitEvalFor(t, cur.c, "return box.info.ro", "true", 5*time.Second)
		cur, other = other, cur
	}
	rcConverge(t, []rcMember{cur, other}, key)
}

// testReconfigureToDeadSource adds a source nobody listens on at run
// time: box.cfg waits replication_connect_timeout, logs the failed
// connection and leaves the instance orphan (the quorum of two is not
// reached, so it is read-only); dropping the dead source ends orphan
// mode while the live upstream keeps following.
func testReconfigureToDeadSource(t *testing.T, replicaBin string) {
	master := start(t, spindleBin, conflictMaster)
	replica := start(t, replicaBin, foreignReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 20*time.Second)
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	evalT(t, rc, "box.cfg{replication_connect_timeout = 1}")
	if d := rcSetReplication(t, rc, master.Addr, dead); d < 900*time.Millisecond || d > 15*time.Second {
		t.Errorf("box.cfg{replication} returned after %v, want about replication_connect_timeout", d)
	}
	if got := fmt.Sprint(evalT(t, rc, "return box.info.status")); got != "orphan" {
		t.Errorf("status %s, want orphan", got)
	}
	waitOutput(t, replica, "failed to connect to 1 out of 2 replicas", 5*time.Second)
	// 2.6 replaced the live applier too, so none had synced: "2 out of
	// 2"; Spindle keeps it following: "1 out of 2".
	waitOutput(t, replica, " out of 2 replicas", 5*time.Second)
	if out := replica.Output(); !strings.Contains(out, "failed to synchronize with 1 out of 2 replicas") &&
		!strings.Contains(out, "failed to synchronize with 2 out of 2 replicas") {
		t.Errorf("no failed synchronization logged")
	}
	waitOutput(t, replica, "C> entering orphan mode", 5*time.Second)
	// A lower quorum that the live upstream meets ends orphan mode.
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 10*time.Second)
	evalT(t, rc, "box.cfg{replication_connect_quorum = 1}")
	waitEvalFor(t, rc, "return box.info.status", "running", 5*time.Second)
	evalT(t, rc, "box.cfg{replication_connect_quorum = 2}")
	rcSetReplication(t, rc, master.Addr)
	waitEvalFor(t, rc, "return box.info.status", "running", 10*time.Second)
	waitEvalFor(t, rc, "return box.info.replication[1].upstream.status", "follow", 10*time.Second)
	mc := dialT(t, master.Addr, client.Options{})
	evalT(t, mc, "box.space.test:insert{1, 'still following'}")
	waitEvalFor(t, rc, "return box.space.test:get{1} ~= nil", "true", 10*time.Second)
}

func TestReconfigureToDeadSource(t *testing.T) { testReconfigureToDeadSource(t, spindleBin) }

// TestReconfigureToDeadSourceTarantool is the reference run with a
// Tarantool 2.6 replica.
func TestReconfigureToDeadSourceTarantool(t *testing.T) {
	testReconfigureToDeadSource(t, tarantoolBin(t))
}
