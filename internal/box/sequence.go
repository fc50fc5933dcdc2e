package box

import (
	"math"
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Sequences, as Tarantool 2.6.0 has them (sequence.c, alter.cc's
// on_replace_dd_sequence*, request.c's request_handle_sequence).
//
// Three system spaces define them:
//   - _sequence [id, owner, name, step, min, max, start, cache, cycle]: the
//     definitions; its trigger keeps b.sequences.
//   - _sequence_data [id, value]: the value as last written by next(),
//     set() and reset(). Its trigger copies every written value into the
//     sequence cache (b.seqValues).
//   - _space_sequence [space_id, sequence_id, is_generated, field, path]:
//     the sequence that fills a primary-key field of a space.
//
// The sequence cache, not _sequence_data, is the truth: auto-increment
// advances only the cache (2.6 writes no _sequence_data row for it; the
// INSERT row carries the value, and replaying it advances the cache again),
// and a transaction rollback does not take a value back: the cache keeps
// every value handed out even when the _sequence_data tuple that recorded
// it is rolled back. The one exception is 2.6's: rolling back the DELETE
// of a _sequence_data row (reset, drop) restores the deleted value. A
// snapshot must therefore write _sequence_data from the cache, as 2.6's
// special snapshot iterator does: Space.ReadView of _sequence_data is
// built from it (sequenceDataView).

// Field numbers of a _sequence tuple (BOX_SEQUENCE_FIELD_*).
const (
	seqFieldID    = 0
	seqFieldOwner = 1
	seqFieldName  = 2
	seqFieldStep  = 3
	seqFieldMin   = 4
	seqFieldMax   = 5
	seqFieldStart = 6
	seqFieldCache = 7
	seqFieldCycle = 8
)

// SequenceDef is a sequence definition as its _sequence tuple gives it.
type SequenceDef struct {
	ID      uint32
	OwnerID uint32
	Name    string
	Step    int64
	Min     int64
	Max     int64
	Start   int64
	Cache   int64
	Cycle   bool
}

// Sequence is a sequence of the catalog. Its identity survives ALTER (the
// definition is replaced in place), so holders of the pointer see changes.
type Sequence struct {
	SequenceDef
	// IsGenerated is set while the sequence is attached to a space as one
	// generated for it (create_index{sequence = true}); such a sequence
	// inherits the space's privileges and cannot be attached elsewhere.
	IsGenerated bool
}

// spaceSequence is a space's link to its sequence (space->sequence,
// sequence_fieldno, sequence_path).
type spaceSequence struct {
	seq     *Sequence
	fieldNo uint32
	path    string
}

// Sequence returns the sequence attached to the space's primary key, the
// 0-based number of the field it fills and the JSON path inside that field
// ("" for the field itself); seq is nil when none is attached.
func (s *Space) Sequence() (seq *Sequence, fieldNo uint32, path string) {
	if s.sequence == nil {
		return nil, 0, ""
	}
	return s.sequence.seq, s.sequence.fieldNo, s.sequence.path
}

// Sequence returns the sequence with the given id, nil if none.
func (b *Box) Sequence(id uint32) *Sequence { return b.sequences[id] }

// SequenceByName returns the sequence with the given name, nil if none.
func (b *Box) SequenceByName(name string) *Sequence {
	for _, s := range b.sequences {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Sequences returns every sequence in ascending id order.
func (b *Box) Sequences() []*Sequence {
	out := make([]*Sequence, 0, len(b.sequences))
	for _, s := range b.sequences {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SequenceVersion changes whenever a sequence is created, altered or
// dropped, or attached to or detached from a space, including when such
// a change is rolled back. 2.6 does not bump the schema version for these,
// so the Lua layer watches this counter to keep box.sequence and the
// sequence_id of primary-key objects current.
func (b *Box) SequenceVersion() uint64 { return b.seqVersion }

// SequenceValue is the current value of a sequence (the cache), and
// whether the sequence has started.
func (b *Box) SequenceValue(id uint32) (int64, bool) {
	v, ok := b.seqValues[id]
	return v, ok
}

// SequenceDataTuples returns the _sequence_data tuples a snapshot must
// hold: [id, value] for every started sequence, ascending by id, taken
// from the sequence cache (auto-increment advances the cache only).
func (b *Box) SequenceDataTuples() [][]byte {
	ids := make([]uint32, 0, len(b.seqValues))
	for id := range b.seqValues {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = sequenceDataTuple(id, b.seqValues[id])
	}
	return out
}

// sequenceDataView is the read view of _sequence_data: a throwaway space
// with _sequence_data's primary key holding SequenceDataTuples.
func (b *Box) sequenceDataView() *memtx.ReadView {
	src := b.spaces[sequenceDataSpaceID]
	view := memtx.NewSpace(sequenceDataSpaceID, "_sequence_data")
	if src == nil || src.Primary() == nil {
		return view.ReadView()
	}
	if _, err := view.CreateIndex(*src.Primary().Def()); err != nil {
		panic("box: cannot copy the primary key of _sequence_data: " + err.Error())
	}
	for _, data := range b.SequenceDataTuples() {
		t, err := memtx.NewTuple(data)
		if err == nil {
			_, err = view.Replace(nil, t, memtx.DupInsert)
		}
		if err != nil {
			panic("box: cannot build the _sequence_data read view: " + err.Error())
		}
	}
	return view.ReadView()
}

func sequenceDataTuple(id uint32, v int64) []byte {
	t := msgpack.AppendArrayHeader(make([]byte, 0, 20), 2)
	t = msgpack.AppendUint(t, uint64(id))
	// AppendInt writes MP_UINT for v >= 0, as 2.6 does.
	return msgpack.AppendInt(t, v)
}

// next is sequence_next's arithmetic: the value after cur. A value
// outside [Min, Max] (left by set() or by an ALTER) is first brought back
// to the bound the step moves away from; past the other bound the
// sequence overflows, or wraps around when it cycles.
func (d *SequenceDef) next(cur int64) (int64, error) {
	v := cur
	if d.Step > 0 {
		if v < d.Min {
			return d.Min, nil
		}
		if v >= 0 && d.Step > math.MaxInt64-v {
			return d.overflow()
		}
		v += d.Step
		if v > d.Max {
			return d.overflow()
		}
		return v, nil
	}
	if v > d.Max {
		return d.Max, nil
	}
	if v < 0 && d.Step < math.MinInt64-v {
		return d.overflow()
	}
	v += d.Step
	if v < d.Min {
		return d.overflow()
	}
	return v, nil
}

func (d *SequenceDef) overflow() (int64, error) {
	if !d.Cycle {
		return 0, boxerr.New(boxerr.ER_SEQUENCE_OVERFLOW, d.Name)
	}
	if d.Step > 0 {
		return d.Min, nil
	}
	return d.Max, nil
}

// sequenceNext advances the cache (sequence_next): a sequence that has
// not started yields Start.
func (b *Box) sequenceNext(seq *Sequence) (int64, error) {
	cur, ok := b.seqValues[seq.ID]
	if !ok {
		b.seqValues[seq.ID] = seq.Start
		return seq.Start, nil
	}
	v, err := seq.next(cur)
	if err != nil {
		return 0, err
	}
	b.seqValues[seq.ID] = v
	return v, nil
}

// sequenceUpdate is sequence_update: an explicit value stored in the
// sequence field moves the sequence forward (in the direction of its
// step) when it is beyond the current value, and starts it otherwise.
func (b *Box) sequenceUpdate(seq *Sequence, v int64) {
	cur, ok := b.seqValues[seq.ID]
	if !ok || (seq.Step > 0 && v > cur) || (seq.Step < 0 && v < cur) {
		b.seqValues[seq.ID] = v
	}
}

// checkSequenceAccess is access_check_sequence: usage and write on the
// sequence (universe, every sequence, this sequence), owners excepted
// for the write part.
func (b *Box) checkSequenceAccess(s *Session, seq *Sequence) error {
	if s == nil || b.loading {
		return nil
	}
	uid := s.uid
	const access = AccessUsage | AccessWrite
	need := access &^ b.universal(uid)
	need &^= b.entity(uid, objSequence)
	if need == 0 {
		return nil
	}
	if need&AccessUsage != 0 || (seq.OwnerID != uid && need&^b.effective(uid, objSequence, seq.ID, false) != 0) {
		if b.users[uid] == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(uid))
		}
		if b.universal(uid)&AccessUsage == 0 {
			return accessDenied(AccessUsage, objUniverse, "", b.userName(uid))
		}
		return accessDenied(access, objSequence, seq.Name, b.userName(uid))
	}
	return nil
}

// findSequence is sequence_cache_find.
func (b *Box) findSequence(id uint32) (*Sequence, error) {
	seq := b.sequences[id]
	if seq == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(id))
	}
	return seq, nil
}

// internalAdmin runs the _sequence_data writes of next/set/reset: 2.6
// switches to admin credentials for them. It is not a registered session
// (it takes no session id).
func (b *Box) internalAdmin() *Session { return &Session{uid: AdminID, box: b} }

// SequenceNext is box.sequence.X:next(): the next value, recorded by a
// REPLACE into _sequence_data run as admin in txn (nil: autocommit). The
// value is taken even when that write fails (read-only instance, say),
// as in 2.6.
func (b *Box) SequenceNext(s *Session, txn *Txn, id uint32) (int64, error) {
	seq, err := b.findSequence(id)
	if err != nil {
		return 0, err
	}
	if err := b.checkSequenceAccess(s, seq); err != nil {
		return 0, err
	}
	v, err := b.sequenceNext(seq)
	if err != nil {
		return 0, err
	}
	if err := b.writeSequenceData(txn, id, v); err != nil {
		return 0, err
	}
	return v, nil
}

// SequenceCurrent is box.sequence.X:current(): the last value handed out
// or set; ER_SEQUENCE_NOT_STARTED before the first.
func (b *Box) SequenceCurrent(s *Session, id uint32) (int64, error) {
	seq, err := b.findSequence(id)
	if err != nil {
		return 0, err
	}
	if err := b.checkSequenceAccess(s, seq); err != nil {
		return 0, err
	}
	v, ok := b.seqValues[id]
	if !ok {
		return 0, boxerr.New(boxerr.ER_SEQUENCE_NOT_STARTED, seq.Name)
	}
	return v, nil
}

// SequenceSet is box.sequence.X:set(v): the next next() continues from v.
// v is not checked against the bounds (2.6 does not).
func (b *Box) SequenceSet(s *Session, txn *Txn, id uint32, v int64) error {
	seq, err := b.findSequence(id)
	if err != nil {
		return err
	}
	if err := b.checkSequenceAccess(s, seq); err != nil {
		return err
	}
	b.seqValues[id] = v
	return b.writeSequenceData(txn, id, v)
}

// SequenceReset is box.sequence.X:reset(): the sequence starts over.
func (b *Box) SequenceReset(s *Session, txn *Txn, id uint32) error {
	seq, err := b.findSequence(id)
	if err != nil {
		return err
	}
	if err := b.checkSequenceAccess(s, seq); err != nil {
		return err
	}
	delete(b.seqValues, id)
	req := Request{Type: reqDelete, SpaceID: sequenceDataSpaceID, Key: keyU32(id)}
	_, err = b.execute(b.internalAdmin(), txn, &req, nil, true, nil)
	return err
}

func (b *Box) writeSequenceData(txn *Txn, id uint32, v int64) error {
	req := Request{Type: reqReplace, SpaceID: sequenceDataSpaceID, Tuple: sequenceDataTuple(id, v)}
	_, err := b.execute(b.internalAdmin(), txn, &req, nil, true, nil)
	return err
}

// fillSequence is request_handle_sequence, run on the tuple of an INSERT
// or REPLACE into a space with a sequence: a nil in the sequence field is
// replaced by the next value; an integer there moves the sequence
// forward (sequenceUpdate), which also restores the sequence when rows
// are recovered or replicated. A tuple too short to have the field is
// left alone. It returns the tuple to store (and to log).
func (b *Box) fillSequence(s *Session, sp *Space, tuple []byte) ([]byte, error) {
	link := sp.sequence
	seq := link.seq
	// A generated sequence inherits the privileges of its space.
	if !seq.IsGenerated {
		if err := b.checkSequenceAccess(s, seq); err != nil {
			return nil, err
		}
	}
	if sp.Primary() == nil {
		return tuple, nil
	}
	n, hdr, err := msgpack.ReadArrayHeader(tuple)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if uint64(n) < uint64(link.fieldNo)+1 {
		return tuple, nil
	}
	pos := hdr
	for i := uint32(0); i < link.fieldNo; i++ {
		sz, err := msgpack.Skip(tuple[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
		}
		pos += sz
	}
	if link.path != "" {
		// JSON path indexes are refused by the index checks, so no
		// link can carry a path; a path that cannot be followed leaves
		// the tuple alone, as in 2.6.
		return tuple, nil
	}
	key := tuple[pos:]
	switch msgpack.TypeOf(key) {
	case msgpack.Nil:
		v, err := b.sequenceNext(seq)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(tuple)+9)
		out = msgpack.AppendArrayHeader(out, n)
		out = append(out, tuple[hdr:pos]...)
		out = msgpack.AppendInt(out, v)
		return append(out, tuple[pos+1:]...), nil
	case msgpack.Uint:
		if u, _, err := msgpack.ReadUint(key); err == nil && u <= math.MaxInt64 {
			b.sequenceUpdate(seq, int64(u))
		}
	case msgpack.Int:
		if i, _, err := msgpack.ReadInt(key); err == nil {
			b.sequenceUpdate(seq, i)
		}
	}
	return tuple, nil
}

// fieldI64 is tuple_field_i64.
func fieldI64(t *memtx.Tuple, fieldno int) (int64, error) {
	f := t.Field(fieldno)
	if f == nil {
		return 0, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, fieldno)
	}
	switch msgpack.TypeOf(f) {
	case msgpack.Uint:
		if u, _, err := msgpack.ReadUint(f); err == nil && u <= math.MaxInt64 {
			return int64(u), nil
		}
	case msgpack.Int:
		if i, _, err := msgpack.ReadInt(f); err == nil {
			return i, nil
		}
	}
	return 0, boxerr.New(boxerr.ER_FIELD_TYPE, itoa(uint32(fieldno+1)), "integer")
}

// fieldBool is tuple_field_bool.
func fieldBool(t *memtx.Tuple, fieldno int) (bool, error) {
	f, err := fieldTyped(t, fieldno, msgpack.Bool, "boolean")
	if err != nil {
		return false, err
	}
	v, _, _ := msgpack.ReadBool(f)
	return v, nil
}

// parseSequenceDef is sequence_def_new_from_tuple, fields in its order.
func parseSequenceDef(t *memtx.Tuple, errcode boxerr.Code) (*SequenceDef, error) {
	d := &SequenceDef{}
	var err error
	if d.Name, err = fieldStr(t, seqFieldName, "name"); err != nil {
		return nil, err
	}
	if len(d.Name) > nameMax {
		return nil, boxerr.New(errcode, d.Name[:nameMax], "sequence name is too long")
	}
	if err := checkIdentifier(d.Name); err != nil {
		return nil, err
	}
	if d.ID, err = fieldU32(t, seqFieldID, "id"); err != nil {
		return nil, err
	}
	if d.OwnerID, err = fieldU32(t, seqFieldOwner, "owner"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		no  int
		dst *int64
	}{{seqFieldStep, &d.Step}, {seqFieldMin, &d.Min}, {seqFieldMax, &d.Max},
		{seqFieldStart, &d.Start}, {seqFieldCache, &d.Cache}} {
		if *f.dst, err = fieldI64(t, f.no); err != nil {
			return nil, err
		}
	}
	if d.Cycle, err = fieldBool(t, seqFieldCycle); err != nil {
		return nil, err
	}
	switch {
	case d.Step == 0:
		return nil, boxerr.New(errcode, d.Name, "step option must be non-zero")
	case d.Min > d.Max:
		return nil, boxerr.New(errcode, d.Name, "max must be greater than or equal to min")
	case d.Start < d.Min || d.Start > d.Max:
		return nil, boxerr.New(errcode, d.Name, "start must be between min and max")
	}
	return d, nil
}

// onReplaceSequence is on_replace_dd_sequence. Catalog changes happen at
// statement time (box.sequence shows a new sequence inside the
// transaction that creates it) and are undone on rollback.
func (b *Box) onReplaceSequence(txn *Txn, old, new *memtx.Tuple) error {
	switch {
	case old == nil && new != nil: // create
		d, err := parseSequenceDef(new, boxerr.ER_CREATE_SEQUENCE)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, d.Name, d.ID, d.OwnerID, objSequence, AccessCreate); err != nil {
			return err
		}
		seq := &Sequence{SequenceDef: *d}
		b.sequences[seq.ID] = seq
		b.seqVersion++
		txn.onUndo(func() {
			// sequence_delete drops the value the sequence may have
			// taken inside the transaction.
			delete(b.sequences, seq.ID)
			delete(b.seqValues, seq.ID)
			b.seqVersion++
		})
	case old != nil && new == nil: // drop
		id, err := fieldU32(old, seqFieldID, "id")
		if err != nil {
			return err
		}
		seq := b.sequences[id]
		if seq == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(id))
		}
		if err := b.checkDDL(txn.session, seq.Name, seq.ID, seq.OwnerID, objSequence, AccessDrop); err != nil {
			return err
		}
		if b.hasTupleWithKey(sequenceDataSpaceID, seqFieldID, id) {
			return boxerr.New(boxerr.ER_DROP_SEQUENCE, seq.Name, "the sequence has data")
		}
		if b.hasTupleWithKey(spaceSequenceSpaceID, 1, id) {
			return boxerr.New(boxerr.ER_DROP_SEQUENCE, seq.Name, "the sequence is in use")
		}
		if b.hasGrantsOn(objSequence, id) {
			return boxerr.New(boxerr.ER_DROP_SEQUENCE, seq.Name, "the sequence has grants")
		}
		delete(b.sequences, id)
		b.seqVersion++
		txn.onUndo(func() {
			b.sequences[id] = seq
			b.seqVersion++
		})
		txn.onCommit(func() { delete(b.seqValues, id) })
	default: // alter
		d, err := parseSequenceDef(new, boxerr.ER_ALTER_SEQUENCE)
		if err != nil {
			return err
		}
		seq := b.sequences[d.ID]
		if seq == nil {
			return boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(d.ID))
		}
		if err := b.checkDDL(txn.session, seq.Name, seq.ID, seq.OwnerID, objSequence, AccessAlter); err != nil {
			return err
		}
		prev := seq.SequenceDef
		seq.SequenceDef = *d
		b.seqVersion++
		txn.onUndo(func() {
			seq.SequenceDef = prev
			b.seqVersion++
		})
	}
	return nil
}

