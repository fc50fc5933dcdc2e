package memtx

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/spindledb/spindle/internal/boxerr"
)

// FormatField is one field of a space format (box.space:format()).
type FormatField struct {
	Name       string
	Type       FieldType
	IsNullable bool
}

// DupMode says what Space.Replace does when the primary key already exists
// or does not, as Tarantool's dup_replace_mode.
type DupMode uint8

// Duplicate modes.
const (
	// DupInsert fails with ER_TUPLE_FOUND if the primary key exists.
	DupInsert DupMode = iota
	// DupReplace fails with ER_TUPLE_NOT_FOUND if it does not.
	DupReplace
	// DupReplaceOrInsert replaces or inserts.
	DupReplaceOrInsert
)

// fieldReq is what a space demands of one top-level field: the stricter of
// the format's type and every index part's type, nullable only if the
// format and every part on it allow nil (Tarantool's tuple_format merge).
type fieldReq struct {
	typ      FieldType
	nullable bool
	// checked: the format or a key part describes the field; others are
	// not looked at.
	checked bool
	keyPart bool
}

// Space holds the tuples of one space in its indexes.
//
// Invariants: indexes is sorted by id and, when non-empty, starts with the
// primary index (id 0); every stored tuple satisfies reqs and exactCount
// and is in every index; bsize is the sum of the stored tuples' sizes.
type Space struct {
	ID   uint32
	Name string

	format     []FormatField
	exactCount uint32
	indexes    []*Index
	reqs       []fieldReq
	bsize      int
	mem        *Memory // accounting shared by the spaces of one instance; nil: none
}

// NewSpace returns an empty space with no format and no indexes.
func NewSpace(id uint32, name string) *Space {
	return &Space{ID: id, Name: name}
}

// Memory accounts the memory the tuples of a set of spaces take (their
// bytes plus TupleOverhead each): what box.slab.info reports as
// items_used and what memtx_memory limits.
type Memory struct{ used int64 }

// TupleOverhead is what a stored tuple costs beyond its bytes, on average:
//
//   - 8: the header its bytes follow in their allocation;
//   - 8: rounding that allocation up. NewTuple's allocation is rounded to
//     one of the Go allocator's size classes (16 bytes apart up to
//     256 bytes, so 7.5 bytes lost on average for typical tuples, more for
//     tuples of several hundred bytes); a bulk load's arena only rounds to
//     8 bytes (3.5 on average);
//   - 16: its primary index entry (hint and pointer). Index.Bsize reports
//     an index's whole B+tree nodes, free slots included.
//
// A constant, so that the box can tell before a replace whether it fits
// the quota with exactly what Memory will account. TestTupleOverhead
// checks it against the heap.
const TupleOverhead = tupleHeader + 8 + 16

// Used returns the bytes accounted.
func (m *Memory) Used() int64 { return m.used }

func (m *Memory) add(t *Tuple, sign int64) {
	if m != nil {
		m.used += sign * int64(t.Bsize()+TupleOverhead)
	}
}

// SetMemory makes the space account its tuples in m (moving what it holds
// from its previous account).
func (s *Space) SetMemory(m *Memory) {
	n := int64(s.bsize + TupleOverhead*s.Len())
	if s.mem != nil {
		s.mem.used -= n
	}
	s.mem = m
	if m != nil {
		m.used += n
	}
}

// Format returns a copy of the space format.
func (s *Space) Format() []FormatField { return slices.Clone(s.format) }

// ExactFieldCount returns the field_count option (0: any).
func (s *Space) ExactFieldCount() uint32 { return s.exactCount }

// FieldNo returns the 0-based number of the format field called name.
func (s *Space) FieldNo(name string) (int, bool) {
	for i, f := range s.format {
		if f.Name == name {
			return i, true
		}
	}
	return 0, false
}

// Index returns the index with the given id, nil if none.
func (s *Space) Index(id uint32) *Index {
	for _, ix := range s.indexes {
		if ix.def.ID == id {
			return ix
		}
	}
	return nil
}

// IndexByName returns the index called name, nil if none.
func (s *Space) IndexByName(name string) *Index {
	for _, ix := range s.indexes {
		if ix.def.Name == name {
			return ix
		}
	}
	return nil
}

// Indexes returns the indexes in ascending id order.
func (s *Space) Indexes() []*Index { return slices.Clone(s.indexes) }

// Primary returns the primary index, nil if the space has none yet.
func (s *Space) Primary() *Index {
	if len(s.indexes) > 0 && s.indexes[0].def.ID == 0 {
		return s.indexes[0]
	}
	return nil
}

