package memtx

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The model: tuples {id unsigned, num number, str string, opt unsigned|nil}
// with a primary index on id and a non-unique secondary TREE index on
// (num, str, opt nullable). The model orders by plain Go comparisons of the
// decoded values, independent of the msgpack comparators under test.

type row struct {
	id  uint64
	num float64 // ints and halves in [-4, 4], exact in float64
	str string
	opt *uint64
}

func (r row) tuple(t testing.TB, asFloat bool) *Tuple {
	var num any
	if r.num == float64(int64(r.num)) && !asFloat {
		num = int64(r.num)
	} else {
		num = r.num
	}
	vals := []any{r.id, num, r.str}
	if r.opt != nil {
		vals = append(vals, *r.opt)
	} else if r.id%2 == 0 {
		vals = append(vals, nil) // explicit nil vs absent: both are nil
	}
	return mk(t, vals...)
}

// modelKey is a key prefix over (num, str, opt).
type modelKey struct {
	parts int
	num   float64
	str   string
	opt   *uint64
}

func (k modelKey) encode() []byte {
	vals := []any{k.num, k.str, nil}
	if k.opt != nil {
		vals[2] = *k.opt
	}
	if k.num == float64(int64(k.num)) {
		vals[0] = int64(k.num)
	}
	return key(vals[:k.parts]...)
}

func cmpOpt(a, b *uint64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	case *a < *b:
		return -1
	case *a > *b:
		return 1
	}
	return 0
}

// cmpPrefix compares a row's key with a key prefix.
func cmpPrefix(r row, k modelKey) int {
	if k.parts >= 1 {
		if r.num != k.num {
			if r.num < k.num {
				return -1
			}
			return 1
		}
	}
	if k.parts >= 2 {
		if c := strings.Compare(r.str, k.str); c != 0 {
			return c
		}
	}
	if k.parts >= 3 {
		return cmpOpt(r.opt, k.opt)
	}
	return 0
}

func cmpRows(a, b row) int {
	if c := cmpPrefix(a, modelKey{parts: 3, num: b.num, str: b.str, opt: b.opt}); c != 0 {
		return c
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

func modelIter(rows []row, typ IterType, k modelKey) []row {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, cmpRows)
	var out []row
	keep := func(r row) bool {
		c := cmpPrefix(r, k)
		switch typ {
		case IterEQ, IterREQ:
			return c == 0
		case IterALL, IterGE:
			return c >= 0
		case IterGT:
			return c > 0
		case IterLE:
			return c <= 0
		case IterLT:
			return c < 0
		}
		panic(typ)
	}
	for _, r := range sorted {
		if keep(r) {
			out = append(out, r)
		}
	}
	if typ.reverse() {
		slices.Reverse(out)
	}
	return out
}

var modelStrs = []string{"", "a", "ab", "b", "ba"}

func randRow(rng *rand.Rand, id uint64) row {
	r := row{id: id, num: float64(rng.IntN(17)-8) / 2, str: modelStrs[rng.IntN(len(modelStrs))]}
	if rng.IntN(3) > 0 {
		v := uint64(rng.IntN(4))
		r.opt = &v
	}
	return r
}

func randKey(rng *rand.Rand) modelKey {
	r := randRow(rng, 0)
	return modelKey{parts: rng.IntN(4), num: r.num, str: r.str, opt: r.opt}
}

func modelSpace(t testing.TB) *Space {
	s := NewSpace(600, "model")
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sk", false, part(1, FieldNumber), part(2, FieldString),
		KeyPart{FieldNo: 3, Type: FieldUnsigned, IsNullable: true}))
	mustOK(t, err)
	return s
}

func TestTreeIteratorsAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := modelSpace(t)
	rows := map[uint64]row{}
	for step := 0; step < 3000; step++ {
		id := uint64(rng.IntN(200))
		switch rng.IntN(4) {
		case 0:
			if r, ok := rows[id]; ok {
				if _, err := s.Replace(r.tuple(t, false), nil, DupReplaceOrInsert); err != nil {
					t.Fatal(err)
				}
				delete(rows, id)
			}
		default:
			r := randRow(rng, id)
			if _, err := s.Replace(nil, r.tuple(t, rng.IntN(2) == 0), DupReplaceOrInsert); err != nil {
				t.Fatal(err)
			}
			rows[id] = r
		}
		if step%10 != 0 {
			continue
		}
		all := make([]row, 0, len(rows))
		for _, r := range rows {
			all = append(all, r)
		}
		for q := 0; q < 5; q++ {
			typ := []IterType{IterEQ, IterREQ, IterALL, IterLT, IterLE, IterGE, IterGT}[rng.IntN(7)]
			k := randKey(rng)
			limit := 1 + rng.IntN(40)
			if rng.IntN(4) == 0 {
				limit = 1 << 30
			}
			it, err := s.Index(1).Iterator(typ, k.encode())
			mustOK(t, err)
			var got []uint64
			for len(got) < limit {
				tu := it.Next()
				if tu == nil {
					break
				}
				got = append(got, decode(tu)[0].(uint64))
			}
			wantRows := modelIter(all, typ, k)
			if k.parts == 0 {
				// An empty key means everything, in the type's direction.
				if typ.reverse() {
					wantRows = modelIter(all, IterLE, k)
				} else {
					wantRows = modelIter(all, IterGE, k)
				}
			}
			var want []uint64
			for _, r := range wantRows {
				if len(want) == limit {
					break
				}
				want = append(want, r.id)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: %v %s limit %d:\n got %v\nwant %v", step, typ, fmt.Sprint(k.encode()), limit, got, want)
			}
			if limit == 1<<30 {
				n, err := s.Index(1).Count(typ, k.encode())
				mustOK(t, err)
				if n != len(want) {
					t.Fatalf("Count(%v) = %d, want %d", typ, n, len(want))
				}
			}
		}
		if s.Len() != len(rows) || s.Index(1).Len() != len(rows) {
			t.Fatalf("len %d/%d, want %d", s.Len(), s.Index(1).Len(), len(rows))
		}
	}
}

// TestIteratorSurvivesModification deletes and inserts around an open
// iterator, in both directions, and checks that it continues strictly after
// the last tuple it returned and sees changes ahead of it.
func TestIteratorSurvivesModification(t *testing.T) {
	for _, typ := range []IterType{IterGE, IterLE} {
		s := NewSpace(601, "m")
		_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
		mustOK(t, err)
		for i := 0; i < 100; i += 2 {
			_, err := s.Replace(nil, mk(t, i), DupInsert)
			mustOK(t, err)
		}
		it, err := s.Primary().Iterator(typ, key())
		mustOK(t, err)
		var got []uint64
		for tu := it.Next(); tu != nil; tu = it.Next() {
			id := decode(tu)[0].(uint64)
			got = append(got, id)
			// Delete the current tuple and its successor, insert an
			// odd one just ahead, behind, and re-insert the current.
			_, err := s.Replace(tu, nil, DupReplaceOrInsert)
			mustOK(t, err)
			next := id + 2
			ahead := id + 1
			behind := id - 1
			if typ == IterLE {
				next, ahead, behind = id-2, id-1, id+1
			}
			if old, _ := s.Primary().Get(key(next)); old != nil && next%4 == 0 {
				_, err = s.Replace(old, nil, DupReplaceOrInsert)
				mustOK(t, err)
			}
			if id%10 == 0 && ahead < 100 {
				_, err = s.Replace(nil, mk(t, ahead), DupReplaceOrInsert)
				mustOK(t, err)
			}
			if behind < 100 {
				_, err = s.Replace(nil, mk(t, behind), DupReplaceOrInsert)
				mustOK(t, err)
			}
			_, err = s.Replace(nil, mk(t, id), DupReplaceOrInsert)
			mustOK(t, err)
			if len(got) > 1000 {
				t.Fatal("iterator does not terminate")
			}
		}
		for i := 1; i < len(got); i++ {
			if (typ == IterGE && got[i] <= got[i-1]) || (typ == IterLE && got[i] >= got[i-1]) {
				t.Fatalf("%v: not strictly monotonic at %d: %v", typ, i, got)
			}
		}
		seen := map[uint64]bool{}
		for _, v := range got {
			seen[v] = true
		}
		// Ids inserted just ahead of the iterator are visited.
		for _, id := range got {
			ahead := id + 1
			if typ == IterLE {
				ahead = id - 1
			}
			if id%10 == 0 && ahead < 100 && !seen[ahead] {
				t.Errorf("%v: %d inserted ahead of the iterator was not visited: %v", typ, ahead, got)
			}
		}
	}
}