// hasTupleWithKey reports whether space id holds a tuple whose field
// fieldno is the unsigned v (space_has_data; the spaces are tiny).
func (b *Box) hasTupleWithKey(spaceID uint32, fieldno int, v uint32) bool {
	sp := b.spaces[spaceID]
	if sp == nil {
		return false
	}
	found := false
	forEach(sp, func(t *memtx.Tuple) {
		if u, err := fieldU32(t, fieldno, ""); err == nil && u == v {
			found = true
		}
	})
	return found
}

// onReplaceSequenceData is on_replace_dd_sequence_data: a written value
// goes to the cache and stays there on rollback; a deleted value comes
// back on rollback.
func (b *Box) onReplaceSequenceData(txn *Txn, old, new *memtx.Tuple) error {
	ref := new
	if ref == nil {
		ref = old
	}
	id, err := fieldU32(ref, 0, "id")
	if err != nil {
		return err
	}
	if b.sequences[id] == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(id))
	}
	if new != nil {
		v, err := fieldI64(new, 1)
		if err != nil {
			return err
		}
		b.seqValues[id] = v
		return nil
	}
	v, err := fieldI64(old, 1)
	if err != nil {
		return err
	}
	txn.onUndo(func() { b.seqValues[id] = v })
	delete(b.seqValues, id)
	return nil
}

