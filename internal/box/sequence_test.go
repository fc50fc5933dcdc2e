package box

import (
	"math"
	"math/big"
	"math/rand"
	"reflect"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

func TestSequenceNextArithmetic(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	cases := []struct {
		name string
		def  SequenceDef
		cur  int64
		want int64
		over bool
	}{
		{"step", SequenceDef{Step: 1, Min: 1, Max: 10}, 3, 4, false},
		{"to max", SequenceDef{Step: 3, Min: 1, Max: 10}, 7, 10, false},
		{"past max", SequenceDef{Step: 3, Min: 1, Max: 10}, 8, 0, true},
		{"past max cycle", SequenceDef{Step: 3, Min: 1, Max: 10, Cycle: true}, 8, 1, false},
		{"below min jumps to min", SequenceDef{Step: 5, Min: 100, Max: 200}, -7, 100, false},
		{"above max ascending", SequenceDef{Step: 1, Min: 1, Max: 10}, 50, 0, true},
		{"int64 max", SequenceDef{Step: 1, Min: 0, Max: maxI}, maxI - 1, maxI, false},
		{"int64 overflow", SequenceDef{Step: 1, Min: 0, Max: maxI}, maxI, 0, true},
		{"int64 overflow big step", SequenceDef{Step: maxI, Min: 0, Max: maxI}, 1, 0, true},
		{"int64 overflow cycle", SequenceDef{Step: 1 << 62, Min: -5, Max: maxI, Cycle: true}, 1 << 62, -5, false},
		{"negative from negative", SequenceDef{Step: 1, Min: minI, Max: maxI}, -10, -9, false},
		{"desc", SequenceDef{Step: -2, Min: minI, Max: -1}, -1, -3, false},
		{"desc above max jumps to max", SequenceDef{Step: -2, Min: -100, Max: -1}, 40, -1, false},
		{"desc past min", SequenceDef{Step: -2, Min: -4, Max: -1}, -3, 0, true},
		{"desc past min cycle", SequenceDef{Step: -2, Min: -4, Max: -1, Cycle: true}, -3, -1, false},
		{"desc int64 min", SequenceDef{Step: -1, Min: minI, Max: 0}, minI + 1, minI, false},
		{"desc int64 overflow", SequenceDef{Step: -1, Min: minI, Max: 0}, minI, 0, true},
		{"desc int64 overflow big step", SequenceDef{Step: minI, Min: minI, Max: 0}, -1, 0, true},
		{"desc below min", SequenceDef{Step: -1, Min: 0, Max: 10}, -5, 0, true},
		{"desc from positive", SequenceDef{Step: minI, Min: minI, Max: maxI}, maxI, -1, false},
	}
	for _, c := range cases {
		c.def.Name = "s"
		got, err := c.def.next(c.cur)
		if c.over {
			checkErr(t, err, boxerr.ER_SEQUENCE_OVERFLOW, "Sequence 's' has overflowed")
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: next(%d) = %d, %v; want %d", c.name, c.cur, got, err, c.want)
		}
	}
}

// modelNext is sequence_next computed with big integers: the obvious
// definition the int64 arithmetic must agree with.
func modelNext(d SequenceDef, cur int64) (int64, bool) {
	v, step := big.NewInt(cur), big.NewInt(d.Step)
	lo, hi := big.NewInt(d.Min), big.NewInt(d.Max)
	if d.Step > 0 && v.Cmp(lo) < 0 {
		return d.Min, true
	}
	if d.Step < 0 && v.Cmp(hi) > 0 {
		return d.Max, true
	}
	v.Add(v, step)
	if v.Cmp(lo) >= 0 && v.Cmp(hi) <= 0 {
		return v.Int64(), true
	}
	if !d.Cycle {
		return 0, false
	}
	if d.Step > 0 {
		return d.Min, true
	}
	return d.Max, true
}

func TestSequenceNextMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	edge := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 62, -3, -1, 0, 1, 2, 1 << 62, math.MaxInt64 - 1, math.MaxInt64}
	pick := func() int64 {
		if rng.Intn(2) == 0 {
			return edge[rng.Intn(len(edge))]
		}
		return rng.Int63() - rng.Int63()
	}
	for i := 0; i < 100000; i++ {
		d := SequenceDef{Name: "s", Step: pick(), Min: pick(), Max: pick(), Cycle: rng.Intn(2) == 0}
		if d.Step == 0 {
			d.Step = 1
		}
		if d.Min > d.Max {
			d.Min, d.Max = d.Max, d.Min
		}
		cur := pick()
		got, err := d.next(cur)
		want, ok := modelNext(d, cur)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("%+v next(%d) = %d, %v; model %d, %v", d, cur, got, err, want, ok)
		}
	}
}

