package memtx

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// bpsTree is the B+tree behind TREE and HASH indexes, after Tarantool's
// bps_tree (salad/bps_tree.h): entries live only in the leaves, inner nodes
// hold separators and children, and every node keeps its entries' hints and
// tuple pointers in two separate inline arrays.
//
// Why not a library B-tree: a search step here is an integer comparison
// of hints packed eight to a cache line, inlined into the search loop; the
// tuple is read only when two hints tie. A general-purpose B-tree (this
// package used github.com/tidwall/btree before) calls a comparator closure
// per step over interleaved {hint, tuple} items that sit behind a slice
// header of their own; the tree was the largest user-space cost of a
// REPLACE on the server's profile. BenchmarkBPSTree measures this one;
// docs/BENCHMARKS.md has the engine benchmarks before and after the switch.
//
// Layout and invariants:
//
//   - A leaf holds 1..leafMax entries in increasing order, an inner node
//     2..innerMax children; an empty tree has no root. A split leaves at
//     least two entries (children) on each side; a node that a deletion
//     leaves below leafMin (innerMin) borrows from or merges with a
//     sibling, and a root inner node left with one child gives way to it.
//   - hints[i], ts[i] of an inner node, for i >= 1, is the separator of child i:
//     every entry under child i-1 is below it and every entry under child
//     i is at or above it. Slot 0 is unused by searches. A separator is a
//     copy of an entry that was the first of its subtree when the
//     separator was made; its tuple may since have left the tree, which
//     keeps the separator valid (tuples are immutable) and only keeps that
//     tuple's memory alive until the separator changes.
//   - All leaves are at depth height; kids of an inner node at height 1
//     are *bpsLeaf, higher up *bpsInner (unsafe.Pointer spares an
//     interface's dispatch and a word per child; the height says which).
//   - Copy-on-write: every node carries, as its first field, the
//     isolation id (cow) of the one tree that may modify it. Copy gives both trees fresh ids, so
//     each copies a shared node (and the path to it) before its first
//     write to it; a node reachable from a read view is never written.
//
// The tree is not safe for concurrent use, except that a Copy may be read
// from another goroutine while the original keeps changing.
type bpsTree struct {
	root unsafe.Pointer // nil when empty; *bpsLeaf when height is 0
	// height is the number of inner levels above the leaves.
	height         int
	count          int
	leaves, inners int
	cow            uint64

	cd *cmpDef
	// hash: hints are key hashes (HASH index), so unequal hints always
	// decide, hintNone included, and equal hints never prove equal keys.
	hash bool
	// exact: equal exact hints are equal keys (cmpDef.exact, TREE only).
	exact bool
	// wild: a TREE entry with hint hintNone was ever inserted, so hints
	// in nodes (separators included) may be out of order; search then
	// compares such entries in full.
	wild bool
}

const (
	// leafMax and innerMax make a leaf 512 bytes and an inner node 1024,
	// whole Go size classes.
	leafMax  = 31
	innerMax = 42
	leafMin  = leafMax / 3
	innerMin = innerMax / 3
	// maxHeight bounds the inner levels: with innerMin children per inner
	// node and leafMin entries per leaf, 12 levels hold more than 10^14
	// entries.
	maxHeight = 12
)

type bpsLeaf struct {
	cow   uint64
	n     int
	hints [leafMax]uint64
	ts    [leafMax]*Tuple
}

type bpsInner struct {
	cow   uint64
	n     int // children
	hints [innerMax]uint64
	ts    [innerMax]*Tuple
	kids  [innerMax]unsafe.Pointer
}

// Sizes for Bsize: what the Go allocator hands out per node.
const (
	leafBytes  = int(unsafe.Sizeof(bpsLeaf{}))
	innerBytes = int(unsafe.Sizeof(bpsInner{}))
)

// cowIDs hands out isolation ids; atomic because trees of unrelated spaces
// (in tests, in parallel) draw from it.
var cowIDs atomic.Uint64

func newBPSTree(cd *cmpDef, hash bool) *bpsTree {
	return &bpsTree{cd: cd, hash: hash, exact: cd.exact && !hash, cow: cowIDs.Add(1)}
}

