package memtx

// Arena allocates the tuples of a bulk load (snapshot recovery, the
// initial data of a join) from large blocks instead of one allocation per
// tuple: each tuple, header and bytes laid out as NewTuple lays them out,
// is carved right after the previous one, at a multiple of 8 bytes from
// the block's (page-aligned) start. Allocation is most of a load's cost,
// and fewer, larger objects are also cheaper for the garbage collector to
// keep (the blocks hold no pointers: it never scans them). The blocks are
// not advised MADV_HUGEPAGE: on this VM a huge page's first touch cost
// from nothing to 0.4 s of system time per 1M-tuple recovery, depending
// on how the host backed it, and recovery with 4 KB pages was the steadier
// and on median the faster of the two.
//
// A block lives as long as any tuple carved from it: a load keeps almost
// all its tuples, so little is held back (the trade Tarantool's slab
// allocator makes as well). Tuples larger than a quarter of a block get
// an allocation of their own. An Arena is not safe for concurrent use.
type Arena struct {
	block []byte
}

const arenaBlock = 2 << 20

// NewTuple is the package's NewTuple for a copy of src carved from the
// arena; src is not retained.
func (a *Arena) NewTuple(src []byte) (*Tuple, error) {
	n, h, err := checkTupleData(src)
	if err != nil {
		return nil, err
	}
	size := tupleAllocSize(len(src))
	var buf []byte
	if size > arenaBlock/4 {
		buf = make([]byte, size)
	} else {
		if cap(a.block)-len(a.block) < size {
			a.block = make([]byte, 0, arenaBlock)
		}
		start := len(a.block)
		a.block = a.block[:start+size]
		// cap == len: nothing can append into the next tuple.
		buf = a.block[start : start+size : start+size]
	}
	return placeTuple(buf, src, n, uint8(h), notPivot), nil
}
