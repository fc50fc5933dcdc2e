package luaconv

import (
	"encoding/hex"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/msgpack"
	lua "github.com/yuin/gopher-lua"
)

func evalLua(t testing.TB, L *lua.LState, expr string) lua.LValue {
	t.Helper()
	if err := L.DoString("return " + expr); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// Expected bytes were produced by Tarantool 2.6.0's msgpack.encode.
var encodeCases = []struct {
	expr, hex, err string
}{
	{"{1}", "9101", ""},
	{"{[1]=1,[3]=3}", "9301c003", ""},
	{"{[1]=1,[2]=2,[4]=4}", "940102c004", ""},
	{"{[1]=1,[5]=5}", "9501c0c0c005", ""},
	{"{[2]=2}", "92c002", ""},
	{"{[3]=3}", "93c0c003", ""},
	{"{[1]=1,[10]=10}", "9a01c0c0c0c0c0c0c0c00a", ""},
	{"{[1]=1,[20]=20}", "820101" + "1414", ""},
	{"{}", "90", ""},
	{"{[0]=1}", "810001", ""},
	{"{[1.5]=1}", "81cb3ff800000000000001", ""},
	{"{[-1]=1}", "81ff01", ""},
	{"{[2]=2,[3]=3}", "93c00203", ""},
	{"{1,2,3,4,5,6,7,8,9,10,[20]=20}", "dc00140102030405060708090ac0c0c0c0c0c0c0c0c014", ""},
	{"setmetatable({}, {__serialize='map'})", "80", ""},
	{"setmetatable({1,2}, {__serialize='map'})", "8201010202", ""},
	{"setmetatable({a=1}, {__serialize='seq'})", "90", ""},
	{"setmetatable({[1]=1,[3]=3}, {__serialize='array'})", "9301c003", ""},
	{"setmetatable({}, {__serialize='mapping'})", "80", ""},
	{"setmetatable({}, {__serialize='sequence'})", "90", ""},
	{"setmetatable({}, {__serialize=function(t) return {5} end})", "9105", ""},
	{"setmetatable({}, {__serialize=function(t) return 'x' end})", "a178", ""},
	{"setmetatable({}, {__serialize='foo'})", "", "invalid __serialize value"},
	{"setmetatable({}, {__serialize=true})", "", "invalid __serialize value"},
	{"setmetatable({}, {__serialize=function(t) error('boom', 0) end})", "", "boom"},
	{"1", "01", ""}, {"-1", "ff", ""}, {"0", "00", ""}, {"-0.0", "00", ""},
	{"1.5", "cb3ff8000000000000", ""},
	{"2^63", "cf8000000000000000", ""},
	{"2^64", "cb43f0000000000000", ""},
	{"-2^63", "d38000000000000000", ""},
	{"1e300", "cb7e37e43c8800759c", ""},
	{"1/0", "cb7ff0000000000000", ""},
	{"-1/0", "cbfff0000000000000", ""},
	{"4294967296", "cf0000000100000000", ""},
	{"-2147483649", "d3ffffffff7fffffff", ""},
	{"255", "ccff", ""}, {"256", "cd0100", ""}, {"-32", "e0", ""}, {"-33", "d0df", ""},
	{"-128", "d080", ""}, {"-129", "d1ff7f", ""},
	{"nil", "c0", ""}, {"true", "c3", ""}, {"false", "c2", ""}, {"'abc'", "a3616263", ""},
	{"{a=1}", "81a16101", ""},
	{"{1, a=2}", "8201" + "01a16102", ""},
	{"function() end", "", "unsupported Lua type 'function'"},
	{"coroutine.create(function() end)", "", "unsupported Lua type 'thread'"},
	{"{f=function() end}", "", "unsupported Lua type 'function'"},
}

func TestEncodeTarantoolCases(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, c := range encodeCases {
		v := evalLua(t, L, c.expr)
		got, err := EncodeL(L, nil, v)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: err %v, want %q", c.expr, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("%s: got %x, want %s", c.expr, got, c.hex)
		}
	}
}

func TestEncodeNestLevel(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	v := evalLua(t, L, "(function() local t = {} t.t = t return t end)()")
	_, err := EncodeL(L, nil, v)
	if err == nil || err.Error() != "Too high nest level - 129" {
		t.Fatalf("cycle: %v", err)
	}
	// 128 nested containers are fine, 129 are not.
	ok := evalLua(t, L, "(function() local t = 1 for i = 1, 128 do t = {t} end return t end)()")
	if _, err := EncodeL(L, nil, ok); err != nil {
		t.Fatalf("128 levels: %v", err)
	}
	deep := evalLua(t, L, "(function() local t = 1 for i = 1, 129 do t = {t} end return t end)()")
	if _, err := EncodeL(L, nil, deep); err == nil {
		t.Fatal("129 levels encoded")
	}
}