// checkIndexSequence is index_def_check_sequence: the sequence field must
// be an integer part of the primary key.
func checkIndexSequence(def *memtx.IndexDef, fieldNo uint32, path, spaceName string) error {
	var part *memtx.KeyPart
	if path == "" {
		for i := range def.Key.Parts {
			if def.Key.Parts[i].FieldNo == fieldNo {
				part = &def.Key.Parts[i]
				break
			}
		}
	}
	if part == nil {
		return boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, spaceName, "sequence field must be a part of the index")
	}
	if part.Type != memtx.FieldUnsigned && part.Type != memtx.FieldInteger {
		return boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, spaceName, "sequence cannot be used with a non-integer key")
	}
	return nil
}

// sequenceLinkFromTuple is sequence_field_from_tuple: the field and path
// of a _space_sequence tuple (rows older than 2.2.1 have neither and mean
// the first part of the primary key), checked against the primary key.
func sequenceLinkFromTuple(sp *Space, t *memtx.Tuple) (fieldNo uint32, path string, err error) {
	pk := sp.Primary()
	if pk == nil {
		return 0, "", boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, 0, sp.Name)
	}
	def := pk.Def()
	fieldNo = def.Key.Parts[0].FieldNo
	if t.Len() > 3 {
		if fieldNo, err = fieldU32(t, 3, "field"); err != nil {
			return 0, "", err
		}
		if path, err = fieldStr(t, 4, "path"); err != nil {
			return 0, "", err
		}
	}
	if err := checkIndexSequence(def, fieldNo, path, sp.Name); err != nil {
		return 0, "", err
	}
	return fieldNo, path, nil
}

