package e2e

import (
	"strings"
	"testing"
)

// luaNumbersScript reads tuples holding integers beyond 2^53 from Lua and
// writes them back in every way a procedure does (field by field,
// totable, arithmetic), looks rows up by such keys, and prints each value
// with its Lua type and the exact MessagePack stored. Every value must
// survive unchanged, as on Tarantool, where integers of 1e14 and more
// reach Lua as int64/uint64 cdata.
const luaNumbersScript = `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 1}
local msgpack = require('msgpack')
local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function show(label, v)
    print(label, tostring(v), type(v))
end
local s = box.schema.space.create('t')
s:create_index('pk', {parts = {1, 'unsigned'}})
local vals = {18446744073709551000ULL, 9223372036854775815ULL, 9007199254740993ULL,
              9007199254740992ULL, 100000000000000ULL, 99999999999999, -9223372036854775807LL,
              -100000000000001LL}
for i, v in ipairs(vals) do s:insert{i, v} end
for i = 1, #vals do
    local t = s:get{i}
    show('read ' .. i, t[2])
    s:replace{t[1], t[2]}
    print('fields', hex(msgpack.encode(s:get{i})))
    s:replace(t:totable())
    print('totable', hex(msgpack.encode(s:get{i})))
    s:replace({t:unpack()})
    print('unpack', hex(msgpack.encode(s:get{i})))
    s:replace{t[1], t[2] + 1}
    show('plus one', s:get{i}[2])
    print('stored', hex(msgpack.encode(s:get{i})))
end

-- Keys 2^53 and 2^53 + 1 are different rows: reading one and writing it
-- back must not touch the other.
local k = box.schema.space.create('k')
k:create_index('pk', {parts = {1, 'unsigned'}})
k:insert{9007199254740992ULL, 'a'}
k:insert{9007199254740993ULL, 'b'}
local t = k:get{9007199254740993ULL}
k:replace{t[1], 'c'}
k:insert{18446744073709551000ULL, 'big'}
for _, x in k:pairs() do show('row ' .. x[2], x[1]) end
print('get big', k:get{18446744073709551000ULL}[2])
print('get 2^53+1', k:get{9007199254740993ULL}[2])
print('get as number', k:get{2^53} ~= nil and k:get{2^53}[2])

-- Numbers, cdata and comparisons.
print(tonumber64('18446744073709551615'), 2^53 == 9007199254740992ULL, 1ULL < 2, -1LL < 0)
show('json', require('json').decode('[18446744073709551615]')[1])
print(require('json').encode({18446744073709551615ULL, -9223372036854775807LL - 1}))
show('msgpack', msgpack.decode(msgpack.encode(18446744073709551615ULL)))
print(box.NULL == nil, type(box.NULL), require('json').NULL == nil, msgpack.NULL == box.NULL)
os.exit(0)
`

// TestLuaNumbersExact runs luaNumbersScript on Spindle and on the
// reference and requires the same output line for line.
func TestLuaNumbersExact(t *testing.T) {
	tt := tarantoolBin(t)
	want, _ := runStep(t, tt, t.TempDir(), luaNumbersScript)
	got, _ := runStep(t, spindleBin, t.TempDir(), luaNumbersScript)
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("line %d:\n tarantool: %q\n spindle:   %q", i+1, w, g)
		}
	}
	if !strings.Contains(got, "get big\tbig") {
		t.Errorf("spindle output lacks the lookup by a 64-bit key:\n%s", got)
	}
}
