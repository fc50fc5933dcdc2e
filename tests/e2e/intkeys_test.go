package e2e

import "testing"

// intKeysServer has a space per one-part integer key type, open to guest.
const intKeysServer = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
for _, typ in ipairs({'unsigned', 'integer'}) do
    box.schema.space.create('s_' .. typ):create_index('pk', {parts = {1, typ}})
end
`

// intKeysClient stores every other key on and around 2^59, 2^60, 2^63 and
// the ends of int64 and uint64, then prints, for every key, a lookup, a
// duplicate insert and the first tuples of each iterator from it.
const intKeysClient = `
local c = require('net.box').connect(os.getenv('ADDR'))
local function keys(signed)
    local ks = {0ULL, 1ULL, 2ULL}
    local function around(b)
        for d = -2, 2 do table.insert(ks, b + d) end
    end
    for _, e in ipairs({59, 60, 63}) do
        around(2ULL ^ e)
        if signed and e < 63 then around(-(2LL ^ e)) end
    end
    table.insert(ks, 18446744073709551615ULL)
    if signed then
        table.insert(ks, -9223372036854775807LL - 1)
        table.insert(ks, -9223372036854775807LL)
        table.insert(ks, -1LL)
        table.insert(ks, -2LL)
    end
    return ks
end
for _, typ in ipairs({'unsigned', 'integer'}) do
    local s = c.space['s_' .. typ]
    local ks = keys(typ == 'integer')
    for i, k in ipairs(ks) do
        if i % 2 == 1 then s:insert{k} end
    end
    print(typ, #s:select({}, {limit = 100}))
    for i, k in ipairs(ks) do
        local ok, err = pcall(s.insert, s, {k})
        local line = {tostring(k), tostring(s:get{k} ~= nil), tostring(ok), tostring(not ok and err.code or '')}
        if ok then s:delete{k} end
        for _, it in ipairs({'EQ', 'REQ', 'GE', 'GT', 'LE', 'LT'}) do
            local vs = {}
            for _, t in ipairs(s:select({k}, {iterator = it, limit = 3})) do
                table.insert(vs, tostring(t[1]))
            end
            table.insert(line, it .. '=' .. table.concat(vs, ','))
        end
        print(table.concat(line, ' '))
    end
end
os.exit()
`

// TestIntegerKeyBoundsAgainstTarantool: lookups, duplicate checks and
// iterator bounds on one-part unsigned and integer keys around the places
// where Spindle's exact comparison hints change (memtx, exactIntHint)
// answer net.box as Tarantool 2.6 does.
func TestIntegerKeyBoundsAgainstTarantool(t *testing.T) {
	tt := tarantoolBin(t)
	ref := runClient(t, tt, intKeysClient, start(t, tt, intKeysServer).Addr)
	got := runClient(t, tt, intKeysClient, start(t, spindleBin, intKeysServer).Addr)
	if len(ref) < 1000 {
		t.Fatalf("reference output too short:\n%s", ref)
	}
	compareLines(t, ref, got)
}
