package box

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/xrow"
)

// remote builds a row of a master's transaction: origin replica 2.
func remote(lsn int64, tsn int64, commit bool, r Request) *xrow.Row {
	return &xrow.Row{Type: r.Type, ReplicaID: 2, LSN: lsn, TSN: tsn, IsCommit: commit, Body: EncodeDML(&r)}
}

func rep(tuple ...any) Request {
	return Request{Type: reqReplace, SpaceID: 512, Tuple: mp(tuple)}
}

func TestApplyTxOneWriteKeepsOrigin(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	b.SetReadOnly(true) // appliers write into a read-only replica
	j.writes = nil
	rows := []*xrow.Row{
		remote(10, 10, false, ins(512, 1, "a", 0)),
		remote(11, 10, false, rep(2, "b", 0)),
		remote(12, 10, true, Request{Type: reqUpdate, SpaceID: 512, IndexBase: 1, Key: mp(arr(1)), Tuple: mp(arr(arr("=", 3, 7)))}),
	}
	res, err := b.ApplyTx(rows, false)
	if err != nil || res.Skipped != 0 {
		t.Fatalf("ApplyTx: %v %+v", err, res)
	}
	if len(j.writes) != 1 || len(j.writes[0]) != 3 {
		t.Fatalf("journal writes %d, want one of 3 rows", len(j.writes))
	}
	for i, r := range j.writes[0] {
		if r.ReplicaID != 2 || r.LSN != rows[i].LSN || r.TSN != 10 || r.IsCommit != (i == 2) {
			t.Fatalf("row %d header %+v", i, r)
		}
		if r == rows[i] {
			t.Fatalf("row %d is the caller's row, not a copy", i)
		}
	}
	want := []any{arr(uint64(1), "a", uint64(7)), arr(uint64(2), "b", uint64(0))}
	if got := selectAll(t, b, admin, 512); !reflect.DeepEqual(got, want) {
		t.Fatalf("space %v, want %v", got, want)
	}
}

func TestApplyTxRollsBackWhole(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	exec(t, b, admin, nil, ins(512, 5, "e", 0))
	before := dump(t, b)
	j.writes = nil
	rows := []*xrow.Row{
		remote(1, 1, false, ins(512, 1, "a", 0)),
		remote(2, 1, false, rep(5, "changed", 0)),
		remote(3, 1, true, ins(512, 6, "a", 0)), // "a" is taken in the unique sk by row 1
	}
	_, err := b.ApplyTx(rows, false)
	checkErr(t, err, boxerr.ER_TUPLE_FOUND, "")
	if len(j.writes) != 0 {
		t.Fatalf("a failed transaction reached the journal")
	}
	if after := dump(t, b); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\n%v\n%v", before, after)
	}
	// A journal failure rolls everything back too.
	j.fail = boxerr.New(boxerr.ER_WAL_IO)
	_, err = b.ApplyTx(rows[:2], false)
	checkErr(t, err, boxerr.ER_WAL_IO, "")
	if after := dump(t, b); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed after a journal failure")
	}
}

