package box

import (
	"errors"
	"reflect"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/xrow"
)

const testUUID = "8f0c2c1a-1b1e-4a6e-9a5c-3d2b1a0f9e11"
const testRS = "5a3f3e2b-7c1d-4e8a-b6f0-0c1d2e3f4a5b"

// mp encodes a Go value (nested []any / map[string]any / scalars).
func mp(v any) []byte { return msgpack.MustAppend(nil, v) }

func arr(v ...any) []any { return v }

type memJournal struct {
	writes [][]*xrow.Row
	fail   error
}

func (j *memJournal) Write(rows []*xrow.Row) error {
	if j.fail != nil {
		return j.fail
	}
	j.writes = append(j.writes, rows)
	return nil
}

func newBox(t testing.TB) (*Box, *memJournal) {
	t.Helper()
	j := &memJournal{}
	b := New(Options{InstanceUUID: testUUID, Journal: j})
	if err := b.Bootstrap(testRS, 1); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return b, j
}

func decode(t testing.TB, b []byte) any {
	t.Helper()
	v, _, err := msgpack.Decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func exec(t testing.TB, b *Box, s *Session, txn *Txn, r Request) *memtx.Tuple {
	t.Helper()
	res, err := b.Execute(s, txn, &r)
	if err != nil {
		t.Fatalf("execute %+v: %v", r, err)
	}
	return res
}

func execErr(t testing.TB, b *Box, s *Session, r Request, code boxerr.Code, msg string) {
	t.Helper()
	_, err := b.Execute(s, nil, &r)
	checkErr(t, err, code, msg)
}

func checkErr(t testing.TB, err error, code boxerr.Code, msg string) {
	t.Helper()
	var e *boxerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s %q, got %v", code.Name(), msg, err)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("want %s %q, got %s %q", code.Name(), msg, e.Code.Name(), e.Message)
	}
}

func ins(space uint32, tuple ...any) Request {
	return Request{Type: reqInsert, SpaceID: space, Tuple: mp(tuple)}
}

func sel(space, index uint32, it memtx.IterType, key ...any) Request {
	return Request{Type: reqSelect, SpaceID: space, IndexID: index, Iterator: it, Key: mp(key), Limit: 1 << 31}
}

func selectAll(t testing.TB, b *Box, s *Session, space uint32) []any {
	t.Helper()
	r := sel(space, 0, memtx.IterALL)
	res, err := b.Select(s, &r)
	if err != nil {
		t.Fatalf("select %d: %v", space, err)
	}
	out := make([]any, 0, len(res))
	for _, tu := range res {
		out = append(out, decode(t, tu.Data()))
	}
	return out
}

// createSpace makes a space the way box.schema.space.create does: a
// _space insert (the _schema max_id bookkeeping is the Lua layer's).
func createSpace(t testing.TB, b *Box, s *Session, id uint32, name string, opts map[string]any, format []any) {
	t.Helper()
	if opts == nil {
		opts = map[string]any{}
	}
	if format == nil {
		format = []any{}
	}
	exec(t, b, s, nil, ins(spaceSpaceID, id, uidOf(s), name, "memtx", 0, opts, format))
}

func createIndex(t testing.TB, b *Box, s *Session, space, iid uint32, name, typ string, unique bool, parts ...any) {
	t.Helper()
	exec(t, b, s, nil, ins(indexSpaceID, space, iid, name, typ, map[string]any{"unique": unique}, parts))
}

