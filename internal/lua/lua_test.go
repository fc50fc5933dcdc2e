package lua

import (
	"bytes"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
)

func newVM(t testing.TB) (*VM, State) {
	t.Helper()
	vm, err := NewVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	return vm, vm.Main()
}

// eval runs chunk and returns its results as tostring() shows them.
func eval(t testing.TB, L State, chunk string) []string {
	t.Helper()
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.Load(chunk, "=test"); err != nil {
		t.Fatalf("load %q: %v", chunk, err)
	}
	if err := L.PCall(0, MultRet); err != nil {
		t.Fatalf("run %q: %v", chunk, err)
	}
	var out []string
	for i := top + 1; i <= L.GetTop(); i++ {
		s, err := L.ToStringMeta(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func expect(t *testing.T, L State, chunk string, want ...string) {
	t.Helper()
	got := eval(t, L, chunk)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s\n got: %q\nwant: %q", chunk, got, want)
	}
}

func TestLuaJIT(t *testing.T) {
	_, L := newVM(t)
	expect(t, L, "return jit.version", "LuaJIT 2.1.0-beta3")
	expect(t, L, "return 1e18, 2^53, 1/0, -1/0, 0.1", "1e+18", "9.007199254741e+15", "inf", "-inf", "0.1")
	expect(t, L, "return 18446744073709551615ULL, -5LL", "18446744073709551615ULL", "-5LL")
	expect(t, L, "return #'\\xe2\\x88\\x9e', 'a\\z   b'", "3", "ab")
	expect(t, L, "return type(require('ffi').cast('void *', 0))", "cdata")
	expect(t, L, "return bit.band(0xff, 0x0f), table.new ~= nil or require('table.new') ~= nil", "15", "true")
}

func TestGoFunctions(t *testing.T) {
	_, L := newVM(t)
	L.PushFunction(func(L State) int {
		a := L.CheckNumber(1)
		b := L.CheckNumber(2)
		L.PushNumber(a + b)
		L.PushString("sum")
		return 2
	})
	L.SetGlobal("add")
	L.PushFunction(func(L State) int {
		L.Errorf("failed with %d", L.CheckInt(1))
		return 0
	})
	L.SetGlobal("fail")
	L.PushFunction(func(L State) int {
		// Call back into Lua, which calls fail: the inner error must
		// reach this pcall, and this function then raises its own.
		L.GetGlobal("fail")
		L.PushNumber(7)
		err := L.PCall(1, 0)
		L.RaiseString("outer: " + err.Error())
		return 0
	})
	L.SetGlobal("nested")
	L.PushFunction(func(L State) int {
		var none []int
		return none[L.GetTop()] // a Go bug: index out of range
	})
	L.SetGlobal("buggy")

	expect(t, L, "return add(2, 3)", "5", "sum")
	expect(t, L, "return pcall(add, 'x')", "false", "bad argument #1 to '?' (number expected, got string)")
	expect(t, L, "local f = add return pcall(function() local r = f(1, {}) return r end)",
		"false", "test:1: bad argument #2 to 'f' (number expected, got table)")
	expect(t, L, "return pcall(function() fail(3) end)", "false", "test:1: failed with 3")
	// fail is called from Go, with no Lua caller to name a position.
	expect(t, L, "return pcall(nested)", "false", "outer: failed with 7")
	expect(t, L, "return select(2, pcall(buggy)):match('^internal error: runtime error: index out of range') ~= nil", "true")
	// Many calls release nothing they should not: functions made in a
	// loop are collected and their slots reused.
	L.PushFunction(func(L State) int {
		L.PushFunction(func(L State) int { L.PushNumber(42); return 1 })
		return 1
	})
	L.SetGlobal("mk")
	expect(t, L, "local s = 0 for i = 1, 10000 do s = s + mk()() end collectgarbage() return s", "420000")
	if n := len(L.vm.funcs); n > 2000 {
		t.Errorf("%d function slots after collecting: slots are not reused", n)
	}
}

func TestIntegers(t *testing.T) {
	_, L := newVM(t)
	for _, c := range []struct {
		push func()
		want string
	}{
		{func() { L.PushUint64(1<<64 - 616) }, "18446744073709551000ULL"},
		{func() { L.PushUint64(1<<63 + 7) }, "9223372036854775815ULL"},
		{func() { L.PushUint64(1<<53 + 1) }, "9007199254740993ULL"},
		{func() { L.PushUint64(99999999999999) }, "99999999999999"},
		{func() { L.PushUint64(100000000000000) }, "100000000000000ULL"},
		{func() { L.PushInt64(-1 << 63) }, "-9223372036854775808LL"},
		{func() { L.PushInt64(-99999999999999) }, "-99999999999999"},
		{func() { L.PushInt64(-100000000000000) }, "-100000000000000LL"},
	} {
		c.push()
		s, _ := L.ToStringMeta(-1)
		if s != c.want {
			t.Errorf("pushed %s, want %s", s, c.want)
		}
		b, err := L.Encode(nil, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := L.PushMsgpack(b, nil); err != nil {
			t.Fatal(err)
		}
		if !eqValues(L, -1, -2) {
			t.Errorf("%s does not survive a msgpack round trip (%x)", c.want, b)
		}
		L.Pop(2)
	}
	L.PushNull()
	if !L.IsNull(-1) || L.IsNull(-2) {
		t.Error("IsNull")
	}
	L.Pop(1)
	expect(t, L, "local n = ... return n", "nil")
}

func eqValues(L State, a, b int) bool {
	a, b = L.AbsIndex(a), L.AbsIndex(b)
	L.GetGlobal("rawequal")
	L.Pop(1)
	if err := L.Load("local a, b = ... return a == b", "=eq"); err != nil {
		panic(err)
	}
	L.PushValue(a)
	L.PushValue(b)
	if err := L.PCall(2, 1); err != nil {
		panic(err)
	}
	ok := L.ToBool(-1)
	L.Pop(1)
	return ok
}

// encodeChunk encodes the first result of chunk.
func encodeChunk(t *testing.T, L State, s *Serializer, chunk string) (string, error) {
	t.Helper()
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.Load(chunk, "=enc"); err != nil {
		t.Fatal(err)
	}
	if err := L.PCall(0, 1); err != nil {
		t.Fatal(err)
	}
	b, err := L.Encode(nil, -1, s)
	return hex.EncodeToString(b), err
}

func TestEncode(t *testing.T) {
	_, L := newVM(t)
	for _, c := range []struct{ chunk, want string }{
		{"return 1", "01"},
		{"return -1", "ff"},
		{"return 1.5", "cb3ff8000000000000"},
		{"return 2^64", "cb43f0000000000000"},
		{"return 18446744073709551615ULL", "cfffffffffffffffff"},
		{"return -9223372036854775808LL", "d38000000000000000"},
		{"return 'ab'", "a26162"},
		{"return {1, 2, 3}", "93010203"},
		{"return {}", "90"},
		{"return setmetatable({}, {__serialize = 'map'})", "80"},
		{"return {a = 1}", "81a16101"},
		{"return {1, nil, 3}", "9301c003"},
		{"return {[1] = 1, [20] = 2}", "82" + "1402" + "0101"}, // number keys hash without a seed
		{"return box_null", "c0"},
		{"return setmetatable({1, 2}, {__serialize = function(t) return 'x' end})", "a178"},
		{"return require('ffi').new('double', 2.5)", "cb4004000000000000"},
		{"return require('ffi').new('float', 2.5)", "ca40200000"},
		{"return require('ffi').new('bool', true)", "c3"},
		{"return true", "c3"},
	} {
		L.PushNull()
		L.SetGlobal("box_null")
		got, err := encodeChunk(t, L, nil, c.chunk)
		if err != nil {
			t.Errorf("%s: %v", c.chunk, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.chunk, got, c.want)
		}
	}
	for _, c := range []struct{ chunk, want string }{
		{"return function() end", "unsupported Lua type 'function'"},
		{"local t = {} t[1] = t return t", "Too high nest level - 129"},
		{"return setmetatable({}, {__serialize = 'bogus'})", "invalid __serialize value"},
		{"return setmetatable({}, {__serialize = function() error('boom', 0) end})", "boom"},
	} {
		_, err := encodeChunk(t, L, nil, c.chunk)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.chunk, err, c.want)
		}
	}
	if L.GetTop() != 0 {
		t.Errorf("stack has %d values left", L.GetTop())
	}
	// Configuration: sparse arrays refused, invalid numbers refused.
	s := NewSerializer()
	o := s.Options()
	o.EncodeSparseConvert = false
	o.EncodeInvalidNumbers = false
	s.SetOptions(o)
	if _, err := encodeChunk(t, L, s, "return {[1] = 1, [20] = 2}"); err == nil || err.Error() != "excessively sparse array" {
		t.Errorf("sparse: %v", err)
	}
	if _, err := encodeChunk(t, L, s, "return 0/0"); err == nil || err.Error() != "number must not be NaN or Inf" {
		t.Errorf("nan: %v", err)
	}
}

func TestDecode(t *testing.T) {
	_, L := newVM(t)
	for _, c := range []struct{ hex, want string }{
		{"93010203", "[1,2,3] seq"},
		{"81a16101", "{a=1} map"},
		{"c0", "null"},
		{"cfffffffffffffffff", "18446744073709551615ULL"},
		{"d3ffffffffffffffff", "-1"},
		{"cb3ff8000000000000", "1.5"},
		{"93c0c0c0", "[null,null,null] seq"},
	} {
		b, _ := hex.DecodeString(c.hex)
		rest, err := L.PushMsgpack(b, nil)
		if err != nil || len(rest) != 0 {
			t.Errorf("%s: %v, %d left", c.hex, err, len(rest))
			continue
		}
		L.SetGlobal("v")
		got := eval(t, L, `
			local function show(v)
				if v == nil and type(v) == 'cdata' then return 'null' end
				if type(v) ~= 'table' then return tostring(v) end
				local mt = getmetatable(v)
				local hint = mt and mt.__serialize or '-'
				local parts = {}
				if hint == 'map' then
					for k, x in pairs(v) do parts[#parts + 1] = k .. '=' .. show(x) end
					return '{' .. table.concat(parts, ',') .. '} ' .. hint
				end
				for i = 1, #v do parts[i] = show(v[i]) end
				return '[' .. table.concat(parts, ',') .. '] ' .. hint
			end
			return show(v)`)[0]
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.hex, got, c.want)
		}
	}
	for _, h := range []string{"", "93", "c1", "dc0001", "a5616263"} {
		b, _ := hex.DecodeString(h)
		if _, err := L.PushMsgpack(b, nil); err == nil {
			t.Errorf("%q decoded", h)
			L.Pop(1)
		}
	}
	if L.GetTop() != 0 {
		t.Errorf("stack has %d values left", L.GetTop())
	}
	// Unknown extensions are an error, registered ones decode.
	b, _ := hex.DecodeString("d40507")
	if _, err := L.PushMsgpack(b, nil); err == nil || !strings.Contains(err.Error(), "Unsuported MsgPack extension type: 5") {
		t.Errorf("ext: %v", err)
	}
	if err := L.Load("return function(s) return 'ext:' .. #s end", "=x"); err != nil {
		t.Fatal(err)
	}
	if err := L.PCall(0, 1); err != nil {
		t.Fatal(err)
	}
	L.SetExtDecoder(5)
	if _, err := L.PushMsgpack(b, nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := L.ToString(-1); s != "ext:1" {
		t.Errorf("ext decoded as %q", s)
	}
	L.Pop(1)
	n, err := L.PushMsgpackArgs([]byte{0x92, 0x01, 0xa1, 'x'}, nil)
	if err != nil || n != 2 {
		t.Fatalf("args: %d %v", n, err)
	}
	L.Pop(2)
}

