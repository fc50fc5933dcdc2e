package memtx

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/spindledb/spindle/internal/msgpack"
)

// benchTuple builds a ~100-byte tuple {id, "name-...", score, padding}.
func benchTuple(id uint64) *Tuple {
	b := msgpack.AppendArrayHeader(nil, 4)
	b = msgpack.AppendUint(b, id)
	b = msgpack.AppendString(b, "name-0123456789")
	b = msgpack.AppendUint(b, id*7%1000)
	b = msgpack.AppendString(b, "padding-padding-padding-padding-padding-padding-padding-padding-padding-pad")
	t, err := NewTuple(b)
	if err != nil {
		panic(err)
	}
	return t
}

// benchStrKey is the string primary key of row id: a short common prefix
// and 12 hex digits of a scrambled id, so neighbouring ids land far apart
// in the tree (as user names or UUID-like keys do) and keys share only
// their first 4 bytes.
func benchStrKey(id uint64) string {
	x := (id + 1) * 0x9e3779b97f4a7c15
	x ^= x >> 31
	return fmt.Sprintf("key:%012x", x&(1<<48-1))
}

// benchStrTuple is benchTuple keyed by benchStrKey(id) in field 0; it is
// about the same size (~100 bytes).
func benchStrTuple(id uint64) *Tuple {
	b := msgpack.AppendArrayHeader(nil, 4)
	b = msgpack.AppendString(b, benchStrKey(id))
	b = msgpack.AppendString(b, "name-01234")
	b = msgpack.AppendUint(b, id*7%1000)
	b = msgpack.AppendString(b, "padding-padding-padding-padding-padding-padding-padding-padding-padding-pad")
	t, err := NewTuple(b)
	if err != nil {
		panic(err)
	}
	return t
}

// benchKind is one primary key shape the benchmarks run on.
type benchKind struct {
	name  string
	typ   FieldType
	tuple func(id uint64) *Tuple
	key   func(id uint64) []byte
}

var benchKinds = []benchKind{
	{"unsigned", FieldUnsigned, benchTuple, func(id uint64) []byte { return key(id) }},
	{"string", FieldString, benchStrTuple, func(id uint64) []byte { return key(benchStrKey(id)) }},
}

const benchRows = 1_000_000

// benchSpaces caches the 1M-tuple spaces: building one takes seconds, and
// the benchmark framework calls each benchmark function several times.
// Replace benchmarks keep the size (about) constant, so sharing is fair.
var benchSpaces = map[string]*benchSpaceEntry{}

type benchSpaceEntry struct {
	s *Space
	// heapPerTuple is the heap growth per stored tuple while the space
	// was built: tuple header, data and index entries.
	heapPerTuple float64
}

// benchSpace returns a cached space of benchRows tuples with even ids
// 0, 2, 4, ... (so half of the ids in [0, 2*benchRows) are present), a
// TREE primary key of the kind's type and, if secondary, a non-unique
// TREE index on the score field.
func benchSpace(b *testing.B, k benchKind, secondary bool) *benchSpaceEntry {
	name := fmt.Sprintf("%s/%v", k.name, secondary)
	if e := benchSpaces[name]; e != nil {
		return e
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	s := NewSpace(900, "bench")
	if _, err := s.CreateIndex(treeDef(0, "pk", true, part(0, k.typ))); err != nil {
		b.Fatal(err)
	}
	if secondary {
		if _, err := s.CreateIndex(treeDef(1, "score", false, part(2, FieldUnsigned))); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < benchRows; i++ {
		if _, err := s.Replace(nil, k.tuple(uint64(i)*2), DupInsert); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	e := &benchSpaceEntry{s: s, heapPerTuple: float64(ms1.HeapAlloc-ms0.HeapAlloc) / benchRows}
	benchSpaces[name] = e
	return e
}

// benchIDs is a fixed pseudo-random walk over [0, 2*benchRows): half of
// the ids exist in a bench space.
func benchIDs() []uint64 {
	ids := make([]uint64, 4096)
	for i := range ids {
		ids[i] = uint64(i) * 977 % (2 * benchRows)
	}
	return ids
}

func benchReplace(b *testing.B, secondary bool) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			e := benchSpace(b, k, secondary)
			ids := benchIDs()
			tuples := make([]*Tuple, len(ids))
			for i, id := range ids {
				tuples[i] = k.tuple(id)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.s.Replace(nil, tuples[i%len(tuples)], DupReplaceOrInsert); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(e.heapPerTuple, "heapB/tuple")
		})
	}
}

// BenchmarkReplace replaces pseudo-random keys in a 1M-tuple space (half
// new inserts, half replacements) and reports the memory per stored tuple
// (tuple header + data + primary index) measured while building it.
func BenchmarkReplace(b *testing.B) { benchReplace(b, false) }

// BenchmarkReplaceSecondary is BenchmarkReplace with a non-unique
// secondary TREE index.
func BenchmarkReplaceSecondary(b *testing.B) { benchReplace(b, true) }

// BenchmarkGet looks up pseudo-random keys (half present) in the primary
// index of a 1M-tuple space.
func BenchmarkGet(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			pk := benchSpace(b, k, false).s.Primary()
			ids := benchIDs()
			keys := make([][]byte, len(ids))
			for i, id := range ids {
				keys[i] = k.key(id)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := pk.Get(keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHashGet(b *testing.B) {
	s := NewSpace(901, "hb")
	if _, err := s.CreateIndex(IndexDef{ID: 0, Name: "pk", Type: IndexHash, Unique: true, Key: KeyDef{Parts: []KeyPart{part(0, FieldUnsigned)}}}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < benchRows; i++ {
		if _, err := s.Replace(nil, benchTuple(uint64(i)), DupInsert); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([][]byte, 4096)
	for i := range keys {
		keys[i] = key(uint64(i) * 977 % benchRows)
	}
	pk := s.Primary()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if t, _ := pk.Get(keys[i%len(keys)]); t == nil {
			b.Fatal("missing")
		}
	}
}

// BenchmarkTreeGE opens a GE iterator at a pseudo-random key and reads
// 100 tuples per op.
func BenchmarkTreeGE(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			pk := benchSpace(b, k, false).s.Primary()
			ids := benchIDs()
			keys := make([][]byte, len(ids))
			for i, id := range ids {
				keys[i] = k.key(id)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				it, err := pk.Iterator(IterGE, keys[i%len(keys)])
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < 100; j++ {
					if it.Next() == nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkTupleField measures decoding a field from the bytes (no offset
// cache): the cost of reaching field 3 of a ~100-byte tuple.
func BenchmarkTupleField(b *testing.B) {
	t := benchTuple(12345)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if t.Field(3) == nil {
			b.Fatal("nil")
		}
	}
}

// BenchmarkReplaceScattered replaces existing keys spread over the whole
// 1M-tuple space (a fresh cache line at every level of the tree, as the
// REPLACE load of `spindle bench` does), unlike BenchmarkReplace whose
// 4096 keys stay in cache.
func BenchmarkReplaceScattered(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			e := benchSpace(b, k, false)
			tuples := make([]*Tuple, 1<<16)
			x := uint64(88172645463325252)
			for i := range tuples {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				tuples[i] = k.tuple(x % benchRows * 2) // even ids exist
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.s.Replace(nil, tuples[i%len(tuples)], DupReplaceOrInsert); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