// Len returns the number of entries.
func (t *bpsTree) Len() int { return t.count }

// Bsize returns the bytes of the tree's nodes.
func (t *bpsTree) Bsize() int { return t.leaves*leafBytes + t.inners*innerBytes }

// Copy returns a copy sharing every node with t; both copy a node before
// writing it.
func (t *bpsTree) Copy() *bpsTree {
	c := *t
	t.cow = cowIDs.Add(1)
	c.cow = cowIDs.Add(1)
	return &c
}

// compare is the three-way order of entries (a's hint and tuple against
// b's): by hint when the hints decide, else by the full cmp_def.
func (t *bpsTree) compare(ah uint64, at *Tuple, bh uint64, bt *Tuple) int {
	if ah != bh {
		if t.hash || (ah != hintNone && bh != hintNone) {
			if ah < bh {
				return -1
			}
			return 1
		}
	} else if t.exact && exactHint(ah) {
		return 0
	}
	return t.cd.compare(at, bt)
}

// search returns the first position in hs/ts whose entry is not below
// (kh, kt), and whether the entry there equals it. While the hints of the
// tree are all ordered (no hintNone in a TREE index) it is a branch-free
// binary search over the hints, then a search among the entries whose
// hint ties with kh (at most one and no tuple read for exact hints).
func (t *bpsTree) search(hs []uint64, ts []*Tuple, kh uint64, kt *Tuple) (int, bool) {
	if !t.hash && (t.wild || kh == hintNone) {
		return t.searchWild(hs, ts, kh, kt, 0, len(hs))
	}
	lo := lowerHint(hs, kh)
	if lo == len(hs) || hs[lo] != kh {
		return lo, false
	}
	if t.exact && exactHint(kh) {
		return lo, true
	}
	hi := lo + 1
	for hi < len(hs) && hs[hi] == kh {
		hi++
	}
	return t.searchWild(hs, ts, kh, kt, lo, hi)
}

// lowerHint returns the first position whose hint is not below k in
// sorted hints. The loop's only branch is its count, which depends on
// len(hs) alone, so random keys cost no mispredictions.
func lowerHint(hs []uint64, k uint64) int {
	n := len(hs)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		// borrow is 1 when hs[base+half] < k: the subtraction's carry
		// flag, turned into a mask without a branch (the compiler makes
		// no conditional move of an if here).
		_, borrow := bits.Sub64(hs[base+half], k, 0)
		base += half & -int(borrow)
		n -= half
	}
	if hs[base] < k {
		base++
	}
	return base
}

// searchWild is search over hs[lo:hi] for hints that may not be ordered
// (hintNone is a wildcard in a TREE index) or that tie: hints that
// decide are compared in the loop, the rest call compare.
func (t *bpsTree) searchWild(hs []uint64, ts []*Tuple, kh uint64, kt *Tuple, lo, hi int) (int, bool) {
	ts = ts[:len(hs)]
	found := false
	decides := t.hash || kh != hintNone
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		h := hs[m]
		if h != kh && decides && (h != hintNone || t.hash) {
			if h < kh {
				lo = m + 1
			} else {
				hi = m
			}
			continue
		}
		c := t.compare(h, ts[m], kh, kt)
		if c < 0 {
			lo = m + 1
		} else {
			hi = m
			found = c == 0
		}
	}
	return lo, found
}

// route returns the child of inner node n whose subtree holds (kh, kt)
// or, for an absent entry, the first entry above it (unless that is the
// first of the next subtree).
func (t *bpsTree) route(n *bpsInner, kh uint64, kt *Tuple) int {
	i, found := t.search(n.hints[1:n.n], n.ts[1:n.n], kh, kt)
	if found {
		return i + 1
	}
	return i
}

// Get returns the entry equal to e.
func (t *bpsTree) Get(e indexEntry) (indexEntry, bool) {
	p := t.root
	if p == nil {
		return indexEntry{}, false
	}
	for h := t.height; h > 0; h-- {
		n := (*bpsInner)(p)
		p = n.kids[t.route(n, e.hint, e.t)]
	}
	l := (*bpsLeaf)(p)
	i, found := t.search(l.hints[:l.n], l.ts[:l.n], e.hint, e.t)
	if !found {
		return indexEntry{}, false
	}
	return indexEntry{hint: l.hints[i], t: l.ts[i]}, true
}