// Len returns the number of tuples.
func (s *Space) Len() int {
	if pk := s.Primary(); pk != nil {
		return pk.Len()
	}
	return 0
}

// Bsize returns the total msgpack size of the stored tuples.
func (s *Space) Bsize() int { return s.bsize }

// CheckTuple validates t against the format and the index parts, with
// Tarantool's errors: ER_EXACT_FIELD_COUNT, ER_FIELD_TYPE, ER_FIELD_MISSING
// (field numbers 1-based, as 2.6 prints them, without names).
func (s *Space) CheckTuple(t *Tuple) error {
	return checkTuple(s.reqs, s.exactCount, t)
}

func checkTuple(reqs []fieldReq, exact uint32, t *Tuple) error {
	if exact > 0 && t.fieldCount() != exact {
		return boxerr.New(boxerr.ER_EXACT_FIELD_COUNT, t.fieldCount(), exact)
	}
	var c fieldCursor
	c.init(t)
	n := min(uint32(len(reqs)), t.fieldCount())
	for i := uint32(0); i < n; i++ {
		r := &reqs[i]
		if !r.checked {
			continue
		}
		if v := c.at(i); v == nil || !valueMatches(r.typ, v, r.nullable) {
			return boxerr.New(boxerr.ER_FIELD_TYPE, strconv.Itoa(int(i)+1), r.typ.String())
		}
	}
	for i := n; i < uint32(len(reqs)); i++ {
		if reqs[i].checked && !reqs[i].nullable {
			return boxerr.New(boxerr.ER_FIELD_MISSING, strconv.Itoa(int(i)+1))
		}
	}
	return nil
}

// mergeReqs computes the field requirements of a format and a set of index
// definitions, failing as Tarantool does when an index part's type
// conflicts with the format (ER_FORMAT_MISMATCH_INDEX_PART) or with another
// index (ER_INDEX_PART_TYPE_MISMATCH).
func mergeReqs(format []FormatField, defs []IndexDef) ([]fieldReq, error) {
	n := len(format)
	for _, d := range defs {
		for _, p := range d.Key.Parts {
			n = max(n, int(p.FieldNo)+1)
		}
	}
	reqs := make([]fieldReq, n)
	for i, f := range format {
		reqs[i] = fieldReq{typ: f.Type, nullable: f.IsNullable, checked: true}
	}
	for _, d := range defs {
		for _, p := range d.Key.Parts {
			r := &reqs[p.FieldNo]
			if !r.checked {
				*r = fieldReq{typ: FieldAny, nullable: p.IsNullable, checked: true}
			}
			r.nullable = r.nullable && p.IsNullable
			switch {
			case typeContains(r.typ, p.Type):
				r.typ = p.Type
			case typeContains(p.Type, r.typ):
			case r.keyPart:
				return nil, boxerr.New(boxerr.ER_INDEX_PART_TYPE_MISMATCH, strconv.Itoa(int(p.FieldNo)+1), r.typ.String(), p.Type.String())
			default:
				return nil, boxerr.New(boxerr.ER_FORMAT_MISMATCH_INDEX_PART, strconv.Itoa(int(p.FieldNo)+1), r.typ.String(), p.Type.String())
			}
			r.keyPart = true
		}
	}
	return reqs, nil
}

func (s *Space) defs() []IndexDef {
	out := make([]IndexDef, len(s.indexes))
	for i, ix := range s.indexes {
		out[i] = ix.def
	}
	return out
}

// SetFormat changes the format and the field_count option (0: any),
// checking every stored tuple against the result first; on error nothing
// changes.
func (s *Space) SetFormat(fields []FormatField, exactFieldCount uint32) error {
	fields = slices.Clone(fields)
	reqs, err := mergeReqs(fields, s.defs())
	if err != nil {
		return err
	}
	if err := s.checkAll(reqs, exactFieldCount); err != nil {
		return err
	}
	s.format, s.exactCount, s.reqs = fields, exactFieldCount, reqs
	return nil
}

// checkAll validates every stored tuple against reqs.
func (s *Space) checkAll(reqs []fieldReq, exact uint32) error {
	pk := s.Primary()
	if pk == nil {
		return nil
	}
	var err error
	pk.scan(func(t *Tuple) bool {
		err = checkTuple(reqs, exact, t)
		return err == nil
	})
	return err
}

// scan visits every tuple in index order.
func (ix *Index) scan(fn func(*Tuple) bool) {
	ix.bt.Scan(func(e indexEntry) bool { return fn(e.t) })
}

