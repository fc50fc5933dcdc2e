package box

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// randomValue builds a random msgpack value of a random type.
func randomValue(rng *rand.Rand, depth int) any {
	switch rng.Intn(9) {
	case 0:
		return nil
	case 1:
		return rng.Intn(2) == 0
	case 2:
		return uint64(rng.Intn(5))
	case 3:
		return int64(-rng.Intn(5))
	case 4:
		return rng.Float64()
	case 5:
		return string(rune('a' + rng.Intn(5)))
	case 6:
		return []byte{byte(rng.Intn(3))}
	case 7:
		if depth < 2 {
			n := rng.Intn(4)
			a := make([]any, n)
			for i := range a {
				a[i] = randomValue(rng, depth+1)
			}
			return a
		}
	}
	return map[string]any{"k": uint64(rng.Intn(3))}
}

func randomArray(rng *rand.Rand, n int) []byte {
	a := make([]any, n)
	for i := range a {
		a[i] = randomValue(rng, 1)
	}
	return msgpack.MustAppend(nil, a)
}

func randomOps(rng *rand.Rand) []byte {
	ops := make([]any, rng.Intn(3))
	for i := range ops {
		op := []string{"=", "+", "-", "#", "!", ":", "&", "x"}[rng.Intn(8)]
		ops[i] = []any{op, int64(rng.Intn(5) - 1), randomValue(rng, 1)}
	}
	return msgpack.MustAppend(nil, ops)
}

// FuzzExecute throws random requests (random tuples, keys and ops) at a
// small schema with a format, a hash and a nullable tree index: no panic,
// every error a *boxerr.Error, and a rollback of the whole transaction
// afterwards restores the state.
func FuzzExecute(f *testing.F) {
	f.Add(int64(1), []byte{0x93, 0x01, 0xa1, 0x61, 0x02})
	f.Add(int64(2), []byte{0x91, 0xc1})
	f.Add(int64(3), []byte{0xdc, 0xff, 0xff})
	f.Add(int64(4), []byte{})
	b, _ := newBox(f)
	admin := b.AdminSession()
	createSpace(f, b, admin, 512, "test", nil, []any{
		map[string]any{"name": "id", "type": "unsigned"},
		map[string]any{"name": "s", "type": "string"},
		map[string]any{"name": "d", "type": "double", "is_nullable": true},
	})
	createIndex(f, b, admin, 512, 0, "primary", "tree", true, arr(0, "unsigned"))
	createIndex(f, b, admin, 512, 1, "s", "hash", true, arr(1, "string"))
	createIndex(f, b, admin, 512, 2, "sc", "tree", false, map[string]any{"field": 3, "type": "scalar", "is_nullable": true})
	guest := b.NewSession()
	f.Fuzz(func(t *testing.T, seed int64, raw []byte) {
		rng := rand.New(rand.NewSource(seed))
		before := dump(t, b)
		txn := b.Begin(admin)
		check := func(err error) {
			var e *boxerr.Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("not a box error: %T %v", err, err)
			}
		}
		for i := 0; i < 20; i++ {
			r := Request{
				Type:      []uint16{1, 2, 3, 4, 5, 9, 7}[rng.Intn(7)],
				SpaceID:   []uint32{512, 512, 512, 281, 280, 9999}[rng.Intn(6)],
				IndexID:   uint32(rng.Intn(4)),
				Key:       randomArray(rng, rng.Intn(3)),
				Tuple:     randomArray(rng, rng.Intn(5)),
				Ops:       randomOps(rng),
				IndexBase: rng.Intn(2),
				Iterator:  memtx.IterType(rng.Intn(13)),
				Offset:    uint32(rng.Intn(3)),
				Limit:     uint32(rng.Intn(5)),
			}
			switch rng.Intn(4) {
			case 0:
				r.Tuple = raw
			case 1:
				r.Key = raw
			case 2:
				r.Ops = raw
			}
			if r.Type == reqUpdate && rng.Intn(2) == 0 {
				r.Tuple = randomOps(rng)
			}
			s := admin
			if rng.Intn(5) == 0 {
				s = guest
			}
			if r.Type == reqSelect {
				_, err := b.Select(s, &r)
				check(err)
				continue
			}
			_, err := b.Execute(s, txn, &r)
			check(err)
		}
		b.Rollback(txn)
		if !equalDumps(before, dump(t, b)) {
			t.Fatal("rollback did not restore the state")
		}
	})
}

func equalDumps(a, b map[string][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if string(msgpack.MustAppend(nil, v[i])) != string(msgpack.MustAppend(nil, w[i])) {
				return false
			}
		}
	}
	return true
}

func BenchmarkInsertAutocommit(b *testing.B) {
	bx, _ := newBox(b)
	admin := testSpace(b, bx)
	reqs := make([]Request, b.N)
	for i := range reqs {
		reqs[i] = Request{Type: reqReplace, SpaceID: 512, Tuple: mp(arr(i, string(rune(i%1000+'a'))+"x", i%7))}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range reqs {
		if _, err := bx.Execute(admin, nil, &reqs[i]); err != nil && !boxerr.Is(err, boxerr.ER_TUPLE_FOUND) {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectEQ(b *testing.B) {
	bx, _ := newBox(b)
	admin := testSpace(b, bx)
	for i := 0; i < 1000; i++ {
		exec(b, bx, admin, nil, Request{Type: reqReplace, SpaceID: 512, Tuple: mp(arr(i, "k"+string(rune(i+'a')), 1))})
	}
	r := sel(512, 0, memtx.IterEQ, 500)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bx.Select(admin, &r); err != nil {
			b.Fatal(err)
		}
	}
}
