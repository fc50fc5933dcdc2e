package e2e

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// decimalWrite stores decimals in indexed spaces: a decimal TREE primary
// key, a number key and a scalar secondary key mixing decimals with
// integers and doubles, a HASH key over numbers; then a snapshot, and
// after it rows only the xlog holds (inserts, decimal update and upsert
// arithmetic, deletes).
const decimalWrite = `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local D = require('decimal').new
local d = box.schema.space.create('d', {format = {{'k', 'decimal'}, {'v', 'any'}}})
d:create_index('pk', {parts = {1, 'decimal'}})
local n = box.schema.space.create('n', {format = {{'k', 'number'}, {'s', 'scalar'}, {'x', 'any', is_nullable = true}}})
n:create_index('pk', {parts = {1, 'number'}})
n:create_index('sk', {parts = {2, 'scalar'}, unique = false})
local h = box.schema.space.create('h')
h:create_index('pk', {type = 'hash', parts = {1, 'number'}})
for i, v in ipairs({'1.5', '-2', '0.001', '100', '1e10', '-0.5', '3', '12345678901234567890123456789012345678',
                    '-0.00000000000000000000000000000000000001', '0', '2.50'}) do
    d:insert{D(v), i}
end
local keys = {1, 2.5, -3, D('1.25'), D('-10'), D('1e20'), 0.5, D('0.1000000000000001'), 1e30, D('7')}
local sec = {'a', D('0.5'), true, 1, 2.5, D('-100'), false, D('3'), -1, 'b'}
for i, k in ipairs(keys) do n:insert{k, sec[i], i} end
for _, k in ipairs({1, D(2), D('2.0'), 3.5, D('-4.25')}) do h:insert{k} end
box.snapshot()
d:insert{D('-7.75'), 'after snapshot'}
d:update({D('1.5')}, {{'+', 2, D('0.25')}})
d:update({D(3)}, {{'=', 2, D('1e-5')}})
d:update({D(3)}, {{'-', 2, 1}})
n:update({1}, {{'+', 3, D('0.5')}})
n:update({D('1.25')}, {{'-', 3, 0.25}})
n:upsert({D('7'), 'x', 0}, {{'+', 3, D('100.005')}})
n:upsert({D('8'), D('8.5'), D('1')}, {{'+', 3, 1}})
n:delete{2.5}
h:insert{D('5.5')}
h:delete{D('2.0')}
os.exit(0)
`

// decimalRead recovers and prints every space in its index orders, each
// value tagged with its Lua kind, and the exact MessagePack of a few
// fields; HASH rows are sorted by their text (hash order is the engine's).
const decimalRead = `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local decimal, msgpack = require('decimal'), require('msgpack')
local D = decimal.new
local function val(v)
    if decimal.is_decimal(v) then return 'd' .. tostring(v) end
    if type(v) == 'table' or box.tuple.is(v) then
        local f = {} for i = 1, #v do f[i] = val(v[i]) end
        return '{' .. table.concat(f, ',') .. '}'
    end
    return type(v):sub(1, 1) .. tostring(v)
end
local function rows(list) local out = {} for i, t in ipairs(list) do out[i] = val(t) end return out end
local function show(list) print(table.concat(rows(list), ' ')) end
local hex = function(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
show(box.space.d:select())
show(box.space.d:select(D('0'), {iterator = 'GT'}))
show(box.space.d.index.pk:select({D('1.50')}, {iterator = 'LE'}))
print(val(box.space.d:get(D('100.000'))), pcall(box.space.d.get, box.space.d, 100))
show(box.space.n:select())
show(box.space.n.index.sk:select())
show(box.space.n.index.sk:select({D(1)}))
show(box.space.n:select(D(1), {iterator = 'GE', limit = 4}))
show(box.space.n:select(1.2, {iterator = 'LT'}))
print(pcall(box.space.n.insert, box.space.n, {D('1.0'), 'dup'}))
local hr = rows(box.space.h:select()) table.sort(hr) print(table.concat(hr, ' '))
print(val(box.space.h:get(D(2))), val(box.space.h:get(2)), val(box.space.h:get(D('5.50'))), val(box.space.h:get(3.5)))
print(hex(msgpack.encode(box.space.d:get(D('1.5')))), hex(box.space.n:get(1):totable()[3] and msgpack.encode(box.space.n:get(1)[3]) or ''))
print(box.space.d:len(), box.space.n:len(), box.space.h:len(), tonumber(box.space.d:bsize()), box.space.n.index.sk:count(D('0.5')))
os.exit(0)
`

