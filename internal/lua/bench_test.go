package lua

import "testing"

func runChunk(b *testing.B, L State, chunk string) {
	b.Helper()
	if err := L.Load(chunk, "=bench"); err != nil {
		b.Fatal(err)
	}
	L.PushNumber(float64(b.N))
	b.ResetTimer()
	if err := L.PCall(1, 0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGoCall is one Lua-to-Go call with two arguments and a result.
func BenchmarkGoCall(b *testing.B) {
	_, L := newVM(b)
	L.PushFunction(func(L State) int {
		L.PushNumber(L.ToNumber(1) + L.ToNumber(2))
		return 1
	})
	L.SetGlobal("add")
	runChunk(b, L, "local n = ... local add = add for i = 1, n do add(i, 1) end")
}

// BenchmarkCall is one Go-to-Lua protected call.
func BenchmarkCall(b *testing.B) {
	_, L := newVM(b)
	if err := L.DoString("function f(a) return a end", "=f"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		L.GetGlobal("f")
		L.PushNumber(1)
		if err := L.PCall(1, 1); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}

// BenchmarkEncodeSmall encodes a five-field table (a tuple's worth).
func BenchmarkEncodeSmall(b *testing.B) {
	_, L := newVM(b)
	if err := L.DoString("t = {1, 'name', 3.5, {a = 1}, true}", "=t"); err != nil {
		b.Fatal(err)
	}
	L.GetGlobal("t")
	var out []byte
	for i := 0; i < b.N; i++ {
		var err error
		if out, err = L.Encode(out[:0], -1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTupleField reads a field of a tuple from Lua.
func BenchmarkTupleField(b *testing.B) {
	_, L := newVM(b)
	L.NewTable()
	L.NewTable()
	L.PushCFunction(TupleIndex, 1)
	L.RawSetField(-2, "__index")
	L.SetTupleMetatable()
	L.PushTuple([]byte{0x93, 0x01, 0xa3, 'a', 'b', 'c', 0x05}, 0, 0)
	L.SetGlobal("t")
	runChunk(b, L, "local n = ... local t = t local s = 0 for i = 1, n do s = s + t[3] end")
}
