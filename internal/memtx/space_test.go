package memtx

import (
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
)

// Messages below were taken from Tarantool 2.6.0 (see tarantool_test.go for
// the live comparison).

func formattedSpace(t *testing.T) *Space {
	s := NewSpace(512, "fmt")
	mustOK(t, s.SetFormat([]FormatField{
		{Name: "id", Type: FieldUnsigned},
		{Name: "name", Type: FieldString},
		{Name: "opt", Type: FieldUnsigned, IsNullable: true},
	}, 0))
	_, err := s.CreateIndex(treeDef(0, "primary", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	return s
}

func TestCheckTupleFormatted(t *testing.T) {
	s := formattedSpace(t)
	_, err := s.Replace(nil, mk(t, "a", "b"), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 1 type does not match one required by operation: expected unsigned")
	_, err = s.Replace(nil, mk(t, 1, 2), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 2 type does not match one required by operation: expected string")
	_, err = s.Replace(nil, mk(t, 1), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_MISSING, "Tuple field 2 required by space format is missing")
	_, err = s.Replace(nil, mk(t, 1, nil), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 2 type does not match one required by operation: expected string")
	_, err = s.Replace(nil, mk(t, 1, "x", nil), DupInsert)
	mustOK(t, err)
	_, err = s.Replace(nil, mk(t, 1, "x"), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'fmt'")
	_, err = s.Replace(nil, mk(t, 2, "x", "y"), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 3 type does not match one required by operation: expected unsigned")
	if s.Len() != 1 {
		t.Fatalf("len %d", s.Len())
	}
	if n, ok := s.FieldNo("opt"); !ok || n != 2 {
		t.Errorf("FieldNo(opt) = %d, %v", n, ok)
	}
	if _, ok := s.FieldNo("nope"); ok {
		t.Error("FieldNo(nope) found")
	}
}

func unformattedSpace(t *testing.T) *Space {
	s := NewSpace(513, "unf")
	_, err := s.CreateIndex(treeDef(0, "primary", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sec", true, part(2, FieldString)))
	mustOK(t, err)
	return s
}

func TestCheckTupleUnformatted(t *testing.T) {
	s := unformattedSpace(t)
	_, err := s.Replace(nil, mk(t, "a"), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 1 type does not match one required by operation: expected unsigned")
	_, err = s.Replace(nil, mk(t, 1, 2), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_MISSING, "Tuple field 3 required by space format is missing")
	_, err = s.Replace(nil, mk(t, 1, 2, 3), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 3 type does not match one required by operation: expected string")
	_, err = s.Replace(nil, mk(t, 1, 2, nil), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 3 type does not match one required by operation: expected string")
	_, err = s.Replace(nil, mk(t), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_MISSING, "Tuple field 1 required by space format is missing")
	_, err = s.Replace(nil, mk(t, 1, 2, "a"), DupInsert)
	mustOK(t, err)
	_, err = s.Replace(nil, mk(t, 2, 2, "a"), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'sec' in space 'unf'")
	_, err = s.Replace(nil, mk(t, 2, 2, "a"), DupReplaceOrInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'sec' in space 'unf'")

	pk := s.Primary()
	_, err = pk.Iterator(IterEQ, key("a"))
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 0 does not match index part type: expected unsigned")
	_, err = pk.Iterator(IterEQ, key(1, 2))
	wantErr(t, err, boxerr.ER_KEY_PART_COUNT, "Invalid key part count (expected [0..1], got 2)")
	_, err = pk.Get(key())
	wantErr(t, err, boxerr.ER_EXACT_MATCH, "Invalid key part count in an exact match (expected 1, got 0)")
	_, err = s.Index(1).Iterator(IterEQ, key(1))
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 0 does not match index part type: expected string")
	_, err = pk.Iterator(IterEQ, key(-1))
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 0 does not match index part type: expected unsigned")
	_, err = pk.Iterator(IterEQ, key(1.5))
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 0 does not match index part type: expected unsigned")
}

func TestExactFieldCount(t *testing.T) {
	s := NewSpace(514, "ex")
	mustOK(t, s.SetFormat(nil, 3))
	_, err := s.CreateIndex(treeDef(0, "primary", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.Replace(nil, mk(t, 1, 2), DupInsert)
	wantErr(t, err, boxerr.ER_EXACT_FIELD_COUNT, "Tuple field count 2 does not match space field count 3")
	_, err = s.Replace(nil, mk(t, 1, 2, 3, 4), DupInsert)
	wantErr(t, err, boxerr.ER_EXACT_FIELD_COUNT, "Tuple field count 4 does not match space field count 3")
	_, err = s.Replace(nil, mk(t, 1, 2, 3), DupInsert)
	mustOK(t, err)
	wantErr(t, s.SetFormat(nil, 2), boxerr.ER_EXACT_FIELD_COUNT, "Tuple field count 3 does not match space field count 2")
}

func TestIndexDefChecks(t *testing.T) {
	s := NewSpace(515, "s")
	mustOK(t, s.SetFormat([]FormatField{
		{Name: "id", Type: FieldUnsigned}, {Name: "a", Type: FieldArray},
		{Name: "m", Type: FieldMap, IsNullable: true}, {Name: "str", Type: FieldString},
	}, 0))
	_, err := s.CreateIndex(treeDef(1, "sec", true, part(3, FieldString)))
	wantErr(t, err, boxerr.ER_ALTER_SPACE, "Can't modify space 's': can not add a secondary key before primary")
	_, err = s.CreateIndex(treeDef(0, "pk", true, part(0, FieldAny)))
	wantErr(t, err, boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'pk' in space 's': field type 'any' is not supported")
	_, err = s.CreateIndex(treeDef(0, "pk", true, KeyPart{FieldNo: 0, Type: FieldUnsigned, IsNullable: true}))
	wantErr(t, err, boxerr.ER_NULLABLE_PRIMARY, "Primary index of space 's' can not contain nullable parts")
	_, err = s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "arr", true, part(1, FieldArray)))
	wantErr(t, err, boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'arr' in space 's': field type 'array' is not supported")
	_, err = s.CreateIndex(treeDef(1, "mm", true, part(3, FieldUnsigned)))
	wantErr(t, err, boxerr.ER_FORMAT_MISMATCH_INDEX_PART, "Field 4 has type 'string' in space format, but type 'unsigned' in index definition")
	_, err = s.CreateIndex(IndexDef{ID: 1, Name: "h", Type: IndexHash, Key: KeyDef{Parts: []KeyPart{part(3, FieldString)}}})
	wantErr(t, err, boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'h' in space 's': HASH index must be unique")
	_, err = s.CreateIndex(IndexDef{ID: 1, Name: "h", Type: IndexHash, Unique: true, Key: KeyDef{Parts: []KeyPart{{FieldNo: 3, Type: FieldString, IsNullable: true}}}})
	wantErr(t, err, boxerr.ER_UNSUPPORTED, "HASH does not support nullable parts")
	_, err = s.CreateIndex(treeDef(1, "c", true, KeyPart{FieldNo: 0, Type: FieldUnsigned, Collation: "unicode"}))
	wantErr(t, err, boxerr.ER_WRONG_INDEX_OPTIONS, "Wrong index options (field 1): collation is reasonable only for string and scalar parts")

	// A nullable map field accepts nil; a missing required field does not.
	_, err = s.Replace(nil, mk(t, 1, []any{}, nil, "x"), DupInsert)
	mustOK(t, err)
	_, err = s.Replace(nil, mk(t, 2, []any{}), DupInsert)
	wantErr(t, err, boxerr.ER_FIELD_MISSING, "Tuple field 4 required by space format is missing")
	_, err = s.Replace(nil, mk(t, 4, []any{}, nil, "x", "y"), DupInsert)
	mustOK(t, err)

	// Building a unique index over duplicate keys fails and changes nothing.
	_, err = s.CreateIndex(treeDef(1, "u", true, part(3, FieldString)))
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'u' in space 's'")
	if s.Index(1) != nil {
		t.Fatal("failed index was added")
	}
	_, err = s.CreateIndex(treeDef(1, "u5", true, part(4, FieldUnsigned)))
	wantErr(t, err, boxerr.ER_FIELD_MISSING, "Tuple field 5 required by space format is missing")
	// After the failure the old requirements still hold.
	_, err = s.Replace(nil, mk(t, 5, []any{}, nil, "z"), DupInsert)
	mustOK(t, err)
	err = s.SetFormat([]FormatField{{Name: "id", Type: FieldUnsigned}, {Name: "a", Type: FieldString}}, 0)
	wantErr(t, err, boxerr.ER_FIELD_TYPE, "Tuple field 2 type does not match one required by operation: expected string")
}

func TestReplaceModes(t *testing.T) {
	s := unformattedSpace(t)
	a := mk(t, 1, 0, "a")
	old, err := s.Replace(nil, a, DupInsert)
	mustOK(t, err)
	if old != nil {
		t.Fatal("insert returned an old tuple")
	}
	_, err = s.Replace(nil, mk(t, 2, 0, "b"), DupReplace)
	wantErr(t, err, boxerr.ER_TUPLE_NOT_FOUND, "Tuple doesn't exist in index 'primary' in space 'unf'")
	a2 := mk(t, 1, 1, "a2")
	old, err = s.Replace(nil, a2, DupReplace)
	mustOK(t, err)
	if old != a {
		t.Fatal("replace did not return the old tuple")
	}
	// The secondary index moved from "a" to "a2".
	if got, _ := s.Index(1).Get(key("a")); got != nil {
		t.Fatal("stale secondary entry")
	}
	if got, _ := s.Index(1).Get(key("a2")); got != a2 {
		t.Fatal("secondary entry missing")
	}
	// Update that changes the primary key.
	_, err = s.Replace(a2, mk(t, 7, 1, "a2"), DupReplace)
	wantErr(t, err, boxerr.ER_CANT_UPDATE_PRIMARY_KEY, "Attempt to modify a tuple field which is part of index 'primary' in space 'unf'")
	// Delete.
	old, err = s.Replace(a2, nil, DupReplaceOrInsert)
	mustOK(t, err)
	if old != a2 || s.Len() != 0 || s.Index(1).Len() != 0 || s.Bsize() != 0 {
		t.Fatalf("delete: old=%v len=%d/%d bsize=%d", decode(old), s.Len(), s.Index(1).Len(), s.Bsize())
	}
}

// TestReplaceModesPrimaryOnly: a space with a primary index alone takes
// a shorter path (the entry goes in first and comes out again on a failed
// check); every mode must give the same results, and a failed statement
// must leave the index, its size and the space's byte count unchanged.
func TestReplaceModesPrimaryOnly(t *testing.T) {
	s := NewSpace(514, "one")
	_, err := s.CreateIndex(treeDef(0, "primary", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	unchanged := func(want *Tuple, id uint64, n, bsize int) {
		t.Helper()
		if got, _ := s.Index(0).Get(key(id)); got != want || s.Len() != n || s.Bsize() != bsize {
			t.Fatalf("got %v len %d bsize %d, want %v %d %d", decode(got), s.Len(), s.Bsize(), decode(want), n, bsize)
		}
	}
	a := mk(t, 1, "a")
	old, err := s.Replace(nil, a, DupInsert)
	mustOK(t, err)
	if old != nil {
		t.Fatal("insert returned an old tuple")
	}
	size := s.Bsize()
	_, err = s.Replace(nil, mk(t, 1, "dup"), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'one'")
	unchanged(a, 1, 1, size)
	_, err = s.Replace(nil, mk(t, 2, "b"), DupReplace)
	wantErr(t, err, boxerr.ER_TUPLE_NOT_FOUND, "Tuple doesn't exist in index 'primary' in space 'one'")
	unchanged(nil, 2, 1, size)
	a2 := mk(t, 1, "a2")
	old, err = s.Replace(nil, a2, DupReplace)
	mustOK(t, err)
	if old != a {
		t.Fatal("replace did not return the old tuple")
	}
	unchanged(a2, 1, 1, a2.Bsize())
	_, err = s.Replace(a2, mk(t, 7, "a2"), DupReplace)
	wantErr(t, err, boxerr.ER_CANT_UPDATE_PRIMARY_KEY, "Attempt to modify a tuple field which is part of index 'primary' in space 'one'")
	unchanged(nil, 7, 1, a2.Bsize())
	unchanged(a2, 1, 1, a2.Bsize())
	// old given, new under another key, a mode that allows it: old goes.
	b := mk(t, 8, "b")
	old, err = s.Replace(a2, b, DupReplaceOrInsert)
	mustOK(t, err)
	if old != a2 {
		t.Fatal("the replaced tuple is not the old one")
	}
	unchanged(nil, 1, 1, b.Bsize())
	unchanged(b, 8, 1, b.Bsize())
	// An old tuple that is not the one under the key.
	_, err = s.Replace(a2, mk(t, 8, "c"), DupReplaceOrInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'primary' in space 'one'")
	unchanged(b, 8, 1, b.Bsize())
	old, err = s.Replace(b, nil, DupReplaceOrInsert)
	mustOK(t, err)
	if old != b || s.Len() != 0 || s.Bsize() != 0 {
		t.Fatalf("delete: old=%v len=%d bsize=%d", decode(old), s.Len(), s.Bsize())
	}
}

func TestReplaceUniqueSecondaryRollback(t *testing.T) {
	s := NewSpace(516, "t")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "nu", false, part(1, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(2, "u", true, part(2, FieldString)))
	mustOK(t, err)
	_, err = s.CreateIndex(IndexDef{ID: 3, Name: "h", Type: IndexHash, Unique: true, Key: KeyDef{Parts: []KeyPart{part(3, FieldString)}}})
	mustOK(t, err)
	t1 := mk(t, 1, 10, "x", "h1")
	t2 := mk(t, 2, 20, "y", "h2")
	for _, tu := range []*Tuple{t1, t2} {
		_, err := s.Replace(nil, tu, DupInsert)
		mustOK(t, err)
	}
	snapshot := func() [][][]any {
		var out [][][]any
		for _, ix := range s.Indexes() {
			it, err := ix.Iterator(IterALL, key())
			mustOK(t, err)
			out = append(out, collect(t, it, 100))
		}
		return out
	}
	before := snapshot()
	bsize := s.Bsize()
	// Replacing tuple 1 with a key that tuple 2 owns in "u": the primary
	// and "nu" would change first in Tarantool; here nothing changes.
	_, err = s.Replace(nil, mk(t, 1, 99, "y", "h9"), DupReplaceOrInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'u' in space 't'")
	_, err = s.Replace(nil, mk(t, 3, 99, "z", "h2"), DupReplaceOrInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'h' in space 't'")
	after := snapshot()
	if len(before) != len(after) || s.Bsize() != bsize {
		t.Fatal("space changed")
	}
	for i := range before {
		if len(before[i]) != len(after[i]) {
			t.Fatalf("index %d changed: %v -> %v", i, before[i], after[i])
		}
	}
	// Replacing a tuple by one keeping its own unique keys is fine.
	old, err := s.Replace(nil, mk(t, 1, 11, "x", "h1"), DupReplaceOrInsert)
	mustOK(t, err)
	if old != t1 {
		t.Fatal("wrong old tuple")
	}
	// Swapping to a free key in "u" works and frees the old one.
	_, err = s.Replace(nil, mk(t, 1, 11, "w", "h1"), DupReplaceOrInsert)
	mustOK(t, err)
	if got, _ := s.Index(2).Get(key("x")); got != nil {
		t.Fatal("old unique key still present")
	}
}

func TestNullableUniqueSecondary(t *testing.T) {
	s := NewSpace(517, "n")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sk", true, KeyPart{FieldNo: 1, Type: FieldUnsigned, IsNullable: true}))
	mustOK(t, err)
	for _, tu := range []*Tuple{mk(t, 1), mk(t, 2, nil), mk(t, 3, 5), mk(t, 4)} {
		_, err := s.Replace(nil, tu, DupInsert)
		mustOK(t, err)
	}
	_, err = s.Replace(nil, mk(t, 5, 5), DupInsert)
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'sk' in space 'n'")
	it, err := s.Index(1).Iterator(IterALL, key())
	mustOK(t, err)
	got := collect(t, it, 10)
	want := "[[1] [2 <nil>] [4] [3 5]]"
	if fmtV(got) != want {
		t.Fatalf("order %v, want %v", fmtV(got), want)
	}
	it, err = s.Index(1).Iterator(IterEQ, key(nil))
	mustOK(t, err)
	if got := fmtV(collect(t, it, 10)); got != "[[1] [2 <nil>] [4]]" {
		t.Fatalf("EQ nil: %v", got)
	}
	_, err = s.Index(1).Get(key(nil))
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 0 does not match index part type: expected unsigned")
}

func TestDropAndTruncate(t *testing.T) {
	s := unformattedSpace(t)
	for i := 0; i < 10; i++ {
		_, err := s.Replace(nil, mk(t, i, i, string(rune('a'+i))), DupInsert)
		mustOK(t, err)
	}
	wantErr(t, s.DropIndex(0), boxerr.ER_DROP_PRIMARY_KEY, "Can't drop primary key in space 'unf' while secondary keys exist")
	wantErr(t, s.DropIndex(7), boxerr.ER_NO_SUCH_INDEX_ID, "No index #7 is defined in space 'unf'")
	mustOK(t, s.DropIndex(1))
	// Field 3 is no longer constrained.
	_, err := s.Replace(nil, mk(t, 100), DupInsert)
	mustOK(t, err)
	s.Truncate()
	if s.Len() != 0 || s.Bsize() != 0 {
		t.Fatal("truncate left data")
	}
	_, err = s.Replace(nil, mk(t, 1), DupInsert)
	mustOK(t, err)
	mustOK(t, s.DropIndex(0))
	if s.Len() != 0 || s.Primary() != nil {
		t.Fatal("dropping the primary key must empty the space")
	}
}

func TestAlterIndex(t *testing.T) {
	s := NewSpace(518, "a")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sk", false, part(1, FieldString)))
	mustOK(t, err)
	for i := 0; i < 5; i++ {
		_, err := s.Replace(nil, mk(t, i, "same", 10-i), DupInsert)
		mustOK(t, err)
	}
	_, err = s.AlterIndex(treeDef(1, "sk", true, part(1, FieldString)))
	wantErr(t, err, boxerr.ER_TUPLE_FOUND, "Duplicate key exists in unique index 'sk' in space 'a'")
	ix, err := s.AlterIndex(treeDef(1, "sk", true, part(2, FieldUnsigned)))
	mustOK(t, err)
	if ix.Len() != 5 || s.Index(1) != ix {
		t.Fatal("altered index not installed")
	}
	first, err := ix.Min(key())
	mustOK(t, err)
	if decode(first)[0] != uint64(4) {
		t.Fatalf("min %v", decode(first))
	}
	// Re-keying the primary index rebuilds all.
	_, err = s.AlterIndex(treeDef(0, "pk", true, part(2, FieldUnsigned)))
	mustOK(t, err)
	pkMin, _ := s.Primary().Min(key())
	if decode(pkMin)[2] != uint64(6) {
		t.Fatalf("pk min %v", decode(pkMin))
	}
	_, err = s.AlterIndex(treeDef(9, "x", true, part(0, FieldUnsigned)))
	wantErr(t, err, boxerr.ER_NO_SUCH_INDEX_ID, "No index #9 is defined in space 'a'")
}

func TestTupleBasics(t *testing.T) {
	tu := mk(t, 1, "two", []any{3}, nil)
	if tu.Len() != 4 || tu.Bsize() != len(tu.Data()) {
		t.Fatal("len/bsize")
	}
	if f := tu.Field(1); string(f) != "\xa3two" {
		t.Fatalf("field 1 = %q", f)
	}
	if tu.Field(4) != nil || tu.Field(-1) != nil {
		t.Fatal("absent field not nil")
	}
	_, err := NewTuple([]byte{0x01})
	wantErr(t, err, boxerr.ER_TUPLE_NOT_ARRAY, "Tuple/Key must be MsgPack array")
	_, err = NewTuple([]byte{0x92, 0x01})
	wantErr(t, err, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - tuple")
	_, err = NewTuple(nil)
	wantErr(t, err, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - tuple")

	kd := KeyDef{Parts: []KeyPart{part(2, FieldArray), part(0, FieldUnsigned), part(9, FieldAny)}}
	if got := kd.ExtractKey(tu); string(got) != "\x93\x91\x03\x01\xc0" {
		t.Fatalf("ExtractKey = %q", got)
	}
	kd2 := KeyDef{Parts: []KeyPart{part(1, FieldString), part(0, FieldUnsigned)}}
	if kd2.CompareTuples(mk(t, 1, "a"), mk(t, 0, "b")) >= 0 || kd2.CompareTuples(mk(t, 2, "a"), mk(t, 1, "a")) <= 0 ||
		kd2.CompareTuples(mk(t, 2, "a"), mk(t, 2, "a", "extra")) != 0 {
		t.Fatal("CompareTuples")
	}
}

func TestValidateKey(t *testing.T) {
	kd := KeyDef{Parts: []KeyPart{part(0, FieldUnsigned), {FieldNo: 1, Type: FieldString, IsNullable: true}}}
	n, err := kd.ValidateKey(key(1), false)
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	n, err = kd.ValidateKey(key(1, nil), false)
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	_, err = kd.ValidateKey(key(1, nil), true)
	wantErr(t, err, boxerr.ER_KEY_PART_TYPE, "Supplied key type of part 1 does not match index part type: expected string")
	_, err = kd.ValidateKey(key(1), true)
	wantErr(t, err, boxerr.ER_EXACT_MATCH, "Invalid key part count in an exact match (expected 2, got 1)")
	_, err = kd.ValidateKey(key(1, "a", 3), false)
	wantErr(t, err, boxerr.ER_KEY_PART_COUNT, "Invalid key part count (expected [0..2], got 3)")
	_, err = kd.ValidateKey([]byte{0x01}, false)
	wantErr(t, err, boxerr.ER_TUPLE_NOT_ARRAY, "Tuple/Key must be MsgPack array")
	_, err = kd.ValidateKey([]byte{0x92, 0x01}, false)
	wantErr(t, err, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - key")
}

// TestTupleOwnsItsBytes: NewTuple and the Arena copy the bytes they are
// given (the caller reuses its buffer); search keys live in reused pivot
// memory, so lookups with keys of growing length and iterators opened
// between them must each see their own key.
func TestTupleOwnsItsBytes(t *testing.T) {
	s := NewSpace(515, "own")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldString)))
	mustOK(t, err)
	var arena Arena
	buf := key("a", "first")
	fromNew, err := NewTuple(buf)
	mustOK(t, err)
	copy(buf, key("b", "other"))
	if got := decode(fromNew); got[0] != "a" || got[1] != "first" {
		t.Fatalf("NewTuple kept the caller's buffer: %v", got)
	}
	buf = key("c", "arena")
	fromArena, err := arena.NewTuple(buf)
	mustOK(t, err)
	copy(buf, key("d", "other"))
	if got := decode(fromArena); got[0] != "c" || got[1] != "arena" {
		t.Fatalf("Arena kept the caller's buffer: %v", got)
	}
	_, err = s.Replace(nil, fromNew, DupInsert)
	mustOK(t, err)
	_, err = s.Replace(nil, fromArena, DupInsert)
	mustOK(t, err)
	names := []string{"x", "xx", "xxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
	for _, n := range names {
		_, err = s.Replace(nil, mk(t, n), DupInsert)
		mustOK(t, err)
	}
	pk := s.Index(0)
	it, err := pk.Iterator(IterGE, key("xx"))
	mustOK(t, err)
	for _, n := range append([]string{"a", "c"}, names...) { // growing keys reuse the pivot memory
		got, err := pk.Get(key(n))
		mustOK(t, err)
		if got == nil || decode(got)[0] != n {
			t.Fatalf("Get(%q) = %v", n, decode(got))
		}
	}
	// The iterator seeks again after a change, with its own key.
	_, err = s.Replace(nil, mk(t, "xy"), DupInsert)
	mustOK(t, err)
	var seen []any
	for tu := it.Next(); tu != nil; tu = it.Next() {
		seen = append(seen, decode(tu)[0])
	}
	if len(seen) != 4 || seen[0] != "xx" || seen[1] != "xxxxxxxx" {
		t.Fatalf("iterator from 'xx' returned %v", seen)
	}
}
