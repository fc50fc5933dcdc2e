package msgpack

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestIntEncodings(t *testing.T) {
	cases := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0x00}},
		{127, []byte{0x7f}},
		{128, []byte{0xcc, 0x80}},
		{200, []byte{0xcc, 200}},
		{65535, []byte{0xcd, 0xff, 0xff}},
		{65536, []byte{0xce, 0, 1, 0, 0}},
		{-1, []byte{0xff}},
		{-32, []byte{0xe0}},
		{-33, []byte{0xd0, 0xdf}},
		{-129, []byte{0xd1, 0xff, 0x7f}},
		{math.MinInt64, []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		got := AppendInt(nil, c.v)
		if !bytes.Equal(got, c.want) {
			t.Errorf("AppendInt(%d) = %x, want %x", c.v, got, c.want)
		}
		i, n, err := ReadInt(got)
		if err != nil || n != len(got) || i != c.v {
			t.Errorf("ReadInt(%x) = %d %d %v", got, i, n, err)
		}
	}
	if _, _, err := ReadUint([]byte{0xff}); err == nil {
		t.Error("ReadUint accepted a negative integer")
	}
	if u, _, err := ReadUint([]byte{0xd0, 5}); err != nil || u != 5 {
		t.Errorf("ReadUint of signed-encoded 5 = %d %v", u, err)
	}
}

func TestRoundTrip(t *testing.T) {
	long := string(bytes.Repeat([]byte{'x'}, 70000))
	vals := []any{
		nil, true, false, uint64(1), uint64(math.MaxUint64), int64(-5), 1.5, float32(2.5),
		"", "hello", long, []byte{1, 2, 3},
		[]any{uint64(1), "a", []any{}, map[any]any{"k": uint64(2)}},
		map[any]any{uint64(1): "x", "y": nil},
		ExtValue{Type: 1, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		ExtValue{Type: 2, Data: []byte{1, 2, 3}},
	}
	for _, v := range vals {
		b, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		n, err := Skip(b)
		if err != nil || n != len(b) {
			t.Fatalf("Skip(%v) = %d, %v; len %d", v, n, err, len(b))
		}
		got, n, err := Decode(b)
		if err != nil || n != len(b) {
			t.Fatalf("Decode(%v): %v", v, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("round trip %#v -> %#v", v, got)
		}
		for cut := 0; cut < len(b) && cut < 64; cut++ {
			if _, err := Skip(b[:cut]); err == nil {
				t.Errorf("Skip of %d/%d bytes of %v succeeded", cut, len(b), v)
			}
		}
	}
}

func TestHostileCounts(t *testing.T) {
	// An array that claims 2^32-1 elements in 5 bytes must fail at once.
	if _, err := Skip([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}); err != ErrShort {
		t.Fatalf("Skip = %v, want ErrShort", err)
	}
	if _, _, err := Decode([]byte{0xdf, 0xff, 0xff, 0xff, 0xff, 1, 1}); err == nil {
		t.Fatal("Decode of a short map succeeded")
	}
	if _, err := Skip([]byte{0xc1}); err != ErrInvalid {
		t.Fatalf("Skip(0xc1) = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x93, 0x01, 0xa1, 'a', 0xc0})
	f.Add([]byte{0x81, 0xa1, 'k', 0xdd, 0, 0, 0, 1, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Skip(b)
		v, n2, err2 := Decode(b)
		if (err == nil) != (err2 == nil) || (err == nil && n != n2) {
			t.Fatalf("Skip %d %v, Decode %d %v", n, err, n2, err2)
		}
		if err != nil {
			return
		}
		enc, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Skip(enc); err != nil {
			t.Fatalf("re-encoded value does not parse: %v", err)
		}
	})
}

// BenchmarkSkipRow skips a snapshot row's body: {SPACE_ID: 512, TUPLE:
// [id, 88-byte string, id]}, the shape recovery skips a million times.
func BenchmarkSkipRow(b *testing.B) {
	tuple := []any{uint64(123456), strings.Repeat("x", 88), uint64(123456)}
	body, err := Append(nil, map[any]any{uint64(0x10): uint64(512), uint64(0x21): tuple})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if n, err := Skip(body); err != nil || n != len(body) {
			b.Fatal(n, err)
		}
	}
}