// onReplaceSpaceSequence is on_replace_dd_space_sequence.
func (b *Box) onReplaceSpaceSequence(txn *Txn, old, new *memtx.Tuple) error {
	t := new
	if t == nil {
		t = old
	}
	spaceID, err := fieldU32(t, 0, "space_id")
	if err != nil {
		return err
	}
	seqID, err := fieldU32(t, 1, "sequence_id")
	if err != nil {
		return err
	}
	isGenerated, err := fieldBool(t, 2)
	if err != nil {
		return err
	}
	sp := b.spaces[spaceID]
	if sp == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(spaceID))
	}
	seq := b.sequences[seqID]
	if seq == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SEQUENCE, itoa(seqID))
	}
	if old != nil && new != nil {
		return boxerr.New(boxerr.ER_UNSUPPORTED, `space "_space_sequence"`, "update")
	}
	// Attaching an existing sequence needs read and write on it;
	// generating one or detaching needs create or drop.
	ddl := func(priv Access) error {
		return b.checkDDL(txn.session, seq.Name, seq.ID, seq.OwnerID, objSequence, priv)
	}
	switch {
	case new == nil:
		err = ddl(AccessDrop)
	case isGenerated:
		err = ddl(AccessCreate)
	default:
		if err = ddl(AccessRead); err == nil {
			err = ddl(AccessWrite)
		}
	}
	if err != nil {
		return err
	}
	if err := b.checkDDL(txn.session, sp.Name, sp.ID, sp.OwnerID, objSpace, AccessAlter); err != nil {
		return err
	}
	prevLink, prevGenerated := sp.sequence, seq.IsGenerated
	if new != nil {
		fieldNo, path, err := sequenceLinkFromTuple(sp, new)
		if err != nil {
			return err
		}
		if seq.IsGenerated {
			return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "can not attach generated sequence")
		}
		seq.IsGenerated = isGenerated
		sp.sequence = &spaceSequence{seq: seq, fieldNo: fieldNo, path: path}
	} else {
		seq.IsGenerated = false
		sp.sequence = nil
	}
	b.seqVersion++
	txn.onUndo(func() {
		seq.IsGenerated = prevGenerated
		sp.sequence = prevLink
		b.seqVersion++
	})
	return nil
}
