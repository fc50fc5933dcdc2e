package memtx

import (
	"math"
	"testing"

	"github.com/spindledb/spindle/internal/msgpack"
)

func enc(v any) []byte { return msgpack.MustAppend(nil, v) }

func TestCompareNumbersExact(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		a, b any
		want int
	}{
		{uint64(1) << 63, 9.3e18, -1},
		{9.3e18, uint64(1) << 63, 1},
		{float64(1 << 63), uint64(1) << 63, 0},
		{-1, uint64(math.MaxUint64), -1},
		{uint64(math.MaxUint64), -1, 1},
		{uint64(math.MaxUint64), 1.8446744073709552e19, -1}, // 2^64 as a double
		{int64(math.MinInt64), -9.223372036854775808e18, 0},
		{int64(math.MinInt64), -9.3e18, 1},
		{int64(math.MinInt64) + 1, -9.223372036854775808e18, 1},
		{uint64(9007199254740993), 9007199254740992.0, 1}, // 2^53+1 vs 2^53
		{1, 1.0, 0},
		{1, 1.5, -1},
		{2, 1.5, 1},
		{-2, -1.5, -1},
		{-1, -1.5, 1},
		{-1, 0, -1},
		{0, math.Copysign(0, -1), 0},
		{nan, -1e308, -1},
		{nan, int64(math.MinInt64), -1},
		{uint64(0), nan, 1},
		{nan, nan, 0},
		{float32(1.5), 1.5, 0},
		{3, 2, 1},
		{200, 300, -1},
		{int64(-100000), int64(-5), -1},
	}
	for _, tt := range tests {
		if got := compareNumbers(enc(tt.a), enc(tt.b)); got != tt.want {
			t.Errorf("compare(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareNumbers(enc(tt.b), enc(tt.a)); got != -tt.want {
			t.Errorf("compare(%v, %v) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
	// A quiet NaN sorts above a signalling one.
	quiet := math.Float64frombits(0x7ff8000000000000)
	signalling := math.Float64frombits(0x7ff0000000000001)
	if got := compareNumbers(enc(signalling), enc(quiet)); got != -1 {
		t.Errorf("signalling vs quiet NaN = %d, want -1", got)
	}
}

func TestCompareScalarClasses(t *testing.T) {
	// Ascending in scalar order.
	order := []any{nil, false, true, -5, 1, 1.5, 2, "", "A", "a", "b", []byte{}, []byte{0}}
	for i := range order {
		for j := range order {
			got := compareValues(FieldScalar, nil, enc(order[i]), enc(order[j]))
			want := cmpInt(i - j)
			if got != want {
				t.Errorf("scalar compare(%#v, %#v) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestCompareMissingIsNil(t *testing.T) {
	if got := compareValues(FieldUnsigned, nil, nil, enc(0)); got != -1 {
		t.Errorf("absent vs 0 = %d, want -1", got)
	}
	if got := compareValues(FieldString, nil, mpNil, nil); got != 0 {
		t.Errorf("nil vs absent = %d, want 0", got)
	}
}

func TestCollations(t *testing.T) {
	ci, err := newCollator("unicode_ci")
	mustOK(t, err)
	uc, err := newCollator("unicode")
	mustOK(t, err)
	if ci.compare([]byte("a"), []byte("A")) != 0 || ci.compare([]byte("a"), []byte("á")) != 0 {
		t.Error("unicode_ci must ignore case and accents")
	}
	// Tarantool's order for unicode: a A á ä aa ab Ab b B.
	want := []string{"a", "A", "á", "ä", "aa", "ab", "Ab", "b", "B"}
	for i := 1; i < len(want); i++ {
		if uc.compare([]byte(want[i-1]), []byte(want[i])) >= 0 {
			t.Errorf("unicode: %q should sort before %q", want[i-1], want[i])
		}
	}
	if _, err := newCollator("klingon"); err == nil {
		t.Error("unknown collation accepted")
	}
}

func TestParseFieldType(t *testing.T) {
	tests := map[string]FieldType{
		"any": FieldAny, "unsigned": FieldUnsigned, "string": FieldString, "number": FieldNumber,
		"double": FieldDouble, "integer": FieldInteger, "boolean": FieldBoolean, "varbinary": FieldVarbinary,
		"scalar": FieldScalar, "array": FieldArray, "map": FieldMap,
		"num": FieldUnsigned, "NUM": FieldUnsigned, "uint": FieldUnsigned, "str": FieldString, "STR": FieldString,
		"int": FieldInteger, "*": FieldAny,
	}
	for name, want := range tests {
		got, ok := ParseFieldType(name)
		if !ok || got != want {
			t.Errorf("ParseFieldType(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "bool", "uuid", "text"} {
		if _, ok := ParseFieldType(bad); ok {
			t.Errorf("ParseFieldType(%q) accepted", bad)
		}
	}
	for ft := FieldAny; ft < fieldTypeMax; ft++ {
		if back, ok := ParseFieldType(ft.String()); !ok || back != ft {
			t.Errorf("round trip of %v failed", ft)
		}
	}
}

func TestValueMatches(t *testing.T) {
	tests := []struct {
		typ      FieldType
		v        any
		nullable bool
		want     bool
	}{
		{FieldUnsigned, 1, false, true},
		{FieldUnsigned, -1, false, false},
		{FieldUnsigned, 1.0, false, false},
		{FieldUnsigned, nil, false, false},
		{FieldUnsigned, nil, true, true},
		{FieldInteger, -1, false, true},
		{FieldNumber, 1.5, false, true},
		{FieldNumber, float32(1.5), false, true},
		{FieldDouble, 1.5, false, true},
		{FieldDouble, 1, false, false},
		{FieldDouble, float32(1.5), false, false},
		{FieldString, "x", false, true},
		{FieldString, []byte("x"), false, false},
		{FieldVarbinary, []byte("x"), false, true},
		{FieldBoolean, true, false, true},
		{FieldScalar, []any{}, false, false},
		{FieldScalar, "x", false, true},
		{FieldArray, []any{1}, false, true},
		{FieldMap, map[string]any{}, false, true},
		{FieldAny, nil, false, true},
		{FieldAny, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, true},
		{FieldAny, msgpack.ExtValue{Type: 0, Data: []byte{1}}, false, false},
		{FieldNumber, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, true},
		{FieldScalar, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, true},
		{FieldDecimal, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, true},
		{FieldDecimal, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x1a, 0x0c}}, false, false}, // a nibble above 9
		{FieldAny, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x1a, 0x0c}}, false, true},      // unchecked
		{FieldDecimal, msgpack.ExtValue{Type: 2, Data: make([]byte, 16)}, false, false},
		{FieldDecimal, 1, false, false},
		{FieldDecimal, 1.5, false, false},
		{FieldDecimal, nil, true, true},
		{FieldInteger, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, false},
		{FieldDouble, msgpack.ExtValue{Type: 1, Data: []byte{0, 0x0c}}, false, false},
	}
	for _, tt := range tests {
		b, err := msgpack.Append(nil, tt.v)
		if err != nil {
			if _, isMap := tt.v.(map[string]any); isMap {
				b = msgpack.AppendMapHeader(nil, 0)
			} else {
				t.Fatal(err)
			}
		}
		if got := valueMatches(tt.typ, b, tt.nullable); got != tt.want {
			t.Errorf("valueMatches(%v, %#v, %v) = %v, want %v", tt.typ, tt.v, tt.nullable, got, tt.want)
		}
	}
}

// TestCompareDecimals checks decimals among numbers in the orders 2.6
// gives them (its select order over number and scalar indexes): exact
// against integers, through 15 digits against doubles.
func TestCompareDecimals(t *testing.T) {
	// Ascending, as 2.6 orders a number index holding them.
	asc := [][]byte{
		enc(int64(math.MinInt64)), dec("-10"), enc(-3), enc(0.1), dec("0.1000000000000001"), enc(1), dec("1.5"),
		enc(2.5), enc(float64(1 << 64)), dec("1e20"), enc(1e30),
	}
	for i := range asc {
		for j := range asc {
			want := cmpInt(i - j)
			if got := compareValues(FieldNumber, nil, asc[i], asc[j]); got != want {
				t.Errorf("compare(% x, % x) = %d, want %d", asc[i], asc[j], got, want)
			}
		}
	}
	// Equal pairs: a duplicate key in 2.6's unique number index.
	for _, p := range [][2][]byte{
		{dec("1"), enc(1)}, {dec("2.50"), enc(2.5)}, {dec("0.1"), enc(0.1)}, {dec("1.000"), dec("1")},
		{dec("-0"), enc(0)}, {dec("0.3"), enc(math.Nextafter(0.3, 1))}, {dec("18446744073709551615"), enc(uint64(math.MaxUint64))},
		{dec("-9223372036854775808"), enc(int64(math.MinInt64))}, {dec("1e15"), enc(1e15)},
	} {
		if c := compareValues(FieldNumber, nil, p[0], p[1]); c != 0 {
			t.Errorf("compare(% x, % x) = %d, want 0", p[0], p[1], c)
		}
	}
	// Doubles no decimal holds.
	for _, tt := range []struct {
		f    float64
		want int
	}{{math.NaN(), -1}, {math.Inf(-1), -1}, {math.Inf(1), 1}, {1e300, 1}, {-1e300, -1}} {
		if c := compareValues(FieldNumber, nil, enc(tt.f), dec("-1e37")); c != tt.want {
			t.Errorf("compare(%v, -1e37) = %d, want %d", tt.f, c, tt.want)
		}
	}
	// The scalar order of 2.6: booleans, then numbers, decimals among them.
	sc := [][]byte{enc(false), enc(true), dec("-100"), enc(-1), dec("0.5"), enc(1), enc(2.5), dec("3"), enc("a"), enc("b")}
	for i := 1; i < len(sc); i++ {
		if c := compareValues(FieldScalar, nil, sc[i-1], sc[i]); c != -1 {
			t.Errorf("scalar compare(% x, % x) = %d", sc[i-1], sc[i], c)
		}
	}
	if c := compareValues(FieldDecimal, nil, dec("-0.001"), dec("0")); c != -1 {
		t.Errorf("decimal part: %d", c)
	}
}
