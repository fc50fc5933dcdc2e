package vclock

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

func mk(t testing.TB, pairs ...int64) VClock {
	t.Helper()
	var v VClock
	for i := 0; i < len(pairs); i += 2 {
		v.Set(ReplicaID(pairs[i]), LSN(pairs[i+1]))
	}
	return v
}

func TestBasics(t *testing.T) {
	var v VClock
	if v.Sum() != 0 || !v.IsEmpty() || v.String() != "{}" {
		t.Fatalf("zero value: %v sum %d", v, v.Sum())
	}
	if got := v.Inc(1); got != 1 {
		t.Fatalf("Inc = %d", got)
	}
	if prev := v.Follow(1, 26); prev != 1 {
		t.Fatalf("Follow prev = %d", prev)
	}
	v.Follow(0, 1)
	if v.Sum() != 27 || v.String() != "{0: 1, 1: 26}" {
		t.Fatalf("got %v sum %d", v, v.Sum())
	}
	v.Set(1, 5)
	if v.Sum() != 6 || v.Get(1) != 5 {
		t.Fatalf("Set backwards: %v sum %d", v, v.Sum())
	}
	v.Set(1, 0)
	if v.Has(1) || v.Sum() != 1 || v.String() != "{0: 1}" || v.Size() != 1 || v.SizeIgnore0() != 0 {
		t.Fatalf("Set 0: %v sum %d", v, v.Sum())
	}
	c := v.Copy()
	c.Inc(31)
	if v.Has(31) || !c.Has(31) {
		t.Fatal("Copy shares state")
	}
}

func TestFollowBackwardsPanics(t *testing.T) {
	for _, tc := range []struct{ cur, next int64 }{{5, 5}, {5, 4}, {0, 0}} {
		v := mk(t, 2, tc.cur)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Follow(%d -> %d) did not panic", tc.cur, tc.next)
				}
			}()
			v.Follow(2, LSN(tc.next))
		}()
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("id 32 did not panic")
			}
		}()
		var v VClock
		v.Get(Max)
	}()
}

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b    []int64
		want    Order
		ignore0 Order
	}{
		{nil, nil, Equal, Equal},
		{[]int64{1, 1}, nil, Greater, Greater},
		{nil, []int64{1, 1}, Less, Less},
		{[]int64{1, 5, 2, 3}, []int64{1, 5, 2, 3}, Equal, Equal},
		{[]int64{1, 5, 2, 3}, []int64{1, 4, 2, 3}, Greater, Greater},
		{[]int64{1, 5, 2, 3}, []int64{1, 6, 2, 2}, Incomparable, Incomparable},
		{[]int64{0, 7, 1, 5}, []int64{1, 5}, Greater, Equal},
		{[]int64{0, 7, 1, 4}, []int64{0, 1, 1, 5}, Incomparable, Less},
		{[]int64{31, 1}, []int64{30, 1}, Incomparable, Incomparable},
	}
	for _, c := range cases {
		a, b := mk(t, c.a...), mk(t, c.b...)
		if got := a.Compare(&b); got != c.want {
			t.Errorf("%v cmp %v = %v, want %v", a, b, got, c.want)
		}
		if got := a.CompareIgnore0(&b); got != c.ignore0 {
			t.Errorf("%v cmp0 %v = %v, want %v", a, b, got, c.ignore0)
		}
	}
	a, b := mk(t, 1, 5, 2, 10), mk(t, 1, 7, 2, 3)
	if a.LexCompare(&b) != -1 || b.LexCompare(&a) != 1 || a.LexCompare(&a) != 0 {
		t.Error("LexCompare")
	}
}

