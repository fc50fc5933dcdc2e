package memtx

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// bpsCase is one way of ordering entries: how a key becomes a tuple and a
// hint, and the order the tree must produce.
type bpsCase struct {
	name string
	tree func(t *testing.T) *bpsTree
	// entry builds the entry of integer key k. Keys are compared as
	// integers (and, for hash, by hint first).
	entry func(t *testing.T, k int) indexEntry
	hash  bool
}

func bpsCases() []bpsCase {
	uintDef := func(t *testing.T) *cmpDef {
		cd, err := newCmpDef([]KeyPart{part(0, FieldUnsigned)}, 1, true)
		mustOK(t, err)
		return cd
	}
	return []bpsCase{{
		// Exact hints: equal hints are equal keys, no tuple is read.
		name: "exact",
		tree: func(t *testing.T) *bpsTree { return newBPSTree(uintDef(t), false) },
		entry: func(t *testing.T, k int) indexEntry {
			return indexEntry{hint: exactUintHint(uint64(k)), t: mk(t, k)}
		},
	}, {
		// Coarse hints (k/16) with every fifth entry hintNone: most steps
		// tie or meet a wildcard and compare tuples.
		name: "coarse",
		tree: func(t *testing.T) *bpsTree {
			tr := newBPSTree(uintDef(t), false)
			tr.exact = false
			return tr
		},
		entry: func(t *testing.T, k int) indexEntry {
			h := uint64(k / 16)
			if k%5 == 0 {
				h = hintNone
			}
			return indexEntry{hint: h, t: mk(t, k)}
		},
	}, {
		// Hints that tie in runs of 16 but are all ordered: the search
		// over hints, then among the tied entries.
		name: "ties",
		tree: func(t *testing.T) *bpsTree {
			tr := newBPSTree(uintDef(t), false)
			tr.exact = false
			return tr
		},
		entry: func(t *testing.T, k int) indexEntry {
			return indexEntry{hint: uint64(k / 16), t: mk(t, k)}
		},
	}, {
		// Hash order: hint (a "hash" with many collisions and hintNone
		// as an ordinary value) first, then the key.
		name: "hash",
		tree: func(t *testing.T) *bpsTree { return newBPSTree(uintDef(t), true) },
		entry: func(t *testing.T, k int) indexEntry {
			h := uint64(k*7919) % 13
			if h == 12 {
				h = hintNone
			}
			return indexEntry{hint: h, t: mk(t, k)}
		},
		hash: true,
	}}
}

// bpsModel is the reference: the keys in the tree, sorted in the case's
// order.
type bpsModel struct {
	c    bpsCase
	keys []int
	// hints caches each key's hint for ordering the model.
	hints map[int]uint64
}

func newBPSModel(c bpsCase) *bpsModel { return &bpsModel{c: c, hints: map[int]uint64{}} }

// entry returns the entry of key k the test uses (made on first use and
// kept in entries), noting its hint for the model's order.
func (m *bpsModel) entry(t *testing.T, entries map[int]indexEntry, k int) indexEntry {
	e, ok := entries[k]
	if !ok {
		e = m.c.entry(t, k)
		entries[k] = e
		m.hints[k] = e.hint
	}
	return e
}

func (m *bpsModel) less(a, b int) int {
	if m.c.hash && m.hints[a] != m.hints[b] {
		if m.hints[a] < m.hints[b] {
			return -1
		}
		return 1
	}
	return a - b
}

func (m *bpsModel) find(k int) (int, bool) {
	return slices.BinarySearchFunc(m.keys, k, m.less)
}

func (m *bpsModel) set(k int) bool {
	i, ok := m.find(k)
	if !ok {
		m.keys = slices.Insert(m.keys, i, k)
	}
	return ok
}

func (m *bpsModel) del(k int) bool {
	i, ok := m.find(k)
	if ok {
		m.keys = slices.Delete(m.keys, i, i+1)
	}
	return ok
}

func keyOf(t *testing.T, e indexEntry) int {
	t.Helper()
	v := decode(e.t)
	return int(v[0].(uint64))
}

