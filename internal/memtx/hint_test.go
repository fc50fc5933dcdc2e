package memtx

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// hintConfig is one kind of first key part: a type and a collation.
type hintConfig struct {
	typ  FieldType
	coll string
}

func (c hintConfig) String() string {
	if c.coll == "" {
		return c.typ.String()
	}
	return c.typ.String() + "/" + c.coll
}

var hintConfigs = []hintConfig{
	{FieldUnsigned, ""}, {FieldInteger, ""}, {FieldNumber, ""}, {FieldDouble, ""},
	{FieldBoolean, ""}, {FieldVarbinary, ""}, {FieldString, ""}, {FieldString, "unicode"},
	{FieldString, "unicode_ci"}, {FieldScalar, ""}, {FieldScalar, "unicode"}, {FieldScalar, "unicode_ci"},
	{FieldDecimal, ""},
}

// dec encodes a decimal of the given text.
func dec(s string) []byte {
	d, ok := decimal.Parse(s)
	if !ok {
		panic("bad decimal " + s)
	}
	return d.AppendMsgpack(nil)
}

// hintDecimals are decimal edge values: around integers, the hint's
// clamping bounds, the int64 limits, the smallest and largest decimals,
// and equal values of different scales.
var hintDecimals = []string{
	"0", "-0", "0.000", "1", "1.0", "-1", "0.5", "-0.5", "0.9999999999999999", "1.000000000000001", "-0.9999999999999999",
	"0.1", "0.10000000000000001", "2.5", "1152921504606846975", "1152921504606846976", "1152921504606846975.5",
	"-1152921504606846976", "-1152921504606846976.5", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616", "1e37", "-9.99e37", "1e-38", "-1e-38", "123456789012345678.9",
	"1e15", "999999999999999.9", "9007199254740993",
}

// decimalDoubles are doubles that 2.6 compares with decimals through a
// 15-digit rounding that moves them across an integer or changes them
// otherwise: their hints in parts that hold decimals must respect both
// orders.
var decimalDoubles = []float64{
	0.9999999999999999, -0.9999999999999999, 2.9999999999999996, 999999999999999.9, 1e15 + 0.5,
	9007199254740993, 1152921504606846976, 1152921504606846976 - 256, 1e-300, 0.1, 0.30000000000000004,
}

// checkHintPair checks the hint property for two values of a part: when
// both hints are known, their order must be the comparison's order
// (hint(a) < hint(b) implies cmp(a, b) < 0; cmp(a, b) == 0 implies equal
// hints).
func checkHintPair(t testing.TB, typ FieldType, coll *collator, a, b []byte) {
	t.Helper()
	ha, hb := valueHint(typ, coll, a), valueHint(typ, coll, b)
	if ha == hintNone || hb == hintNone {
		return
	}
	c := compareValues(typ, coll, a, b)
	if (ha < hb && c >= 0) || (ha > hb && c <= 0) || (c == 0 && ha != hb) {
		t.Fatalf("%v: hint(% x)=%#x hint(% x)=%#x but compare=%d", typ, a, ha, b, hb, c)
	}
}

// Number edge values: around the hint's clamping bounds (2^60), the exact
// double range (2^53), the int64/uint64 limits, and fractions, infinities
// and NaNs.
var hintNumbers = []any{
	0, 1, -1, 2, -2, 127, 128, -32, -33, 255, 256, 65535, 65536, -129,
	uint64(1) << 53, uint64(1)<<53 + 1, int64(-1) << 53, int64(-1)<<53 - 1,
	uint64(1)<<60 - 2, uint64(1)<<60 - 1, uint64(1) << 60, uint64(1)<<60 + 1,
	int64(-1) << 60, int64(-1)<<60 + 1, int64(-1)<<60 - 1,
	uint64(1)<<63 - 1, uint64(1) << 63, uint64(math.MaxUint64), int64(math.MinInt64), int64(math.MinInt64) + 1,
	0.0, math.Copysign(0, -1), 0.5, -0.5, 1.0, 1.5, -1.5, 2.0, 1e-300, -1e-300,
	float64(1 << 53), float64(1<<53) + 2, float64(1 << 60), float64(1<<60) - 256, -float64(1 << 60), -float64(1<<60) + 256,
	float64(1 << 63), -float64(1 << 63), float64(1 << 64), 1e300, -1e300,
	math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff0000000000001),
	float32(1.5), float32(-2), float32(1e30), float32(math.NaN()),
}