// pathStep is an inner node on the way down and the child taken.
type pathStep struct {
	n *bpsInner
	i int
}

// own returns the node in *slot, first copied into t if another tree may
// share it (its cow is not t's; cow is the first field of both node types).
func own[N bpsLeaf | bpsInner](t *bpsTree, slot *unsafe.Pointer) *N {
	n := (*N)(*slot)
	if *(*uint64)(*slot) != t.cow {
		c := new(N)
		*c = *n
		*(*uint64)(unsafe.Pointer(c)) = t.cow
		*slot = unsafe.Pointer(c)
		n = c
	}
	return n
}

func (t *bpsTree) newLeaf() *bpsLeaf {
	t.leaves++
	return &bpsLeaf{cow: t.cow}
}

func (t *bpsTree) newInner() *bpsInner {
	t.inners++
	return &bpsInner{cow: t.cow}
}

// descend walks from the root to the leaf where e belongs, owning every
// node on the way, and records the path.
func (t *bpsTree) descend(e indexEntry, path *[maxHeight]pathStep) *bpsLeaf {
	slot := &t.root
	for d := 0; d < t.height; d++ {
		n := own[bpsInner](t, slot)
		i := t.route(n, e.hint, e.t)
		path[d] = pathStep{n, i}
		slot = &n.kids[i]
	}
	return own[bpsLeaf](t, slot)
}

// Set inserts e, or replaces the entry equal to it and returns that.
func (t *bpsTree) Set(e indexEntry) (indexEntry, bool) {
	if e.hint == hintNone {
		t.wild = true
	}
	if t.root == nil {
		l := t.newLeaf()
		l.hints[0], l.ts[0], l.n = e.hint, e.t, 1
		t.root = unsafe.Pointer(l)
		t.count = 1
		return indexEntry{}, false
	}
	var path [maxHeight]pathStep
	l := t.descend(e, &path)
	i, found := t.search(l.hints[:l.n], l.ts[:l.n], e.hint, e.t)
	if found {
		prev := indexEntry{hint: l.hints[i], t: l.ts[i]}
		l.hints[i], l.ts[i] = e.hint, e.t
		return prev, true
	}
	t.insert(&path, l, i, e)
	return indexEntry{}, false
}

// insert puts e, absent from the tree, at position i of leaf l, the end
// of path (both owned by t), splitting l if it is full.
func (t *bpsTree) insert(path *[maxHeight]pathStep, l *bpsLeaf, i int, e indexEntry) {
	t.count++
	if l.n < leafMax {
		leafInsert(l, i, e)
		return
	}
	r := t.newLeaf()
	// The combined leafMax+1 entries split in halves, except that an
	// append to the tree's last leaf leaves two entries in the new leaf
	// and the rest behind: keys that arrive in order (a snapshot, a
	// sequence) fill leaves almost completely. A new node never has fewer
	// than two entries (children), so every inner node has a sibling to
	// rebalance with.
	keep := (leafMax + 1) / 2
	if i == leafMax && t.rightmost(path, t.height) {
		keep = leafMax - 1
	}
	if i < keep {
		moveLeaf(r, 0, l, keep-1, l.n)
		leafInsert(l, i, e)
	} else {
		moveLeaf(r, 0, l, keep, l.n)
		leafInsert(r, i-keep, e)
	}
	t.grow(path, r.hints[0], r.ts[0], unsafe.Pointer(r))
}

// Load is Set for entries expected in increasing order (bulk loads): an
// entry above the last one goes straight to the end of the last leaf,
// with no search on the way down.
func (t *bpsTree) Load(e indexEntry) (indexEntry, bool) {
	if t.root == nil || e.hint == hintNone {
		return t.Set(e)
	}
	var path [maxHeight]pathStep
	slot := &t.root
	for d := 0; d < t.height; d++ {
		n := own[bpsInner](t, slot)
		path[d] = pathStep{n, n.n - 1}
		slot = &n.kids[n.n-1]
	}
	l := own[bpsLeaf](t, slot)
	if t.compare(l.hints[l.n-1], l.ts[l.n-1], e.hint, e.t) >= 0 {
		return t.Set(e)
	}
	t.insert(&path, l, l.n, e)
	return indexEntry{}, false
}