// checkIndexDef applies memtx's restrictions on index definitions
// (memtx_space_check_index_def and key part option checks).
func (s *Space) checkIndexDef(def IndexDef) error {
	if len(def.Key.Parts) == 0 {
		return boxerr.New(boxerr.ER_ILLEGAL_PARAMS, "options.parts must have at least one part")
	}
	if def.Type != IndexTree && def.Type != IndexHash {
		return boxerr.New(boxerr.ER_INDEX_TYPE, def.Name, s.Name)
	}
	nullable := false
	for i, p := range def.Key.Parts {
		nullable = nullable || p.IsNullable
		if p.Collation != "" && p.Type != FieldString && p.Type != FieldScalar {
			return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, i+1, "collation is reasonable only for string and scalar parts")
		}
		if _, err := newCollator(p.Collation); err != nil {
			return err
		}
	}
	if nullable {
		if def.ID == 0 {
			return boxerr.New(boxerr.ER_NULLABLE_PRIMARY, s.Name)
		}
		if def.Type != IndexTree {
			return boxerr.New(boxerr.ER_UNSUPPORTED, def.Type.String(), "nullable parts")
		}
	}
	if def.Type == IndexHash && !def.Unique {
		return boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, s.Name, "HASH index must be unique")
	}
	for _, p := range def.Key.Parts {
		if !indexable(p.Type) {
			return boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, s.Name, fmt.Sprintf("field type '%s' is not supported", p.Type))
		}
	}
	if def.ID == 0 && !def.Unique {
		return boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, s.Name, "primary key must be unique")
	}
	return nil
}

// CreateIndex adds an index and fills it from the stored tuples. The
// primary index (id 0) must come first (ER_ALTER_SPACE). Fails, changing
// nothing, when a stored tuple does not fit the new index's part types
// (ER_FIELD_TYPE, ER_FIELD_MISSING) or a unique key repeats
// (ER_TUPLE_FOUND).
func (s *Space) CreateIndex(def IndexDef) (*Index, error) {
	if s.Index(def.ID) != nil {
		return nil, boxerr.New(boxerr.ER_MODIFY_INDEX, def.Name, s.Name, "index id is already in use")
	}
	if def.ID != 0 && s.Primary() == nil {
		return nil, boxerr.New(boxerr.ER_ALTER_SPACE, s.Name, "can not add a secondary key before primary")
	}
	if err := s.checkIndexDef(def); err != nil {
		return nil, err
	}
	defs := append(s.defs(), def)
	slices.SortFunc(defs, func(a, b IndexDef) int { return cmpUint(uint64(a.ID), uint64(b.ID)) })
	if err := s.rebuild(defs, func(d IndexDef) bool { return d.ID == def.ID }); err != nil {
		return nil, err
	}
	return s.Index(def.ID), nil
}

// AlterIndex replaces the definition of an existing index (same id) and
// rebuilds it from the stored tuples; altering the primary index rebuilds
// every index, since secondary orderings end with the primary key. Rebuilt
// indexes are new *Index values: callers must re-fetch them. On error
// nothing changes.
func (s *Space) AlterIndex(def IndexDef) (*Index, error) {
	if s.Index(def.ID) == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, def.ID, s.Name)
	}
	if err := s.checkIndexDef(def); err != nil {
		return nil, err
	}
	defs := s.defs()
	for i := range defs {
		if defs[i].ID == def.ID {
			defs[i] = def
		}
	}
	if err := s.rebuild(defs, func(d IndexDef) bool { return def.ID == 0 || d.ID == def.ID }); err != nil {
		return nil, err
	}
	return s.Index(def.ID), nil
}

// rebuild switches the space to the index definitions defs (sorted by id),
// building fresh indexes for those fresh selects and keeping the others.
func (s *Space) rebuild(defs []IndexDef, fresh func(IndexDef) bool) error {
	reqs, err := mergeReqs(s.format, defs)
	if err != nil {
		return err
	}
	if err := s.checkAll(reqs, s.exactCount); err != nil {
		return err
	}
	var pkDef *IndexDef
	if len(defs) > 0 && defs[0].ID == 0 {
		pkDef = &defs[0]
	}
	old := s.Primary()
	out := make([]*Index, len(defs))
	for i, d := range defs {
		if !fresh(d) {
			out[i] = s.Index(d.ID)
			continue
		}
		ix, err := newIndex(s, d, pkDef)
		if err != nil {
			return err
		}
		if old != nil {
			old.scan(func(t *Tuple) bool {
				if ix.set(ix.entry(t)) != nil {
					err = boxerr.New(boxerr.ER_TUPLE_FOUND, d.Name, s.Name)
				}
				return err == nil
			})
			if err != nil {
				return err
			}
		}
		out[i] = ix
	}
	s.indexes, s.reqs = out, reqs
	return nil
}