// TestDecimalStorage stores decimals with each of spindle and tarantool
// and recovers them with each (its own snapshot and xlog and the other's):
// every pair must print what tarantool prints recovering its own files.
func TestDecimalStorage(t *testing.T) {
	bins := map[string]string{"tarantool": tarantoolBin(t), "spindle": spindleBin}
	want := ""
	for _, w := range []string{"tarantool", "spindle"} {
		for _, r := range []string{"tarantool", "spindle"} {
			dir := t.TempDir()
			runStep(t, bins[w], dir, decimalWrite)
			got, _ := runStep(t, bins[r], dir, decimalRead)
			if want == "" {
				want = got
				if got == "" {
					t.Fatal("tarantool printed nothing")
				}
				continue
			}
			if got != want {
				t.Errorf("written by %s, recovered by %s:\n%s\nwant (tarantool's own):\n%s", w, r, got, want)
			}
		}
	}
}

// TestDecimalCat prints the xlog spindle wrote with decimals in it with
// spindle cat and tarantoolctl cat, in YAML and JSON.
func TestDecimalCat(t *testing.T) {
	tarantoolBin(t)
	ctl, err := exec.LookPath("tarantoolctl")
	if err != nil {
		t.Skip("tarantoolctl is not installed (it comes with the tarantool package)")
	}
	dir := t.TempDir()
	runStep(t, spindleBin, dir, decimalWrite)
	xlogs, _ := filepath.Glob(filepath.Join(dir, "*.xlog"))
	if len(xlogs) == 0 {
		t.Fatal("no xlog written")
	}
	run := func(bin string, args ...string) string {
		c := exec.Command(bin, args...)
		c.Dir = dir
		var out bytes.Buffer
		c.Stdout = &out
		if err := c.Run(); err != nil {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return out.String()
	}
	for _, x := range xlogs {
		for _, opts := range [][]string{{}, {"--format=json"}} {
			args := append([]string{"cat", filepath.Base(x)}, opts...)
			if want, got := run(ctl, args...), run(spindleBin, args...); got != want {
				t.Errorf("spindle %v differs from tarantoolctl:\n--- tarantoolctl\n%s\n--- spindle\n%s", args, want, got)
			}
		}
	}
}

// TestDecimalReplication replicates decimals both ways between a
// tarantool and a spindle instance: rows written on either, into a
// decimal-keyed space, reach the other with the same data.
func TestDecimalReplication(t *testing.T) {
	m1, m2 := newMember(t, tarantoolBin(t), "m1"), newMember(t, spindleBin, "m2")
	startMesh(t, m1, m2)
	m1.Eval(`local D = require('decimal').new
        local s = box.schema.space.create('dec')
        s:create_index('pk', {parts = {1, 'decimal'}})
        s:create_index('n', {parts = {2, 'number'}, unique = false})
        for i = 1, 20 do s:insert{D(i) / 8, D(i) * D('0.1') + i % 3, 'm1'} end`)
	waitEval(t, m2.Conn(), "return box.space.dec ~= nil and box.space.dec:count()", "20")
	m2.Eval(`local D = require('decimal').new
        for i = 1, 10 do box.space.dec:insert{D(-i) / 3, D(i), 'm2'} end
        box.space.dec:update({D(1) / 8}, {{'+', 2, D('0.001')}})`)
	waitEval(t, m1.Conn(), "return box.space.dec:count()", "30")
	order := `local out = {}
        for _, t in box.space.dec.index.n:pairs() do out[#out + 1] = tostring(t[1]) .. '/' .. tostring(t[2]) end
        return table.concat(out, ' ')`
	waitEvalFor(t, m1.Conn(), "return box.space.dec:get{require('decimal').new(1) / 8}[2] == require('decimal').new('1.101')", "true", 10*time.Second)
	a, b := m1.Eval(order), m2.Eval(order)
	if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
		t.Fatalf("tarantool and spindle differ:\n%v\n%v", a, b)
	}
	waitSameData(t, 30*time.Second, func(state) bool { return true }, m1, m2)
}
