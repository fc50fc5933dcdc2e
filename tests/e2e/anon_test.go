package e2e

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
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
// _cluster does not list it.
func TestTarantoolAnonReplicaOfSpindleMaster(t *testing.T) {
	tarantool := tarantoolBin(t)
	master := start(t, spindleBin, replMaster)
	mc := dialT(t, master.Addr, client.Options{})
	replica := start(t, tarantool, replAnonReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})
	waitEval(t, rc, "return box.space.test:get{1}[2]", "before join")
	evalT(t, mc, "box.space.test:insert{2, 'after fetch'}")
	waitEval(t, rc, "return box.space.test:get{2}[2]", "after fetch")
	waitEval(t, rc, "return box.info.id", "0")
	waitEval(t, mc, "return box.space._cluster:count()", "1")
	waitEval(t, mc, "return box.info.replication_anon.count", "1")
	waitEval(t, mc, "local uuid = box.info.replication_anon.count == 1 and next(box.info.replication_anon()) "+
		"local r = box.info.replication_anon()[uuid] return r.id == 0 and r.uuid == uuid and r.downstream.status", "follow")
	waitEval(t, mc, "return #box.info.replication", "1")
	if out := master.Output(); !strings.Contains(out, "sending current read-view to replica") || !strings.Contains(out, "read-view sent.") {
		t.Errorf("master log lacks the read-view lines:\n%s", out)
	}
}

// TestSpindleRefusesToBeAnonymous: a Spindle instance is not an
// anonymous replica yet; it says so instead of registering as a normal
// one.
func TestSpindleRefusesToBeAnonymous(t *testing.T) {
	out, code := runScriptSource(t, t.TempDir(), `
print(pcall(box.cfg, {work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1, replication_anon = true, read_only = true}))
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
local ok, err = pcall(box.cfg, {replication_anon = true})
print(ok, err, box.cfg.replication_anon)
os.exit(0)
`)
	want := "false\tSpindle does not support replication_anon = true\n" +
		"false\tSpindle does not support replication_anon = true\tfalse\n"
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
	c, err := net.DialTimeout("tcp", master.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	if _, err := io.ReadFull(r, make([]byte, proto.GreetingSize)); err != nil {
		t.Fatal(err)
	}
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
