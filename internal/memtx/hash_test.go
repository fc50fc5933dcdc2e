package memtx

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

func hashSpace(t testing.TB, parts ...KeyPart) *Space {
	s := NewSpace(700, "h")
	_, err := s.CreateIndex(IndexDef{ID: 0, Name: "primary", Type: IndexHash, Unique: true, Key: KeyDef{Parts: parts}})
	mustOK(t, err)
	return s
}

func TestHashIndexErrors(t *testing.T) {
	s := hashSpace(t, part(0, FieldUnsigned), part(1, FieldString))
	pk := s.Primary()
	partial := "HASH index  does not support selects via a partial key (expected 2 parts, got 1). Please Consider changing index type to TREE."
	for _, typ := range []IterType{IterLT, IterEQ, IterGT, IterBitsAllSet} {
		_, err := pk.Iterator(typ, key(1))
		wantErr(t, err, boxerr.ER_PARTIAL_KEY, partial)
	}
	_, err := pk.Iterator(IterEQ, key())
	wantErr(t, err, boxerr.ER_PARTIAL_KEY, "HASH index  does not support selects via a partial key (expected 2 parts, got 0). Please Consider changing index type to TREE.")
	for _, typ := range []IterType{IterGE, IterREQ, IterLE} {
		_, err = pk.Iterator(typ, key(1, "a"))
		wantErr(t, err, boxerr.ER_UNSUPPORTED_INDEX_FEATURE, "Index 'primary' (HASH) of space 'h' (memtx) does not support requested iterator type")
	}
	_, err = pk.Min(key())
	wantErr(t, err, boxerr.ER_UNSUPPORTED_INDEX_FEATURE, "Index 'primary' (HASH) of space 'h' (memtx) does not support min()")
	_, err = pk.Max(key())
	wantErr(t, err, boxerr.ER_UNSUPPORTED_INDEX_FEATURE, "Index 'primary' (HASH) of space 'h' (memtx) does not support max()")
	for _, typ := range []IterType{IterALL, IterGT} {
		if _, err := pk.Iterator(typ, key()); err != nil {
			t.Fatalf("%v with empty key: %v", typ, err)
		}
	}
	if pk.Random(1) != nil {
		t.Fatal("random on empty")
	}
	n, err := pk.Count(IterGT, key(1, "a"))
	if err != nil || n != 0 {
		t.Fatal(n, err)
	}

	tr := formattedSpace(t)
	for _, typ := range []IterType{IterBitsAllSet, IterOverlaps, IterNeighbor} {
		_, err := tr.Primary().Iterator(typ, key(1))
		wantErr(t, err, boxerr.ER_UNSUPPORTED_INDEX_FEATURE, "Index 'primary' (TREE) of space 'fmt' (memtx) does not support requested iterator type")
	}
	_, err = tr.Primary().Iterator(IterType(42), key())
	wantErr(t, err, boxerr.ER_ILLEGAL_PARAMS, "Illegal parameters, Invalid iterator type")
}

func TestHashIndexModel(t *testing.T) {
	s := hashSpace(t, part(0, FieldScalar))
	rng := rand.New(rand.NewPCG(3, 4))
	model := map[int]*Tuple{}
	val := func(k int) any {
		// Alternate encodings of equal numbers must find each other.
		if rng.IntN(2) == 0 {
			return float64(k)
		}
		return k
	}
	for step := 0; step < 4000; step++ {
		k := rng.IntN(300) - 150
		switch rng.IntN(3) {
		case 0:
			old, err := s.Primary().Get(key(val(k)))
			mustOK(t, err)
			if old != model[k] {
				t.Fatalf("Get(%d) = %v, want %v", k, decode(old), decode(model[k]))
			}
			if old != nil {
				_, err = s.Replace(old, nil, DupReplaceOrInsert)
				mustOK(t, err)
				delete(model, k)
			}
		default:
			tu := mk(t, val(k), step)
			_, err := s.Replace(nil, tu, DupInsert)
			if model[k] != nil {
				wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'h'")
				continue
			}
			mustOK(t, err)
			model[k] = tu
		}
	}
	// ALL visits everything once; GT from each visited key continues the
	// same order.
	it, err := s.Primary().Iterator(IterALL, key())
	mustOK(t, err)
	var order []*Tuple
	for tu := it.Next(); tu != nil; tu = it.Next() {
		order = append(order, tu)
	}
	if len(order) != len(model) || s.Len() != len(model) {
		t.Fatalf("ALL gave %d tuples, model has %d", len(order), len(model))
	}
	for i, tu := range order[:min(len(order), 30)] {
		gt, err := s.Primary().Iterator(IterGT, tu.Field(0))
		if err != nil {
			gt, err = s.Primary().Iterator(IterGT, append([]byte{0x91}, tu.Field(0)...))
		}
		mustOK(t, err)
		if next := gt.Next(); (i+1 < len(order) && next != order[i+1]) || (i+1 == len(order) && next != nil) {
			t.Fatalf("GT after #%d is not #%d", i, i+1)
		}
	}
	// GT from an absent key yields nothing, as in Tarantool.
	gt, err := s.Primary().Iterator(IterGT, key(1000))
	mustOK(t, err)
	if gt.Next() != nil {
		t.Fatal("GT from an absent key")
	}
	n, err := s.Primary().Count(IterALL, key())
	if err != nil || n != len(model) {
		t.Fatal(n, err)
	}
	eq, err := s.Primary().Iterator(IterEQ, key(1.0))
	mustOK(t, err)
	if got := eq.Next(); got != model[1] || eq.Next() != nil {
		t.Fatal("EQ 1.0")
	}
}