func TestBootstrapCounts(t *testing.T) {
	b, j := newBox(t)
	admin := b.AdminSession()
	want := map[uint32]int{272: 3, 276: 277, 280: 25, 288: 53, 296: 67, 304: 5, 312: 82, 320: 1}
	for id, n := range want {
		if got := len(selectAll(t, b, admin, id)); got != n {
			t.Errorf("space %d: %d rows, want %d", id, got, n)
		}
	}
	if len(j.writes) != 0 {
		t.Fatalf("bootstrap wrote %d journal entries", len(j.writes))
	}
	if len(b.Spaces()) != 25 {
		t.Fatalf("%d spaces, want 25", len(b.Spaces()))
	}
	if b.ReplicasetUUID() != testRS || b.InstanceID() != 1 {
		t.Fatalf("replicaset %q instance id %d", b.ReplicasetUUID(), b.InstanceID())
	}
	for _, name := range []string{"guest", "admin", "public", "replication", "super"} {
		if b.UserByName(name) == nil {
			t.Errorf("no user %s", name)
		}
	}
	if b.FuncByName("box.schema.user.info") == nil {
		t.Errorf("no function box.schema.user.info")
	}
	// The system spaces got their formats and all their indexes from the
	// _space and _index rows.
	sp := b.SpaceByName("_space")
	if len(sp.Format()) != 7 || len(sp.Indexes()) != 3 {
		t.Fatalf("_space: %d format fields, %d indexes", len(sp.Format()), len(sp.Indexes()))
	}
	if ix := b.Space(sequenceDataSpaceID).Primary(); ix.Def().Type != memtx.IndexHash {
		t.Fatalf("_sequence_data primary is %v", ix.Def().Type)
	}
	if !b.SpaceByName("_vspace").IsView() || !b.SpaceByName("_session_settings").Temporary {
		t.Fatal("engines of views / service spaces not applied")
	}
}

