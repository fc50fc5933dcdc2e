package box

import (
	"errors"
	"math/rand"
	"reflect"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
)

func testSpace(t testing.TB, b *Box) *Session {
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "test", nil, nil)
	createIndex(t, b, admin, 512, 0, "primary", "tree", true, arr(0, "unsigned"))
	createIndex(t, b, admin, 512, 1, "sk", "hash", true, arr(1, "string"))
	createIndex(t, b, admin, 512, 2, "nu", "tree", false, arr(2, "unsigned"))
	return admin
}

// dump is the content of every index of every space, in index order.
func dump(t testing.TB, b *Box) map[string][]any {
	out := map[string][]any{}
	for _, sp := range b.Spaces() {
		for _, ix := range sp.Indexes() {
			it, err := ix.Iterator(memtx.IterALL, emptyKey)
			if err != nil {
				t.Fatal(err)
			}
			var rows []any
			for tu := it.Next(); tu != nil; tu = it.Next() {
				rows = append(rows, decode(t, tu.Data()))
			}
			if ix.Def().Type == memtx.IndexHash {
				rows = []any{len(rows)} // hash order is not stable across rebuilds
			}
			out[sp.Name+"."+ix.Def().Name] = rows
		}
	}
	return out
}

func randomRequest(rng *rand.Rand) Request {
	id := rng.Intn(20)
	name := string(rune('a' + rng.Intn(20)))
	switch rng.Intn(5) {
	case 0:
		return ins(512, id, name, rng.Intn(3))
	case 1:
		return Request{Type: reqReplace, SpaceID: 512, Tuple: mp(arr(id, name, rng.Intn(3)))}
	case 2:
		return Request{Type: reqDelete, SpaceID: 512, Key: mp(arr(id))}
	case 3:
		return Request{Type: reqUpdate, SpaceID: 512, IndexBase: 1, Key: mp(arr(id)), Tuple: mp(arr(arr("+", 3, 1)))}
	}
	return Request{Type: reqUpsert, SpaceID: 512, IndexBase: 1, Tuple: mp(arr(id, name, 0)), Ops: mp(arr(arr("=", 2, name)))}
}

// TestRollbackRestoresState runs random statements, some failing, in a
// transaction and rolls back: every index must be exactly as before.
func TestRollbackRestoresState(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 30; i++ {
		r := randomRequest(rng)
		_, _ = b.Execute(admin, nil, &r)
	}
	for round := 0; round < 50; round++ {
		before := dump(t, b)
		writes := len(j.writes)
		txn := b.Begin(admin)
		for i := 0; i < 1+rng.Intn(30); i++ {
			r := randomRequest(rng)
			if _, err := b.Execute(admin, txn, &r); err != nil {
				var e *boxerr.Error
				if !errors.As(err, &e) {
					t.Fatalf("non-box error %v", err)
				}
			}
		}
		if rng.Intn(4) == 0 {
			// DDL inside the transaction: a new index on a non-empty space
			// is refused unless first, a new space is fine.
			exec(t, b, admin, txn, ins(spaceSpaceID, 700, 1, "tmp", "memtx", 0, map[string]any{}, arr()))
			createIndexTxn(t, b, admin, txn)
		}
		b.Rollback(txn)
		if after := dump(t, b); !reflect.DeepEqual(before, after) {
			t.Fatalf("round %d: state differs after rollback", round)
		}
		if len(j.writes) != writes || b.Space(700) != nil {
			t.Fatalf("rollback wrote to the journal or kept a space")
		}
	}
}

func createIndexTxn(t *testing.T, b *Box, s *Session, txn *Txn) {
	t.Helper()
	exec(t, b, s, txn, ins(indexSpaceID, 700, 0, "pk", "tree", map[string]any{"unique": true}, arr(arr(0, "unsigned"))))
	exec(t, b, s, txn, ins(700, 1))
	_, err := b.Execute(s, txn, &Request{Type: reqInsert, SpaceID: indexSpaceID,
		Tuple: mp(arr(700, 1, "sk", "tree", map[string]any{"unique": true}, arr(arr(0, "unsigned"))))})
	checkErr(t, err, boxerr.ER_MULTISTATEMENT_TRANSACTION, "Can not perform index build in a multi-statement transaction")
}

func TestMultiStatementCommit(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	j.writes = nil
	txn := b.Begin(admin)
	exec(t, b, admin, txn, ins(512, 10, "x", 1))
	exec(t, b, admin, txn, ins(512, 11, "y", 1))
	_, err := b.Execute(admin, txn, &Request{Type: reqInsert, SpaceID: 512, Tuple: mp(arr(12, "x", 1))})
	checkErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'sk' in space 'test'")
	v := b.SchemaVersion()
	if err := b.Commit(txn); err != nil {
		t.Fatal(err)
	}
	if len(j.writes) != 1 || len(j.writes[0]) != 2 || j.writes[0][0].IsCommit || !j.writes[0][1].IsCommit {
		t.Fatalf("want one write of two rows, commit flag on the last: %+v", j.writes)
	}
	if b.SchemaVersion() != v {
		t.Fatal("DML bumped the schema version")
	}
	if err := b.Commit(txn); !boxerr.Is(err, boxerr.ER_NO_TRANSACTION) {
		t.Fatalf("second commit: %v", err)
	}
	// A journal failure rolls the whole transaction back.
	j.fail = errors.New("disk full")
	before := dump(t, b)
	txn = b.Begin(admin)
	exec(t, b, admin, txn, ins(512, 20, "p", 1))
	exec(t, b, admin, txn, Request{Type: reqDelete, SpaceID: 512, Key: mp(arr(10))})
	checkErr(t, b.Commit(txn), boxerr.ER_WAL_IO, "Failed to write to disk")
	if !reflect.DeepEqual(before, dump(t, b)) {
		t.Fatal("failed commit left changes")
	}
	_, err = b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: spaceSpaceID,
		Tuple: mp(arr(600, 1, "x", "memtx", 0, map[string]any{}, arr()))})
	checkErr(t, err, boxerr.ER_WAL_IO, "")
	if b.Space(600) != nil || b.SpaceByName("x") != nil {
		t.Fatal("failed DDL commit kept the space")
	}
}

