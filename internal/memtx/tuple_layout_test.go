package memtx

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// TestTupleHeaderHasNoPointers: the header is what the collector would
// scan; a pointer field would make every tuple allocation scanned again
// (and a []byte allocation cannot hold one safely anyway).
func TestTupleHeaderHasNoPointers(t *testing.T) {
	typ := reflect.TypeFor[Tuple]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.UnsafePointer, reflect.Slice, reflect.String,
			reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
			t.Errorf("Tuple field %s is a %s: the header must hold no pointers", f.Name, f.Type.Kind())
		}
	}
	if typ.Align() > 8 {
		t.Errorf("Tuple needs %d-byte alignment, tupleAllocSize only keeps 8", typ.Align())
	}
}

// TestTupleLayout: header and bytes are one allocation, the bytes right
// after the header, for NewTuple tuples, arena tuples and pivots; arena
// tuples are carved one after another from the same block.
func TestTupleLayout(t *testing.T) {
	check := func(what string, tu *Tuple, want []byte) {
		t.Helper()
		d := tu.Data()
		if !bytes.Equal(d, want) {
			t.Fatalf("%s: data %x, want %x", what, d, want)
		}
		if got := uintptr(unsafe.Pointer(unsafe.SliceData(d))) - uintptr(unsafe.Pointer(tu)); got != uintptr(tupleHeader) {
			t.Fatalf("%s: bytes start %d bytes after the header, want %d", what, got, tupleHeader)
		}
		if uintptr(unsafe.Pointer(tu))%unsafe.Alignof(*tu) != 0 {
			t.Fatalf("%s: header at %p is misaligned", what, tu)
		}
	}
	for n := 0; n < 40; n++ {
		src := msgpack.MustAppend(nil, []any{strings.Repeat("s", n)})
		tu, err := NewTuple(src)
		mustOK(t, err)
		check(fmt.Sprintf("NewTuple %d", n), tu, src)
	}
	var a Arena
	var prev *Tuple
	for n := 0; n < 40; n++ {
		src := msgpack.MustAppend(nil, []any{strings.Repeat("a", n)})
		tu, err := a.NewTuple(src)
		mustOK(t, err)
		check(fmt.Sprintf("arena %d", n), tu, src)
		if prev != nil {
			if d := uintptr(unsafe.Pointer(tu)) - uintptr(unsafe.Pointer(prev)); d != uintptr(tupleAllocSize(prev.Bsize())) {
				t.Fatalf("arena tuple %d starts %d bytes after the previous one, want %d", n, d, tupleAllocSize(prev.Bsize()))
			}
		}
		prev = tu
	}
	var pb pivotBuf
	for _, n := range []int{0, 5, 100, 3, 1000, 0} {
		body := bytes.Repeat([]byte{0x01}, n) // n positive fixints
		p := pb.set(body, uint32(n), pivotLow)
		check(fmt.Sprintf("pivot %d", n), p, body)
		if p.Len() != n || p.pivot != pivotLow || p.bodyOff != 0 {
			t.Fatalf("pivot %d: header %d/%d/%d", n, p.count, p.pivot, p.bodyOff)
		}
	}
}

// TestNewTupleCopiesData: NewTuple never refers to its argument, so a
// caller reusing its buffer (as the request path does) changes no tuple,
// stored or not.
func TestNewTupleCopiesData(t *testing.T) {
	s := NewSpace(700, "copies")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	var buf []byte
	var want [][]byte
	for i := 0; i < 100; i++ {
		buf = msgpack.MustAppend(buf[:0], []any{uint64(i), strings.Repeat("v", i)})
		tu, err := NewTuple(buf)
		mustOK(t, err)
		_, err = s.Replace(nil, tu, DupInsert)
		mustOK(t, err)
		want = append(want, bytes.Clone(buf))
		// Scribble over the whole buffer, spare capacity included.
		full := buf[:cap(buf)]
		for j := range full {
			full[j] = 0xc1 // never valid msgpack
		}
		if !bytes.Equal(tu.Data(), want[i]) {
			t.Fatalf("tuple %d changed with its source buffer: %x", i, tu.Data())
		}
	}
	for i, w := range want {
		got, err := s.Primary().Get(key(uint64(i)))
		mustOK(t, err)
		if got == nil || !bytes.Equal(got.Data(), w) {
			t.Fatalf("Get(%d) = %v, want %x", i, got, w)
		}
	}
}

