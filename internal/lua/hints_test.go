package lua

import (
	"bytes"
	"testing"
)

// TestEncodeHints checks the hinted MessagePack the yaml dumper reads:
// anchors and aliases for tables referenced twice, flow marks, the tuple
// mark, and no encode_max_depth.
func TestEncodeHints(t *testing.T) {
	vm, err := NewVM()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	L := vm.Main()
	s := NewSerializer()
	o := s.Options()
	o.Hints = true
	o.EncodeMaxDepth = 1
	s.SetOptions(o)
	L.NewTable()
	L.SetTupleMetatable()
	if err := L.DoString(`t = {1} v = {t, t, setmetatable({}, {__serialize = 'seq'})}
		c = {} c[1] = c deep = {{{2}}}`, "=hints"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		push func()
		want []byte
	}{
		{func() { L.GetGlobal("v") }, []byte{0x93, 0xd6, 0x7e, 0, 0, 0, 0, 0x91, 0x01, 0xd6, 0x7d, 0, 0, 0, 0, 0xc7, 0x00, 0x7f, 0x90}},
		{func() { L.GetGlobal("c") }, []byte{0xd6, 0x7e, 0, 0, 0, 0, 0x91, 0xd6, 0x7d, 0, 0, 0, 0}},
		{func() { L.GetGlobal("deep") }, []byte{0x91, 0x91, 0x91, 0x02}},
		{func() { L.PushTuple([]byte{0x91, 0x05}, 0, 0) }, []byte{0xd4, 0x7f, 0x01, 0x91, 0x05}},
	}
	for i, tt := range tests {
		tt.push()
		got, err := L.Encode(nil, -1, s)
		L.Pop(1)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("case %d: got % x, %v; want % x", i, got, err, tt.want)
		}
	}
	// Without hints the same serializer keeps encode_max_depth.
	o.Hints = false
	s.SetOptions(o)
	L.GetGlobal("deep")
	if _, err := L.Encode(nil, -1, s); err == nil {
		t.Error("encode_max_depth ignored without hints")
	}
	L.Pop(1)
}