func TestApplyTxConflictMessage(t *testing.T) {
	b, _ := newBox(t)
	admin := testSpace(t, b)
	exec(t, b, admin, nil, ins(512, 1, "local", 0))
	cases := []struct {
		row  Request
		want string
	}{
		{ins(512, 1, "remote", 0), `Duplicate key exists in unique index 'primary' in space 'test': key [1], existing tuple [1, "local", 0], incoming tuple [1, "remote", 0]`},
		{rep(2, "local", 3), `Duplicate key exists in unique index 'sk' in space 'test': key ["local"], existing tuple [1, "local", 0], incoming tuple [2, "local", 3]`},
	}
	for _, c := range cases {
		_, err := b.ApplyTx([]*xrow.Row{remote(1, 1, true, c.row)}, false)
		checkErr(t, err, boxerr.ER_TUPLE_FOUND, c.want)
	}
	// A local request keeps 2.6's short message.
	execErr(t, b, admin, ins(512, 1, "x", 0), boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'test'")
}

func TestApplyTxSkipConflict(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	exec(t, b, admin, nil, ins(512, 1, "local", 0))
	j.writes = nil
	rows := []*xrow.Row{
		remote(7, 7, false, ins(512, 1, "remote", 0)),
		remote(8, 7, true, ins(512, 2, "two", 0)),
	}
	res, err := b.ApplyTx(rows, true)
	if err != nil || res.Skipped != 1 {
		t.Fatalf("ApplyTx: %v %+v", err, res)
	}
	w := j.writes[0]
	if len(j.writes) != 1 || len(w) != 2 || w[0].Type != reqNop || w[0].Body != nil || w[0].LSN != 7 || w[0].ReplicaID != 2 || w[1].Type != reqInsert {
		t.Fatalf("journal %+v", j.writes)
	}
	want := []any{arr(uint64(1), "local", uint64(0)), arr(uint64(2), "two", uint64(0))}
	if got := selectAll(t, b, admin, 512); !reflect.DeepEqual(got, want) {
		t.Fatalf("space %v", got)
	}
	// Other errors are not skipped.
	_, err = b.ApplyTx([]*xrow.Row{remote(9, 9, true, ins(999, 1))}, true)
	checkErr(t, err, boxerr.ER_NO_SUCH_SPACE, "")
}

// TestApplyTxBeforeReplace: a before_replace trigger resolves a conflict
// for replicated rows, and the logged row is the resolved request under
// the origin's header.
func TestApplyTxBeforeReplace(t *testing.T) {
	b, j := newBox(t)
	admin := testSpace(t, b)
	exec(t, b, admin, nil, ins(512, 1, "local", 5))
	sp := b.Space(512)
	// Keep the tuple with the larger third field.
	sp.BeforeReplace = append(sp.BeforeReplace, func(old, new *memtx.Tuple) (*memtx.Tuple, error) {
		if old != nil && new != nil && decode(t, old.Field(2)).(uint64) > decode(t, new.Field(2)).(uint64) {
			return old, nil
		}
		return new, nil
	})
	j.writes = nil
	if _, err := b.ApplyTx([]*xrow.Row{remote(3, 3, true, rep(1, "older", 1))}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ApplyTx([]*xrow.Row{remote(4, 4, true, rep(1, "newer", 9))}, false); err != nil {
		t.Fatal(err)
	}
	if got := selectAll(t, b, admin, 512); !reflect.DeepEqual(got, []any{arr(uint64(1), "newer", uint64(9))}) {
		t.Fatalf("space %v", got)
	}
	if len(j.writes) != 2 || j.writes[0][0].Type != reqNop || j.writes[0][0].LSN != 3 || j.writes[0][0].ReplicaID != 2 ||
		j.writes[1][0].Type != reqReplace || j.writes[1][0].LSN != 4 {
		t.Fatalf("journal %+v", j.writes)
	}
}

// TestApplyTxMatchesModel applies random remote transactions and checks
// that the result equals applying the same rows one by one in a fresh
// transaction each, with failed transactions leaving nothing.
func TestApplyTxMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	b, _ := newBox(t)
	testSpace(t, b)
	m, _ := newBox(t)
	madmin := testSpace(t, m)
	lsn := int64(0)
	for i := 0; i < 300; i++ {
		n := 1 + rng.Intn(4)
		var rows []*xrow.Row
		var reqs []Request
		for k := 0; k < n; k++ {
			lsn++
			r := randomRequest(rng)
			reqs = append(reqs, r)
			rows = append(rows, remote(lsn, lsn-int64(k), k == n-1, r))
		}
		_, err := b.ApplyTx(rows, false)
		// The model: the same statements in one local transaction.
		txn := m.Begin(madmin)
		var merr error
		for _, r := range reqs {
			if _, merr = m.Execute(madmin, txn, &r); merr != nil {
				break
			}
		}
		if merr != nil {
			m.Rollback(txn)
		} else if cerr := m.Commit(txn); cerr != nil {
			t.Fatal(cerr)
		}
		if (err == nil) != (merr == nil) {
			t.Fatalf("tx %d: ApplyTx %v, model %v", i, err, merr)
		}
		if !reflect.DeepEqual(dump(t, b)["test.primary"], dump(t, m)["test.primary"]) {
			t.Fatalf("tx %d: diverged", i)
		}
	}
}

func TestRowString(t *testing.T) {
	r := remote(7, 7, true, ins(512, 1, "remote"))
	r.ReplicaID = 1
	if got, want := RowString(r), `{type: 'INSERT', replica_id: 1, lsn: 7, space_id: 512, index_id: 0, tuple: [1, "remote"]}`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	u := remote(8, 8, true, Request{Type: reqUpdate, SpaceID: 512, IndexID: 1, Key: mp(arr("k")), Tuple: mp(arr(arr("=", 2, -1.5)))})
	if got, want := RowString(u), `{type: 'UPDATE', replica_id: 2, lsn: 8, space_id: 512, index_id: 1, key: ["k"], tuple: [["=", 2, -1.5]]}`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestMsgpackString(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{true, "true"},
		{arr(uint64(1), int64(-2), "s", map[string]any{"k": arr()}), `[1, -2, "s", {"k": []}]`},
		{2.5, "2.5"},
	}
	for _, c := range cases {
		if got := MsgpackString(mp(c.v)); got != c.want {
			t.Errorf("%v: got %s want %s", c.v, got, c.want)
		}
	}
	if got := MsgpackString([]byte{0x92, 0x01}); got != "[1, <invalid>" {
		t.Errorf("truncated: %q", got)
	}
	// Decimals print as their text; other extensions (and payloads no
	// decimal has) by type and length.
	for b, want := range map[string]string{
		"\x92\xc7\x03\x01\x02\x12\x5d\x01": "[-1.25, 1]",
		"\xd5\x01\xfe\x1c":                 "100",
		"\xd5\x01\x00\xa1":                 "(extension: type 1, len 2)",
		"\xd4\x05\x00":                     "(extension: type 5, len 1)",
	} {
		if got := MsgpackString([]byte(b)); got != want {
			t.Errorf("% x: got %q want %q", b, got, want)
		}
	}
}

func FuzzMsgpackString(f *testing.F) {
	f.Add(mp(arr(1, "a", map[string]any{"x": 1.5})))
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x91, 0x91, 0x91, 0x91})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = MsgpackString(b)
		_ = RowString(&xrow.Row{Type: reqInsert, Body: b})
	})
}
