package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// TestMasterMasterFromIdenticalFiles starts two writable instances from the
// seed's identical instance file: box.once runs once in the set, writes on
// both reach both, and the vclocks end equal with two components.
func TestMasterMasterFromIdenticalFiles(t *testing.T) {
	aAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	bAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := []string{"MASTER_URI=" + aAddr, "REPLICA_URI=" + bAddr, "RO=false"}
	a := spawn(t, t.TempDir(), aAddr, append(env, "NAME=master #1")...)
	b := spawn(t, t.TempDir(), bAddr, append(env, "NAME=master #2")...)
	waitOutput(t, a, "entering the event loop", 30*time.Second)
	waitOutput(t, b, "entering the event loop", 30*time.Second)
	ctx := ctxT(t)
	ac := dialT(t, a.Addr, client.Options{})
	bc := dialT(t, b.Addr, client.Options{})
	once := 0
	for _, in := range []*Instance{a, b} {
		for _, w := range []string{"box.once executed on master #1", "box.once executed on master #2"} {
			if strings.Contains(in.Output(), w) {
				once++
			}
		}
	}
	if once != 1 {
		t.Fatalf("box.once ran %d times in the set", once)
	}
	for i := 0; i < 20; i++ {
		c := ac
		if i%2 == 1 {
			c = bc
		}
		var err error
		for try := 0; try < 100; try++ { // the joined master may still be syncing (orphan)
			if _, err = c.Insert(ctx, 512, []any{i, "row"}); err == nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	check := "return box.space.test:count(), box.info.vclock[1], box.info.vclock[2]"
	var ra, rb []any
	for i := 0; i < 400; i++ {
		var err error
		if ra, err = ac.Eval(ctx, check, nil); err != nil {
			t.Fatal(err)
		}
		if rb, err = bc.Eval(ctx, check, nil); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ra) == fmt.Sprint(rb) && toU64(ra[0]) == 20 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if fmt.Sprint(ra) != fmt.Sprint(rb) || toU64(ra[0]) != 20 || ra[1] == nil || ra[2] == nil {
		t.Fatalf("instances did not converge: %v vs %v", ra, rb)
	}
}