// checkBPSTree verifies the structural invariants and that the tree holds
// exactly want, in order.
func checkBPSTree(t *testing.T, tr *bpsTree, want []int) {
	t.Helper()
	var got []int
	leaves, inners := 0, 0
	var walk func(p unsafe.Pointer, h int, lo, hi *indexEntry, root bool)
	walk = func(p unsafe.Pointer, h int, lo, hi *indexEntry, root bool) {
		if h == 0 {
			l := (*bpsLeaf)(p)
			leaves++
			if l.n < 1 || l.n > leafMax {
				t.Fatalf("leaf with %d entries", l.n)
			}
			for i := 0; i < l.n; i++ {
				e := indexEntry{l.hints[i], l.ts[i]}
				if lo != nil && tr.compare(e.hint, e.t, lo.hint, lo.t) < 0 {
					t.Fatalf("entry %d below its separator", keyOf(t, e))
				}
				if hi != nil && tr.compare(e.hint, e.t, hi.hint, hi.t) >= 0 {
					t.Fatalf("entry %d not below the next separator", keyOf(t, e))
				}
				if i > 0 && tr.compare(l.hints[i-1], l.ts[i-1], e.hint, e.t) >= 0 {
					t.Fatalf("leaf out of order at %d", keyOf(t, e))
				}
				got = append(got, keyOf(t, e))
			}
			for i := l.n; i < leafMax; i++ {
				if l.ts[i] != nil {
					t.Fatal("stale tuple pointer past a leaf's end")
				}
			}
			return
		}
		n := (*bpsInner)(p)
		inners++
		if n.n < 2 || n.n > innerMax {
			t.Fatalf("inner node with %d children (root %v)", n.n, root)
		}
		for i := 0; i < n.n; i++ {
			clo, chi := lo, hi
			if i > 0 {
				clo = &indexEntry{n.hints[i], n.ts[i]}
			}
			if i+1 < n.n {
				chi = &indexEntry{n.hints[i+1], n.ts[i+1]}
			}
			walk(n.kids[i], h-1, clo, chi, false)
		}
		for i := n.n; i < innerMax; i++ {
			if n.kids[i] != nil || n.ts[i] != nil {
				t.Fatal("stale pointer past an inner node's end")
			}
		}
	}
	if tr.root != nil {
		walk(tr.root, tr.height, nil, nil, true)
	} else if tr.height != 0 {
		t.Fatal("empty tree with height")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys %v..., want %d %v...", len(got), head(got), len(want), head(want))
	}
	if tr.Len() != len(want) {
		t.Fatalf("Len %d, want %d", tr.Len(), len(want))
	}
	if leaves != tr.leaves || inners != tr.inners {
		t.Fatalf("node counts %d/%d, tree says %d/%d", leaves, inners, tr.leaves, tr.inners)
	}
}

func head(s []int) []int { return s[:min(len(s), 10)] }

// TestBPSTreeAgainstModel runs random inserts, replaces and deletes
// (biased to grow, then to shrink, so the tree gains and loses levels)
// with lookups, seeks, walks and read views, checking everything against
// a sorted slice.
func TestBPSTreeAgainstModel(t *testing.T) {
	for _, c := range bpsCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			tr, m, entries := c.tree(t), newBPSModel(c), map[int]indexEntry{}
			entry := func(k int) indexEntry { return m.entry(t, entries, k) }
			type view struct {
				tr   *bpsTree
				keys []int
			}
			var views []view
			const keySpace = 6000 // even keys are stored; odd ones seek between
			for step := 0; step < 40000; step++ {
				grow := step < 20000
				k := 2 * rng.IntN(keySpace/2)
				switch r := rng.IntN(100); {
				case r < 55 && grow || r < 30:
					e := entry(k)
					// A fresh tuple with the same key replaces the old one.
					fresh := c.entry(t, k)
					existed := m.set(k)
					prev, replaced := tr.Set(fresh)
					if replaced != existed || replaced && prev.t != e.t {
						t.Fatalf("step %d: Set(%d) replaced=%v, model %v", step, k, replaced, existed)
					}
					entries[k] = fresh
				case r < 90:
					e := entry(k)
					existed := m.del(k)
					old, ok := tr.Delete(e)
					if ok != existed || ok && old.t != e.t {
						t.Fatalf("step %d: Delete(%d) = %v, model %v", step, k, ok, existed)
					}
				case r < 97:
					e := entry(k)
					_, want := m.find(k)
					got, ok := tr.Get(e)
					if ok != want || ok && got.t != e.t {
						t.Fatalf("step %d: Get(%d) = %v, model %v", step, k, ok, want)
					}
					checkSeek(t, tr, m, entry(k+1), k+1, 40)
				case r < 98 && len(views) < 4:
					views = append(views, view{tr.Copy(), slices.Clone(m.keys)})
				default:
					e, ok := tr.Random(rng.Uint64())
					if ok != (len(m.keys) > 0) {
						t.Fatalf("Random on %d keys: %v", len(m.keys), ok)
					}
					if ok {
						if _, in := m.find(keyOf(t, e)); !in {
							t.Fatalf("Random returned absent %d", keyOf(t, e))
						}
					}
				}
				if step%2000 == 0 || step == 39999 {
					checkBPSTree(t, tr, m.keys)
					checkWalk(t, tr, m.keys)
					for _, v := range views {
						checkBPSTree(t, v.tr, v.keys)
					}
					if len(views) > 0 && rng.IntN(2) == 0 {
						views = views[1:]
					}
				}
			}
			if tr.height != 0 && len(m.keys) < leafMin {
				t.Fatalf("height %d with %d keys", tr.height, len(m.keys))
			}
		})
	}
}