// nonCanonical encodes small values in wider (legal) msgpack forms, which
// must hint and compare like their canonical forms.
var nonCanonical = [][]byte{
	{0xcc, 0x05}, {0xcd, 0x00, 0x05}, {0xce, 0, 0, 0, 0x05}, {0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05},
	{0xd0, 0x05}, {0xd1, 0x00, 0x05}, {0xd0, 0xff}, {0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	{0xda, 0x00, 0x01, 'a'}, {0xdb, 0, 0, 0, 0x02, 'a', 'b'}, {0xc5, 0x00, 0x01, 'a'},
}

// garbage is what unvalidated bytes may hold: truncated values, the
// never-used 0xc1, containers and extensions.
var garbage = [][]byte{
	nil, {}, {0xc1}, {0xcc}, {0xcd, 0x01}, {0xcb, 0x00}, {0xca}, {0xa5, 'a'}, {0xd9}, {0xc4, 0x03, 1},
	{0x90}, {0x91, 0x01}, {0x80}, {0xd4, 0x01, 0x00}, {0xd3, 0x01},
}

// Strings over an alphabet that exercises byte order past the 8-byte hint
// prefix, and collation: case, accents (precomposed and combining),
// ignorables, ligatures, expansions, non-Latin scripts and invalid UTF-8.
var hintRunes = []string{
	"a", "A", "b", "B", "z", "0", "9", " ", "-", "_", "\x00", "\x01", "\x7f", "\xff", "\xc3",
	"á", "Á", "ä", "å", "Å", "æ", "ß", "ẞ", "e\u0301", "\u0301", "\u00ad", "\u200b",
	"ﬁ", "ǆ", "Ǆ", "ё", "Ё", "ж", "中", "文", "٣", "😀", "\ufffd", "ΐ",
}

func randHintString(rng *rand.Rand) string {
	var sb strings.Builder
	n := rng.IntN(12)
	prefix := rng.IntN(3) == 0
	for i := 0; i < n; i++ {
		if prefix && i < 7 {
			// Long shared prefixes make the hint prefix tie.
			sb.WriteString("k")
			continue
		}
		sb.WriteString(hintRunes[rng.IntN(len(hintRunes))])
	}
	return sb.String()
}

// randHintValue returns a random value that a part of type typ may meet:
// mostly values of the type, sometimes nil, a value of another type or
// garbage.
func randHintValue(rng *rand.Rand, typ FieldType) []byte {
	switch r := rng.IntN(20); {
	case r == 0:
		return msgpack.AppendNil(nil)
	case r == 1:
		return garbage[rng.IntN(len(garbage))]
	case r == 2:
		return nonCanonical[rng.IntN(len(nonCanonical))]
	case r == 3:
		typ = FieldScalar // a value of some other class
	}
	randNumber := func() []byte {
		if typ == FieldNumber || typ == FieldScalar {
			switch rng.IntN(8) {
			case 0:
				return dec(hintDecimals[rng.IntN(len(hintDecimals))])
			case 1:
				return randDecimal(rng)
			case 2:
				return msgpack.AppendFloat64(nil, decimalDoubles[rng.IntN(len(decimalDoubles))])
			}
		}
		switch rng.IntN(4) {
		case 0:
			return enc(hintNumbers[rng.IntN(len(hintNumbers))])
		case 1:
			return msgpack.AppendInt(nil, rng.Int64N(2000)-1000)
		case 2:
			return msgpack.AppendFloat64(nil, float64(rng.IntN(4000)-2000)/8)
		}
		u := rng.Uint64() >> rng.IntN(64)
		if rng.IntN(2) == 0 {
			return msgpack.AppendInt(nil, -int64(u>>1))
		}
		return msgpack.AppendUint(nil, u)
	}
	switch typ {
	case FieldUnsigned:
		if rng.IntN(3) == 0 {
			return enc(hintNumbers[rng.IntN(30)]) // integer edge values
		}
		return msgpack.AppendUint(nil, rng.Uint64()>>rng.IntN(64))
	case FieldInteger:
		if rng.IntN(2) == 0 {
			return msgpack.AppendInt(nil, int64(rng.Uint64())>>rng.IntN(64))
		}
		return randNumber()
	case FieldNumber:
		return randNumber()
	case FieldDouble:
		if rng.IntN(3) == 0 {
			return msgpack.AppendFloat64(nil, math.Float64frombits(rng.Uint64()))
		}
		return randNumber()
	case FieldBoolean:
		return msgpack.AppendBool(nil, rng.IntN(2) == 0)
	case FieldVarbinary:
		return msgpack.AppendBin(nil, []byte(randHintString(rng)))
	case FieldString:
		return msgpack.AppendString(nil, randHintString(rng))
	case FieldDecimal:
		if rng.IntN(2) == 0 {
			return dec(hintDecimals[rng.IntN(len(hintDecimals))])
		}
		return randDecimal(rng)
	}
	return randHintValue(rng, []FieldType{FieldBoolean, FieldNumber, FieldString, FieldVarbinary}[rng.IntN(4)])
}

// randDecimal returns a decimal of up to 20 random digits and a random
// scale.
func randDecimal(rng *rand.Rand) []byte {
	var sb strings.Builder
	if rng.IntN(2) == 0 {
		sb.WriteByte('-')
	}
	for n := 1 + rng.IntN(20); n > 0; n-- {
		sb.WriteByte(byte('0' + rng.IntN(10)))
	}
	sb.WriteString("e")
	sb.WriteString(strconv.Itoa(rng.IntN(30) - 20))
	return dec(sb.String())
}

// transitiveWithDecimals reports whether v compares with decimals as with
// every other number: it is not a double, or its 15-digit rounding, which
// decimals compare it as, is its exact value (or it has none). 2.6's order
// is not transitive over other doubles (double 0.9999999999999999 is below
// the integer 1, which equals decimal 1, which equals the double), so no
// index can be ordered over them; the tree test leaves them out.
func transitiveWithDecimals(v []byte) bool {
	if msgpack.TypeOf(v) != msgpack.Double {
		return true
	}
	f, _, _ := msgpack.ReadFloat(v)
	d, ok := decimal.FromFloat64(f)
	if !ok {
		return true
	}
	y, _, err := big.ParseFloat(d.String(), 10, 4096, big.ToNearestEven)
	return err == nil && new(big.Float).SetFloat64(f).Cmp(y) == 0
}

// usableHintExpected reports whether a valid value v of a part of type
// typ must get a hint: all do but doubles in parts that hold decimals
// whose 15-digit rounding changes their hint.
func usableHintExpected(typ FieldType, v []byte) bool {
	if typ != FieldNumber && typ != FieldScalar || msgpack.TypeOf(v) != msgpack.Double {
		return true
	}
	f, _, _ := msgpack.ReadFloat(v)
	return floatHintDecimalSafe(f, truncFloatHint(f))
}

// TestHintOrder checks the hint property on random values of every
// indexable field type and collation: hint order never contradicts
// compareValues, and equal values hint alike.
func TestHintOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cfg := range hintConfigs {
		coll, err := newCollator(cfg.coll)
		mustOK(t, err)
		vals := make([][]byte, 0, 400)
		for i := 0; i < 400; i++ {
			vals = append(vals, randHintValue(rng, cfg.typ))
		}
		for _, a := range vals {
			for _, b := range vals {
				checkHintPair(t, cfg.typ, coll, a, b)
			}
		}
		// Values the part's type admits always get a usable hint.
		for _, v := range vals {
			if v != nil && valueMatches(cfg.typ, v, true) && usableHintExpected(cfg.typ, v) && valueHint(cfg.typ, coll, v) == hintNone {
				t.Errorf("%v: no hint for valid value % x", cfg, v)
			}
		}
	}
}

