package memtx

import "github.com/spindledb/spindle/internal/boxerr"

// IndexType is the memtx index kind.
type IndexType uint8

// Index types.
const (
	IndexTree IndexType = iota
	IndexHash
)

// String returns the name Tarantool uses in messages and in _index.
func (t IndexType) String() string {
	switch t {
	case IndexTree:
		return "TREE"
	case IndexHash:
		return "HASH"
	}
	return "UNKNOWN"
}

// ParseIndexType maps "TREE"/"HASH" (any case, as _index stores them) to an
// IndexType.
func ParseIndexType(name string) (IndexType, bool) {
	switch name {
	case "TREE", "tree":
		return IndexTree, true
	case "HASH", "hash":
		return IndexHash, true
	}
	return 0, false
}

// IndexDef describes an index of a space.
type IndexDef struct {
	ID     uint32
	Name   string
	Type   IndexType
	Unique bool
	Key    KeyDef
}

// IterType is an iterator type, numbered as IPROTO_ITERATOR codes.
type IterType uint8

// Iterator types.
const (
	IterEQ            IterType = 0
	IterREQ           IterType = 1
	IterALL           IterType = 2
	IterLT            IterType = 3
	IterLE            IterType = 4
	IterGE            IterType = 5
	IterGT            IterType = 6
	IterBitsAllSet    IterType = 7
	IterBitsAnySet    IterType = 8
	IterBitsAllNotSet IterType = 9
	IterOverlaps      IterType = 10
	IterNeighbor      IterType = 11
	iterTypeMax       IterType = 12
)

var iterNames = [iterTypeMax]string{
	"EQ", "REQ", "ALL", "LT", "LE", "GE", "GT",
	"BITS_ALL_SET", "BITS_ANY_SET", "BITS_ALL_NOT_SET", "OVERLAPS", "NEIGHBOR",
}

// ParseIterType maps a Lua iterator name (box.index.EQ ... NEIGHBOR) to its
// code.
func ParseIterType(name string) (IterType, bool) {
	for i, n := range iterNames {
		if n == name {
			return IterType(i), true
		}
	}
	return 0, false
}

// String returns the Lua name of the iterator type.
func (t IterType) String() string {
	if t < iterTypeMax {
		return iterNames[t]
	}
	return "UNKNOWN"
}

// reverse reports whether the iterator walks in descending order.
func (t IterType) reverse() bool {
	return t == IterREQ || t == IterLT || t == IterLE
}

// Iterator yields tuples one by one; Next returns nil when exhausted.
// Iterators stay usable while their space changes: after a change they
// continue from just after the last tuple they returned, in their own order,
// as Tarantool's memtx iterators do for Lua pairs() loops.
type Iterator interface{ Next() *Tuple }

// Index is one TREE or HASH index of a space.
//
// Invariants: exactly one of tree and hash is set, per def.Type; every
// tuple of the space is in it exactly once; version changes whenever the
// index content changes, which tells open iterators to re-seek.
type Index struct {
	def   IndexDef
	space *Space
	cmp   *cmpDef
	// bt holds the entries: (hint, tuple) ordered by cmp in a TREE index,
	// (key hash, tuple) ordered by hash, then cmp, in a HASH index
	// (bt.hash).
	bt      *bpsTree
	version uint64
	// pivot is the memory of the search key of lookups and iterator
	// seeks, reused so that they allocate nothing (all access is
	// serialized by the caller, and no pivot outlives the call that
	// seeks with it).
	pivot pivotBuf
}

// indexEntry is what a B-tree stores for one tuple: the tuple and a 64-bit
// summary of its key computed once on insert, so that most comparisons
// inside the tree read neither the *Tuple nor its bytes. In a TREE index
// the summary is the comparison hint of the first key part (hint.go); in a
// HASH index it is the key hash (hash.go). Invariant: hint is a function of
// t's key alone, so any entry for t (inserted, looked up or deleted)
// carries the same hint.
//
// 16 bytes per entry instead of 8 for a bare pointer; see doc.go for the
// memory accounting.
type indexEntry struct {
	hint uint64
	t    *Tuple
}