// checkSeek seeks at a key between stored ones and checks a few steps in
// both directions against the model.
func checkSeek(t *testing.T, tr *bpsTree, m *bpsModel, e indexEntry, k, steps int) {
	t.Helper()
	i, _ := slices.BinarySearchFunc(m.keys, k, m.less)
	it := tr.Iter()
	ok := it.Seek(e)
	if ok != (i < len(m.keys)) {
		t.Fatalf("Seek(%d) = %v, model position %d of %d", k, ok, i, len(m.keys))
	}
	if !ok {
		return
	}
	for j := i; j < min(i+steps, len(m.keys)); j++ {
		if got := keyOf(t, it.Item()); got != m.keys[j] {
			t.Fatalf("Seek(%d)+%d: %d, want %d", k, j-i, got, m.keys[j])
		}
		if !it.Next() {
			if j != len(m.keys)-1 {
				t.Fatalf("Next ended at %d of %d", j, len(m.keys))
			}
			return
		}
	}
	it.Seek(e)
	for j := i - 1; j >= max(i-steps, 0); j-- {
		if !it.Prev() {
			t.Fatalf("Prev ended at %d", j)
		}
		if got := keyOf(t, it.Item()); got != m.keys[j] {
			t.Fatalf("Seek(%d)-%d: %d, want %d", k, i-j, got, m.keys[j])
		}
	}
}

// checkWalk compares full forward and backward walks with the model.
func checkWalk(t *testing.T, tr *bpsTree, want []int) {
	t.Helper()
	var fwd, back []int
	it := tr.Iter()
	for ok := it.First(); ok; ok = it.Next() {
		fwd = append(fwd, keyOf(t, it.Item()))
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		back = append(back, keyOf(t, it.Item()))
	}
	slices.Reverse(back)
	if !slices.Equal(fwd, want) || !slices.Equal(back, want) {
		t.Fatalf("walks: %d forward, %d backward, want %d", len(fwd), len(back), len(want))
	}
	var scan []int
	tr.Scan(func(e indexEntry) bool { scan = append(scan, keyOf(t, e)); return len(scan) < 100 })
	if !slices.Equal(scan, want[:min(100, len(want))]) {
		t.Fatal("Scan differs or did not stop")
	}
}

// TestBPSTreeSequential loads keys in order (a snapshot's load), checks
// the leaves come out nearly full, then deletes every key in a random
// order down to an empty tree, with a read view of the full tree that
// must not change.
func TestBPSTreeSequential(t *testing.T) {
	c := bpsCases()[0]
	tr := c.tree(t)
	const n = 100000
	keys := make([]int, n)
	es := make([]indexEntry, n)
	for i := range keys {
		keys[i] = i
		es[i] = c.entry(t, i)
		if _, replaced := tr.Load(es[i]); replaced {
			t.Fatal("Load replaced")
		}
	}
	// Out of order, Load is Set: it finds and replaces.
	if prev, replaced := tr.Load(es[500]); !replaced || prev.t != es[500].t {
		t.Fatal("Load of a present key did not replace it")
	}
	checkBPSTree(t, tr, keys)
	// An append split leaves leafMax-1 entries behind.
	if want := (n + leafMax - 2) / (leafMax - 1); tr.leaves != want {
		t.Fatalf("%d leaves for %d ordered keys, want %d", tr.leaves, n, want)
	}
	if tr.height < 3 {
		t.Fatalf("height %d", tr.height)
	}
	view := tr.Copy()
	rng := rand.New(rand.NewPCG(7, 7))
	order := rng.Perm(n)
	left := map[int]bool{}
	for _, k := range keys {
		left[k] = true
	}
	for i, k := range order {
		if _, ok := tr.Delete(es[k]); !ok {
			t.Fatalf("Delete(%d) missed", k)
		}
		delete(left, k)
		if i%20000 == 0 || len(left) < 100 {
			rest := make([]int, 0, len(left))
			for k := range left {
				rest = append(rest, k)
			}
			slices.Sort(rest)
			checkBPSTree(t, tr, rest)
		}
	}
	if tr.root != nil || tr.leaves != 0 || tr.inners != 0 {
		t.Fatalf("emptied tree: root %v, %d leaves, %d inners", tr.root != nil, tr.leaves, tr.inners)
	}
	checkBPSTree(t, view, keys)
}