// TestHintValues pins the hint layout's decisive cases.
func TestHintValues(t *testing.T) {
	h := func(typ FieldType, v any) uint64 { return valueHint(typ, nil, enc(v)) }
	type pair struct {
		typ  FieldType
		a, b any
		want int // sign of hint(a) - hint(b)
	}
	for _, tt := range []pair{
		{FieldNumber, 1, 1.0, 0},
		{FieldNumber, 1, 1.5, 0}, // same integral part: the full compare decides
		{FieldNumber, 1, 2.0, -1},
		{FieldNumber, -1, 0, -1},
		{FieldNumber, -0.5, 0.5, 0},
		{FieldNumber, math.NaN(), int64(math.MinInt64), 0}, // both at the bottom
		{FieldNumber, math.NaN(), -5, -1},
		{FieldNumber, uint64(1)<<60 - 2, uint64(1)<<60 - 1, -1},
		{FieldNumber, uint64(1)<<60 - 1, uint64(math.MaxUint64), 0}, // clamped
		{FieldNumber, uint64(math.MaxUint64), math.Inf(1), 0},
		{FieldScalar, nil, false, -1},
		{FieldScalar, true, int64(math.MinInt64), -1},
		{FieldScalar, uint64(math.MaxUint64), "", -1},
		{FieldScalar, "\xff\xff\xff\xff\xff\xff\xff\xff", []byte{}, -1},
		{FieldString, "abcdefgh1", "abcdefgh2", 0}, // past the prefix
		{FieldString, "abcdefg", "abcdefh", -1},
		{FieldString, "a", "a\x00", 0},
		{FieldUnsigned, nil, 0, -1},
	} {
		ha, hb := h(tt.typ, tt.a), h(tt.typ, tt.b)
		if got := cmpUint(ha, hb); got != tt.want {
			t.Errorf("%v: hint(%v)=%#x vs hint(%v)=%#x: %d, want %d", tt.typ, tt.a, ha, tt.b, hb, got, tt.want)
		}
	}
	if h(FieldUnsigned, "x") != hintNone || h(FieldScalar, []any{}) != hintNone {
		t.Error("values a part cannot order by class must have no hint")
	}
	if (&cmpDef{parts: []cmpPart{{typ: FieldUnsigned}}}).keyHint(nil, 0, pivotLow) != hintNone {
		t.Error("an empty key must have no hint")
	}
}