func TestCreateSpaceAndDML(t *testing.T) {
	b, j := newBox(t)
	admin := b.AdminSession()
	v0 := b.SchemaVersion()
	createSpace(t, b, admin, 512, "test", nil, []any{
		map[string]any{"name": "id", "type": "unsigned"},
		map[string]any{"name": "name", "type": "string"},
	})
	createIndex(t, b, admin, 512, 0, "primary", "tree", true, arr(0, "unsigned"))
	createIndex(t, b, admin, 512, 1, "name", "hash", true, map[string]any{"field": 1, "type": "string"})
	createIndex(t, b, admin, 512, 2, "nu", "tree", false, map[string]any{"field": 2, "type": "unsigned", "is_nullable": true})
	if b.SchemaVersion() != v0+4 {
		t.Fatalf("schema version %d, want %d", b.SchemaVersion(), v0+4)
	}
	sp := b.SpaceByName("test")
	if sp == nil || len(sp.Indexes()) != 3 {
		t.Fatal("space test not created with 3 indexes")
	}
	j.writes = nil
	exec(t, b, admin, nil, ins(512, 1, "a"))
	exec(t, b, admin, nil, ins(512, 2, "b", 7))
	execErr(t, b, admin, ins(512, 1, "c"), boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'test'")
	execErr(t, b, admin, ins(512, 3, "a"), boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'name' in space 'test'")
	execErr(t, b, admin, ins(512, "x", "a"), boxerr.ER_FIELD_TYPE, "")
	execErr(t, b, admin, ins(512, 9, "z", "not a number"), boxerr.ER_FIELD_TYPE, "")
	// With a before_replace trigger box checks only the primary key before
	// it; memtx still refuses the tuple the trigger returns.
	sp.BeforeReplace = append(sp.BeforeReplace, func(old, new *memtx.Tuple) (*memtx.Tuple, error) { return new, nil })
	execErr(t, b, admin, ins(512, 9, "z", "not a number"), boxerr.ER_FIELD_TYPE, "")
	sp.BeforeReplace = nil
	upd := exec(t, b, admin, nil, Request{Type: reqUpdate, SpaceID: 512, Key: mp(arr(1)), Tuple: mp(arr(arr("=", 3, 5))), IndexBase: 1})
	if got := decode(t, upd.Data()); !reflect.DeepEqual(got, []any{uint64(1), "a", uint64(5)}) {
		t.Fatalf("update result %v", got)
	}
	execErr(t, b, admin, Request{Type: reqUpdate, SpaceID: 512, Key: mp(arr(1)), Tuple: mp(arr(arr("=", 1, 5))), IndexBase: 1},
		boxerr.ER_CANT_UPDATE_PRIMARY_KEY, "Attempt to modify a tuple field which is part of index 'primary' in space 'test'")
	// upsert: insert when absent, apply ops when present
	exec(t, b, admin, nil, Request{Type: reqUpsert, SpaceID: 512, Tuple: mp(arr(3, "c")), Ops: mp(arr(arr("+", 3, 1))), IndexBase: 1})
	exec(t, b, admin, nil, Request{Type: reqUpsert, SpaceID: 512, Tuple: mp(arr(2, "z")), Ops: mp(arr(arr("+", 3, 1))), IndexBase: 1})
	// delete by the hash index: rebound to the primary key in the row
	del := exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: 512, IndexID: 1, Key: mp(arr("a"))})
	if del == nil || decode(t, del.Data()).([]any)[0] != uint64(1) {
		t.Fatalf("delete returned %v", del)
	}
	got := selectAll(t, b, admin, 512)
	want := []any{arr(uint64(2), "b", uint64(8)), arr(uint64(3), "c")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("select: %v, want %v", got, want)
	}
	// non-unique nullable index: order by key then primary key
	r := sel(512, 2, memtx.IterGE)
	res, err := b.Select(admin, &r)
	if err != nil || len(res) != 2 {
		t.Fatalf("select by nullable index: %v %v", res, err)
	}
	if len(j.writes) != 6 {
		t.Fatalf("%d journal writes, want 6", len(j.writes))
	}
	last := j.writes[5][0]
	if last.Type != reqDelete || !reflect.DeepEqual(decode(t, last.Body), map[any]any{uint64(0x10): uint64(512), uint64(0x20): arr(uint64(1))}) {
		t.Fatalf("delete row %d %v", last.Type, decode(t, last.Body))
	}
	// drop: indexes first, then the space
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: spaceSpaceID, Key: mp(arr(512))}, boxerr.ER_DROP_SPACE,
		"Can't drop space 'test': the space has indexes")
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(512, 0))}, boxerr.ER_DROP_PRIMARY_KEY,
		"Can't drop primary key in space 'test' while secondary keys exist")
	for _, iid := range []int{2, 1, 0} {
		exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(512, iid))})
	}
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: spaceSpaceID, Key: mp(arr(512))})
	if b.Space(512) != nil || b.SpaceByName("test") != nil {
		t.Fatal("space not dropped")
	}
	execErr(t, b, admin, ins(512, 1), boxerr.ER_NO_SUCH_SPACE, "Space '512' does not exist")
}