func TestIteratorAfterTruncateAndDrop(t *testing.T) {
	s := unformattedSpace(t)
	for i := 0; i < 5; i++ {
		_, err := s.Replace(nil, mk(t, i, 0, fmt.Sprint(i)), DupInsert)
		mustOK(t, err)
	}
	it, err := s.Index(1).Iterator(IterALL, key())
	mustOK(t, err)
	if it.Next() == nil {
		t.Fatal("empty")
	}
	s.Truncate()
	if tu := it.Next(); tu != nil {
		t.Fatalf("after truncate: %v", decode(tu))
	}
	it, _ = s.Index(1).Iterator(IterALL, key())
	mustOK(t, s.DropIndex(1))
	if it.Next() != nil {
		t.Fatal("dropped empty index yields tuples")
	}
}

func TestMinMaxRandom(t *testing.T) {
	s := modelSpace(t)
	for i := 0; i < 20; i++ {
		_, err := s.Replace(nil, mk(t, i, i%5, "s"), DupInsert)
		mustOK(t, err)
	}
	sk := s.Index(1)
	lo, err := sk.Min(key(2))
	mustOK(t, err)
	hi, err := sk.Max(key(2))
	mustOK(t, err)
	if fmtV(decode(lo)) != "[2 2 s]" || fmtV(decode(hi)) != "[17 2 s]" {
		t.Fatalf("min %v max %v", decode(lo), decode(hi))
	}
	if m, _ := sk.Min(key(100)); m != nil {
		t.Fatal("min beyond the end")
	}
	seen := map[*Tuple]bool{}
	for seed := uint64(0); seed < 40; seed++ {
		seen[sk.Random(seed)] = true
	}
	if len(seen) != 20 {
		t.Fatalf("random visited %d tuples", len(seen))
	}
	if NewSpace(1, "e").Primary() != nil {
		t.Fatal("primary on an empty space")
	}
}