func TestTriggersAndLocalRows(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	sp := b.Space(512)
	var seen [][2]*memtx.Tuple
	sp.OnReplace = append(sp.OnReplace, func(old, new *memtx.Tuple) error {
		seen = append(seen, [2]*memtx.Tuple{old, new})
		return nil
	})
	// before_replace turning an insert into something else
	sp.BeforeReplace = append(sp.BeforeReplace, func(old, new *memtx.Tuple) (*memtx.Tuple, error) {
		if new != nil && new.Len() == 2 {
			return memtx.NewTuple(mp(arr(decode(t, new.Field(0)), decode(t, new.Field(1)), 42)))
		}
		if old != nil && new == nil {
			return old, nil // refuse deletes: NOP
		}
		return new, nil
	})
	j.writes = nil
	res := exec(t, b, admin, nil, ins(512, 1, "a"))
	if got := decode(t, res.Data()); !reflect.DeepEqual(got, arr(uint64(1), "a", uint64(42))) {
		t.Fatalf("before_replace result %v", got)
	}
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: 512, Key: mp(arr(1))})
	if len(selectAll(t, b, admin, 512)) != 1 {
		t.Fatal("delete not turned into NOP")
	}
	if len(j.writes) != 2 || j.writes[0][0].Type != reqReplace || j.writes[1][0].Type != reqNop || j.writes[1][0].Body != nil {
		t.Fatalf("rows: %v %v", j.writes[0][0].Type, j.writes[1][0].Type)
	}
	if len(seen) != 1 {
		t.Fatalf("on_replace ran %d times", len(seen))
	}
	// on_replace errors roll the statement back
	sp.OnReplace = append(sp.OnReplace, func(old, new *memtx.Tuple) error { return boxerr.New(boxerr.ER_PROC_LUA, "no") })
	execErr(t, b, admin, Request{Type: reqReplace, SpaceID: 512, Tuple: mp(arr(5, "e", 1))}, boxerr.ER_PROC_LUA, "no")
	if len(selectAll(t, b, admin, 512)) != 1 {
		t.Fatal("failed trigger left the tuple")
	}

	// temporary spaces are not logged; local ones get group 1; both work read-only
	exec(t, b, admin, nil, ins(spaceSpaceID, 520, 1, "tmp", "memtx", 0, map[string]any{"temporary": true}, arr()))
	exec(t, b, admin, nil, ins(spaceSpaceID, 521, 1, "loc", "memtx", 0, map[string]any{"group_id": 1}, arr()))
	createIndex(t, b, admin, 520, 0, "pk", "tree", true, arr(0, "unsigned"))
	createIndex(t, b, admin, 521, 0, "pk", "tree", true, arr(0, "unsigned"))
	b.SetReadOnly(true)
	j.writes = nil
	exec(t, b, admin, nil, ins(520, 1))
	exec(t, b, admin, nil, ins(521, 1))
	if len(j.writes) != 1 || j.writes[0][0].GroupID != 1 {
		t.Fatalf("local/temporary rows: %+v", j.writes)
	}
}

// TestRollbackRestoresCatalogs checks that rolling back inserts into
// _func and _user leaves the catalogs built from them as they were: the
// rebuild runs after the rows are put back.
func TestRollbackRestoresCatalogs(t *testing.T) {
	b, _ := newBox(t)
	admin := testSpace(t, b)
	txn := b.Begin(admin)
	exec(t, b, admin, txn, ins(funcSpaceID, 70, 1, "intx", 0, "LUA", "", "function", arr(), "any",
		"none", "none", false, false, true, arr("LUA"), map[string]any{}, "", "", ""))
	exec(t, b, admin, txn, ins(userSpaceID, 70, 1, "ux", "user", map[string]any{}))
	if b.FuncByName("intx") == nil || b.UserByName("ux") == nil {
		t.Fatal("the inserts are not in the catalogs")
	}
	v := b.FuncVersion()
	b.Rollback(txn)
	if b.FuncByName("intx") != nil || b.Func(70) != nil {
		t.Fatal("the rolled back function is still registered")
	}
	if b.UserByName("ux") != nil {
		t.Fatal("the rolled back user is still registered")
	}
	if b.FuncVersion() == v {
		t.Fatal("the rollback did not count as a change of the function catalog")
	}
}