func TestMergeMaxMin(t *testing.T) {
	a := mk(t, 0, 1, 1, 10, 2, 3)
	diff := mk(t, 1, 2, 3, 4)
	a.Merge(&diff)
	if a.String() != "{0: 1, 1: 12, 2: 3, 3: 4}" || a.Sum() != 20 {
		t.Fatalf("Merge: %v %d", a, a.Sum())
	}
	b := mk(t, 1, 5, 2, 9, 4, 1)
	a.Max(&b)
	if a.String() != "{0: 1, 1: 12, 2: 9, 3: 4, 4: 1}" || a.Sum() != 27 {
		t.Fatalf("Max: %v %d", a, a.Sum())
	}
	m := mk(t, 0, 3, 1, 20, 2, 2)
	a.MinIgnore0(&m)
	if a.String() != "{0: 1, 1: 12, 2: 2}" || a.Sum() != 15 {
		t.Fatalf("MinIgnore0: %v %d", a, a.Sum())
	}
}

// TestModel drives random operations against a map model and checks every
// observable: Get, Sum, String, Compare with a model comparison.
func TestModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var v VClock
		model := map[ReplicaID]LSN{}
		for step := 0; step < 50; step++ {
			id := ReplicaID(rng.Intn(Max))
			switch rng.Intn(3) {
			case 0:
				v.Inc(id)
				model[id]++
			case 1:
				lsn := model[id] + LSN(rng.Intn(1000)+1)
				v.Follow(id, lsn)
				model[id] = lsn
			case 2:
				lsn := LSN(rng.Intn(50))
				v.Set(id, lsn)
				if lsn == 0 {
					delete(model, id)
				} else {
					model[id] = lsn
				}
			}
			var sum int64
			for i := ReplicaID(0); i < Max; i++ {
				if v.Get(i) != model[i] {
					t.Fatalf("Get(%d) = %d, model %d", i, v.Get(i), model[i])
				}
				sum += int64(model[i])
			}
			if v.Sum() != sum || v.Size() != len(model) {
				t.Fatalf("Sum %d/%d Size %d/%d", v.Sum(), sum, v.Size(), len(model))
			}
			p, err := Parse(v.String())
			if err != nil || p != v {
				t.Fatalf("Parse(%q) = %v, %v", v.String(), p, err)
			}
			d, n, err := DecodeMsgpack(v.AppendMsgpack(nil))
			if err != nil || d != v || n != len(v.AppendMsgpack(nil)) {
				t.Fatalf("msgpack roundtrip %v: %v %v", v, d, err)
			}
		}
	}
}

func TestParse(t *testing.T) {
	ok := []struct{ in, out string }{
		{"{}", "{}"},
		{" \t{ } \t", "{}"},
		{"{0: 1, 1: 26}", "{0: 1, 1: 26}"},
		{"{1:26,0:1}", "{0: 1, 1: 26}"},
		{"{ 1 : 2 \n, 3:4}", "{1: 2, 3: 4}"},
		{"{1: 2,}", "{1: 2}"},
		{"{31: 9223372036854775807}", "{31: 9223372036854775807}"},
		{"{1: 0}", "{1: 0}"},
		{"{1: 0, 1: 5}", "{1: 5}"},
		{"{001: 007}", "{1: 7}"},
	}
	for _, c := range ok {
		v, err := Parse(c.in)
		if err != nil || v.String() != c.out {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.in, v, err, c.out)
		}
	}
	// Offsets are 1-based positions of the offending byte, as
	// vclock_from_string reports them.
	bad := []struct {
		in  string
		off int
	}{
		{"", 1},
		{"x", 1},
		{"{", 2},
		{"{1", 3},
		{"{1:", 4},
		{"{1: x}", 5},
		{"{32: 1}", 4},
		{"{-1: 1}", 2},
		{"{1: -1}", 5},
		{"{1: 1 2}", 7},
		{"{1: 1, 1: 2}", 12},
		{"{1: 1}x", 7},
		{"{1: 1}\n", 7},
		{"{1: 99999999999999999999}", 25},
		{"{99999999999999999999: 1}", 22},
	}
	for _, c := range bad {
		_, err := Parse(c.in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Offset != c.off {
			t.Errorf("Parse(%q) = %v, want offset %d", c.in, err, c.off)
		}
	}
}

