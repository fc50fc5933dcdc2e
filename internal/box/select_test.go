package box

import (
	"math/rand"
	"testing"

	"github.com/spindledb/spindle/internal/memtx"
)

// TestSelectPointLookup: EQ and REQ selects by a full key of a unique
// index (answered by a point lookup) return what a scan of the space
// says, with offset and limit applied; partial keys and non-unique
// indexes still iterate.
func TestSelectPointLookup(t *testing.T) {
	b, _ := newBox(t)
	admin := b.AdminSession()
	createSpace(t, b, admin, 512, "pl", nil, nil)
	createIndex(t, b, admin, 512, 0, "pk", "tree", true, arr(0, "unsigned"))
	createIndex(t, b, admin, 512, 1, "pair", "tree", true, arr(1, "unsigned"), arr(2, "string"))
	createIndex(t, b, admin, 512, 2, "h", "hash", true, arr(2, "string"))
	createIndex(t, b, admin, 512, 3, "nu", "tree", false, arr(1, "unsigned"))
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		exec(t, b, admin, nil, ins(512, uint64(i*3), uint64(i%17), "s"+itoa(uint32(i))))
	}
	all := selectAll(t, b, admin, 512)
	count := func(idx uint32, key []any) int {
		n := 0
		for _, v := range all {
			tu := v.([]any)
			switch idx {
			case 0:
				if tu[0] == key[0] {
					n++
				}
			case 1:
				if tu[1] == key[0] && (len(key) == 1 || tu[2] == key[1]) {
					n++
				}
			case 2:
				if tu[2] == key[0] {
					n++
				}
			case 3:
				if tu[1] == key[0] {
					n++
				}
			}
		}
		return n
	}
	for i := 0; i < 2000; i++ {
		k := uint64(rng.Intn(700))
		var idx uint32
		var key []any
		switch rng.Intn(5) {
		case 0:
			idx, key = 0, []any{k}
		case 1:
			idx, key = 1, []any{k % 17, "s" + itoa(uint32(k%250))}
		case 2:
			idx, key = 1, []any{k % 17} // partial: iterates
		case 3:
			idx, key = 2, []any{"s" + itoa(uint32(k%250))}
		case 4:
			idx, key = 3, []any{k % 17} // not unique: iterates
		}
		it := memtx.IterEQ
		if rng.Intn(2) == 0 && idx != 2 {
			it = memtx.IterREQ
		}
		r := sel(512, idx, it, key...)
		r.Offset = uint32(rng.Intn(2))
		r.Limit = uint32(rng.Intn(3))
		res, err := b.Select(admin, &r)
		if err != nil {
			t.Fatalf("select %d %v: %v", idx, key, err)
		}
		want := count(idx, key) - int(r.Offset)
		if want < 0 {
			want = 0
		}
		if want > int(r.Limit) {
			want = int(r.Limit)
		}
		if len(res) != want {
			t.Fatalf("select index %d key %v offset %d limit %d: %d tuples, want %d", idx, key, r.Offset, r.Limit, len(res), want)
		}
	}
}
