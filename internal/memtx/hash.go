package memtx

import (
	"encoding/binary"
	"math"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// A HASH index stores indexEntry values whose hint is the key's 64-bit
// hash, cached so that comparisons rarely decode the tuple.
//
// A HASH index is a B+tree (bpsTree) ordered by (hash, key) rather than a
// Go map: it gets the same O(1) copy-on-write Copy as TREE indexes (a map
// would need a full copy or a hand-written COW scheme for read views), its
// order is stable so that GT iteration ("next tuple after this key in hash
// order", used to page through a HASH index) is well defined and survives
// concurrent changes, and Random is O(log n). The price is O(log n)
// lookups where a hash table would be O(1); the hash makes each step one
// integer comparison.

// Hash tags separate value classes so that, e.g., the string "1" and the
// number 1 hash apart; values that compare equal (1 and 1.0 in a number
// part, "a" and "A" under unicode_ci) must hash alike — but for decimals,
// which hash by their bytes as in 2.6.
const (
	tagNil uint64 = iota + 1
	tagBool
	tagUint
	tagNeg
	tagFloat
	tagNaN
	tagStr
	tagBin
	tagOther
	tagDecimal
)

func mix64(h, x uint64) uint64 {
	h ^= x
	h *= 0x9e3779b97f4a7c15
	h ^= h >> 29
	return h
}

func mixBytes(h uint64, b []byte) uint64 {
	h = mix64(h, uint64(len(b)))
	for len(b) >= 8 {
		h = mix64(h, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return mix64(h, tail)
}

func hashValue(h uint64, p *cmpPart, v []byte) uint64 {
	switch classOf(v) {
	case classNil:
		return mix64(h, tagNil)
	case classBool:
		b, _, _ := msgpack.ReadBool(v)
		if b {
			return mix64(mix64(h, tagBool), 1)
		}
		return mix64(mix64(h, tagBool), 0)
	case classNumber:
		if decimal.IsDecimal(v) {
			// 2.6 hashes a decimal's MessagePack bytes, so 1, 1.0
			// and the integer 1 hash apart and a HASH index keeps
			// them as different keys (though they compare equal).
			return mixBytes(mix64(h, tagDecimal), v[:extSize(v)])
		}
		n := decodeNumber(v)
		if n.kind == numFloat {
			f := n.f
			switch {
			case math.IsNaN(f):
				return mix64(mix64(h, tagNaN), math.Float64bits(f)&quietNaNBit)
			case f == math.Trunc(f) && f >= 0 && f < two64:
				n = number{kind: numUint, u: uint64(f)}
			case f == math.Trunc(f) && f < 0 && f >= -two63:
				n = number{kind: numNeg, i: int64(f)}
			default:
				return mix64(mix64(h, tagFloat), math.Float64bits(f))
			}
		}
		if n.kind == numNeg {
			return mix64(mix64(h, tagNeg), uint64(n.i))
		}
		return mix64(mix64(h, tagUint), n.u)
	case classStr:
		s, _, _ := msgpack.ReadStr(v)
		if p.coll != nil {
			s = p.coll.key(s)
		}
		return mixBytes(mix64(h, tagStr), s)
	case classBin:
		b, _, _ := msgpack.ReadBin(v)
		return mixBytes(mix64(h, tagBin), b)
	}
	return mixBytes(mix64(h, tagOther), v)
}

// extSize is the size of the extension value at the start of v (it was
// read once already, or v is all there is).
func extSize(v []byte) int {
	if _, _, n, err := msgpack.ReadExt(v); err == nil {
		return n
	}
	return len(v)
}

// hashTuple hashes the key parts of a stored tuple.
func (ix *Index) hashTuple(t *Tuple) uint64 {
	if t.pivot != notPivot {
		return ix.hashKey(t.data(), t.fieldCount())
	}
	h := uint64(len(ix.cmp.parts))
	for i := 0; i < ix.cmp.keyParts; i++ {
		p := &ix.cmp.parts[i]
		h = hashValue(h, p, fieldValue(t, p.fieldNo))
	}
	return h
}

// hashKey hashes a validated full search key (its parts' bytes).
func (ix *Index) hashKey(body []byte, n uint32) uint64 {
	h := uint64(len(ix.cmp.parts))
	for i := 0; i < int(n) && i < ix.cmp.keyParts; i++ {
		sz, err := msgpack.Skip(body)
		if err != nil {
			break
		}
		h = hashValue(h, &ix.cmp.parts[i], body[:sz])
		body = body[sz:]
	}
	return h
}

// hashIterator walks a HASH index in (hash, key) order.
type hashIterator struct {
	ix      *Index
	typ     IterType // IterALL, IterGT (with a key) or IterEQ
	key     []byte
	parts   uint32
	state   iterState
	tree    *bpsTree
	version uint64
	it      bpsIter
	last    indexEntry
}

type iterState uint8

const (
	iterNew iterState = iota
	iterRunning
	iterDone
)

func newHashIterator(ix *Index, typ IterType, key []byte, parts uint32) *hashIterator {
	if typ == IterGT && parts == 0 {
		typ = IterALL
	}
	return &hashIterator{ix: ix, typ: typ, key: key, parts: parts}
}

func (i *hashIterator) Next() *Tuple {
	var ok bool
	switch {
	case i.state == iterDone:
		return nil
	case i.typ == IterEQ:
		// A unique full-key match: at most one tuple.
		i.state = iterDone
		return i.ix.lookup(i.key, i.parts)
	case i.state == iterNew:
		i.state = iterRunning
		ok = i.start()
	case i.tree != i.ix.bt || i.version != i.ix.version:
		ok = i.restore()
	default:
		ok = i.it.Next()
	}
	if !ok {
		i.state = iterDone
		return nil
	}
	i.last = i.it.Item()
	return i.last.t
}

func (i *hashIterator) reset() {
	i.tree = i.ix.bt
	i.version = i.ix.version
	i.it = i.tree.Iter()
}

func (i *hashIterator) start() bool {
	i.reset()
	if i.typ == IterALL {
		return i.it.First()
	}
	// GT: the tuples after the key's own position; nothing when the key
	// is absent, as in Tarantool.
	// The index's pivot buffer, as treeIterator.start.
	p := indexEntry{hint: i.ix.hashKey(i.key, i.parts), t: i.ix.pivot.set(i.key, i.parts, pivotExact)}
	if !i.it.Seek(p) || i.it.Item().hint != p.hint || i.ix.cmp.compare(p.t, i.it.Item().t) != 0 {
		return false
	}
	return i.it.Next()
}

// restore re-seeks after the index changed: continue with the first item
// after the last one returned.
func (i *hashIterator) restore() bool {
	i.reset()
	if !i.it.Seek(i.last) {
		return false
	}
	cur := i.it.Item()
	if cur.hint == i.last.hint && i.ix.cmp.compareTuples(cur.t, i.last.t) == 0 {
		return i.it.Next()
	}
	return true
}
