package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/applier"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// replAnonReplica is an anonymous replica: it fetches a snapshot
// (FETCH_SNAPSHOT) instead of joining and subscribes without being
// registered in _cluster.
const replAnonReplica = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        replication = {'replicator:password@' .. os.getenv('MASTER')},
        replication_anon = true, read_only = true, replication_timeout = 0.2,
        replication_connect_timeout = 10}
`

// TestTarantoolAnonReplicaOfSpindleMaster: a Tarantool 2.6 anonymous
// replica bootstraps from a Spindle master and follows it; the master's
// _cluster does not list it until the replica registers.
func TestTarantoolAnonReplicaOfSpindleMaster(t *testing.T) {
	master, _, mc, rc := anonBootstrap(t, spindleBin, tarantoolBin(t), t.TempDir())
	waitEval(t, mc, "return box.space._cluster:count()", "1")
	waitEval(t, mc, "return box.info.replication_anon.count", "1")
	waitEval(t, mc, "local uuid = box.info.replication_anon.count == 1 and next(box.info.replication_anon()) "+
		"local r = box.info.replication_anon()[uuid] return r.id == 0 and r.uuid == uuid and r.downstream.status", "follow")
	waitEval(t, mc, "return #box.info.replication", "1")
	if out := master.Output(); !strings.Contains(out, "sending current read-view to replica") || !strings.Contains(out, "read-view sent.") {
		t.Errorf("master log lacks the read-view lines:\n%s", out)
	}
	// The replica registers (REGISTER) and follows as a normal one.
	waitEval(t, rc, "box.cfg{replication_anon = false} return box.info.id", "2")
	waitEval(t, mc, "return box.space._cluster:count()", "2")
	waitEval(t, mc, "return box.info.replication[2].downstream.status", "follow")
	waitEval(t, mc, "return box.info.replication_anon.count", "0")
	evalT(t, mc, "box.space.test:insert{3, 'registered'}")
	waitEval(t, rc, "return box.space.test:get{3}[2]", "registered")
	if out := master.Output(); !strings.Contains(out, "registering replica") {
		t.Errorf("master log lacks the registration:\n%s", out)
	}
}

// anonBootstrap starts a master (masterBin, replMaster) and an anonymous
// replica of it (replicaBin, in dir) and checks that the replica fetched
// the master's data, follows new rows and has no instance id.
func anonBootstrap(t *testing.T, masterBin, replicaBin, dir string) (master, replica *Instance, mc, rc *client.Conn) {
	t.Helper()
	master = start(t, masterBin, replMaster)
	mc = dialT(t, master.Addr, client.Options{})
	replica = startIn(t, replicaBin, dir, replAnonReplica, "MASTER="+master.Addr)
	rc = dialT(t, replica.Addr, client.Options{})
	waitEval(t, rc, "return box.space.test:get{1}[2]", "before join")
	evalT(t, mc, "box.space.test:insert{2, 'after fetch'}")
	waitEval(t, rc, "return box.space.test:get{2}[2]", "after fetch")
	waitEval(t, rc, "return box.info.id", "0")
	return master, replica, mc, rc
}

// TestSpindleAnonReplica: a Spindle anonymous replica of a Spindle master
// and of a Tarantool 2.6 master bootstraps by FETCH_SNAPSHOT, follows
// without a place in _cluster (box.info.id 0), refuses to leave
// read-only mode, restarts from its files and catches up, and becomes a
// normal replica (REGISTER) on box.cfg{replication_anon = false}.
func TestSpindleAnonReplica(t *testing.T) {
	for _, masterBin := range []string{"spindle", "tarantool"} {
		t.Run("master="+masterBin, func(t *testing.T) {
			bin := spindleBin
			if masterBin == "tarantool" {
				bin = tarantoolBin(t)
			}
			dir := t.TempDir()
			master, replica, mc, rc := anonBootstrap(t, bin, spindleBin, dir)
			waitEval(t, rc, "return box.info.replication[1].upstream.status", "follow")
			waitEval(t, rc, "return box.info.ro", "true")
			waitEval(t, mc, "return box.space._cluster:count()", "1")
			waitEval(t, mc, "return box.info.replication_anon.count", "1")
			waitEval(t, rc, "return select(2, pcall(box.space.test.insert, box.space.test, {3})).code", "7") // ER_READONLY
			waitEval(t, rc, "return tostring(select(2, pcall(box.cfg, {read_only = false})))",
				"Incorrect value for option 'read_only': the value may be set to false only when replication_anon is false")
			if out := replica.Output(); !strings.Contains(out, "bootstrapping replica from") || strings.Contains(out, "final data received") {
				t.Errorf("replica log:\n%s", out)
			}
			// An anonymous instance has no non-anonymous followers.
			if typ := rawSubscribe(t, replica.Addr, false); typ != proto.TypeError|5 /* ER_UNSUPPORTED */ {
				t.Errorf("a non-anonymous SUBSCRIBE to an anonymous replica: reply type %#x", typ)
			}

			// kill -9 and a restart on the files: still anonymous, it
			// resubscribes from its vclock and gets what it missed.
			replica.Kill()
			evalT(t, mc, "box.space.test:insert{4, 'while down'}")
			replica = startIn(t, spindleBin, dir, replAnonReplica, "MASTER="+master.Addr)
			rc = dialT(t, replica.Addr, client.Options{})
			waitEval(t, rc, "return box.space.test:get{4}[2]", "while down")
			waitEval(t, rc, "return box.info.id", "0")
			waitEval(t, mc, "return box.space._cluster:count()", "1")
			if strings.Contains(replica.Output(), "bootstrapping replica") {
				t.Errorf("the restarted replica bootstrapped again:\n%s", replica.Output())
			}
			if masterBin == "spindle" {
				// Its files started as a normal replica's: not
				// registered, refused as 2.6 refuses it.
				replica.Stop(t)
				if out, code := runScriptSource(t, dir, "local ok, err = pcall(box.cfg, {work_dir = os.getenv('TEST_WORK_DIR'), "+
					"replication = {'replicator:password@"+master.Addr+"'}, read_only = true}) "+
					"print(ok, err and err.code) os.exit(0)"); code != 0 || out != "false\t62\n" {
					t.Errorf("a normal start on an anonymous replica's files: exit %d, output %q", code, out)
				}
				replica = startIn(t, spindleBin, dir, replAnonReplica, "MASTER="+master.Addr)
				rc = dialT(t, replica.Addr, client.Options{})
			}

			// Turned into a normal replica: registered with id 2, it
			// subscribes as one and may then leave read-only mode.
			waitEval(t, rc, "box.cfg{replication_anon = false} return box.info.id", "2")
			waitEval(t, mc, "return box.space._cluster:count()", "2")
			if masterBin == "spindle" {
				// 2.6 keeps counting a registered replica as
				// anonymous (replica_set_id leaves anon_count).
				waitEval(t, mc, "return box.info.replication_anon.count", "0")
			}
			waitEval(t, mc, "return box.info.replication[2].downstream.status", "follow")
			evalT(t, mc, "box.space.test:insert{5, 'registered'}")
			waitEval(t, rc, "return box.space.test:get{5}[2]", "registered")
			waitEval(t, rc, "box.cfg{read_only = false} box.space.test:insert{6, 'from the replica'} return box.info.lsn", "1")
			waitEval(t, rc, "return tostring(select(2, pcall(box.cfg, {replication_anon = true})))",
				"Incorrect value for option 'replication_anon': the value may be set to true only when the instance is read-only")
		})
	}
}

// TestAnonConfigChecks: replication_anon needs read_only, cannot be
// turned on after bootstrap, and an anonymous instance without sources
// cannot bootstrap (2.6's messages).
func TestAnonConfigChecks(t *testing.T) {
	out, code := runScriptSource(t, t.TempDir(), `