// TestPrimaryIteratorsAgainstModel iterates a one-part integer primary key
// (the commonest index, whose hints order every pair of distinct keys)
// from every key in and around the stored ones, each iterator type against
// a sorted model.
func TestPrimaryIteratorsAgainstModel(t *testing.T) {
	for _, typ := range []FieldType{FieldUnsigned, FieldInteger} {
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(typ)))
			s := NewSpace(612, "pk")
			_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, typ)))
			mustOK(t, err)
			var ids []int64
			for id := int64(0); id < 60; id++ {
				if rng.IntN(2) == 0 {
					continue
				}
				v := id
				if typ == FieldInteger {
					v -= 30
				}
				ids = append(ids, v)
				_, err := s.Replace(nil, mk(t, v, "x"), DupInsert)
				mustOK(t, err)
			}
			lo, hi := int64(-1), int64(61)
			if typ == FieldInteger {
				lo, hi = -31, 31
			}
			for k := lo; k <= hi; k++ {
				if typ == FieldUnsigned && k < 0 {
					continue
				}
				for _, it := range []IterType{IterEQ, IterREQ, IterGE, IterGT, IterLE, IterLT} {
					var want []int64
					for _, v := range ids {
						if it == IterEQ || it == IterREQ {
							if v == k {
								want = append(want, v)
							}
						} else if (it == IterGE && v >= k) || (it == IterGT && v > k) {
							want = append(want, v)
						}
					}
					for i := len(ids) - 1; i >= 0; i-- {
						if v := ids[i]; (it == IterLE && v <= k) || (it == IterLT && v < k) {
							want = append(want, v)
						}
					}
					iter, err := s.Primary().Iterator(it, key(k))
					mustOK(t, err)
					var got []int64
					for tu := iter.Next(); tu != nil; tu = iter.Next() {
						got = append(got, toInt64(decode(tu)[0]))
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("%v %d: got %v, want %v", it, k, got, want)
					}
				}
			}
		})
	}
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case uint64:
		return int64(x)
	case int64:
		return x
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// TestExactHintsAgainstModel: a one-part unsigned or integer key is
// hinted exactly (exactIntHint), and the bounds of seeks sit on the odd
// hints beside an integer. Keys on and around every place the hint
// layout changes - the clamp at ±2^59, the old clamp at ±2^60, the ends
// of int64 and uint64 - are stored at random, and every lookup, every
// iterator from each of them and their neighbours, and a duplicate
// insert of each stored key are checked against a sorted model.
func TestExactHintsAgainstModel(t *testing.T) {
	var cands []*big.Int
	add := func(base *big.Int, spread int64) {
		for d := -spread; d <= spread; d++ {
			cands = append(cands, new(big.Int).Add(base, big.NewInt(d)))
		}
	}
	pow := func(e uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), e) }
	neg := func(x *big.Int) *big.Int { return new(big.Int).Neg(x) }
	add(big.NewInt(0), 3)
	for _, e := range []uint{59, 60, 63} {
		add(pow(e), 3)
		add(neg(pow(e)), 3)
	}
	add(new(big.Int).SetUint64(math.MaxUint64), 0)
	add(new(big.Int).SetUint64(math.MaxUint64-1), 0)
	minU, maxU := big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)
	minI := big.NewInt(math.MinInt64)
	toAny := func(x *big.Int) any {
		if x.Sign() < 0 {
			return x.Int64()
		}
		return x.Uint64()
	}
	toBig := func(v any) *big.Int {
		switch x := v.(type) {
		case uint64:
			return new(big.Int).SetUint64(x)
		case int64:
			return big.NewInt(x)
		}
		panic(fmt.Sprintf("not an integer: %T", v))
	}
	for _, typ := range []FieldType{FieldUnsigned, FieldInteger} {
		t.Run(typ.String(), func(t *testing.T) {
			lo := minU
			if typ == FieldInteger {
				lo = minI
			}
			var universe []*big.Int
			for _, c := range cands {
				if c.Cmp(lo) >= 0 && c.Cmp(maxU) <= 0 {
					universe = append(universe, c)
				}
			}
			slices.SortFunc(universe, func(a, b *big.Int) int { return a.Cmp(b) })
			universe = slices.CompactFunc(universe, func(a, b *big.Int) bool { return a.Cmp(b) == 0 })
			rng := rand.New(rand.NewPCG(7, uint64(typ)))
			s := NewSpace(613, "exact")
			_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, typ)))
			mustOK(t, err)
			if !s.Primary().cmp.exact {
				t.Fatal("a one-part integer key is not hinted exactly")
			}
			var stored []*big.Int
			for _, k := range universe {
				if rng.IntN(2) == 0 {
					continue
				}
				stored = append(stored, k)
				_, err := s.Replace(nil, mk(t, toAny(k), "x"), DupInsert)
				mustOK(t, err)
			}
			for _, k := range stored {
				if _, err := s.Replace(nil, mk(t, toAny(k), "again"), DupInsert); err == nil {
					t.Fatalf("a second %v was inserted", k)
				}
			}
			if s.Len() != len(stored) {
				t.Fatalf("%d tuples for %d keys", s.Len(), len(stored))
			}
			for _, k := range universe {
				got, err := s.Primary().Get(key(toAny(k)))
				mustOK(t, err)
				found := slices.ContainsFunc(stored, func(x *big.Int) bool { return x.Cmp(k) == 0 })
				if (got != nil) != found || (got != nil && toBig(decode(got)[0]).Cmp(k) != 0) {
					t.Fatalf("Get(%v) = %v, stored: %v", k, decode(got), found)
				}
				for _, it := range []IterType{IterEQ, IterREQ, IterGE, IterGT, IterLE, IterLT} {
					var want []string
					for _, v := range stored {
						c := v.Cmp(k)
						if ((it == IterEQ || it == IterREQ) && c == 0) || (it == IterGE && c >= 0) || (it == IterGT && c > 0) {
							want = append(want, v.String())
						}
					}
					for i := len(stored) - 1; i >= 0; i-- {
						if c := stored[i].Cmp(k); (it == IterLE && c <= 0) || (it == IterLT && c < 0) {
							want = append(want, stored[i].String())
						}
					}
					iter, err := s.Primary().Iterator(it, key(toAny(k)))
					mustOK(t, err)
					var got []string
					for tu := iter.Next(); tu != nil; tu = iter.Next() {
						got = append(got, toBig(decode(tu)[0]).String())
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("%v %v: got %v, want %v", it, k, got, want)
					}
				}
			}
		})
	}
}