func TestMsgpack(t *testing.T) {
	v := mk(t, 0, 3, 1, 11, 2, 300)
	if got, want := v.AppendMsgpackIgnore0(nil), []byte{0x82, 0x01, 0x0b, 0x02, 0xcd, 0x01, 0x2c}; !bytes.Equal(got, want) {
		t.Errorf("ignore0 = % x, want % x", got, want)
	}
	if got, want := v.AppendMsgpack(nil), []byte{0x83, 0x00, 0x03, 0x01, 0x0b, 0x02, 0xcd, 0x01, 0x2c}; !bytes.Equal(got, want) {
		t.Errorf("full = % x, want % x", got, want)
	}
	var empty VClock
	if got := empty.AppendMsgpackIgnore0(nil); !bytes.Equal(got, []byte{0x80}) {
		t.Errorf("empty = % x", got)
	}
	// The ignore0 decoder drops id 0 and zero lsns.
	in := msgpack.MustAppend(nil, map[any]any{uint64(0): uint64(5), uint64(1): uint64(11), uint64(2): uint64(0)})
	d, n, err := DecodeMsgpackIgnore0(in)
	if err != nil || n != len(in) || d.String() != "{1: 11}" {
		t.Errorf("decode ignore0 = %v %d %v", d, n, err)
	}
	d, _, err = DecodeMsgpack(in)
	if err != nil || d.String() != "{0: 5, 1: 11}" {
		t.Errorf("decode = %v %v", d, err)
	}
	bad := [][]byte{
		{},
		{0x90},
		{0x81, 0x01},
		{0x81, 0x01, 0xff},       // negative lsn
		{0x81, 0xa1, 0x31, 0x01}, // string key
		{0x81, 0x20, 0x01},       // id 32
		{0x82, 0x01, 0x05, 0x01, 0x05},
		{0x81, 0x01, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0},
		{0x81, 0x01, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	for _, b := range bad {
		if _, _, err := DecodeMsgpackIgnore0(b); !boxerr.Is(err, boxerr.ER_INVALID_MSGPACK) {
			t.Errorf("decode % x: err %v", b, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"{}", "{0: 1, 1: 26}", "{1:2,}", " {31: 9223372036854775807} ", "{1: 0}", "{32: 1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 1 || pe.Offset > len(s)+1 {
				t.Fatalf("Parse(%q): bad error %v", s, err)
			}
			return
		}
		again, err := Parse(v.String())
		if err != nil || again != v {
			t.Fatalf("Parse(String(%q)) = %v, %v", s, again, err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	v := VClock{}
	v.Follow(0, 2)
	v.Follow(1, 11)
	v.Follow(31, 1<<40)
	f.Add(v.AppendMsgpack(nil))
	f.Add([]byte{0x80})
	f.Add([]byte{0x81, 0x20, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ignore0 := range []bool{false, true} {
			v, n, err := decode(b, ignore0)
			if err != nil {
				continue
			}
			if n > len(b) {
				t.Fatalf("consumed %d of %d", n, len(b))
			}
			if ignore0 && v.Has(0) {
				t.Fatal("ignore0 kept component 0")
			}
			enc := v.AppendMsgpack(nil)
			back, _, err := DecodeMsgpack(enc)
			if err != nil || back != v {
				t.Fatalf("re-decode %v: %v %v", v, back, err)
			}
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	x, y := mk(b, 1, 100, 2, 200, 3, 300), mk(b, 1, 100, 2, 201, 3, 300)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if x.Compare(&y) != Less {
			b.Fatal("order")
		}
	}
}

func BenchmarkAppendMsgpackIgnore0(b *testing.B) {
	x := mk(b, 0, 5, 1, 100, 2, 200, 3, 300)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = x.AppendMsgpackIgnore0(buf[:0])
	}
}