// seqTuple is a _sequence tuple.
func seqTuple(id uint32, name string, step, min, max, start int64, cycle bool) []byte {
	return mp(arr(id, AdminID, name, step, min, max, start, int64(0), cycle))
}

func createSequence(t testing.TB, b *Box, s *Session, txn *Txn, id uint32, name string, step, min, max, start int64, cycle bool) {
	t.Helper()
	exec(t, b, s, txn, Request{Type: reqInsert, SpaceID: sequenceSpaceID, Tuple: seqTuple(id, name, step, min, max, start, cycle)})
}

func TestSequenceDefErrors(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	ins := func(tuple ...any) Request {
		return Request{Type: reqInsert, SpaceID: sequenceSpaceID, Tuple: mp(tuple)}
	}
	execErr(t, b, admin, ins(1, 1, "s", 0, 1, 10, 1, 0, false), boxerr.ER_CREATE_SEQUENCE,
		"Failed to create sequence 's': step option must be non-zero")
	execErr(t, b, admin, ins(1, 1, "s", 1, 10, 1, 1, 0, false), boxerr.ER_CREATE_SEQUENCE,
		"Failed to create sequence 's': max must be greater than or equal to min")
	execErr(t, b, admin, ins(1, 1, "s", 1, 1, 10, 11, 0, false), boxerr.ER_CREATE_SEQUENCE,
		"Failed to create sequence 's': start must be between min and max")
	execErr(t, b, admin, ins(1, 1, "s", 1, 1, uint64(1)<<63, 1, 0, false), boxerr.ER_FIELD_TYPE,
		"Tuple field 6 type does not match one required by operation: expected integer")
	execErr(t, b, admin, ins(1, 1, "", 1, 1, 10, 1, 0, false), boxerr.ER_IDENTIFIER, "")
	createSequence(t, b, admin, nil, 1, "s", 1, 1, 10, 1, false)
	execErr(t, b, admin, Request{Type: reqReplace, SpaceID: sequenceSpaceID, Tuple: seqTuple(1, "s", 1, 5, 1, 1, false)},
		boxerr.ER_ALTER_SEQUENCE, "Can't modify sequence 's': max must be greater than or equal to min")
	if b.Sequence(1).Max != 10 {
		t.Fatalf("failed alter changed the sequence: %+v", b.Sequence(1))
	}
}

