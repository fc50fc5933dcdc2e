package memtx

// treeIterator walks a TREE index from a key in one direction.
//
// It positions lazily on the first Next (as Tarantool's tree iterator does)
// and remembers the last tuple it returned. When the index changed since the
// previous step (version or tree differs) it re-seeks to the first tuple
// strictly after that last tuple in its direction, under the full cmp_def
// ordering, so a loop that modifies the space never sees a tuple twice and
// never panics.
type treeIterator struct {
	ix      *Index
	typ     IterType // normalized: EQ, REQ, GE, GT, LE or LT
	key     []byte   // the key's parts, without the array header
	parts   uint32
	state   iterState
	tree    *bpsTree
	version uint64
	it      bpsIter
	// last is the entry of the last tuple returned, hint included, so
	// that a re-seek needs no hint computation.
	last indexEntry
}

func newTreeIterator(ix *Index, typ IterType, key []byte, parts uint32) *treeIterator {
	switch {
	case parts == 0 && typ.reverse():
		typ = IterLE
	case parts == 0, typ == IterALL:
		typ = IterGE
	}
	return &treeIterator{ix: ix, typ: typ, key: key, parts: parts}
}

func (i *treeIterator) Next() *Tuple {
	var ok bool
	switch {
	case i.state == iterDone:
		return nil
	case i.state == iterNew:
		i.state = iterRunning
		ok = i.start()
	case i.tree != i.ix.bt || i.version != i.ix.version:
		ok = i.restore()
	case i.typ.reverse():
		ok = i.it.Prev()
	default:
		ok = i.it.Next()
	}
	if !ok {
		i.state = iterDone
		return nil
	}
	e := i.it.Item()
	if (i.typ == IterEQ || i.typ == IterREQ) && i.ix.cmp.compareKey(i.key, i.parts, e.t) != 0 {
		i.state = iterDone
		return nil
	}
	i.last = e
	return e.t
}

func (i *treeIterator) reset() {
	i.tree = i.ix.bt
	i.version = i.ix.version
	i.it = i.tree.Iter()
}

// seekBefore positions on the last item less than p.
func (i *treeIterator) seekBefore(p indexEntry) bool {
	if i.it.Seek(p) {
		return i.it.Prev()
	}
	return i.it.Last()
}

func (i *treeIterator) start() bool {
	i.reset()
	if i.parts == 0 {
		if i.typ.reverse() {
			return i.it.Last()
		}
		return i.it.First()
	}
	// EQ, GE and LT bound at the first tuple with the key (lower
	// bound); GT, LE and REQ after the last one (upper bound).
	kind := pivotLow
	if i.typ == IterGT || i.typ == IterLE || i.typ == IterREQ {
		kind = pivotHigh
	}
	// The index's pivot buffer: the seek is over before this returns,
	// and nothing else can use the index meanwhile.
	p := indexEntry{hint: i.ix.cmp.keyHint(i.key, i.parts, kind), t: i.ix.pivot.set(i.key, i.parts, kind)}
	if i.typ.reverse() {
		return i.seekBefore(p)
	}
	return i.it.Seek(p)
}

func (i *treeIterator) restore() bool {
	i.reset()
	if i.typ.reverse() {
		return i.seekBefore(i.last)
	}
	if !i.it.Seek(i.last) {
		return false
	}
	if i.ix.cmp.compareTuples(i.it.Item().t, i.last.t) == 0 {
		return i.it.Next()
	}
	return true
}
