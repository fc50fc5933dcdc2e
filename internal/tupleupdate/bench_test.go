package tupleupdate

import (
	"testing"
)

var benchTuple = arr(1, 2, 3, "abcdef", 5.5, 6, "seven", 8, []any{9}, map[string]any{"ten": 10})

func benchApply(b *testing.B, ops []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTuple)))
	for b.Loop() {
		if _, err := Apply(benchTuple, ops, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// A single + or = on a 10-field tuple takes the fast path: one
// allocation, for the result.
func BenchmarkApplyAdd(b *testing.B)    { benchApply(b, mp([]any{[]any{"+", 2, 1}})) }
func BenchmarkApplyAssign(b *testing.B) { benchApply(b, mp([]any{[]any{"=", 7, "eight"}})) }
func BenchmarkApplySplice(b *testing.B) { benchApply(b, mp([]any{[]any{":", 4, 2, 2, "XY"}})) }

// Operations that need the general engine.
func BenchmarkApplyInsertDelete(b *testing.B) {
	benchApply(b, mp([]any{[]any{"!", 3, 0}, []any{"#", 6, 2}}))
}
func BenchmarkApplyPath(b *testing.B) { benchApply(b, mp([]any{[]any{"+", "[10].ten", 1}})) }

func TestFastPathAllocations(t *testing.T) {
	for _, ops := range [][]byte{mp([]any{[]any{"+", 2, 1}}), mp([]any{[]any{"=", 7, "eight"}})} {
		n := testing.AllocsPerRun(100, func() {
			if _, err := Apply(benchTuple, ops, 1, nil); err != nil {
				t.Fatal(err)
			}
		})
		if n != 1 {
			t.Errorf("ops %x: %v allocations, want 1", ops, n)
		}
	}
}