// rightmost reports whether the path's first depth steps lead to the
// tree's last node at that depth.
func (t *bpsTree) rightmost(path *[maxHeight]pathStep, depth int) bool {
	for d := 0; d < depth; d++ {
		if path[d].i != path[d].n.n-1 {
			return false
		}
	}
	return true
}

// leafInsert puts e at position i of a leaf with room.
func leafInsert(l *bpsLeaf, i int, e indexEntry) {
	copy(l.hints[i+1:l.n+1], l.hints[i:l.n])
	copy(l.ts[i+1:l.n+1], l.ts[i:l.n])
	l.hints[i], l.ts[i] = e.hint, e.t
	l.n++
}

// moveLeaf moves src's entries [from, to) to dst at position at (which
// must be dst's end or have room behind it), shrinking src to from if to
// is its end.
func moveLeaf(dst *bpsLeaf, at int, src *bpsLeaf, from, to int) {
	k := to - from
	copy(dst.hints[at+k:dst.n+k], dst.hints[at:dst.n])
	copy(dst.ts[at+k:dst.n+k], dst.ts[at:dst.n])
	copy(dst.hints[at:at+k], src.hints[from:to])
	copy(dst.ts[at:at+k], src.ts[from:to])
	dst.n += k
	copy(src.hints[from:], src.hints[to:src.n])
	copy(src.ts[from:], src.ts[to:src.n])
	clear(src.ts[src.n-k : src.n])
	src.n -= k
}

// moveInner is moveLeaf for children and their separators.
func moveInner(dst *bpsInner, at int, src *bpsInner, from, to int) {
	k := to - from
	copy(dst.hints[at+k:dst.n+k], dst.hints[at:dst.n])
	copy(dst.ts[at+k:dst.n+k], dst.ts[at:dst.n])
	copy(dst.kids[at+k:dst.n+k], dst.kids[at:dst.n])
	copy(dst.hints[at:at+k], src.hints[from:to])
	copy(dst.ts[at:at+k], src.ts[from:to])
	copy(dst.kids[at:at+k], src.kids[from:to])
	dst.n += k
	copy(src.hints[from:], src.hints[to:src.n])
	copy(src.ts[from:], src.ts[to:src.n])
	copy(src.kids[from:], src.kids[to:src.n])
	clear(src.ts[src.n-k : src.n])
	clear(src.kids[src.n-k : src.n])
	src.n -= k
}

// innerInsert puts child c with separator (h, tu) at position i of an
// inner node with room.
func innerInsert(n *bpsInner, i int, h uint64, tu *Tuple, c unsafe.Pointer) {
	copy(n.hints[i+1:n.n+1], n.hints[i:n.n])
	copy(n.ts[i+1:n.n+1], n.ts[i:n.n])
	copy(n.kids[i+1:n.n+1], n.kids[i:n.n])
	n.hints[i], n.ts[i], n.kids[i] = h, tu, c
	n.n++
}

// grow inserts new node c, separated by (h, tu), right of the last node
// of path, splitting inner nodes upwards as needed.
func (t *bpsTree) grow(path *[maxHeight]pathStep, h uint64, tu *Tuple, c unsafe.Pointer) {
	for d := t.height - 1; d >= 0; d-- {
		n, i := path[d].n, path[d].i+1
		if n.n < innerMax {
			innerInsert(n, i, h, tu, c)
			return
		}
		r := t.newInner()
		keep := (innerMax + 1) / 2
		if i == innerMax && t.rightmost(path, d) {
			keep = innerMax - 1
		}
		if i < keep {
			moveInner(r, 0, n, keep-1, n.n)
			innerInsert(n, i, h, tu, c)
		} else {
			moveInner(r, 0, n, keep, n.n)
			innerInsert(r, i-keep, h, tu, c)
		}
		// r's first child's separator moves up; slot 0 keeps a copy that
		// searches never read.
		h, tu, c = r.hints[0], r.ts[0], unsafe.Pointer(r)
	}
	root := t.newInner()
	root.kids[0] = t.root
	root.hints[1], root.ts[1], root.kids[1] = h, tu, c
	root.n = 2
	t.root = unsafe.Pointer(root)
	t.height++
	if t.height > maxHeight {
		panic("memtx: B+tree height limit")
	}
}

