package luamod

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
)

// benchTable is the small table of the json and msgpack benchmarks; the
// same loops under tarantool give the reference figures (see
// benchLoop).
const benchTable = `{id = 1, name = 'alice', tags = {'a', 'b'}, score = 12.5, active = true}`

// benchLoop runs body (a Lua statement over t and s) b.N times inside
// one Lua loop, as a Tarantool user's code would call the function.
func benchLoop(b *testing.B, setup, body string) {
	var out bytes.Buffer
	L := newState(b, Options{}, &out)
	if err := L.DoString(setup, "=setup"); err != nil {
		b.Fatal(err)
	}
	if err := L.Load("local n = ... for i = 1, n do "+body+" end", "=bench"); err != nil {
		b.Fatal(err)
	}
	L.PushNumber(float64(b.N))
	b.ResetTimer()
	if err := L.PCall(1, 0); err != nil {
		b.Fatal(err)
	}
}

const jsonSetup = "json = require('json') t = " + benchTable + " s = json.encode(t)"

func BenchmarkJSONEncode(b *testing.B) {
	benchLoop(b, jsonSetup, "json.encode(t)")
}

func BenchmarkJSONDecode(b *testing.B) {
	benchLoop(b, jsonSetup, "json.decode(s)")
}

func BenchmarkJSONEncodeArray(b *testing.B) {
	benchLoop(b, jsonSetup, "json.encode({1, 2, 3})")
}

func BenchmarkJSONDecodeArray(b *testing.B) {
	benchLoop(b, jsonSetup, "json.decode('[1,2,3]')")
}

// TestJSONNested checks what the corpora cannot compare with tarantool:
// json.encode called from a __serialize function during an encode gets
// a buffer of its own (Tarantool's shared buffer garbles the outer
// result), and an encode that failed leaves the module usable.
func TestJSONNested(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	err := L.DoString(`
local json = require('json')
local inner = setmetatable({}, {__serialize = function() return {json.encode({1, 2}), 3} end})
print(json.encode({inner}))
print(pcall(json.encode, {1, setmetatable({}, {__serialize = function() error('boom', 0) end})}))
print(json.encode({a = 1}))
print(json.decode('[' .. string.rep('"x",', 1000) .. '"y"]')[1001])
local k = newproxy(true)
getmetatable(k).__tostring = function() return 'key' end
print(json.encode({[k] = 1}, {encode_use_tostring = true}))
`, "=nested")
	if err != nil {
		t.Fatal(err)
	}
	want := "[[\"[1,2]\",3]]\nfalse\tboom\n{\"a\":1}\ny\n{\"key\":1}\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestJSONLarge encodes and decodes values that exercise buffer growth
// and the escaping paths.
func TestJSONLarge(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	err := L.DoString(`
local json = require('json')
local s = string.rep('a\n"b\\', 100000)
local e = json.encode(s)
print(#e, json.decode(e) == s)
local t = {}
for i = 1, 10000 do t[i] = {i, tostring(i), i + 0.5} end
local d = json.decode(json.encode(t))
print(#d, d[10000][2], d[10000][3])
`, "=large")
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "800002\ttrue\n10000\t10000\t10000.5\n" {
		t.Errorf("got %q", got)
	}
}

// FuzzJSONDecode feeds arbitrary text to json.decode: it must return a
// value or raise a Lua error, never crash, and what it returns must
// encode.
func FuzzJSONDecode(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"}`, `[1e309,-0,18446744073709551616]`,
		`"\ud800"`, `[[[[[[]]]]]]`, `-nan`, `{"a":1,}`, "1\x00x", `"\u00`, `nan`, `-na`,
	} {
		f.Add(seed)
	}
	var out bytes.Buffer
	L := newState(f, Options{}, &out)
	if err := L.DoString(`json = require('json')
function roundtrip(s)
    local ok, v = pcall(json.decode, s)
    if ok then json.encode(v) end
end`, "=fuzz"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		L.GetGlobal("roundtrip")
		L.PushString(s)
		if err := L.PCall(1, 0); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if L.GetTop() != 0 {
			t.Fatalf("stack has %d values", L.GetTop())
		}
	})
}