func TestEncodeNULLAndRaw(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	ud := L.NewUserData()
	ud.Value = rawTuple{0x92, 0x01, 0xa1, 'x'}
	arr := L.NewTable()
	arr.Append(NULL(L))
	arr.Append(ud)
	got, err := Encode(nil, arr)
	if err != nil || hex.EncodeToString(got) != "92c09201a178" {
		t.Fatalf("got %x %v", got, err)
	}
	if _, err := Encode(nil, L.NewUserData()); err == nil || err.Error() != "unsupported Lua type 'userdata'" {
		t.Fatalf("plain userdata: %v", err)
	}
	fnser := evalLua(t, L, "setmetatable({}, {__serialize=function() return 1 end})")
	if _, err := Encode(nil, fnser); err != ErrNeedState {
		t.Fatalf("no state: %v", err)
	}
	bad := L.NewUserData()
	bad.Value = rawTuple{0x92, 0x01}
	if _, err := Encode(nil, bad); err == nil {
		t.Fatal("truncated raw accepted")
	}
}

type rawTuple []byte

func (r rawTuple) MsgpackRaw() []byte { return r }

func TestUserDataSerialize(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	ud := L.NewUserData()
	mt := L.NewTable()
	methods := L.NewTable()
	methods.RawSetString("__serialize", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("ok"))
		return 1
	}))
	mt.RawSetString("__index", methods)
	ud.Metatable = mt
	got, err := EncodeL(L, nil, ud)
	if err != nil || hex.EncodeToString(got) != "a26f6b" {
		t.Fatalf("got %x %v", got, err)
	}
	cfg := DefaultConfig()
	cfg.EncodeUseToString = true
	got, err = EncodeWith(L, &cfg, nil, evalLua(t, L, "setmetatable({}, {__tostring=function() return 'T' end})"))
	if err != nil || hex.EncodeToString(got) != "90" {
		t.Fatalf("table with tostring: %x %v", got, err)
	}
	got, err = EncodeWith(L, &cfg, nil, L.NewFunction(func(*lua.LState) int { return 0 }))
	if err != nil || !strings.HasPrefix(string(got[1:]), "function: ") {
		t.Fatalf("use_tostring: %q %v", got, err)
	}
	cfg = DefaultConfig()
	cfg.EncodeInvalidAsNil = true
	got, _ = EncodeWith(L, &cfg, nil, L.NewFunction(func(*lua.LState) int { return 0 }))
	if hex.EncodeToString(got) != "c0" {
		t.Fatalf("invalid_as_nil: %x", got)
	}
	cfg = DefaultConfig()
	cfg.EncodeSparseConvert = false
	if _, err := EncodeWith(L, &cfg, nil, evalLua(t, L, "{[1]=1,[20]=20}")); err == nil || err.Error() != "excessively sparse array" {
		t.Fatalf("sparse: %v", err)
	}
	cfg = DefaultConfig()
	cfg.EncodeInvalidNumbers = false
	if _, err := EncodeWith(L, &cfg, nil, lua.LNumber(math.Inf(1))); err == nil || err.Error() != "number must not be NaN or Inf" {
		t.Fatalf("inf: %v", err)
	}
}

func TestEncodeArgs(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.Push(lua.LString("skip"))
	L.Push(lua.LNumber(1))
	L.Push(lua.LNil)
	L.Push(lua.LString("a"))
	got, err := EncodeArgs(nil, L, 2)
	if err != nil || hex.EncodeToString(got) != "9301c0a161" {
		t.Fatalf("got %x %v", got, err)
	}
	got, _ = EncodeArgs(nil, L, 5)
	if hex.EncodeToString(got) != "90" {
		t.Fatalf("empty: %x", got)
	}
	got, _ = EncodeValues(L, []byte{0xff}, lua.LTrue)
	if hex.EncodeToString(got) != "ff91c3" {
		t.Fatalf("values: %x", got)
	}
}