// Delete removes the entry equal to e and returns it.
func (t *bpsTree) Delete(e indexEntry) (indexEntry, bool) {
	if t.root == nil {
		return indexEntry{}, false
	}
	// One descent, owning the path as it goes: deleting an absent entry
	// while a read view is open copies a few nodes for nothing, which is
	// cheaper than a second descent on every delete.
	var path [maxHeight]pathStep
	l := t.descend(e, &path)
	i, found := t.search(l.hints[:l.n], l.ts[:l.n], e.hint, e.t)
	if !found {
		return indexEntry{}, false
	}
	old := indexEntry{hint: l.hints[i], t: l.ts[i]}
	copy(l.hints[i:], l.hints[i+1:l.n])
	copy(l.ts[i:], l.ts[i+1:l.n])
	l.n--
	l.ts[l.n] = nil
	t.count--
	if t.height == 0 {
		if l.n == 0 {
			t.root = nil
			t.leaves--
		}
		return old, true
	}
	if l.n < leafMin {
		t.rebalance(&path)
	}
	return old, true
}

// rebalance refills the underfull last node of path (a leaf, then inner
// nodes on the way up) from a sibling, or merges the two.
func (t *bpsTree) rebalance(path *[maxHeight]pathStep) {
	for d := t.height - 1; d >= 0; d-- {
		p, ci := path[d].n, path[d].i
		li := ci - 1 // the pair is (li, li+1)
		if ci == 0 {
			li = 0
		}
		// Merged, right is gone; evened out, right's first entry
		// changed and becomes its separator in p.
		var merged bool
		var first uint64
		var firstT *Tuple
		if d == t.height-1 {
			left, right := own[bpsLeaf](t, &p.kids[li]), own[bpsLeaf](t, &p.kids[li+1])
			if merged = balancePair(left, right, left.n, right.n, leafMax, moveLeaf); merged {
				t.leaves--
			}
			first, firstT = right.hints[0], right.ts[0]
		} else {
			left, right := own[bpsInner](t, &p.kids[li]), own[bpsInner](t, &p.kids[li+1])
			// The parent's separator of right becomes the separator of
			// right's first child while the two nodes exchange children.
			right.hints[0], right.ts[0] = p.hints[li+1], p.ts[li+1]
			if merged = balancePair(left, right, left.n, right.n, innerMax, moveInner); merged {
				t.inners--
			}
			first, firstT = right.hints[0], right.ts[0]
		}
		if merged {
			innerRemove(p, li+1)
		} else {
			p.hints[li+1], p.ts[li+1] = first, firstT
		}
		if d == 0 {
			if p.n == 1 { // only the root may get down to one child
				t.root = p.kids[0]
				t.height--
				t.inners--
			}
			return
		}
		if p.n >= innerMin {
			return
		}
	}
}

// balancePair moves all of right into left when the two fit in max
// entries (and reports true), else evens their sizes out; move is
// moveLeaf or moveInner, ln and rn the nodes' sizes.
func balancePair[N any](left, right *N, ln, rn, max int, move func(dst *N, at int, src *N, from, to int)) bool {
	switch {
	case ln+rn <= max:
		move(left, ln, right, 0, rn)
		return true
	case ln < rn:
		move(left, ln, right, 0, (rn-ln)/2)
	default:
		move(right, 0, left, ln-(ln-rn)/2, ln)
	}
	return false
}

// innerRemove drops child i (i >= 1) and its separator.
func innerRemove(n *bpsInner, i int) {
	copy(n.hints[i:], n.hints[i+1:n.n])
	copy(n.ts[i:], n.ts[i+1:n.n])
	copy(n.kids[i:], n.kids[i+1:n.n])
	n.n--
	n.ts[n.n], n.kids[n.n] = nil, nil
}