func TestSequenceValuesAndRows(t *testing.T) {
	b, j := newBox(t)
	admin := b.AdminSession()
	createSequence(t, b, admin, nil, 1, "s", 2, math.MinInt64, math.MaxInt64, 5, false)
	if _, err := b.SequenceCurrent(admin, 1); !boxerr.Is(err, boxerr.ER_SEQUENCE_NOT_STARTED) {
		t.Fatalf("current before next: %v", err)
	}
	for _, want := range []int64{5, 7} {
		if v, err := b.SequenceNext(admin, nil, 1); err != nil || v != want {
			t.Fatalf("next = %d, %v; want %d", v, err, want)
		}
	}
	if err := b.SequenceSet(admin, nil, 1, math.MaxInt64-1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SequenceNext(admin, nil, 1); !boxerr.Is(err, boxerr.ER_SEQUENCE_OVERFLOW) {
		t.Fatalf("next past int64 max: %v", err)
	}
	if v, _ := b.SequenceCurrent(admin, 1); v != math.MaxInt64-1 {
		t.Fatalf("an overflow changed the value to %d", v)
	}
	if err := b.SequenceReset(admin, nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.SequenceValue(1); ok {
		t.Fatal("reset left a value")
	}
	if _, err := b.SequenceNext(admin, nil, 99); !boxerr.Is(err, boxerr.ER_NO_SUCH_SEQUENCE) {
		t.Fatalf("next of a missing sequence: %v", err)
	}
	// One journal write per statement: the _sequence insert, two
	// next(), set(), reset(); failed next() writes nothing.
	var got []any
	for _, w := range j.writes[1:] {
		for _, r := range w {
			got = append(got, []any{r.Type, decode(t, r.Body)})
		}
	}
	body := func(key int, v any) map[any]any {
		return map[any]any{uint64(keySpaceID): uint64(sequenceDataSpaceID), uint64(key): v}
	}
	want := []any{
		[]any{reqReplace, body(keyTuple, []any{uint64(1), uint64(5)})},
		[]any{reqReplace, body(keyTuple, []any{uint64(1), uint64(7)})},
		[]any{reqReplace, body(keyTuple, []any{uint64(1), uint64(math.MaxInt64 - 1)})},
		[]any{reqDelete, body(keyKey, []any{uint64(1)})},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %v\nwant %v", got, want)
	}
}

// TestSequenceRollback checks 2.6's rules: values handed out are not
// taken back by a rollback (the _sequence_data tuple is), a rolled back
// reset or drop gives the old value back, and catalog changes are undone.
func TestSequenceRollback(t *testing.T) {
	b, j := newBox(t)
	admin := b.AdminSession()
	createSequence(t, b, admin, nil, 1, "s", 1, 1, 100, 1, false)
	if _, err := b.SequenceNext(admin, nil, 1); err != nil {
		t.Fatal(err)
	}
	data := func() []any { return selectAll(t, b, admin, sequenceDataSpaceID) }
	value := func() int64 { v, _ := b.SequenceValue(1); return v }

	txn := b.Begin(admin)
	b.SequenceNext(admin, txn, 1)
	b.SequenceNext(admin, txn, 1)
	b.Rollback(txn)
	if value() != 3 || !reflect.DeepEqual(data(), []any{[]any{uint64(1), uint64(1)}}) {
		t.Fatalf("after rolled back next: value %d data %v", value(), data())
	}

	txn = b.Begin(admin)
	b.SequenceReset(admin, txn, 1)
	b.Rollback(txn)
	if value() != 1 {
		t.Fatalf("rolled back reset: value %d, want the _sequence_data value 1", value())
	}

	txn = b.Begin(admin)
	exec(t, b, admin, txn, Request{Type: reqDelete, SpaceID: sequenceDataSpaceID, Key: mp(arr(1))})
	exec(t, b, admin, txn, Request{Type: reqDelete, SpaceID: sequenceSpaceID, Key: mp(arr(1))})
	if b.Sequence(1) != nil {
		t.Fatal("dropped sequence still in the catalog")
	}
	b.Rollback(txn)
	if b.Sequence(1) == nil || b.SequenceByName("s") == nil || value() != 1 {
		t.Fatalf("rolled back drop: %+v value %d", b.Sequence(1), value())
	}

	txn = b.Begin(admin)
	exec(t, b, admin, txn, Request{Type: reqReplace, SpaceID: sequenceSpaceID, Tuple: seqTuple(1, "s2", 5, 1, 100, 1, false)})
	if s := b.Sequence(1); s.Name != "s2" || s.Step != 5 {
		t.Fatalf("alter in txn: %+v", s)
	}
	createSequence(t, b, admin, txn, 2, "t", 1, 1, 100, 1, false)
	b.SequenceNext(admin, txn, 2)
	b.Rollback(txn)
	if s := b.Sequence(1); s.Name != "s" || s.Step != 1 || b.Sequence(2) != nil {
		t.Fatalf("rolled back alter and create: %+v %+v", s, b.Sequence(2))
	}
	if _, ok := b.SequenceValue(2); ok {
		t.Fatal("a rolled back sequence kept its value")
	}
	// A drop commits: the value goes with the sequence.
	n := len(j.writes)
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: sequenceDataSpaceID, Key: mp(arr(1))})
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: sequenceSpaceID, Key: mp(arr(1))})
	if _, ok := b.SequenceValue(1); ok || len(j.writes) != n+2 {
		t.Fatalf("committed drop: value kept %v, %d writes", ok, len(j.writes)-n)
	}
	v0 := b.SequenceVersion()
	txn = b.Begin(admin)
	createSequence(t, b, admin, txn, 3, "u", 1, 1, 100, 1, false)
	b.Rollback(txn)
	if b.SequenceVersion() == v0 {
		t.Fatal("sequence version did not change")
	}
}