// TestSerializerCallConfig checks the Go-built serializer modules' cfg
// and per-call options (yaml's path).
func TestSerializerCallConfig(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	m := newSerializerModule(L, lua.NewSerializer())
	L.PushFunction(func(L lua.State) int {
		c := m.callConfig(L, 1)
		L.PushNumber(float64(c.Options().EncodeMaxDepth))
		return 1
	})
	L.RawSetField(-2, "depth")
	L.SetGlobal("m")
	err := L.DoString(`
print(m.depth(), m.depth({encode_max_depth = 5}), m.depth({encode_max_depth = 'x'}), m.depth())
m.cfg{encode_max_depth = 7}
print(m.cfg.encode_max_depth, m.depth(), m.NULL == nil, m.array_mt.__serialize, m.map_mt.__serialize)
print(pcall(m.depth, setmetatable({}, {__index = function() error('idx', 0) end})))
`, "=cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := "128\t5\t0\t128\n7\t7\ttrue\tseq\tmap\nfalse\tidx\n"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if s := runLua(t, Options{}, "print(require('json').encode({1}))"); !strings.HasPrefix(s, "[1]") {
		t.Errorf("json: %q", s)
	}
}

// TestJSONNumbers compares json's number formatting and parsing (which
// take shortcuts for short decimals) with libc's %.<precision>g and with
// LuaJIT's exact string-to-number conversion, on random and boundary
// values.
func TestJSONNumbers(t *testing.T) {
	out := runLua(t, Options{}, `
local json = require('json')
local ffi = require('ffi')
math.randomseed(7)
local u = ffi.new('union { double d; uint64_t u; }')
-- The reference is libc's printf, which Tarantool uses (LuaJIT's own
-- string.format rounds ties differently).
ffi.cdef('int snprintf(char *str, size_t size, const char *format, ...);')
local cbuf = ffi.new('char[64]')
local function cfmt(prec, v)
    local n = ffi.C.snprintf(cbuf, 64, '%.*g', ffi.new('int', prec), ffi.new('double', v))
    return ffi.string(cbuf, n)
end
local bad = 0
local function check_encode(v, prec)
    local want = cfmt(prec, v)
    local got = json.encode(v, {encode_number_precision = prec})
    if v % 1 ~= 0 and want ~= got and bad < 10 then
        bad = bad + 1
        print('encode', string.format('%.17g', v), prec, want, got)
    end
end
local function check_decode(s)
    local want = tonumber(s)
    local got = json.decode(s)
    if type(got) == 'cdata' then
        -- Integers from 1e14 on are exact int64_t.
        want, got = s .. 'LL', tostring(got)
        if want ~= got and bad < 10 then
            bad = bad + 1
            print('decode', s, got)
        end
        return
    end
    if want ~= got and bad < 10 then
        bad = bad + 1
        print('decode', s, string.format('%.17g', want), string.format('%.17g', got))
    end
end
for i = 1, 200000 do
    local k = math.random(0, 8)
    local m = math.random(0, 10^math.random(1, 15))
    local v = m / 10^k
    if math.random(2) == 1 then v = -v end
    check_encode(v, 14)
    check_encode(v, math.random(1, 14))
    check_encode(v * 1.0000000000001, 14)
    u.u = bit.bor(bit.lshift(0ULL + math.random(0, 2^31), 32), math.random(0, 2^31))
    if u.d == u.d and u.d ~= 1/0 and u.d ~= -1/0 then check_encode(u.d, 14) end
    local digits = tostring(math.random(0, 10^math.random(1, 9)))
    local frac = tostring(math.random(0, 10^math.random(1, 9)))
    check_decode(digits .. '.' .. frac)
    check_decode('-' .. digits .. '.' .. frac)
    check_decode(digits)
end
for _, v in ipairs({0.1, 0.2, 0.3, 1e-4, 1.5e-4, 0.99999999999999, 999999999.5, 999999999.99, 123456.7890123,
                    0.30000000000000004, 5e-5, 0.00010000000000000001, 1e9 - 0.5, 2^-14, 1/3, 2/3, 0.1 + 0.7}) do
    for p = 1, 14 do check_encode(v, p) check_encode(-v, p) end
end
for _, s in ipairs({'0.1', '0.30000000000000004', '123456789012345.6', '12345678901234.56', '9007199254740993.0',
                    '0.000000000000001', '1.000000000000001', '999999999999999.9', '0.9999999999999999',
                    '123456789012345678', '999999999999999999', '-999999999999999999', '1.5', '-0.0', '0.0'}) do
    check_decode(s)
end
print('bad', bad)
`)
	if out != "bad\t0\n" {
		t.Errorf("mismatches:\n%s", out)
	}
}