// entry builds t's entry for this index.
func (ix *Index) entry(t *Tuple) indexEntry {
	if !ix.bt.hash {
		return indexEntry{hint: ix.cmp.tupleHint(t), t: t}
	}
	return indexEntry{hint: ix.hashTuple(t), t: t}
}

func newIndex(space *Space, def IndexDef, primary *IndexDef) (*Index, error) {
	ix := &Index{def: def, space: space}
	ix.def.Key.Parts = append([]KeyPart(nil), def.Key.Parts...)
	parts := ix.def.Key.Parts
	unique := def.Unique
	if def.ID != 0 && primary != nil && def.Type == IndexTree {
		parts = extendWithPrimary(parts, primary.Key.Parts)
	}
	cmp, err := newCmpDef(parts, len(def.Key.Parts), unique)
	if err != nil {
		return nil, err
	}
	ix.cmp = cmp
	ix.bt = newBPSTree(cmp, def.Type == IndexHash)
	return ix, nil
}

// Def returns the index definition. The caller must not modify it.
func (ix *Index) Def() *IndexDef { return &ix.def }

// Len returns the number of tuples in the index.
func (ix *Index) Len() int { return ix.bt.Len() }

// Bsize returns the memory the index structure takes, without the
// tuples: its B+tree's nodes, as Tarantool counts its tree's blocks.
func (ix *Index) Bsize() int { return ix.bt.Bsize() }

func (ix *Index) spaceName() string {
	if ix.space == nil {
		return ""
	}
	return ix.space.Name
}

func (ix *Index) unsupported(what string) error {
	return boxerr.New(boxerr.ER_UNSUPPORTED_INDEX_FEATURE, ix.def.Name, ix.def.Type.String(), ix.spaceName(), "memtx", what)
}

// validateIterKey checks a key for an iterator of type it, as Tarantool's
// key_validate: an empty key is fine for every TREE iterator and for ALL and
// GT on a HASH index; HASH indexes refuse partial keys.
func (ix *Index) validateIterKey(it IterType, key []byte) ([]byte, uint32, error) {
	n, body, err := keyHeader(key)
	if err != nil {
		return nil, 0, err
	}
	if n == 0 && (ix.def.Type == IndexTree || it == IterALL || (ix.def.Type == IndexHash && it == IterGT)) {
		return body, 0, nil
	}
	parts := uint32(len(ix.def.Key.Parts))
	if n > parts {
		return nil, 0, boxerr.New(boxerr.ER_KEY_PART_COUNT, parts, n)
	}
	if ix.def.Type != IndexTree && n < parts {
		return nil, 0, boxerr.New(boxerr.ER_PARTIAL_KEY, ix.def.Type.String(), parts, n)
	}
	if err := ix.def.Key.validateParts(body, n, true); err != nil {
		return nil, 0, err
	}
	return body, n, nil
}

// Get returns the tuple with exactly the given full key, or nil. Only unique
// indexes support it (ER_MORE_THAN_ONE_TUPLE otherwise); the key must have
// every part and no nil (ER_EXACT_MATCH, ER_KEY_PART_TYPE).
func (ix *Index) Get(key []byte) (*Tuple, error) {
	if !ix.def.Unique {
		return nil, boxerr.New(boxerr.ER_MORE_THAN_ONE_TUPLE)
	}
	n, err := ix.def.Key.ValidateKey(key, true)
	if err != nil {
		return nil, err
	}
	_, body, _ := keyHeader(key)
	return ix.lookup(body, uint32(n)), nil
}