// TestArenaAndNewTupleSideBySide: a space whose tuples come from the
// bulk-load arena and from NewTuple, mixed in every index, replacing one
// another, compares, iterates and looks up as one of either kind would.
func TestArenaAndNewTupleSideBySide(t *testing.T) {
	s := NewSpace(701, "mixed")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "name", false, part(1, FieldString)))
	mustOK(t, err)
	_, err = s.CreateIndex(IndexDef{ID: 2, Name: "h", Type: IndexHash, Unique: true, Key: KeyDef{Parts: []KeyPart{part(2, FieldString)}}})
	mustOK(t, err)
	row := func(id int, gen string) []byte {
		return msgpack.MustAppend(nil, []any{uint64(id), fmt.Sprintf("n%d", id%7), fmt.Sprintf("%s-%d", gen, id)})
	}
	var a Arena
	model := map[int][]byte{}
	for id := 0; id < 400; id += 2 { // the "snapshot": even ids
		src := row(id, "snap")
		tu, err := a.NewTuple(src)
		mustOK(t, err)
		mustOK(t, s.Load(tu))
		model[id] = src
	}
	for id := 1; id < 400; id += 3 { // later requests: new odd ids, replaced even ids
		src := row(id, "req")
		tu, err := NewTuple(src)
		mustOK(t, err)
		_, err = s.Replace(nil, tu, DupReplaceOrInsert)
		mustOK(t, err)
		model[id] = src
	}
	for id := 0; id < 400; id++ {
		got, err := s.Primary().Get(key(uint64(id)))
		mustOK(t, err)
		w, ok := model[id]
		switch {
		case !ok && got != nil:
			t.Fatalf("id %d: unexpected %v", id, decode(got))
		case ok && (got == nil || !bytes.Equal(got.Data(), w)):
			t.Fatalf("id %d: got %v", id, decode(got))
		}
		if ok {
			h, err := s.Index(2).Get(msgpack.MustAppend(nil, []any{decode(got)[2]}))
			mustOK(t, err)
			if h != got {
				t.Fatalf("id %d: hash index has %v", id, decode(h))
			}
		}
	}
	// Secondary order: name, then primary key, whatever each tuple's origin.
	it, err := s.Index(1).Iterator(IterALL, key())
	mustOK(t, err)
	var last []any
	n := 0
	for tu := it.Next(); tu != nil; tu = it.Next() {
		v := decode(tu)
		if last != nil {
			ln, vn := last[1].(string), v[1].(string)
			if ln > vn || (ln == vn && last[0].(uint64) >= v[0].(uint64)) {
				t.Fatalf("secondary order: %v before %v", last, v)
			}
		}
		last = v
		n++
	}
	if n != len(model) {
		t.Fatalf("secondary index has %d tuples, want %d", n, len(model))
	}
}