// TestJSONGarbage decodes random strings over JSON's alphabet, which
// reach the tokenizer's error paths far more often than random bytes.
func TestJSONGarbage(t *testing.T) {
	out := runLua(t, Options{}, `
local json = require('json')
math.randomseed(11)
local alphabet = {'{', '}', '[', ']', '"', '\\', 'u', 'd8', 'dc', '00', '1', '9', '.', 'e', '-', '+', ',', ':',
                  'n', 'null', 'true', 'f', 'nan', 'inf', ' ', '\n', '\0', 'x', 'é', '\\u', '"a"'}
local decoded = 0
for i = 1, 100000 do
    local parts = {}
    for j = 1, math.random(1, 12) do parts[j] = alphabet[math.random(#alphabet)] end
    local ok, v = pcall(json.decode, table.concat(parts))
    if ok then
        decoded = decoded + 1
        json.encode(v)
    end
end
print(decoded > 0)
`)
	if out != "true\n" {
		t.Errorf("got %q", out)
	}
}

// TestSerializeTupleAndUUID checks the values only box provides: a
// tuple encodes as its fields (json) or its bytes (msgpack), a UUID as
// its string (json) or MP_UUID (msgpack, msgpackffi).
func TestSerializeTupleAndUUID(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	L.NewTable()
	L.SetTupleMetatable()
	// [1, "a", {"k": [true, nil]}, 100000000000000, 1.5]
	L.PushTuple([]byte{0x95, 0x01, 0xa1, 'a', 0x81, 0xa1, 'k', 0x92, 0xc3, 0xc0,
		0xcf, 0, 0, 0x5a, 0xf3, 0x10, 0x7a, 0x40, 0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 0, 0)
	L.SetGlobal("tuple")
	if err := L.DoString(`
local ffi = require('ffi')
-- struct tt_uuid is declared by the uuid module at preload.
uuid = ffi.new('struct tt_uuid', 0x01020304, 0x0506, 0x0708, 0x09, 0x0a, {0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10})`, "=uuid"); err != nil {
		t.Fatal(err)
	}
	L.GetGlobal("uuid")
	L.SetUUIDType(-1)
	L.Pop(1)
	if err := L.DoString(`
local json, msgpack, msgpackffi = require('json'), require('msgpack'), require('msgpackffi')
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
print(json.encode(tuple))
print(json.encode({t = tuple}))
print(hex(msgpack.encode(tuple)))
print(pcall(json.encode, {tuple}, {encode_max_depth = 1}))
print(json.encode(uuid), json.encode({uuid}))
print(hex(msgpack.encode(uuid)))
print(hex(msgpackffi.encode(uuid)))
`, "=t"); err != nil {
		t.Fatal(err)
	}
	want := `[1,"a",{"k":[true,null]},100000000000000,1.5]
{"t":[1,"a",{"k":[true,null]},100000000000000,1.5]}
9501a16181a16b92c3c0cf00005af3107a4000cb3ff8000000000000
false	Too high nest level
"01020304-0506-0708-090a-0b0c0d0e0f10"	["01020304-0506-0708-090a-0b0c0d0e0f10"]
d8020102030405060708090a0b0c0d0e0f10
d8020102030405060708090a0b0c0d0e0f10
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