func TestHashCollationAndModification(t *testing.T) {
	s := hashSpace(t, KeyPart{FieldNo: 0, Type: FieldString, Collation: "unicode_ci"})
	_, err := s.Replace(nil, mk(t, "a"), DupInsert)
	mustOK(t, err)
	_, err = s.Replace(nil, mk(t, "A"), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'h'")
	got, err := s.Primary().Get(key("A"))
	mustOK(t, err)
	if fmtV(decode(got)) != "[a]" {
		t.Fatal("ci get")
	}
	for i := 0; i < 50; i++ {
		_, err := s.Replace(nil, mk(t, fmtV(i+1000)), DupInsert)
		mustOK(t, err)
	}
	// Delete every tuple as the iterator passes it: each is seen once.
	it, _ := s.Primary().Iterator(IterALL, key())
	seen := map[string]bool{}
	for tu := it.Next(); tu != nil; tu = it.Next() {
		k := fmtV(decode(tu))
		if seen[k] {
			t.Fatalf("%s seen twice", k)
		}
		seen[k] = true
		_, err := s.Replace(tu, nil, DupReplaceOrInsert)
		mustOK(t, err)
	}
	if len(seen) != 51 || s.Len() != 0 {
		t.Fatalf("seen %d, left %d", len(seen), s.Len())
	}
}

func TestReadViewIsolation(t *testing.T) {
	for _, typ := range []IndexType{IndexTree, IndexHash} {
		s := NewSpace(701, "rv")
		_, err := s.CreateIndex(IndexDef{ID: 0, Name: "pk", Type: typ, Unique: true, Key: KeyDef{Parts: []KeyPart{part(0, FieldUnsigned)}}})
		mustOK(t, err)
		const n = 5000
		for i := 0; i < n; i++ {
			_, err := s.Replace(nil, mk(t, i, "v0"), DupInsert)
			mustOK(t, err)
		}
		rv := s.ReadView()
		// Read the view from another goroutine while writes go on (run
		// with -race to check that no shared node is written).
		var wg sync.WaitGroup
		var viewed []uint64
		bad := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			rv.Iterate(func(tu *Tuple) bool {
				if string(tu.Field(1)) != "\xa2v0" {
					bad++
				}
				viewed = append(viewed, decode(tu)[0].(uint64))
				return true
			})
		}()
		for i := 0; i < n; i++ {
			switch i % 3 {
			case 0:
				_, err = s.Replace(nil, mk(t, i, "v1"), DupReplace)
			case 1:
				_, err = s.Replace(mk(t, i), nil, DupReplaceOrInsert)
			default:
				_, err = s.Replace(nil, mk(t, n+i, "v1"), DupInsert)
			}
			mustOK(t, err)
		}
		s.Truncate()
		wg.Wait()
		if bad != 0 || len(viewed) != n || rv.Len() != n {
			t.Fatalf("%v: view saw %d tuples (%d changed), Len %d", typ, len(viewed), bad, rv.Len())
		}
		if typ == IndexTree && !slices.IsSorted(viewed) {
			t.Fatal("view not in primary key order")
		}
	}
	if (&Space{}).ReadView().Len() != 0 {
		t.Fatal("empty view")
	}
}

// TestHashDecimals checks 2.6's HASH index over decimals: a decimal hashes
// by its bytes, so the integer 1, decimal 1 and decimal 1.0 are three
// keys (though they compare equal) and each finds only itself, while the
// double 1.0 is the integer 1's key.
func TestHashDecimals(t *testing.T) {
	tuple := func(v []byte) *Tuple {
		tu, err := NewTuple(append(msgpack.AppendArrayHeader(nil, 1), v...))
		mustOK(t, err)
		return tu
	}
	k := func(v []byte) []byte { return append(msgpack.AppendArrayHeader(nil, 1), v...) }
	s := hashSpace(t, part(0, FieldNumber))
	for _, v := range [][]byte{enc(1), dec("1"), dec("1.0")} {
		_, err := s.Replace(nil, tuple(v), DupInsert)
		mustOK(t, err)
	}
	_, err := s.Replace(nil, tuple(enc(1.0)), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'h'")
	for _, v := range [][]byte{enc(1), dec("1"), dec("1.0")} {
		got, err := s.Primary().Get(k(v))
		mustOK(t, err)
		if got == nil || string(got.field(0)) != string(v) {
			t.Errorf("Get(% x) = %v", v, got)
		}
	}
	if got, _ := s.Primary().Get(k(dec("1.00"))); got != nil {
		t.Errorf("decimal 1.00 found %v", decode(got))
	}
	if s.Len() != 3 {
		t.Errorf("%d tuples", s.Len())
	}
}
