package decimal

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func mustParse(t testing.TB, s string) *Decimal {
	t.Helper()
	d, ok := Parse(s)
	if !ok {
		t.Fatalf("Parse(%q) failed", s)
	}
	return d
}

// sameRepr reports whether a and b have the same sign, coefficient and
// exponent (not only the same value).
func sameRepr(a, b *Decimal) bool {
	return a.a.Negative == b.a.Negative && a.a.Exponent == b.a.Exponent && a.a.Coeff.Cmp(&b.a.Coeff) == 0
}

// TestEncode checks encodings 2.6 produced for msgpack.encode(decimal).
func TestEncode(t *testing.T) {
	for _, tt := range []struct{ in, hex string }{
		{"-123.4500", "c70501041234500d"},
		{"1", "d501001c"},
		{"0", "d501000c"},
		{"-0", "d501000d"},
		{"1e10", "d501f61c"},
		{"1e-10", "d5010a1c"},
		{"12345678901234567890123456789012345678", "c7150100012345678901234567890123456789012345678c"},
		{"1e-38", "d501261c"},
		{"100", "c7030100100c"},
		{"1e2", "d501fe1c"},
		{"-1.5", "c7030101015d"},
		{"0.0", "d501010c"},
		{"1.25", "c7030102125c"},
	} {
		d := mustParse(t, tt.in)
		if got := hex.EncodeToString(d.AppendMsgpack(nil)); got != tt.hex {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.hex)
		}
		if n := d.PayloadLen(); n != len(d.AppendPayload(nil)) {
			t.Errorf("%s: PayloadLen %d", tt.in, n)
		}
		back, n, err := Decode(d.AppendMsgpack(nil))
		if err != nil || n != len(tt.hex)/2 || !sameRepr(back, d) {
			t.Errorf("%s: decoded %v %d %v", tt.in, back, n, err)
		}
	}
}

