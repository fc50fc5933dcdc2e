package luamod

import (
	"bytes"
	"testing"
)

const msgpackSetup = "msgpack = require('msgpack') t = " + benchTable + " s = msgpack.encode(t)"

func BenchmarkMsgpackEncode(b *testing.B) {
	benchLoop(b, msgpackSetup, "msgpack.encode(t)")
}

func BenchmarkMsgpackDecode(b *testing.B) {
	benchLoop(b, msgpackSetup, "msgpack.decode(s)")
}

// TestMsgpackNested checks what the corpora cannot compare with
// tarantool: an encode nested in a __serialize function gets a buffer of
// its own, and an encode or decode that failed leaves the module usable.
func TestMsgpackNested(t *testing.T) {
	out := runLua(t, Options{}, `
local msgpack = require('msgpack')
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
local inner = setmetatable({}, {__serialize = function() return {msgpack.encode({1, 2})} end})
print(hex(msgpack.encode({inner, 3})))
print(pcall(msgpack.encode, {1, setmetatable({}, {__serialize = function() error('boom', 0) end})}))
print(pcall(msgpack.decode, '\146\1'))
print(hex(msgpack.encode({a = 1})), msgpack.decode('\145\5')[1])
local big = string.rep('x', 3000000)
print(#msgpack.encode(big), #msgpack.encode(1))
`)
	want := "9291a392010203\nfalse\tboom\nfalse\tmsgpack.decode: invalid MsgPack\n81a16101\t5\n3000005\t1\n"
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// FuzzMsgpackDecode feeds arbitrary bytes to msgpack.decode, with and
// without an offset, to decode_unchecked, and through a char pointer: it
// must return a value or raise a Lua error, never crash, and what it
// returns must encode again.
func FuzzMsgpackDecode(f *testing.F) {
	for _, seed := range [][]byte{
		{0x93, 0x01, 0xa1, 'x', 0xc0},
		{0x81, 0xa1, 'a', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0},
		{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0xdd, 0xff, 0xff, 0xff, 0xff},
		{0xd4, 0x05, 0x01},
		{0xd8, 0x02, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		{0x91, 0x91, 0x91, 0x91, 0x90},
		{0x82, 0xc0, 0x01, 0x01, 0x02},
		{0xc1},
		{},
	} {
		f.Add(seed, uint8(1))
	}
	var out bytes.Buffer
	L := newState(f, Options{}, &out)
	if err := L.DoString(`
local msgpack = require('msgpack')
local msgpackffi = require('msgpackffi')
local ffi = require('ffi')
function roundtrip(s, offset)
    local ok, v = pcall(msgpack.decode, s)
    if ok then msgpack.encode(v) end
    if #s > 0 then
        pcall(msgpack.decode, s, offset % #s + 1)
    end
    pcall(msgpack.decode_unchecked, s)
    local p = ffi.cast('const char *', s)
    ok = pcall(msgpack.decode, p, #s)
    if ok then
        -- Valid data may be read without bounds (extensions without a
        -- decoder still raise).
        pcall(msgpack.decode_unchecked, p)
        pcall(msgpackffi.decode_unchecked, p)
    end
    pcall(msgpackffi.decode_unchecked, s)
    if #s > 0 then
        pcall(msgpack.decode_array_header, p, #s)
        pcall(msgpack.decode_map_header, p, #s)
    end
end`, "=fuzz"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, offset uint8) {
		L.GetGlobal("roundtrip")
		L.PushBytes(data)
		L.PushNumber(float64(offset))
		if err := L.PCall(2, 0); err != nil {
			t.Fatalf("%x: %v", data, err)
		}
		if L.GetTop() != 0 {
			t.Fatalf("stack has %d values", L.GetTop())
		}
	})
}
