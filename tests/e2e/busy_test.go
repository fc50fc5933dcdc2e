package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// TestBusyEvalKeepsReplicationAlive: a client's EVAL that never yields
// holds the transaction processor for longer than the replica's
// disconnect timeout (4 x replication_timeout = 0.8 s here); the relay
// still sends heartbeats and the replica stays in follow, as with
// Tarantool's relay thread. Afterwards writes flow again.
func TestBusyEvalKeepsReplicationAlive(t *testing.T) {
	master := start(t, spindleBin, replMaster)
	mc := dialT(t, master.Addr, client.Options{})
	replica := start(t, spindleBin, replReplica, "MASTER="+master.Addr)
	rc := dialT(t, replica.Addr, client.Options{})
	waitEval(t, rc, "return box.info.replication[1].upstream.status", "follow")

	busy := dialT(t, master.Addr, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := time.Now()
	if _, err := busy.Eval(ctx, `local clock = require('clock')
local t = clock.monotonic()
while clock.monotonic() - t < 2 do end
return true`, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < 2*time.Second {
		t.Fatalf("busy loop took only %v", d)
	}
	// The replica's applier saw heartbeats all along.
	if st := evalT(t, rc, "return box.info.replication[1].upstream.status"); st != "follow" {
		t.Fatalf("replica upstream status %v after the master's busy loop", st)
	}
	for _, bad := range []string{"timed out", "can't read row", "will retry"} {
		if strings.Contains(replica.Output(), bad) {
			t.Fatalf("replica lost the master during its busy loop (%q):\n%s", bad, replica.Output())
		}
	}
	evalT(t, mc, "box.space.test:insert{100, 'after busy'}")
	waitEval(t, rc, "return box.space.test:get{100}[2]", "after busy")
}