func TestSequenceDropChecks(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createSequence(t, b, admin, nil, 1, "s", 1, 1, 100, 1, false)
	b.SequenceNext(admin, nil, 1)
	drop := Request{Type: reqDelete, SpaceID: sequenceSpaceID, Key: mp(arr(1))}
	execErr(t, b, admin, drop, boxerr.ER_DROP_SEQUENCE, "Can't drop sequence 's': the sequence has data")
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: sequenceDataSpaceID, Key: mp(arr(1))})
	createSpace(t, b, admin, 512, "t", nil, nil)
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	exec(t, b, admin, nil, ins(spaceSequenceSpaceID, 512, 1, false, 0, ""))
	execErr(t, b, admin, drop, boxerr.ER_DROP_SEQUENCE, "Can't drop sequence 's': the sequence is in use")
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: spaceSequenceSpaceID, Key: mp(arr(512))})
	exec(t, b, admin, nil, ins(privSpaceID, AdminID, GuestID, "sequence", 1, 1))
	execErr(t, b, admin, drop, boxerr.ER_DROP_SEQUENCE, "Can't drop sequence 's': the sequence has grants")
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: privSpaceID, Key: mp(arr(GuestID, "sequence", 1))})
	exec(t, b, admin, nil, drop)
	execErr(t, b, admin, ins(sequenceDataSpaceID, 1, 5), boxerr.ER_NO_SUCH_SEQUENCE, "Sequence '1' does not exist")
}

// autoincSpace is space 512 't' with a TREE primary key on field 1 typed
// typ, and sequence 1 's' attached (generated or not).
func autoincSpace(t *testing.T, b *Box, typ string, step int64, generated bool) *Session {
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "t", nil, nil)
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, typ))
	min, max := int64(1), int64(math.MaxInt64)
	start := min
	if step < 0 {
		min, max, start = math.MinInt64, -1, -1
	}
	createSequence(t, b, admin, nil, 1, "s", step, min, max, start, false)
	exec(t, b, admin, nil, ins(spaceSequenceSpaceID, 512, 1, generated, 0, ""))
	return admin
}

func TestAutoIncrement(t *testing.T) {
	b, j := newBox(t)
	admin := autoincSpace(t, b, "unsigned", 1, true)
	put := func(typ uint16, tuple ...any) any {
		t.Helper()
		return decode(t, exec(t, b, admin, nil, Request{Type: typ, SpaceID: 512, Tuple: mp(tuple)}).Data())
	}
	steps := []struct {
		typ   uint16
		tuple []any
		want  any
	}{
		{reqInsert, arr(nil, "a"), arr(uint64(1), "a")},
		{reqInsert, arr(uint64(10), "b"), arr(uint64(10), "b")},
		{reqInsert, arr(nil, "c"), arr(uint64(11), "c")},
		{reqInsert, arr(uint64(5), "d"), arr(uint64(5), "d")},
		{reqReplace, arr(nil, "e"), arr(uint64(12), "e")},
	}
	for _, s := range steps {
		if got := put(s.typ, s.tuple...); !reflect.DeepEqual(got, s.want) {
			t.Fatalf("%v: got %v want %v", s.tuple, got, s.want)
		}
	}
	// The row carries the generated value.
	last := j.writes[len(j.writes)-1][0]
	if tu := decode(t, last.Body).(map[any]any)[uint64(keyTuple)]; !reflect.DeepEqual(tu, arr(uint64(12), "e")) {
		t.Fatalf("row tuple %v", tu)
	}
	// An empty tuple is left alone; a failed insert keeps the value taken.
	execErr(t, b, admin, ins(512), boxerr.ER_FIELD_MISSING, "")
	txn := b.Begin(admin)
	exec(t, b, admin, txn, ins(512, nil))
	b.Rollback(txn)
	if v, _ := b.SequenceValue(1); v != 13 {
		t.Fatalf("value after rolled back insert %d, want 13", v)
	}
	execErr(t, b, admin, ins(512, uint64(1)), boxerr.ER_TUPLE_FOUND, "")

	// Replaying the rows (recovery, replication) restores the value.
	b2, _ := newBox(t)
	b2.SetRecovering(true)
	for _, w := range j.writes {
		for _, r := range w {
			if err := b2.ApplyRow(r); err != nil {
				t.Fatalf("replay %v: %v", r, err)
			}
		}
	}
	b2.SetRecovering(false)
	if v, ok := b2.SequenceValue(1); !ok || v != 12 {
		t.Fatalf("replayed value %d %v, want 12", v, ok)
	}
}

func TestAutoIncrementDescending(t *testing.T) {
	b, _ := newBox(t)
	admin := autoincSpace(t, b, "integer", -1, false)
	for _, c := range []struct{ in, want any }{{nil, int64(-1)}, {int64(-10), int64(-10)}, {nil, int64(-11)}, {uint64(3), uint64(3)}, {nil, int64(-12)}} {
		got := decode(t, exec(t, b, admin, nil, ins(512, c.in)).Data())
		if !reflect.DeepEqual(got, arr(c.want)) {
			t.Fatalf("insert %v: %v, want %v", c.in, got, c.want)
		}
	}
	if err := b.SequenceSet(admin, nil, 1, math.MinInt64); err != nil {
		t.Fatal(err)
	}
	execErr(t, b, admin, ins(512, nil), boxerr.ER_SEQUENCE_OVERFLOW, "Sequence 's' has overflowed")
}