// DropIndex removes an index. Dropping the primary index, allowed only
// when it is the last one (ER_DROP_PRIMARY_KEY), deletes all tuples.
func (s *Space) DropIndex(id uint32) error {
	pos := slices.IndexFunc(s.indexes, func(ix *Index) bool { return ix.def.ID == id })
	if pos < 0 {
		return boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, id, s.Name)
	}
	if id == 0 && len(s.indexes) > 1 {
		return boxerr.New(boxerr.ER_DROP_PRIMARY_KEY, s.Name)
	}
	if id == 0 && s.mem != nil {
		s.mem.used -= int64(s.bsize + TupleOverhead*s.Len())
	}
	s.indexes[pos].version++
	indexes := slices.Delete(slices.Clone(s.indexes), pos, pos+1)
	reqs, err := mergeReqs(s.format, defsOf(indexes))
	if err != nil {
		// Removing an index only removes constraints.
		panic(fmt.Sprintf("memtx: dropping index %d of space %q: %v", id, s.Name, err))
	}
	s.indexes, s.reqs = indexes, reqs
	if id == 0 {
		s.bsize = 0
	}
	return nil
}

func defsOf(indexes []*Index) []IndexDef {
	out := make([]IndexDef, len(indexes))
	for i, ix := range indexes {
		out[i] = ix.def
	}
	return out
}

// replaceOnly is Replace for a space with a primary index alone: one
// B-tree descent instead of two (a lookup for the checks, then the
// insertion). The entry goes in first and comes out again when the check
// fails, so on error the index holds what it held before.
func (s *Space) replaceOnly(pk *Index, old, newT *Tuple, e indexEntry, mode DupMode) (*Tuple, error) {
	dup := pk.set(e)
	if code := replaceCheckDup(old, dup, mode); code != 0 {
		if dup != nil {
			pk.set(indexEntry{hint: e.hint, t: dup}) // equal keys have equal hints
		} else {
			pk.bt.Delete(e)
		}
		return nil, boxerr.New(code, pk.def.Name, s.Name)
	}
	replaced := dup
	if replaced == nil && old != nil {
		// old under another key (a mode that allows it): it goes.
		pk.remove(old)
		replaced = old
	}
	s.account(newT, replaced)
	return replaced, nil
}

// account counts newT in and replaced out of the space's bytes and
// memory (either may be nil).
func (s *Space) account(newT, replaced *Tuple) {
	if newT != nil {
		s.bsize += newT.Bsize()
		s.mem.add(newT, 1)
	}
	if replaced != nil {
		s.bsize -= replaced.Bsize()
		s.mem.add(replaced, -1)
	}
}

// replaceCheckDup is Tarantool's replace_check_dup for the primary index:
// old is the tuple the caller means to replace (nil: none expected), dup
// the one the index holds under the new tuple's key.
func replaceCheckDup(old, dup *Tuple, mode DupMode) boxerr.Code {
	if dup == nil {
		if mode == DupReplace {
			if old != nil {
				return boxerr.ER_CANT_UPDATE_PRIMARY_KEY
			}
			return boxerr.ER_TUPLE_NOT_FOUND
		}
		return 0
	}
	if dup != old && (old != nil || mode == DupInsert) {
		return boxerr.ER_TUPLE_FOUND
	}
	return 0
}

// Replace puts newT in every index, replacing the tuple with its primary key
// (newT == nil deletes old). old is the tuple the caller expects to replace,
// nil to look it up by newT's primary key. mode applies to the primary key
// as in Tarantool (DupInsert: ER_TUPLE_FOUND if the key exists; DupReplace:
// ER_TUPLE_NOT_FOUND if it does not, ER_CANT_UPDATE_PRIMARY_KEY if old is
// given and newT changed its key); a unique secondary index fails with
// ER_TUPLE_FOUND when newT's key belongs to any tuple other than the one
// replaced. newT is validated first (CheckTuple). All checks precede all
// changes, so on error no index has changed. Returns the replaced tuple.
func (s *Space) Replace(old, newT *Tuple, mode DupMode) (*Tuple, error) {
	return s.replace(old, newT, mode, true)
}

// ReplaceChecked is Replace for a newT that the caller has just checked
// with CheckTuple: the statement's checks come first in Tarantool's order
// of errors, and a tuple is not walked twice for them.
func (s *Space) ReplaceChecked(old, newT *Tuple, mode DupMode) (*Tuple, error) {
	return s.replace(old, newT, mode, false)
}