// TestPivotReuse: the index's one pivot buffer serves point lookups and
// iterator seeks alike. Keys longer than any before (the buffer grows),
// shorter ones after them (stale bytes past the key), and lookups between
// an iterator's creation, its first step and its re-seeks must all see
// only their own key.
func TestPivotReuse(t *testing.T) {
	s := NewSpace(702, "pivots")
	pk, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldString), part(1, FieldUnsigned)))
	mustOK(t, err)
	hx, err := s.CreateIndex(IndexDef{ID: 1, Name: "h", Type: IndexHash, Unique: true, Key: KeyDef{Parts: []KeyPart{part(2, FieldString)}}})
	mustOK(t, err)
	name := func(i int) string { return strings.Repeat("k", 1+i%5*40) + fmt.Sprint(i) }
	var ids []string
	for i := 0; i < 60; i++ {
		_, err := s.Replace(nil, mk(t, name(i), uint64(i%3), fmt.Sprintf("h%0*d", 1+i%4*50, i)), DupInsert)
		mustOK(t, err)
		ids = append(ids, name(i))
	}
	get := func(i int) {
		t.Helper()
		got, err := pk.Get(key(name(i), uint64(i%3)))
		mustOK(t, err)
		if got == nil || decode(got)[0] != name(i) {
			t.Fatalf("Get(%s) = %v", name(i), decode(got))
		}
		hk := fmt.Sprintf("h%0*d", 1+i%4*50, i)
		hg, err := hx.Get(key(hk))
		mustOK(t, err)
		if hg != got {
			t.Fatalf("hash Get(%s) = %v, want %v", hk, decode(hg), decode(got))
		}
		miss, err := pk.Get(key(name(i)+"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", uint64(7)))
		mustOK(t, err)
		if miss != nil {
			t.Fatalf("absent key found %v", decode(miss))
		}
	}
	// Lengths short, long, short, longer...: the buffer grows and is
	// reused with stale bytes behind shorter keys.
	for _, i := range []int{0, 4, 1, 3, 0, 59, 2, 58, 5, 0} {
		get(i)
	}

	// A GE iterator on the shortest prefix with lookups of long keys
	// before its first step and between steps, against a model.
	var want []string
	for _, id := range ids {
		if id >= "kk" {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	it, err := pk.Iterator(IterGE, key("kk"))
	mustOK(t, err)
	get(4) // longest key, before the lazy first seek
	var got []string
	for tu := it.Next(); tu != nil; tu = it.Next() {
		got = append(got, decode(tu)[0].(string))
		get(len(got) * 7 % 60)
	}
	if fmtV(got) != fmtV(want) {
		t.Fatalf("GE iterator interleaved with lookups:\n got %v\nwant %v", got, want)
	}

	// Two iterators opened before either steps, with different keys and
	// directions; they seek lazily, one after the other, through the
	// same buffer, and a modification makes both re-seek.
	long := strings.Repeat("k", 161)
	lt, err := pk.Iterator(IterLT, key(long))
	mustOK(t, err)
	eq, err := pk.Iterator(IterEQ, key("k0"))
	mustOK(t, err)
	if tu := eq.Next(); tu == nil || decode(tu)[0] != "k0" {
		t.Fatalf("EQ k0 = %v", decode(tu))
	}
	first := lt.Next()
	if first == nil || decode(first)[0].(string) >= long {
		t.Fatalf("LT first = %v", decode(first))
	}
	_, err = s.Replace(nil, mk(t, "k", uint64(0), "new"), DupInsert)
	mustOK(t, err)
	get(3)
	prev := decode(first)[0].(string)
	for tu := lt.Next(); tu != nil; tu = lt.Next() {
		cur := decode(tu)[0].(string)
		if cur > prev {
			t.Fatalf("LT went up: %s after %s", cur, prev)
		}
		prev = cur
		get(1)
	}
	if prev != "k" {
		t.Fatalf("LT ended at %q, want the inserted \"k\"", prev)
	}

	// A HASH GT iterator seeks through the same buffer.
	all := collect(t, mustIter(t, hx, IterALL, key()), 1000)
	start := all[10][2].(string)
	git := mustIter(t, hx, IterGT, key(start))
	get(4)
	rest := collect(t, git, 1000)
	if fmtV(rest) != fmtV(all[11:]) {
		t.Fatalf("hash GT after lookups:\n got %v\nwant %v", rest, all[11:])
	}
}

func mustIter(t *testing.T, ix *Index, typ IterType, k []byte) Iterator {
	t.Helper()
	it, err := ix.Iterator(typ, k)
	mustOK(t, err)
	return it
}

// TestPivotAllocs: a point lookup allocates nothing once the index's pivot
// buffer has grown to its keys, and an iterator's seek allocates nothing.
func TestPivotAllocs(t *testing.T) {
	s := NewSpace(703, "allocs")
	pk, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldString)))
	mustOK(t, err)
	for i := 0; i < 100; i++ {
		_, err := s.Replace(nil, mk(t, fmt.Sprintf("key-%03d", i)), DupInsert)
		mustOK(t, err)
	}
	k := key("key-042")
	if n := testing.AllocsPerRun(100, func() {
		if tu, _ := pk.Get(k); tu == nil {
			panic("missing")
		}
	}); n != 0 {
		t.Errorf("Get allocates %v times", n)
	}
	// An iterator without a key (no pivot) as the baseline: the
	// iterator and the B-tree cursor's stack.
	iterAllocs := func(typ IterType, k []byte) float64 {
		return testing.AllocsPerRun(100, func() {
			it, _ := pk.Iterator(typ, k)
			if it.Next() == nil {
				panic("missing")
			}
		})
	}
	base := iterAllocs(IterALL, key())
	for _, typ := range []IterType{IterGE, IterLT, IterEQ} {
		if n := iterAllocs(typ, k); n != base {
			t.Errorf("%s iterator and one step allocate %v times, want %v as without a key", typ, n, base)
		}
	}
}