func TestSpaceSequenceLink(t *testing.T) {
	b, _ := newBox(t)
	admin := autoincSpace(t, b, "unsigned", 1, true)
	sp := b.Space(512)
	if seq, fieldNo, path := sp.Sequence(); seq == nil || seq.ID != 1 || fieldNo != 0 || path != "" || !seq.IsGenerated {
		t.Fatalf("link: %+v %d %q", seq, fieldNo, path)
	}
	execErr(t, b, admin, Request{Type: reqReplace, SpaceID: spaceSequenceSpaceID, Tuple: mp(arr(512, 1, true, 0, ""))},
		boxerr.ER_UNSUPPORTED, `space "_space_sequence" does not support update`)
	execErr(t, b, admin, Request{Type: reqDelete, SpaceID: indexSpaceID, Key: mp(arr(512, 0))},
		boxerr.ER_ALTER_SPACE, "Can't modify space 't': can not drop primary key while space sequence exists")
	execErr(t, b, admin, Request{Type: reqReplace, SpaceID: indexSpaceID,
		Tuple: mp(arr(512, 0, "pk", "tree", map[string]any{"unique": true}, arr(arr(0, "string"))))},
		boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'pk' in space 't': sequence cannot be used with a non-integer key")
	createSpace(t, b, admin, 513, "t2", nil, nil)
	createIndex(t, b, admin, 513, 0, "pk", "tree", true, arr(0, "unsigned"), arr(1, "string"))
	execErr(t, b, admin, ins(spaceSequenceSpaceID, 513, 1, false, 0, ""),
		boxerr.ER_ALTER_SPACE, "Can't modify space 't2': can not attach generated sequence")
	execErr(t, b, admin, ins(spaceSequenceSpaceID, 513, 1, false, 1, ""),
		boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'pk' in space 't2': sequence cannot be used with a non-integer key")
	execErr(t, b, admin, ins(spaceSequenceSpaceID, 513, 1, false, 7, ""),
		boxerr.ER_MODIFY_INDEX, "Can't create or modify index 'pk' in space 't2': sequence field must be a part of the index")
	execErr(t, b, admin, ins(spaceSequenceSpaceID, 999, 1, false, 0, ""), boxerr.ER_NO_SUCH_SPACE, "Space '999' does not exist")
	execErr(t, b, admin, ins(spaceSequenceSpaceID, 513, 9, false, 0, ""), boxerr.ER_NO_SUCH_SEQUENCE, "Sequence '9' does not exist")

	txn := b.Begin(admin)
	exec(t, b, admin, txn, Request{Type: reqDelete, SpaceID: spaceSequenceSpaceID, Key: mp(arr(512))})
	if seq, _, _ := sp.Sequence(); seq != nil || b.Sequence(1).IsGenerated {
		t.Fatal("detach left the link")
	}
	b.Rollback(txn)
	if seq, _, _ := sp.Sequence(); seq == nil || !seq.IsGenerated {
		t.Fatal("rolled back detach did not restore the link")
	}
}

func TestSequenceAccess(t *testing.T) {
	b, _ := newBox(t)
	admin := autoincSpace(t, b, "unsigned", 1, false)
	createSequence(t, b, admin, nil, 2, "other", 1, 1, 100, 1, false)
	exec(t, b, admin, nil, ins(privSpaceID, AdminID, GuestID, "space", 512, uint64(AccessRead|AccessWrite)))
	guest := b.NewSession()
	deny := "Write access to sequence 's' is denied for user 'guest'"
	if _, err := b.SequenceNext(guest, nil, 1); err == nil || err.Error() != deny {
		t.Fatalf("guest next: %v", err)
	}
	// An attached sequence needs its own grant, even for explicit values.
	execErr(t, b, guest, ins(512, nil), boxerr.ER_ACCESS_DENIED, deny)
	execErr(t, b, guest, ins(512, uint64(7)), boxerr.ER_ACCESS_DENIED, deny)
	exec(t, b, admin, nil, ins(privSpaceID, AdminID, GuestID, "sequence", 1, uint64(AccessWrite)))
	exec(t, b, guest, nil, ins(512, nil))
	if _, err := b.SequenceNext(guest, nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SequenceCurrent(guest, 2); err == nil {
		t.Fatal("grant on one sequence opened another")
	}
	exec(t, b, admin, nil, ins(privSpaceID, AdminID, GuestID, "sequence", "", uint64(AccessWrite)))
	if _, err := b.SequenceCurrent(guest, 2); !boxerr.Is(err, boxerr.ER_SEQUENCE_NOT_STARTED) {
		t.Fatalf("entity grant: %v", err)
	}
}

func TestSequenceDataSnapshot(t *testing.T) {
	b, _ := newBox(t)
	admin := autoincSpace(t, b, "unsigned", 1, true)
	createSequence(t, b, admin, nil, 2, "neg", -1, math.MinInt64, -1, -1, false)
	b.SequenceNext(admin, nil, 2)
	exec(t, b, admin, nil, ins(512, nil))
	exec(t, b, admin, nil, ins(512, nil))
	got := b.SequenceDataTuples()
	want := [][]byte{mp(arr(uint64(1), uint64(2))), mp(arr(uint64(2), int64(-1)))}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot rows %x, want %x", got, want)
	}
	// Loading them restores the values.
	b2, _ := newBox(t)
	a2 := autoincSpace(t, b2, "unsigned", 1, true)
	createSequence(t, b2, a2, nil, 2, "neg", -1, math.MinInt64, -1, -1, false)
	for _, tu := range got {
		if err := b2.ApplySnapshotRow(sequenceDataSpaceID, tu); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := b2.SequenceValue(1); v != 2 {
		t.Fatalf("restored value %d", v)
	}
}

// FuzzFillSequence throws arbitrary tuples at a space with a sequence:
// bad input must come back as an error, never a panic, and a nil in the
// key must be filled.
func FuzzFillSequence(f *testing.F) {
	for _, seed := range []any{arr(nil), arr(nil, "a"), arr(uint64(5)), arr(int64(-1)), arr(), arr("x"),
		arr(uint64(1) << 63), arr(nil, arr(nil)), arr(1.5)} {
		f.Add(mp(seed))
	}
	f.Add([]byte{0x91})
	f.Add([]byte{0xdd, 0, 0, 0, 1, 0xc0})
	f.Fuzz(func(t *testing.T, tuple []byte) {
		b, _ := newBox(t)
		admin := autoincSpace(t, b, "integer", 1, true)
		res, err := b.Execute(admin, nil, &Request{Type: reqInsert, SpaceID: 512, Tuple: tuple})
		if err != nil {
			return
		}
		if msgpack.TypeOf(res.Field(0)) == msgpack.Nil {
			t.Fatalf("nil key stored: %x", res.Data())
		}
	})
}

func BenchmarkAutoIncrementInsert(b *testing.B) {
	bx, _ := newBox(b)
	admin := bx.AdminSession()
	createSpace(b, bx, admin, 512, "t", nil, nil)
	createIndex(b, bx, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	createSequence(b, bx, admin, nil, 1, "s", 1, 1, math.MaxInt64, 1, false)
	exec(b, bx, admin, nil, ins(spaceSequenceSpaceID, 512, 1, true, 0, ""))
	req := Request{Type: reqInsert, SpaceID: 512, Tuple: mp(arr(nil, "payload"))}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bx.Execute(admin, nil, &req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSequenceDataReadView: snapshots see the sequence cache, including
// values only auto-increment produced, and not rolled-back tuples.
func TestSequenceDataReadView(t *testing.T) {
	b, _ := newBox(t)
	admin := autoincSpace(t, b, "unsigned", 1, true)
	exec(t, b, admin, nil, ins(512, nil))
	exec(t, b, admin, nil, ins(512, nil))
	exec(t, b, admin, nil, Request{Type: reqDelete, SpaceID: 512, Key: mp(arr(2))})
	var got []any
	b.Space(sequenceDataSpaceID).ReadView().Iterate(func(tu *memtx.Tuple) bool {
		got = append(got, decode(t, tu.Data()))
		return true
	})
	if want := []any{arr(uint64(1), uint64(2))}; !reflect.DeepEqual(got, want) {
		t.Fatalf("view %v, want %v", got, want)
	}
	if n := len(selectAll(t, b, admin, sequenceDataSpaceID)); n != 0 {
		t.Fatalf("auto-increment stored %d _sequence_data tuples", n)
	}
	if b.Space(512).ReadView().Len() != 1 {
		t.Fatal("ordinary spaces must keep their own view")
	}
}