// lookup finds the tuple whose key equals a validated full key.
func (ix *Index) lookup(body []byte, n uint32) *Tuple {
	pivot := ix.pivot.set(body, n, pivotExact)
	var e indexEntry
	if !ix.bt.hash {
		e, _ = ix.bt.Get(indexEntry{hint: ix.cmp.keyHint(body, n, pivotExact), t: pivot})
	} else {
		e, _ = ix.bt.Get(indexEntry{hint: ix.hashKey(body, n), t: pivot})
	}
	return e.t
}

// Iterator opens an iterator of type it positioned by key, a msgpack array
// that may be a prefix of the key (TREE) or empty (all tuples). TREE
// supports EQ, REQ, ALL, LT, LE, GE, GT; HASH supports EQ (full key), ALL
// and GT (hash order, after the given key). Other types fail with
// ER_UNSUPPORTED_INDEX_FEATURE, unknown codes with ER_ILLEGAL_PARAMS.
func (ix *Index) Iterator(it IterType, key []byte) (Iterator, error) {
	if it >= iterTypeMax {
		return nil, boxerr.New(boxerr.ER_ILLEGAL_PARAMS, "Invalid iterator type")
	}
	body, n, err := ix.validateIterKey(it, key)
	if err != nil {
		return nil, err
	}
	if !ix.bt.hash {
		if it > IterGT {
			return nil, ix.unsupported("requested iterator type")
		}
		return newTreeIterator(ix, it, body, n), nil
	}
	switch it {
	case IterALL, IterEQ, IterGT:
	default:
		return nil, ix.unsupported("requested iterator type")
	}
	return newHashIterator(ix, it, body, n), nil
}

// Count returns how many tuples an iterator of type it over key would
// yield.
func (ix *Index) Count(it IterType, key []byte) (int, error) {
	iter, err := ix.Iterator(it, key)
	if err != nil {
		return 0, err
	}
	if n, _, _ := keyHeader(key); n == 0 && (!ix.bt.hash || it == IterALL || it == IterGT) {
		return ix.Len(), nil
	}
	if ix.bt.hash && it == IterALL {
		return ix.Len(), nil
	}
	count := 0
	for iter.Next() != nil {
		count++
	}
	return count, nil
}

// Min returns the first tuple of a GE iteration over key (TREE only).
func (ix *Index) Min(key []byte) (*Tuple, error) {
	if ix.bt.hash {
		return nil, ix.unsupported("min()")
	}
	it, err := ix.Iterator(IterGE, key)
	if err != nil {
		return nil, err
	}
	return it.Next(), nil
}

// Max returns the first tuple of an LE iteration over key (TREE only).
func (ix *Index) Max(key []byte) (*Tuple, error) {
	if ix.bt.hash {
		return nil, ix.unsupported("max()")
	}
	it, err := ix.Iterator(IterLE, key)
	if err != nil {
		return nil, err
	}
	return it.Next(), nil
}

// Random returns a tuple chosen by seed as Tarantool's index:random
// chooses it (bpsTree.Random), nil for an empty index.
func (ix *Index) Random(seed uint64) *Tuple {
	e, _ := ix.bt.Random(seed)
	return e.t
}

// findDup returns the stored tuple that e (an entry of this index)
// would replace: the one equal to it under the index's ordering, or nil.
func (ix *Index) findDup(e indexEntry) *Tuple {
	d, _ := ix.bt.Get(e)
	return d.t
}

// set inserts e and returns the tuple it displaced (equal under the index
// ordering), if any.
func (ix *Index) set(e indexEntry) *Tuple {
	ix.version++
	prev, _ := ix.bt.Set(e)
	return prev.t
}

// remove deletes the tuple equal to t under the index ordering.
func (ix *Index) remove(t *Tuple) *Tuple {
	ix.version++
	d, _ := ix.bt.Delete(ix.entry(t))
	return d.t
}

// clear empties the index.
func (ix *Index) clear() {
	ix.version++
	ix.bt = newBPSTree(ix.cmp, ix.bt.hash)
}
