package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/proto"
)

const durableServer = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
        wal_mode = os.getenv('WAL_MODE')}
box.once('schema', function()
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    box.schema.space.create('kv'):create_index('pk', {parts = {1, 'unsigned'}})
end)
`

// TestKill9KeepsAcknowledgedWrites runs a write load, kills the server
// with SIGKILL in the middle of it, restarts it on the same files and
// checks that every acknowledged write is there, for wal_mode write and
// fsync, several rounds each on the same data directory.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	for _, mode := range []string{"write", "fsync"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			acked := map[uint64]bool{}
			var next atomic.Uint64
			for round := 0; round < 3; round++ {
				in := startIn(t, spindleBin, dir, durableServer, "WAL_MODE="+mode)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c := dialT(t, in.Addr, client.Options{})
				sp, err := c.SpaceID(ctx, "kv")
				if err != nil {
					t.Fatal(err)
				}
				// Everything acknowledged in earlier rounds survived.
				res, err := c.Select(ctx, sp, 0, 0, 1<<30, client.Iterator(proto.IterAll), nil)
				if err != nil {
					t.Fatal(err)
				}
				have := map[uint64]bool{}
				for _, tup := range res {
					f := tup.([]any)
					k := toU64(f[0])
					// Each row carries its own value: rows of concurrent
					// writes never mix (transactions are recycled).
					if want := fmt.Sprintf("value-%d", k); len(f) != 2 || f[1] != want {
						t.Fatalf("round %d: key %d holds %v, want [%d %s]", round, k, f, k, want)
					}
					have[k] = true
				}
				for k := range acked {
					if !have[k] {
						t.Fatalf("round %d: acknowledged key %d is lost after kill -9", round, k)
					}
				}
				// Load: 8 writers, each inserting fresh keys until the kill.
				var mu sync.Mutex
				var wg sync.WaitGroup
				stop := make(chan struct{})
				for w := 0; w < 8; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < 100000; i++ {
							select {
							case <-stop:
								return
							default:
							}
							k := next.Add(1)
							got, err := c.Insert(ctx, sp, []any{k, fmt.Sprintf("value-%d", k)})
							if err != nil {
								return // the server died under us
							}
							if !oneTuple(got, k, fmt.Sprintf("value-%d", k)) {
								t.Errorf("insert of %d answered %v", k, got)
								return
							}
							mu.Lock()
							acked[k] = true
							mu.Unlock()
						}
					}()
				}
				time.Sleep(300 * time.Millisecond)
				in.Kill()
				close(stop)
				wg.Wait()
				cancel()
				c.Close()
				if len(acked) == 0 {
					t.Fatal("no write was acknowledged before the kill")
				}
			}
			t.Logf("wal_mode=%s: %d acknowledged writes checked across 3 kills", mode, len(acked))
		})
	}
}

// oneTuple reports whether data (a reply's IPROTO_DATA) is the one tuple
// [k, v].
func oneTuple(data []any, k uint64, v string) bool {
	if len(data) != 1 {
		return false
	}
	f, ok := data[0].([]any)
	return ok && len(f) == 2 && toU64(f[0]) == k && f[1] == v
}

func toU64(v any) uint64 {
	switch x := v.(type) {
	case uint64:
		return x
	case int64:
		return uint64(x)
	}
	panic(fmt.Sprintf("unexpected key type %T", v))
}