func (s *Space) replace(old, newT *Tuple, mode DupMode, check bool) (*Tuple, error) {
	pk := s.Primary()
	if pk == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, 0, s.Name)
	}
	if newT == nil && old == nil {
		return nil, nil
	}
	replaced := old
	// newT's entry for each index, hint computed once per statement.
	var entryBuf [8]indexEntry
	entries := entryBuf[:0]
	if newT != nil {
		if newT.pivot != notPivot {
			panic("memtx: a search key cannot be stored")
		}
		if check {
			if err := s.CheckTuple(newT); err != nil {
				return nil, err
			}
		}
		for _, ix := range s.indexes {
			entries = append(entries, ix.entry(newT))
		}
		if len(s.indexes) == 1 {
			return s.replaceOnly(pk, old, newT, entries[0], mode)
		}
		dup := pk.findDup(entries[0])
		if code := replaceCheckDup(old, dup, mode); code != 0 {
			return nil, boxerr.New(code, pk.def.Name, s.Name)
		}
		if dup != nil {
			replaced = dup
		}
		for i, ix := range s.indexes[1:] {
			if !ix.def.Unique {
				continue
			}
			if d := ix.findDup(entries[i+1]); d != nil && d != replaced {
				return nil, boxerr.New(boxerr.ER_TUPLE_FOUND, ix.def.Name, s.Name)
			}
		}
	}
	for i, ix := range s.indexes {
		var prev *Tuple
		if newT != nil {
			prev = ix.set(entries[i])
			if prev != nil && prev != replaced {
				panic(fmt.Sprintf("memtx: index %q of space %q displaced a tuple that was not the replaced one", ix.def.Name, s.Name))
			}
		}
		if replaced != nil && prev == nil {
			ix.remove(replaced)
		}
	}
	s.account(newT, replaced)
	return replaced, nil
}

// Load inserts t during a bulk load (snapshot recovery, the initial data
// of a join). Such tuples come in primary key order, so a TREE primary
// index is appended to (bpsTree.Load goes straight to the last leaf and
// leaves the leaves nearly full). A duplicate in any unique index fails
// with ER_TUPLE_FOUND and changes nothing.
func (s *Space) Load(t *Tuple) error {
	pk := s.Primary()
	if pk == nil || pk.bt.hash || t.pivot != notPivot {
		_, err := s.Replace(nil, t, DupInsert)
		return err
	}
	if err := s.CheckTuple(t); err != nil {
		return err
	}
	var entryBuf [8]indexEntry
	entries := entryBuf[:0]
	for _, ix := range s.indexes {
		entries = append(entries, ix.entry(t))
	}
	for i, ix := range s.indexes[1:] {
		if ix.def.Unique && ix.findDup(entries[i+1]) != nil {
			return boxerr.New(boxerr.ER_TUPLE_FOUND, ix.def.Name, s.Name)
		}
	}
	pk.version++
	if prev, replaced := pk.bt.Load(entries[0]); replaced {
		pk.bt.Set(prev)
		return boxerr.New(boxerr.ER_TUPLE_FOUND, pk.def.Name, s.Name)
	}
	for i, ix := range s.indexes[1:] {
		ix.set(entries[i+1])
	}
	s.bsize += t.Bsize()
	s.mem.add(t, 1)
	return nil
}

// Truncate deletes every tuple, keeping the indexes and the format.
func (s *Space) Truncate() {
	if s.mem != nil {
		s.mem.used -= int64(s.bsize + TupleOverhead*s.Len())
	}
	for _, ix := range s.indexes {
		ix.clear()
	}
	s.bsize = 0
}

// ReadView is a frozen copy of a space's primary index. Creating it is O(1)
// (the B-tree is shared copy-on-write); later writes to the space copy the
// nodes they touch and are invisible to the view. A ReadView may be read
// from another goroutine while the space keeps changing: no node it can
// reach is ever written again.
type ReadView struct {
	// tree is a copy of the primary index's B-tree, TREE or HASH.
	tree *bpsTree
}

// ReadView returns a consistent view of the space's current tuples.
func (s *Space) ReadView() *ReadView {
	pk := s.Primary()
	if pk == nil {
		return &ReadView{}
	}
	return &ReadView{tree: pk.bt.Copy()}
}

// Len returns the number of tuples in the view.
func (rv *ReadView) Len() int {
	if rv.tree == nil {
		return 0
	}
	return rv.tree.Len()
}

// Iterate calls fn for each tuple in primary index order (hash order for a
// HASH primary index) until fn returns false.
func (rv *ReadView) Iterate(fn func(*Tuple) bool) {
	if rv.tree != nil {
		rv.tree.Scan(func(e indexEntry) bool { return fn(e.t) })
	}
}