func TestSystemSpaceRules(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(280, 0))}, boxerr.ER_LAST_DROP,
		"Can't drop the primary key in a system space, space '_space'")
	execErr(t, b, admin, ins(vspaceSpaceID, 600, 1, "x", "memtx", 0, map[string]any{}, arr()), boxerr.ER_VIEW_IS_RO, "View '_vspace' is read-only")
	execErr(t, b, admin, ins(indexSpaceID, 512, 0, "pk", "tree", map[string]any{}, arr(arr(0, "unsigned"))), boxerr.ER_NO_SUCH_SPACE, "Space '512' does not exist")
	createSpace(t, b, admin, 512, "test", nil, []any{
		map[string]any{"name": "a", "type": "unsigned"}, map[string]any{"name": "b", "type": "string"}})
	_, err := b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: indexSpaceID,
		Tuple: mp(arr(512, 0, "pk", "tree", map[string]any{"unique": true}, arr(arr(1, "unsigned"))))})
	checkErr(t, err, boxerr.ER_FORMAT_MISMATCH_INDEX_PART, "Field 2 has type 'string' in space format, but type 'unsigned' in index definition")
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	_, err = b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: indexSpaceID,
		Tuple: mp(arr(512, 1, "sk", "hash", map[string]any{"unique": false}, arr(arr(1, "string"))))})
	checkErr(t, err, boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'sk' in space 'test': HASH index must be unique")
	// BOX_INDEX_PART_MAX parts at most (checked on Tarantool 2.6.0: 256
	// parts are refused, 255 accepted).
	manyParts := func(n int) []any {
		parts := make([]any, n)
		for i := range parts {
			parts[i] = arr(i, "unsigned")
		}
		return parts
	}
	createSpace(t, b, admin, 513, "wide", nil, nil)
	execErr(t, b, admin, ins(indexSpaceID, 513, 0, "pk", "tree", map[string]any{"unique": true}, manyParts(256)),
		boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'pk' in space 'wide': too many key parts")
	exec(t, b, admin, nil, ins(indexSpaceID, 513, 0, "pk", "tree", map[string]any{"unique": true}, manyParts(255)))
	// _cluster validation
	execErr(t, b, admin, ins(clusterSpaceID, 0, testRS), boxerr.ER_REPLICA_ID_IS_RESERVED, "Can't initialize replica id with a reserved value 0")
	execErr(t, b, admin, ins(clusterSpaceID, 32, testRS), boxerr.ER_REPLICA_MAX, "Replica count limit reached: 32")
	execErr(t, b, admin, ins(clusterSpaceID, 2, "not-a-uuid"), boxerr.ER_INVALID_UUID, "Invalid UUID: not-a-uuid")
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: clusterSpaceID, Key: mp(arr(1))}, boxerr.ER_LOCAL_INSTANCE_ID_IS_READ_ONLY, "")
	exec(t, b, admin, nil, ins(clusterSpaceID, 2, testRS))
	if b.Replicas()[2] != testRS {
		t.Fatal("replica 2 not registered on commit")
	}
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: schemaSpaceID, Key: mp(arr("cluster"))}, boxerr.ER_REPLICASET_UUID_IS_RO, "")
}

// TestSpaceCacheFollowsDDL: the request path's one-entry space cache never
// serves a dropped space, nor the old object of a recreated id, whatever
// path the catalog change took (a replicated or recovered row changes the
// catalog without a request through the cache).
func TestSpaceCacheFollowsDDL(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createSpace(t, b, admin, 600, "first", nil, nil)
	createIndex(t, b, admin, 600, 0, "pk", "tree", true, arr(0, "unsigned"))
	exec(t, b, admin, nil, ins(600, 1, "a"))
	first := b.spaceByID(600)
	if first == nil || first.Name != "first" {
		t.Fatal("space 600 not found")
	}
	b.removeSpace(first)
	if sp := b.spaceByID(600); sp != nil {
		t.Fatal("the cache serves a dropped space")
	}
	b.addSpace(first)
	b.spaceByID(600)
	second := &Space{Space: memtx.NewSpace(600, "second"), Engine: "memtx"}
	b.addSpace(second)
	if sp := b.spaceByID(600); sp != second {
		t.Fatal("the cache serves the replaced object of id 600")
	}
	b.removeSpace(second)
	b.addSpace(first)

	// The same through requests.
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(600, 0))})
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: spaceSpaceID, Key: mp(arr(600))})
	execErr(t, b, admin, ins(600, 2, "b"), boxerr.ER_NO_SUCH_SPACE, "Space '600' does not exist")
	createSpace(t, b, admin, 600, "third", nil, nil)
	createIndex(t, b, admin, 600, 0, "pk", "tree", true, arr(0, "string"))
	exec(t, b, admin, nil, ins(600, "k", "c"))
	if sp := b.SpaceByName("third"); sp == nil || sp.Len() != 1 {
		t.Fatal("the insert did not reach the recreated space")
	}
	execErr(t, b, admin, ins(600, 3, "d"), boxerr.ER_FIELD_TYPE, "")
}