// TestHintedTreeMatchesFullCompare builds a TREE index with a random first
// part of each type (nullable, so nil appears) and checks the B-tree's
// order against compareTuples, then point lookups, GE/LE seeks and EQ
// counts against a linear scan that uses only the full comparison.
func TestHintedTreeMatchesFullCompare(t *testing.T) {
	for _, cfg := range hintConfigs {
		t.Run(cfg.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(cfg.typ)))
			s := NewSpace(610, "hint")
			_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
			mustOK(t, err)
			kp := KeyPart{FieldNo: 1, Type: cfg.typ, IsNullable: true, Collation: cfg.coll}
			sk, err := s.CreateIndex(treeDef(1, "sk", false, kp))
			mustOK(t, err)
			uk, err := s.CreateIndex(treeDef(2, "uk", true, kp, part(0, FieldUnsigned)))
			mustOK(t, err)
			var vals [][]byte
			for len(vals) < 60 {
				if v := randHintValue(rng, cfg.typ); v != nil && msgpack.Validate(v) == nil && valueMatches(cfg.typ, v, true) && transitiveWithDecimals(v) {
					vals = append(vals, v)
				}
			}
			for i := 0; i < 600; i++ {
				id := uint64(rng.IntN(300))
				if rng.IntN(5) == 0 {
					if old, _ := s.Primary().Get(key(id)); old != nil {
						_, err := s.Replace(old, nil, DupReplaceOrInsert)
						mustOK(t, err)
					}
					continue
				}
				data := msgpack.AppendArrayHeader(nil, 2)
				data = msgpack.AppendUint(data, id)
				data = append(data, vals[rng.IntN(len(vals))]...)
				tu, err := NewTuple(data)
				mustOK(t, err)
				_, err = s.Replace(nil, tu, DupReplaceOrInsert)
				mustOK(t, err)
			}
			for _, ix := range []*Index{sk, uk} {
				var all []*Tuple
				ix.scan(func(tu *Tuple) bool { all = append(all, tu); return true })
				if len(all) != s.Len() {
					t.Fatalf("%s: %d tuples, space has %d", ix.def.Name, len(all), s.Len())
				}
				for i := 1; i < len(all); i++ {
					if ix.cmp.compareTuples(all[i-1], all[i]) >= 0 {
						t.Fatalf("%s: out of order at %d: %v, %v", ix.def.Name, i, decode(all[i-1]), decode(all[i]))
					}
				}
				for _, tu := range all {
					if ix != uk || classOf(tu.field(1)) == classNil {
						continue // Get takes no nil parts
					}
					if got, err := uk.Get(uk.def.Key.ExtractKey(tu)); got != tu {
						t.Fatalf("Get(%v) = %v, %v", decode(tu), decode(got), err)
					}
				}
				for _, v := range vals {
					k := append(msgpack.AppendArrayHeader(nil, 1), v...)
					_, body, _ := keyHeader(k)
					var ge, le *Tuple
					eq := 0
					for _, tu := range all {
						c := ix.cmp.compareKey(body, 1, tu)
						if c <= 0 && ge == nil {
							ge = tu
						}
						if c >= 0 {
							le = tu
						}
						if c == 0 {
							eq++
						}
					}
					if got, _ := ix.Min(k); got != ge {
						t.Fatalf("%s: GE %x = %v, want %v", ix.def.Name, v, decode(got), decode(ge))
					}
					if got, _ := ix.Max(k); got != le {
						t.Fatalf("%s: LE %x = %v, want %v", ix.def.Name, v, decode(got), decode(le))
					}
					if n, _ := ix.Count(IterEQ, k); n != eq {
						t.Fatalf("%s: EQ %x count %d, want %d", ix.def.Name, v, n, eq)
					}
				}
			}
		})
	}
}