// TestTupleOverhead: NewTuple's tuples of typical sizes take their bytes
// plus TupleOverhead, less the 16-byte index entry, of heap (within a
// byte on average): the accounting box.slab.info and memtx_memory see is
// the memory the collector sees.
func TestTupleOverhead(t *testing.T) {
	const n = 20000
	srcs := make([][]byte, n)
	bsize := 0
	for i := range srcs {
		// 30 to 250 bytes, spread over the size classes.
		srcs[i] = msgpack.MustAppend(nil, []any{uint64(i), strings.Repeat("x", 20+i*7919%220)})
		bsize += len(srcs[i])
	}
	ts := make([]*Tuple, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, src := range srcs {
		tu, err := NewTuple(src)
		mustOK(t, err)
		ts[i] = tu
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ts)
	runtime.KeepAlive(srcs)
	perTuple := (float64(after.HeapAlloc) - float64(before.HeapAlloc) - float64(bsize)) / n
	t.Logf("%.2f bytes per tuple beyond its bytes", perTuple)
	if want := float64(TupleOverhead - 16); perTuple < want-1.5 || perTuple > want+1.5 {
		t.Errorf("a tuple takes %.1f bytes of heap beyond its bytes, TupleOverhead says %v (+16 for the index entry)", perTuple, want)
	}
}

// TestTupleOfManyFields: a tuple of more fields than the header's count
// holds (65535 and up) reads its count from the array header; fields,
// index keys and the exact field count check see every field.
func TestTupleOfManyFields(t *testing.T) {
	for _, n := range []int{countInData - 1, countInData, countInData + 1, 100000} {
		vals := make([]any, n)
		for i := range vals {
			vals[i] = uint64(i)
		}
		tu := mk(t, vals...)
		if tu.Len() != n {
			t.Fatalf("%d fields: Len %d", n, tu.Len())
		}
		last := tu.Field(n - 1)
		if v, _, err := msgpack.Decode(last); err != nil || v != uint64(n-1) {
			t.Fatalf("%d fields: last field %x (%v)", n, last, err)
		}
		if tu.Field(n) != nil {
			t.Fatalf("%d fields: a field past the end", n)
		}

		s := NewSpace(520, "wide")
		mustOK(t, s.SetFormat(nil, uint32(n)))
		_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
		mustOK(t, err)
		_, err = s.CreateIndex(treeDef(1, "last", true, part(uint32(n-1), FieldUnsigned)))
		mustOK(t, err)
		_, err = s.Replace(nil, tu, DupInsert)
		mustOK(t, err)
		got, err := s.Index(1).Get(key(n - 1))
		mustOK(t, err)
		if got != tu {
			t.Fatalf("%d fields: the secondary index on the last field does not find the tuple", n)
		}
		_, err = s.Replace(nil, mk(t, vals[:n-1]...), DupReplaceOrInsert)
		wantErr(t, err, boxerr.ER_EXACT_FIELD_COUNT, fmt.Sprintf("Tuple field count %d does not match space field count %d", n-1, n))
	}
}
