package memtx

import (
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

func benchSpace(b *testing.B, n int, secondary bool) *Space {
	s := NewSpace(900, "bench")
	if _, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned))); err != nil {
		b.Fatal(err)
	}
	if secondary {
		if _, err := s.CreateIndex(treeDef(1, "score", false, part(2, FieldUnsigned))); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if _, err := s.Replace(nil, benchTuple(uint64(i)*2), DupInsert); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

const benchRows = 1_000_000

// BenchmarkReplace replaces random-ish keys in a 1M-tuple space (half new
// inserts, half replacements) and reports the memory per stored tuple.
func BenchmarkReplace(b *testing.B) {
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	s := benchSpace(b, benchRows, false)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	tuples := make([]*Tuple, 4096)
	for i := range tuples {
		tuples[i] = benchTuple(uint64(i) * 977 % (2 * benchRows))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Replace(nil, tuples[i%len(tuples)], DupReplaceOrInsert); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// After ResetTimer: memory per stored tuple, header + data + index.
	b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/benchRows, "heapB/tuple")
}

// BenchmarkReplaceSecondary is BenchmarkReplace with a non-unique
// secondary TREE index.
func BenchmarkReplaceSecondary(b *testing.B) {
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	s := benchSpace(b, benchRows, true)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	tuples := make([]*Tuple, 4096)
	for i := range tuples {
		tuples[i] = benchTuple(uint64(i) * 977 % (2 * benchRows))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Replace(nil, tuples[i%len(tuples)], DupReplaceOrInsert); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// After ResetTimer: memory per stored tuple, header + data + index.
	b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/benchRows, "heapB/tuple")
}

func BenchmarkGet(b *testing.B) {
	s := benchSpace(b, benchRows, false)
	keys := make([][]byte, 4096)
	for i := range keys {
		keys[i] = key(uint64(i) * 977 % (2 * benchRows))
	}
	pk := s.Primary()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := pk.Get(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
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

// BenchmarkTreeGE opens a GE iterator and reads 100 tuples per op.
func BenchmarkTreeGE(b *testing.B) {
	s := benchSpace(b, benchRows, false)
	pk := s.Primary()
	k := key(uint64(benchRows))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, err := pk.Iterator(IterGE, k)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 100; j++ {
			if it.Next() == nil {
				b.Fatal("short")
			}
		}
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
