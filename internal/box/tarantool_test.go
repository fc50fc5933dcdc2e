package box

import (
	"bytes"
	"encoding/json"
	"os"
	execpkg "os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func needTarantool(t *testing.T) string {
	t.Helper()
	path, err := execpkg.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool 2.6.0 is not installed: skipping the comparison with the reference server")
	}
	return path
}

// TestBootstrapMatchesTarantool regenerates the bootstrap data from the
// installed Tarantool and compares it with the embedded file, then checks
// that a bootstrapped Box holds exactly those tuples.
func TestBootstrapMatchesTarantool(t *testing.T) {
	tt := needTarantool(t)
	out := filepath.Join(t.TempDir(), "bootstrap.mp")
	cmd := execpkg.Command(tt, "bootstrapgen/dump.lua", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dump.lua: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, bootstrapData) {
		t.Fatalf("embedded bootstrap.mp differs from what tarantool produces (%d vs %d bytes): run go generate", len(bootstrapData), len(fresh))
	}
}

func TestBootstrapContentIsStored(t *testing.T) {
	b := New(Options{InstanceUUID: testUUID})
	if err := b.Bootstrap(testRS, 1); err != nil {
		t.Fatal(err)
	}
	rows, err := bootstrapRows(bootstrapData)
	if err != nil {
		t.Fatal(err)
	}
	admin := b.AdminSession()
	want := map[uint32][][]byte{}
	for _, r := range rows {
		want[r.spaceID] = append(want[r.spaceID], r.tuple)
	}
	for id, tuples := range want {
		req := sel(id, 0, 2)
		got, err := b.Select(admin, &req)
		if err != nil {
			t.Fatal(err)
		}
		if id == schemaSpaceID {
			got = got[1:] // 'cluster' sorts first and is not in the file
		}
		if len(got) != len(tuples) {
			t.Fatalf("space %d: %d tuples, want %d", id, len(got), len(tuples))
		}
		for i := range tuples {
			if !bytes.Equal(got[i].Data(), tuples[i]) {
				t.Fatalf("space %d tuple %d differs", id, i)
			}
		}
	}
}

var rowTypeNames = map[uint16]string{2: "INSERT", 3: "REPLACE", 4: "UPDATE", 5: "DELETE", 9: "UPSERT", 12: "NOP"}
var bodyKeyNames = map[uint64]string{0x10: "space_id", 0x11: "index_id", 0x15: "index_base", 0x20: "key", 0x21: "tuple", 0x28: "operations"}

// TestJournalRowsMatchTarantool runs testdata/rows.lua on Tarantool and
// the same statements on a Box, and compares the logged rows.
func TestJournalRowsMatchTarantool(t *testing.T) {
	tt := needTarantool(t)
	cmd := execpkg.Command(tt, "testdata/rows.lua", t.TempDir())
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("rows.lua: %v", err)
	}
	var want []any
	for _, line := range strings.Split(strings.TrimSpace(string(outb)), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		want = append(want, v)
	}

	if len(want) != 12 {
		t.Fatalf("tarantool logged %d rows, want 12:\n%s", len(want), outb)
	}
	b, j := newBox(t)
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "test", nil, nil)
	createIndex(t, b, admin, 512, 0, "primary", "tree", true, arr(0, "unsigned"))
	createIndex(t, b, admin, 512, 1, "sk", "hash", true, arr(1, "string"))
	createSpace(t, b, admin, 513, "loc", map[string]any{"group_id": 1}, nil)
	createIndex(t, b, admin, 513, 0, "pk", "tree", true, arr(0, "unsigned"))
	createSpace(t, b, admin, 514, "tmp", map[string]any{"temporary": true}, nil)
	createIndex(t, b, admin, 514, 0, "pk", "tree", true, arr(0, "unsigned"))
	j.writes = nil
	lua := func(r Request) Request {
		if r.Type == reqUpdate || r.Type == reqUpsert {
			r.IndexBase = 1
		}
		return r
	}
	for _, r := range []Request{
		ins(512, 1, "a"),
		{Type: reqReplace, SpaceID: 512, Tuple: mp(arr(2, "b", 3))},
		{Type: reqUpdate, SpaceID: 512, Key: mp(arr(1)), Tuple: mp(arr(arr("=", 3, 5), arr("+", 1, 0)))},
		{Type: reqUpdate, SpaceID: 512, Key: mp(arr(9)), Tuple: mp(arr(arr("=", 3, 5)))},
		{Type: reqUpdate, SpaceID: 512, IndexID: 1, Key: mp(arr("b")), Tuple: mp(arr(arr("#", 3, 1)))},
		{Type: reqUpsert, SpaceID: 512, Tuple: mp(arr(3, "c")), Ops: mp(arr(arr("+", 3, 1)))},
		{Type: reqUpsert, SpaceID: 512, Tuple: mp(arr(3, "c")), Ops: mp(arr(arr("+", 3, 1)))},
		{Type: reqDelete, SpaceID: 512, Key: mp(arr(7))},
		{Type: reqDelete, SpaceID: 512, IndexID: 1, Key: mp(arr("a"))},
		ins(513, 1),
		ins(514, 1),
	} {
		exec(t, b, admin, nil, lua(r))
	}
	txn := b.Begin(admin)
	exec(t, b, admin, txn, ins(512, 10, "x"))
	exec(t, b, admin, txn, ins(512, 11, "y"))
	if err := b.Commit(txn); err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, w := range j.writes {
		for _, row := range w {
			body := map[string]any{}
			for k, v := range decode(t, row.Body).(map[any]any) {
				body[bodyKeyNames[k.(uint64)]] = v
			}
			m := map[string]any{"type": rowTypeNames[row.Type], "group_id": row.GroupID, "body": body,
				"commit": len(w) > 1 && row.IsCommit, "tsn": len(w) > 1}
			js, _ := json.Marshal(m)
			var v any
			_ = json.Unmarshal(js, &v)
			got = append(got, v)
		}
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("rows differ\n got: %s\nwant: %s", g, w)
	}
}