print(pcall(box.cfg, {work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1, replication_anon = true}))
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
print(pcall(box.cfg, {replication_anon = true}))
box.cfg{read_only = true}
print(pcall(box.cfg, {replication_anon = true}))
print(box.cfg.replication_anon, box.info.id)
os.exit(0)
`)
	want := "false\tIncorrect value for option 'replication_anon': the value may be set to true only when the instance is read-only\n" +
		"false\tIncorrect value for option 'replication_anon': the value may be set to true only when the instance is read-only\n" +
		"false\tIncorrect value for option 'replication_anon': cannot be turned on after bootstrap has finished\n" +
		"false\t1\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
}

// TestYieldingEvalAfterFetchSnapshot: a connection that fetched a
// snapshot is in replication mode; an EVAL that yields on it is still
// answered (it once crashed the server, which tried to hand the rest of
// a batch that no longer existed to a new reader).
func TestYieldingEvalAfterFetchSnapshot(t *testing.T) {
	master := start(t, spindleBin, replMaster)
	c, r := rawDial(t, master.Addr, 20*time.Second)
	if _, err := c.Write(appendRawRequest(nil, proto.FetchSnapshot, 1, nil)); err != nil {
		t.Fatal(err)
	}
	// The read view ends with the second OK (the end vclock).
	for oks := 0; oks < 2; {
		if _, typ := readRawReply(t, r); typ == proto.OK {
			oks++
		} else if typ&proto.TypeError != 0 {
			t.Fatalf("FETCH_SNAPSHOT failed: %#x", typ)
		}
	}
	eval := msgpack.AppendMapHeader(nil, 2)
	eval = msgpack.AppendUint(eval, proto.KeyExpr)
	eval = msgpack.AppendString(eval, "require('fiber').sleep(0.05) return 1")
	eval = msgpack.AppendUint(eval, proto.KeyTuple)
	eval = msgpack.AppendArrayHeader(eval, 0)
	if _, err := c.Write(appendRawRequest(nil, proto.Eval, 2, eval)); err != nil {
		t.Fatal(err)
	}
	if sync, typ := readRawReply(t, r); sync != 2 || typ != proto.OK {
		t.Fatalf("eval reply: sync %d type %#x", sync, typ)
	}
	mc := dialT(t, master.Addr, client.Options{})
	if err := mc.Ping(ctxT(t)); err != nil {
		t.Fatalf("master gone after the eval: %v\n%s", err, master.Output())
	}
}

// TestRegisterRefusals: REGISTER from the master's own uuid and from an
// instance already in _cluster are refused as 2.6 refuses them, by
// Spindle and by Tarantool alike.
func TestRegisterRefusals(t *testing.T) {
	const other = "5d1f0b3c-6a3e-4c5e-9b1e-0a6f4c2d7e11"
	for _, name := range []string{"spindle", "tarantool"} {
		t.Run(name, func(t *testing.T) {
			bin := spindleBin
			if name == "tarantool" {
				bin = tarantoolBin(t)
			}
			master := start(t, bin, replMaster)
			mc := dialT(t, master.Addr, client.Options{})
			self, _ := evalT(t, mc, "return box.info.uuid").(string)
			evalT(t, mc, "box.space._cluster:insert{5, '"+other+"'}")
			c, r := rawDial(t, master.Addr, 10*time.Second)
			for i, tc := range []struct {
				uuid string
				code uint32
			}{{self, 117 /* ER_CONNECTION_TO_SELF */}, {other, 207 /* ER_REPLICA_NOT_ANON */}} {
				body := msgpack.AppendMapHeader(nil, 2)
				body = msgpack.AppendUint(body, proto.KeyInstanceUUID)
				body = msgpack.AppendString(body, tc.uuid)
				body = msgpack.AppendUint(body, proto.KeyVClock)
				body = msgpack.AppendMapHeader(body, 0)
				if _, err := c.Write(appendRawRequest(nil, proto.Register, uint64(i+1), body)); err != nil {
					t.Fatal(err)
				}
				if sync, typ := readRawReply(t, r); sync != uint64(i+1) || typ != proto.TypeError|tc.code {
					t.Fatalf("REGISTER %s: sync %d type %#x, want error %d", tc.uuid, sync, typ, tc.code)
				}
			}
			waitEval(t, mc, "return box.space._cluster:count()", "2")
		})
	}
}

// rawSubscribe sends a SUBSCRIBE from a made-up instance (anonymous or
// not) as guest and returns the type of the first reply.
func rawSubscribe(t *testing.T, addr string, anon bool) uint32 {
	t.Helper()
	c, r := rawDial(t, addr, 10*time.Second)
	body := applier.AppendSubscribeBody(nil, &applier.SubscribeRequest{
		InstanceUUID: "6b4e2a1c-8f3d-4e5a-9c7b-1d2e3f4a5b6c", Anon: anon})
	if _, err := c.Write(appendRawRequest(nil, proto.Subscribe, 1, body)); err != nil {
		t.Fatal(err)
	}
	_, typ := readRawReply(t, r)
	return typ
}