var decodeCases = []struct {
	hex, lua, err string // lua: expression the result must equal via check()
}{
	{"c0", "NULL", ""},
	{"92c001", "#v == 2 and v[1] == NULL and v[2] == 1 and getmetatable(v).__serialize == 'seq'", ""},
	{"80", "next(v) == nil and getmetatable(v).__serialize == 'map'", ""},
	{"81c001", "v[NULL] == 1", ""},
	{"c403616263", "v == 'abc'", ""},
	{"cfffffffffffffffff", "v == 2^64", ""},
	{"d38000000000000000", "v == -2^63", ""},
	{"ca3f800000", "v == 1", ""},
	{"cb3ff8000000000000", "v == 1.5", ""},
	{"c3", "v == true", ""},
	{"d40501", "", "Unsuported MsgPack extension type: 5"},
	{"c1", "", "Unsuported MsgPack extension type: 0"},
	{"9201", "", "msgpack.decode: invalid MsgPack"},
	{"", "", "msgpack.decode: invalid MsgPack"},
	{"dd7fffffff", "", "msgpack.decode: invalid MsgPack"},
	{"81cb7ff800000000000001", "", "table index is NaN"},
}

func TestDecodeTarantoolCases(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("NULL", NULL(L))
	for _, c := range decodeCases {
		b, _ := hex.DecodeString(c.hex)
		v, n, err := Decode(L, b)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: err %v, want %q", c.hex, err, c.err)
			}
			continue
		}
		if err != nil || n != len(b) {
			t.Errorf("%s: n=%d err=%v", c.hex, n, err)
			continue
		}
		L.SetGlobal("v", v)
		if !lua.LVAsBool(evalLua(t, L, c.lua)) {
			t.Errorf("%s: %s is false", c.hex, c.lua)
		}
	}
}

func TestDecodeExtDecoder(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	SetExtDecoder(L, 2, func(L *lua.LState, data []byte) (lua.LValue, error) {
		return lua.LString(hex.EncodeToString(data)), nil
	})
	v, n, err := Decode(L, []byte{0xd4, 0x02, 0xab, 0x01})
	if err != nil || n != 3 || v.String() != "ab" {
		t.Fatalf("%v %d %v", v, n, err)
	}
}

// TestRoundTrip: encode(decode(x)) == x for canonical encodings produced
// by a random model of values.
func TestRoundTrip(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		want := msgpack.MustAppend(nil, randomValue(rng, 0))
		v, n, err := Decode(L, want)
		if err != nil || n != len(want) {
			t.Fatalf("decode %x: %v", want, err)
		}
		got, err := EncodeL(L, nil, v)
		if err != nil {
			t.Fatalf("encode %x: %v", want, err)
		}
		if string(got) != string(want) {
			t.Fatalf("round trip\n want %x\n  got %x", want, got)
		}
	}
}

// randomValue builds values whose canonical encoding survives Lua: maps
// have string keys (one pair, so order is fixed), integers fit 2^53.
func randomValue(rng *rand.Rand, depth int) any {
	k := rng.Intn(9)
	if depth > 3 && k >= 6 {
		k = rng.Intn(6)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.Intn(2) == 0
	case 2:
		return uint64(rng.Int63n(1 << 53))
	case 3:
		return -rng.Int63n(1<<53) - 1
	case 4:
		return rng.NormFloat64() + 0.5
	case 5:
		return strings.Repeat("x", rng.Intn(40))
	case 6, 7:
		a := make([]any, rng.Intn(5))
		for i := range a {
			a[i] = randomValue(rng, depth+1)
		}
		return a
	default:
		m := map[string]any{}
		if rng.Intn(3) > 0 {
			m["k"] = randomValue(rng, depth+1)
		}
		return m
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	for _, c := range encodeCases {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	f.Add([]byte{0xdc, 0xff, 0xff})
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xc7, 0x10, 0x02})
	L := lua.NewState()
	defer L.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := Decode(L, b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if _, err := EncodeL(L, nil, v); err != nil && !strings.HasPrefix(err.Error(), "Too high nest level") {
			t.Fatalf("re-encode of decoded value: %v", err)
		}
	})
}

func BenchmarkEncodeTable(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	v := evalLua(b, L, "{1, 2, 'three', {a = 1.5, b = true}, {10, 20, 30}}")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = EncodeL(L, buf[:0], v)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeTable(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	data, _ := EncodeL(L, nil, evalLua(b, L, "{1, 2, 'three', {a = 1.5, b = true}, {10, 20, 30}}"))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, _, err := Decode(L, data); err != nil {
			b.Fatal(err)
		}
	}
}