func TestTuples(t *testing.T) {
	_, L := newVM(t)
	// A metatable as luabox builds it.
	L.CreateTable(0, 8)
	L.NewTable() // methods
	L.PushCFunction(TupleToTable, 0)
	L.RawSetField(-2, "totable")
	L.PushCFunction(TupleUnpack, 0)
	L.RawSetField(-2, "unpack")
	L.PushCFunction(TupleToMap, 0)
	L.RawSetField(-2, "tomap")
	L.PushCFunction(TupleIndex, 1)
	L.RawSetField(-2, "__index")
	L.PushCFunction(TupleLen, 0)
	L.RawSetField(-2, "__len")
	L.PushCFunction(TupleEq, 0)
	L.RawSetField(-2, "__eq")
	L.SetTupleMetatable()

	if err := L.Load("return {1, 'two', {x = {10, 20}}, 18446744073709551615ULL}", "=t"); err != nil {
		t.Fatal(err)
	}
	if err := L.PCall(0, 1); err != nil {
		t.Fatal(err)
	}
	data, err := L.Encode(nil, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	L.Pop(1)
	// format: id, name, obj, big
	L.NewTable()
	for i, n := range []string{"id", "name", "obj", "big"} {
		L.PushNumber(float64(i + 1))
		L.RawSetField(-2, n)
	}
	L.NewTable()
	for i, n := range []string{"id", "name", "obj", "big"} {
		L.PushString(n)
		L.RawSetI(-2, i+1)
	}
	L.RawSetI(-2, 0)
	fmtRef := L.Ref()
	L.PushTuple(data, 1, fmtRef)
	L.SetGlobal("t")
	L.PushTuple(data, 1, 0)
	L.SetGlobal("t2")
	expect(t, L, "return t[1], t[2], #t, t[5], t[0], t[1.5]", "1", "two", "4", "nil", "nil", "nil")
	expect(t, L, "return t.name, t.id, t['obj.x[2]'], t['[3].x[1]'], t['big'], t['nope'], t['obj.y']",
		"two", "1", "20", "10", "18446744073709551615ULL", "nil", "nil")
	expect(t, L, "return t == t2, t == {}", "true", "false")
	expect(t, L, "return #t:totable(), t:totable(2, 3)[1], select('#', t:unpack(2))", "4", "two", "3")
	expect(t, L, "local m = t:tomap() return m.name, m[2], t:tomap({names_only = true})[2]", "two", "two", "nil")
	data2, ok := L.TupleData(1)
	_ = data2
	if ok {
		t.Error("TupleData of an empty slot")
	}
	L.GetGlobal("t")
	got, ok := L.TupleData(-1)
	if !ok || !bytes.Equal(got, data) {
		t.Errorf("TupleData: %x, %v", got, ok)
	}
	enc, err := L.Encode(nil, -1, nil)
	if err != nil || !bytes.Equal(enc, data) {
		t.Errorf("a tuple encodes as its data: %x %v", enc, err)
	}
	L.Pop(1)
}

// TestThreadsAcrossGoroutines runs Lua threads on goroutines that take
// turns under a baton, yielding inside Go functions while JIT-compiled
// loops, errors and GC interleave: the execution model of fibers.
func TestThreadsAcrossGoroutines(t *testing.T) {
	vm, L := newVM(t)
	var baton sync.Mutex
	// yield gives the baton away and takes it back: another goroutine's
	// thread runs in between, on another OS thread.
	L.PushFunction(func(L State) int {
		baton.Unlock()
		baton.Lock()
		return 0
	})
	L.SetGlobal("yield")
	src := `
		local id = ...
		local acc = 0ULL
		for round = 1, 20 do
			for i = 1, 2000 do acc = acc + i end
			local ok, err = pcall(error, 'e' .. id)
			assert(not ok and err == 'e' .. id)
			local junk = {}
			for i = 1, 100 do junk[i] = {i} end
			yield()
		end
		return acc
	`
	const n = 50
	results := make([]string, n)
	var wg sync.WaitGroup
	baton.Lock()
	for i := 0; i < n; i++ {
		T := L.NewThread()
		ref := L.Ref()
		wg.Add(1)
		go func(i int, T State, ref int) {
			defer wg.Done()
			baton.Lock()
			defer baton.Unlock()
			if err := T.Load(src, "=fiber"); err != nil {
				results[i] = err.Error()
				return
			}
			T.PushNumber(float64(i))
			if err := T.PCall(1, 1); err != nil {
				results[i] = err.Error()
				return
			}
			results[i], _ = T.ToStringMeta(-1)
			T.Pop(1)
			T.Unref(ref)
		}(i, T, ref)
	}
	baton.Unlock()
	wg.Wait()
	for i, r := range results {
		if r != "40020000ULL" {
			t.Errorf("thread %d: %s", i, r)
		}
	}
	_ = vm
}