// Random returns an entry chosen by rnd as Tarantool's bps_tree_random
// does: at each level the child rnd modulo the node's size, rnd divided by
// that size for the next level.
func (t *bpsTree) Random(rnd uint64) (indexEntry, bool) {
	p := t.root
	if p == nil {
		return indexEntry{}, false
	}
	for h := t.height; h > 0; h-- {
		n := (*bpsInner)(p)
		p = n.kids[rnd%uint64(n.n)]
		rnd /= uint64(n.n)
	}
	l := (*bpsLeaf)(p)
	i := rnd % uint64(l.n)
	return indexEntry{hint: l.hints[i], t: l.ts[i]}, true
}

// Scan calls fn for every entry in order until fn returns false.
func (t *bpsTree) Scan(fn func(indexEntry) bool) {
	it := t.Iter()
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Item()) {
			return
		}
	}
}

// bpsIter walks a tree that does not change while it is used (callers
// re-seek after a change, see treeIterator).
type bpsIter struct {
	t    *bpsTree
	path [maxHeight]pathStep
	leaf *bpsLeaf
	i    int
}

// Iter returns an iterator over t, positioned nowhere.
func (t *bpsTree) Iter() bpsIter { return bpsIter{t: t} }

// Item returns the entry the iterator is on.
func (it *bpsIter) Item() indexEntry {
	return indexEntry{hint: it.leaf.hints[it.i], t: it.leaf.ts[it.i]}
}

// edge descends from p at depth d to its first (or last) leaf.
func (it *bpsIter) edge(p unsafe.Pointer, d int, last bool) {
	for ; d < it.t.height; d++ {
		n := (*bpsInner)(p)
		i := 0
		if last {
			i = n.n - 1
		}
		it.path[d] = pathStep{n, i}
		p = n.kids[i]
	}
	it.leaf = (*bpsLeaf)(p)
	it.i = 0
	if last {
		it.i = it.leaf.n - 1
	}
}

// First positions on the first entry.
func (it *bpsIter) First() bool {
	if it.t.root == nil {
		it.leaf = nil
		return false
	}
	it.edge(it.t.root, 0, false)
	return true
}

// Last positions on the last entry.
func (it *bpsIter) Last() bool {
	if it.t.root == nil {
		it.leaf = nil
		return false
	}
	it.edge(it.t.root, 0, true)
	return true
}

// Seek positions on the first entry not below e.
func (it *bpsIter) Seek(e indexEntry) bool {
	t := it.t
	if t.root == nil {
		it.leaf = nil
		return false
	}
	p := t.root
	for d := 0; d < t.height; d++ {
		n := (*bpsInner)(p)
		i := t.route(n, e.hint, e.t)
		it.path[d] = pathStep{n, i}
		p = n.kids[i]
	}
	it.leaf = (*bpsLeaf)(p)
	it.i, _ = t.search(it.leaf.hints[:it.leaf.n], it.leaf.ts[:it.leaf.n], e.hint, e.t)
	if it.i < it.leaf.n {
		return true
	}
	it.i--
	return it.Next()
}

// Next moves to the next entry; false (and nowhere) after the last.
func (it *bpsIter) Next() bool {
	if it.leaf == nil {
		return false
	}
	if it.i+1 < it.leaf.n {
		it.i++
		return true
	}
	for d := it.t.height - 1; d >= 0; d-- {
		s := &it.path[d]
		if s.i+1 < s.n.n {
			s.i++
			it.edge(s.n.kids[s.i], d+1, false)
			return true
		}
	}
	it.leaf = nil
	return false
}

// Prev moves to the previous entry; false (and nowhere) before the
// first.
func (it *bpsIter) Prev() bool {
	if it.leaf == nil {
		return false
	}
	if it.i > 0 {
		it.i--
		return true
	}
	for d := it.t.height - 1; d >= 0; d-- {
		s := &it.path[d]
		if s.i > 0 {
			s.i--
			it.edge(s.n.kids[s.i], d+1, true)
			return true
		}
	}
	it.leaf = nil
	return false
}
