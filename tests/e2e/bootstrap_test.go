package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// seedInstance is the seed's instance file for a master-replica set: both
// instances list both URIs in replication; only read_only differs.
const seedInstance = `
box.cfg{
    listen = os.getenv('LISTEN'),
    work_dir = os.getenv('WORK_DIR'),
    replication = {'replicator:password@' .. os.getenv('MASTER_URI'), -- master URI
                   'replicator:password@' .. os.getenv('REPLICA_URI')}, -- replica URI
    read_only = os.getenv('RO') == 'true',
}
box.once("schema", function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication') -- grant replication role
    box.schema.space.create("test")
    box.space.test:create_index("primary")
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    print('box.once executed on ' .. os.getenv('NAME'))
end)
`

// spawn starts an instance of the seed's file without waiting for it.
func spawn(t *testing.T, dir, addr string, env ...string) *Instance {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(seedInstance), 0o644); err != nil {
		t.Fatal(err)
	}
	return spawnScript(t, spindleBin, dir, addr, env...)
}

// spawnScript starts bin on the instance.lua already in dir without
// waiting for it.
func spawnScript(t *testing.T, bin, dir, addr string, env ...string) *Instance {
	t.Helper()
	in := &Instance{Addr: addr, Dir: dir, done: make(chan struct{})}
	cmd := exec.Command(bin, "instance.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"LISTEN=" + addr, "WORK_DIR=" + dir}, env...)...)
	cmd.Stdout, cmd.Stderr = in, in
	in.cmd = cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.waitErr = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() { in.finish(t, dir) })
	return in
}

// waitOutput waits until the instance has printed s.
func waitOutput(t *testing.T, in *Instance, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(in.Output(), s) {
			return
		}
		select {
		case <-in.done:
			t.Fatalf("instance exited: %v", in.waitErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %q within %v", s, timeout)
}

// TestSeedBootstrap runs the seed's master-replica scenario with both
// instance files listing both URIs: either launch order works, box.once
// runs only on the master, the replica is read-only, the instances get ids
// 1 and 2 in one replica set, and data flows from master to replica.
func TestSeedBootstrap(t *testing.T) {
	for _, order := range []string{"master-first", "replica-first"} {
		t.Run(order, func(t *testing.T) {
			mAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			rAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			env := []string{"MASTER_URI=" + mAddr, "REPLICA_URI=" + rAddr}
			startMaster := func() *Instance {
				return spawn(t, t.TempDir(), mAddr, append(env, "RO=false", "NAME=master")...)
			}
			startReplica := func() *Instance {
				return spawn(t, t.TempDir(), rAddr, append(env, "RO=true", "NAME=replica")...)
			}
			var m, r *Instance
			if order == "master-first" {
				m = startMaster()
				time.Sleep(300 * time.Millisecond)
				r = startReplica()
			} else {
				r = startReplica()
				time.Sleep(300 * time.Millisecond)
				m = startMaster()
			}
			waitOutput(t, m, "entering the event loop", 30*time.Second)
			waitOutput(t, r, "entering the event loop", 30*time.Second)
			if !strings.Contains(m.Output(), "box.once executed on master") || strings.Contains(r.Output(), "box.once executed") {
				t.Fatalf("box.once must run on the master only")
			}
			ctx := ctxT(t)
			mc := dialT(t, m.Addr, client.Options{})
			rc := dialT(t, r.Addr, client.Options{})
			if _, err := mc.Replace(ctx, 512, []any{1, "from master"}); err != nil {
				t.Fatal(err)
			}
			check := `return box.info.id, box.info.ro, box.info.cluster.uuid, box.space.test:get{1} ~= nil,
				box.space._cluster:count()`
			var mres, rres []any
			for i := 0; i < 200; i++ {
				var err error
				if mres, err = mc.Eval(ctx, check, nil); err != nil {
					t.Fatal(err)
				}
				if rres, err = rc.Eval(ctx, check, nil); err != nil {
					t.Fatal(err)
				}
				if rres[3] == true {
					break
				}
				time.Sleep(25 * time.Millisecond)
			}
			if toU64(mres[0]) != 1 || mres[1] != false || toU64(rres[0]) != 2 || rres[1] != true ||
				mres[2] != rres[2] || rres[3] != true || toU64(mres[4]) != 2 || toU64(rres[4]) != 2 {
				t.Fatalf("master %v, replica %v", mres, rres)
			}
			if _, err := rc.Replace(ctx, 512, []any{2, "from replica"}); err == nil {
				t.Fatal("the read-only replica accepted a write")
			}
		})
	}
}

// TestSeedFailover performs the seed's controlled failover on the seed's
// pair: read_only on the master, wait until the replica's signature reaches
// the master's, read_only=false on the replica; the new master takes
// writes and the old one follows it.
func TestSeedFailover(t *testing.T) {
	mAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	rAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := []string{"MASTER_URI=" + mAddr, "REPLICA_URI=" + rAddr}
	m := spawn(t, t.TempDir(), mAddr, append(env, "RO=false", "NAME=master")...)
	r := spawn(t, t.TempDir(), rAddr, append(env, "RO=true", "NAME=replica")...)
	waitOutput(t, m, "entering the event loop", 30*time.Second)
	waitOutput(t, r, "entering the event loop", 30*time.Second)
	ctx := ctxT(t)
	mc := dialT(t, m.Addr, client.Options{})
	rc := dialT(t, r.Addr, client.Options{})
	eval := func(c *client.Conn, expr string) []any {
		t.Helper()
		res, err := c.Eval(ctx, expr, nil)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return res
	}
	waitTrue := func(c *client.Conn, expr string) {
		t.Helper()
		for i := 0; i < 400; i++ {
			if res := eval(c, expr); len(res) == 1 && res[0] == true {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("never true: %s", expr)
	}
	if _, err := mc.Replace(ctx, 512, []any{1, "before failover"}); err != nil {
		t.Fatal(err)
	}
	// 1. read_only on the master; 2. its signature.
	eval(mc, "box.cfg{read_only = true}")
	sig := toU64(eval(mc, "return box.info.signature")[0])
	if _, err := mc.Replace(ctx, 512, []any{9, "x"}); err == nil {
		t.Fatal("the old master accepted a write after read_only = true")
	}
	// 3. wait for the replica to reach it; 4. read_only = false there.
	waitTrue(rc, fmt.Sprintf("return box.info.signature >= %d", sig))
	eval(rc, "box.cfg{read_only = false}")
	if _, err := rc.Replace(ctx, 512, []any{2, "after failover"}); err != nil {
		t.Fatalf("the new master refused a write: %v", err)
	}
	// The old master follows the new one.
	waitTrue(mc, "return box.space.test:get{2} ~= nil")
	res := eval(mc, "return box.info.ro, box.space.test:count()")
	if res[0] != true || toU64(res[1]) != 2 {
		t.Fatalf("old master after failover: %v", res)
	}
}
