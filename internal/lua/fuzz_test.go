package lua

import (
	"bytes"
	"testing"
)

// FuzzPushMsgpack feeds arbitrary bytes to the decoder: it must refuse or
// decode them without crashing, and whatever it decodes must encode to
// MessagePack that decodes and re-encodes to the same bytes.
func FuzzPushMsgpack(f *testing.F) {
	for _, seed := range [][]byte{
		{0x93, 0x01, 0xa1, 'x', 0xc0},
		{0x81, 0xa1, 'a', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0},
		{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0xdd, 0xff, 0xff, 0xff, 0xff},
		{0xd4, 0x05, 0x01},
		{0x91, 0x91, 0x91, 0x91, 0x90},
	} {
		f.Add(seed)
	}
	vm, err := NewVM()
	if err != nil {
		f.Fatal(err)
	}
	L := vm.Main()
	f.Fuzz(func(t *testing.T, data []byte) {
		defer L.SetTop(0)
		rest, err := L.PushMsgpack(data, nil)
		if err != nil {
			if L.GetTop() != 0 {
				t.Fatalf("failed decode left %d values", L.GetTop())
			}
			return
		}
		if len(rest) > len(data) {
			t.Fatal("rest longer than input")
		}
		if n, ok := CheckMsgpack(data, 256); !ok || n != len(data)-len(rest) {
			t.Fatalf("CheckMsgpack %d %v, decoder used %d", n, ok, len(data)-len(rest))
		}
		enc1, err := L.Encode(nil, -1, nil)
		if err != nil {
			// A map key that Lua cannot keep (NaN) or depth: nothing to
			// compare.
			return
		}
		if _, err := L.PushMsgpack(enc1, nil); err != nil {
			t.Fatalf("re-decode of %x: %v", enc1, err)
		}
		enc2, err := L.Encode(nil, -1, nil)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(enc1, enc2) && !hasMultiKeyMap(enc1) {
			t.Fatalf("unstable: %x then %x", enc1, enc2)
		}
	})
}

// hasMultiKeyMap reports a map of two or more pairs, whose key order
// follows Lua's hash order and may differ between encodings.
func hasMultiKeyMap(b []byte) bool {
	for _, c := range b {
		if (c >= 0x82 && c <= 0x8f) || c == 0xde || c == 0xdf {
			return true
		}
	}
	return false
}