// TestDecode checks what 2.6's msgpack.decode accepts and returns for
// hand-made MP_DECIMAL values.
func TestDecode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"d501001c", "1"},
		{"d401" + "1c", ""}, // no BCD after the scale
		{"d501fe1c", "100"}, // negative scale: exponent 2
		{"d501261c", "0.00000000000000000000000000000000000001"},
		{"d501271c", ""},           // scale 39
		{"d501da1c", ""},           // a string header is no scale
		{"d50100" + "1a", "1"},     // 0xa: positive
		{"d50100" + "1b", "-1"},    // 0xb: negative
		{"d50100" + "19", ""},      // no sign nibble
		{"d50100" + "a1", ""},      // digit nibble above 9
		{"d50100" + "0b", "-0"},    // -0
		{"d501c01c", ""},           // nil is no scale
		{"c70001", ""},             // empty payload
		{"d601000000" + "1c", "1"}, // leading zero bytes
		{"d6010012345f", "12345"},  // 0xf: positive
		{"d601d0dc010d", "-10000000000000000000000000000000000000"},
		{"d601d0db010d", "-100000000000000000000000000000000000000"}, // scale -37 is the lowest
		{"d601d0da010d", ""}, // scale -38
		{"d601cc10010d", "-0.0000000000000010"},
		{"d601cc30010d", ""}, // scale 48
		{"d70100" + "0000000000" + "123c", "123"},
		{"c7150100" + strings.Repeat("99", 19) + "9c", strings.Repeat("9", 39)},
		{"c71601" + "00" + strings.Repeat("99", 20) + "9c", ""}, // 41 digits
		{"c71401" + "00" + "00" + strings.Repeat("99", 17) + "9c", strings.Repeat("9", 35)},
		{"c71501e0" + strings.Repeat("99", 19) + "9c", strings.Repeat("9", 39) + strings.Repeat("0", 32)},
		{"c7150125" + strings.Repeat("99", 19) + "9c", "99." + strings.Repeat("9", 37)},
		// A 64-bit scale wraps to 32 bits as 2.6 reads it.
		{"c70b01cf0000000100000005125c", "0.00125"},
		{"d501cc", ""},        // truncated scale
		{"d50200" + "1c", ""}, // another extension type
		{"01", ""},            // not an extension
	} {
		b, _ := hex.DecodeString(tt.in)
		d, n, err := Decode(b)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: decoded as %s", tt.in, d)
			}
			continue
		}
		if err != nil || n != len(b) {
			t.Errorf("%s: %v (%d bytes)", tt.in, err, n)
			continue
		}
		if got := d.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestLayout(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.5", "-123.4500", "12345678901234567890123456789012345678",
		"1e-38", "1e37", "999", "1000", "0.001"} {
		d := mustParse(t, s)
		var p [LayoutSize]byte
		d.PutLayout(p[:])
		back, ok := FromLayout(p[:])
		if !ok || !sameRepr(back, d) {
			t.Errorf("%s: layout round trip gives %v, %v", s, back, ok)
		}
	}
	// 2.6's decimal_t of 1.5: digits 2, exponent -1, bits 0, lsu[0] 15.
	var p [LayoutSize]byte
	mustParse(t, "1.5").PutLayout(p[:])
	want := []byte{2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 15, 0}
	if !bytes.Equal(p[:12], want) || !bytes.Equal(p[12:], make([]byte, LayoutSize-12)) {
		t.Errorf("layout of 1.5: % x", p)
	}
	// ffi.new('decimal_t') is all zeros: digits 0 reads as 0.
	var z [LayoutSize]byte
	if d, ok := FromLayout(z[:]); !ok || d.String() != "0" {
		t.Errorf("zero layout: %v %v", d, ok)
	}
	bad := p
	bad[8] = 0x40 // infinity
	if _, ok := FromLayout(bad[:]); ok {
		t.Error("infinite layout accepted")
	}
	bad = p
	bad[10], bad[11] = 0xe8, 0x03 // unit 1000
	if _, ok := FromLayout(bad[:]); ok {
		t.Error("unit 1000 accepted")
	}
	bad = p
	bad[0] = 40
	if _, ok := FromLayout(bad[:]); ok {
		t.Error("40 digits accepted")
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0e10", "00000000000"},
		{"1e37", "1" + strings.Repeat("0", 37)},
		{"-0.00", "-0.00"},
		{"123.456e2", "12345.6"},
		{"-12.3e-3", "-0.0123"},
		{"1.00", "1.00"},
		{"0e1000", strings.Repeat("0", 38)},
	} {
		if got := mustParse(t, tt.in).String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestInt64(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1.9", 1, true}, {"-1.9", -1, true}, {"99.5", 99, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", -9223372036854775808, true},
		{"-9223372036854775809", 0, false},
		{"1e18", 1e18, true}, {"1e19", 0, false}, {"0e30", 0, true},
	} {
		got, ok := mustParse(t, tt.in).Int64()
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: got %d, %v", tt.in, got, ok)
		}
	}
}

// FuzzUnpack checks the decoder on arbitrary payloads: it never panics,
// and what it accepts re-encodes canonically to a payload that decodes to
// the same sign, coefficient and exponent, prints, and survives the Lua
// layout.
func FuzzUnpack(f *testing.F) {
	for _, s := range []string{"001c", "fe1c", "261c", "041234500d", "00" + strings.Repeat("99", 19) + "9c",
		"cf00000001000000051c", "d0db010d", "000000001a", "0b", "cc", "", "c0"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := Unpack(p)
		if err != nil {
			return
		}
		if d.Digits() > LayoutDigits || d.a.Form != apd.Finite {
			t.Fatalf("% x: decoded %d digits, form %v", p, d.Digits(), d.a.Form)
		}
		enc := d.AppendPayload(nil)
		back, err := Unpack(enc)
		if err != nil || !sameRepr(back, d) {
			t.Fatalf("% x: re-encoded % x decodes to %v, %v", p, enc, back, err)
		}
		if !bytes.Equal(back.AppendPayload(nil), enc) {
			t.Fatalf("% x: encoding not canonical", p)
		}
		s := d.String()
		if r, ok := Parse(s); ok && Compare(r, d) != 0 && d.Digits() <= MaxDigits && d.Exponent()+d.Digits() <= MaxDigits {
			t.Fatalf("% x: %s reads back as %s", p, s, r)
		}
		var l [LayoutSize]byte
		d.PutLayout(l[:])
		if lb, ok := FromLayout(l[:]); !ok || !sameRepr(lb, d) {
			t.Fatalf("% x: layout round trip failed", p)
		}
	})
}