// TestBPSTreeRandomMatchesTarantool: Random descends by rnd modulo each
// node's size, as bps_tree_random, so on one leaf it is rnd mod n.
func TestBPSTreeRandomMatchesTarantool(t *testing.T) {
	c := bpsCases()[0]
	tr := c.tree(t)
	for k := 0; k < 20; k++ {
		tr.Set(c.entry(t, k))
	}
	for rnd := uint64(0); rnd < 60; rnd++ {
		e, _ := tr.Random(rnd)
		if got := keyOf(t, e); got != int(rnd%20) {
			t.Fatalf("Random(%d) = %d", rnd, got)
		}
	}
}

func BenchmarkBPSTree(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			cd, _ := newCmpDef([]KeyPart{part(0, FieldUnsigned)}, 1, true)
			tr := newBPSTree(cd, false)
			es := make([]indexEntry, n)
			for i := range es {
				es[i] = indexEntry{hint: exactUintHint(uint64(i)), t: mk(b, i)}
				tr.Load(es[i])
			}
			rng := rand.New(rand.NewPCG(1, 2))
			probe := make([]int, 1<<16)
			for i := range probe {
				probe[i] = rng.IntN(n)
			}
			b.Run("get", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, ok := tr.Get(es[probe[i&(len(probe)-1)]]); !ok {
						b.Fatal("miss")
					}
				}
			})
			b.Run("set", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					tr.Set(es[probe[i&(len(probe)-1)]])
				}
			})
			b.Run("delete+set", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					e := es[probe[i&(len(probe)-1)]]
					tr.Delete(e)
					tr.Set(e)
				}
			})
		})
	}
}

// FuzzBPSTree runs the operations a byte string spells (one op byte and
// a 12-bit key per three bytes) on each entry order and checks the tree
// against the model after every input.
func FuzzBPSTree(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 2, 1, 0, 1})
	seq := make([]byte, 0, 3*300)
	for k := 0; k < 300; k++ {
		seq = append(seq, 0, byte(k>>8), byte(k))
	}
	for k := 0; k < 300; k += 2 {
		seq = append(seq, 1, byte(k>>8), byte(k))
	}
	f.Add(seq)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 3*1000 {
			return
		}
		for _, c := range bpsCases() {
			tr, m, entries := c.tree(t), newBPSModel(c), map[int]indexEntry{}
			entry := func(k int) indexEntry { return m.entry(t, entries, k) }
			var view *bpsTree
			var viewKeys []int
			for i := 0; i+2 < len(data); i += 3 {
				k := 2 * (int(data[i+1])<<8 | int(data[i+2])) & 0x1ffe
				switch data[i] % 5 {
				case 0:
					if _, replaced := tr.Set(entry(k)); replaced != m.set(k) {
						t.Fatalf("Set(%d) replaced=%v", k, replaced)
					}
				case 1:
					if _, ok := tr.Delete(entry(k)); ok != m.del(k) {
						t.Fatalf("Delete(%d) = %v", k, ok)
					}
				case 2:
					if _, ok := tr.Load(entry(k)); ok != m.set(k) {
						t.Fatalf("Load(%d) replaced=%v", k, ok)
					}
				case 3:
					checkSeek(t, tr, m, entry(k+1), k+1, 3)
				default:
					view, viewKeys = tr.Copy(), slices.Clone(m.keys)
				}
			}
			checkBPSTree(t, tr, m.keys)
			checkWalk(t, tr, m.keys)
			if view != nil {
				checkBPSTree(t, view, viewKeys)
			}
		}
	})
}
