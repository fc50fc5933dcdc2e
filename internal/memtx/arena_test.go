package memtx

import (
	"bytes"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// TestArenaTuples: arena tuples are independent copies; appending to one
// tuple's bytes never writes into its neighbour; big tuples and bad input
// behave as NewTuple.
func TestArenaTuples(t *testing.T) {
	var a Arena
	var ts []*Tuple
	var srcs [][]byte
	for i := 0; i < 3000; i++ { // several header and data blocks
		src := msgpack.MustAppend(nil, []any{uint64(i), string(bytes.Repeat([]byte{'x'}, i%90))})
		tu, err := a.NewTuple(src)
		mustOK(t, err)
		ts = append(ts, tu)
		srcs = append(srcs, append([]byte(nil), src...))
		src[len(src)-1] = '!' // the arena copied it
	}
	for i, tu := range ts {
		if !bytes.Equal(tu.Data(), srcs[i]) {
			t.Fatalf("tuple %d = %x, want %x", i, tu.Data(), srcs[i])
		}
		if d := tu.Data(); cap(d) != len(d) {
			t.Fatalf("tuple %d: cap %d > len %d", i, cap(d), len(d))
		}
	}
	_ = append(ts[0].Data(), 0xff)
	if !bytes.Equal(ts[1].Data(), srcs[1]) {
		t.Fatal("append to a tuple's bytes changed the next tuple")
	}
	big := msgpack.MustAppend(nil, []any{uint64(1), string(bytes.Repeat([]byte{'y'}, arenaBlock))})
	bt, err := a.NewTuple(big)
	mustOK(t, err)
	if !bytes.Equal(bt.Data(), big) || bt.Len() != 2 {
		t.Fatal("big tuple mangled")
	}
	_, err = a.NewTuple([]byte{0x91})
	wantErr(t, err, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - tuple")
	_, err = a.NewTuple(msgpack.MustAppend(nil, uint64(5)))
	if boxerr.CodeOf(err) != boxerr.ER_TUPLE_NOT_ARRAY {
		t.Fatalf("scalar: %v", err)
	}
}

// TestSpaceLoad: Load in key order, out of order and with duplicates in
// the primary or a unique secondary index gives the same space as
// Replace would, and a duplicate changes nothing; a read view taken
// before a load does not see it.
func TestSpaceLoad(t *testing.T) {
	s := NewSpace(600, "load")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sk", true, part(1, FieldString)))
	mustOK(t, err)
	rv := s.ReadView()
	for _, k := range []uint64{1, 2, 3, 10, 7, 4} {
		mustOK(t, s.Load(mk(t, k, "v"+string(rune('a'+k)))))
	}
	err = s.Load(mk(t, uint64(3), "other"))
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, `Duplicate key exists in unique index 'pk' in space 'load'`)
	err = s.Load(mk(t, uint64(11), "vb"))
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, `Duplicate key exists in unique index 'sk' in space 'load'`)
	if s.Len() != 6 || s.Index(1).Len() != 6 {
		t.Fatalf("len %d / %d after failed loads, want 6", s.Len(), s.Index(1).Len())
	}
	got, err := s.Index(0).Get(key(uint64(3)))
	mustOK(t, err)
	if decode(got)[1] != "vd" {
		t.Fatalf("duplicate load replaced the tuple: %v", decode(got))
	}
	var keys []uint64
	it, err := s.Index(0).Iterator(IterGE, key())
	mustOK(t, err)
	for tu := it.Next(); tu != nil; tu = it.Next() {
		keys = append(keys, decode(tu)[0].(uint64))
	}
	if len(keys) != 6 || keys[0] != 1 || keys[5] != 10 {
		t.Fatalf("order after loads: %v", keys)
	}
	if rv.Len() != 0 {
		t.Fatalf("read view taken before the load sees %d tuples", rv.Len())
	}
}

// TestMemoryAccounting: a space's tuples are accounted in its Memory as
// bytes plus TupleOverhead through inserts, replacements, deletes, loads,
// truncation, dropping the primary index and moving to another account.
func TestMemoryAccounting(t *testing.T) {
	var m, other Memory
	s := NewSpace(600, "acct")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	s.SetMemory(&m)
	want := func(n int64) {
		t.Helper()
		if m.Used() != n {
			t.Fatalf("used %d, want %d", m.Used(), n)
		}
	}
	a, b := mk(t, uint64(1), "aaaa"), mk(t, uint64(1), "bb")
	_, err = s.Replace(nil, a, DupInsert)
	mustOK(t, err)
	want(int64(a.Bsize() + TupleOverhead))
	_, err = s.Replace(nil, b, DupReplaceOrInsert)
	mustOK(t, err)
	want(int64(b.Bsize() + TupleOverhead))
	mustOK(t, s.Load(mk(t, uint64(2), "c")))
	c2 := int64(mk(t, uint64(2), "c").Bsize() + TupleOverhead)
	want(int64(b.Bsize()+TupleOverhead) + c2)
	_, err = s.Replace(b, nil, DupReplace)
	mustOK(t, err)
	want(c2)
	s.SetMemory(&other)
	want(0)
	if other.Used() != c2 {
		t.Fatalf("moved account holds %d, want %d", other.Used(), c2)
	}
	s.SetMemory(&m)
	s.Truncate()
	want(0)
	mustOK(t, s.Load(mk(t, uint64(3), "d")))
	mustOK(t, s.DropIndex(0))
	want(0)
}