// TestCollationKeyOrder checks what collated string hints rely on: the
// byte order of golang.org/x/text collation keys is the collator's order.
func TestCollationKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, name := range []string{"unicode", "unicode_ci"} {
		c, err := newCollator(name)
		mustOK(t, err)
		strs := make([]string, 300)
		for i := range strs {
			strs[i] = randHintString(rng)
		}
		for _, a := range strs {
			ka := slices.Clone(c.key([]byte(a)))
			for _, b := range strs {
				kb := c.key([]byte(b))
				if got, want := bytes.Compare(ka, kb), c.compare([]byte(a), []byte(b)); got != want {
					t.Fatalf("%s: key order %d, compare %d for %q, %q", name, got, want, a, b)
				}
			}
		}
	}
}

// FuzzHintOrder checks the hint property on arbitrary bytes for every part
// kind: comparators and hints must agree even on values that were never
// validated.
func FuzzHintOrder(f *testing.F) {
	seeds := [][2][]byte{
		{enc(1), enc(1.0)}, {enc(1), enc(1.5)}, {enc(uint64(1) << 60), enc(float64(1 << 60))},
		{enc(math.NaN()), enc(int64(math.MinInt64))}, {enc("abcdefgh1"), enc("abcdefgh0")},
		{enc("a"), enc("A")}, {enc("á"), enc("b")}, {enc([]byte("x")), enc("x")}, {enc(true), enc(nil)},
		{{0xcd, 0x00, 0x05}, enc(5)}, {{0xa5, 'a'}, enc("")}, {{0xc1}, nil}, {{0xcb, 0x43, 0xf0}, enc(0)},
	}
	var u [8]byte
	binary.BigEndian.PutUint64(u[:], math.MaxUint64)
	seeds = append(seeds, [2][]byte{append([]byte{0xcf}, u[:]...), enc(math.Inf(1))})
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1])
	}
	colls := map[string]*collator{}
	for _, cfg := range hintConfigs {
		c, err := newCollator(cfg.coll)
		mustOK(f, err)
		colls[cfg.coll] = c
	}
	f.Fuzz(func(t *testing.T, kind uint8, a, b []byte) {
		cfg := hintConfigs[int(kind)%len(hintConfigs)]
		checkHintPair(t, cfg.typ, colls[cfg.coll], a, b)
	})
}

// TestEntrySizes pins the per-tuple memory budget: a TREE entry is 16
// bytes with its hint, and the tuple header that precedes the bytes in
// their allocation is 8.
func TestEntrySizes(t *testing.T) {
	if got := unsafe.Sizeof(Tuple{}); got != 8 {
		t.Errorf("Tuple header is %d bytes, want 8", got)
	}
	if got := unsafe.Sizeof(indexEntry{}); got != 16 {
		t.Errorf("indexEntry is %d bytes, want 16", got)
	}
}
