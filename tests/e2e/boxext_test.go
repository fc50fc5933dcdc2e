package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// sameAsTarantool runs script on the reference and on Spindle (each in a
// fresh directory) and requires the same output line for line.
func sameAsTarantool(t *testing.T, script string) string {
	t.Helper()
	tt := tarantoolBin(t)
	want, _ := runStep(t, tt, t.TempDir(), script)
	got, _ := runStep(t, spindleBin, t.TempDir(), script)
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
	return got
}

// dumpLua prints a table with sorted keys, one line per leaf: the
// reference's tables iterate in an order of their own.
const dumpLua = `
local function dump(t, ind)
    ind = ind or ''
    local keys = {}
    for k in pairs(t) do table.insert(keys, k) end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
        local v = t[k]
        if type(v) == 'table' then print(ind .. tostring(k) .. ':') dump(v, ind .. '  ')
        elseif type(v) == 'cdata' then print(ind .. tostring(k) .. ' = <cdata> ' .. tostring(v))
        else print(ind .. tostring(k) .. ' = ' .. tostring(v)) end
    end
end
`

// errorsScript exercises box.error objects: their fields, reflection,
// unpack, causes and set_prev's refusals, the forms of box.error and
// box.error.new, the diagnostics area, errors box raises (access denied
// included) and their serialization.
const errorsScript = `box.cfg{log_level = 1}
local ffi = require('ffi')
` + dumpLua + `
local e = box.error.new({code = 5, reason = 'x'})
print(type(e), ffi.typeof(e), ffi.istype('struct error', e))
print(e, e.type, e.code, e.message, e.base_type, e.custom_type, e.errno, e.prev)
dump(e:unpack())
local c = box.error.new({type = 'MyErr', reason = 'bad %s'})
print(c.type, c.code, c.base_type, c.custom_type)
c:set_prev(e)
dump(c:unpack())
print(c.prev == e, ffi.typeof(c.prev), c.prev.prev)
local a, b, d = box.error.new{reason = 'a'}, box.error.new{reason = 'b'}, box.error.new{reason = 'd'}
a:set_prev(b) b:set_prev(d)
print(pcall(d.set_prev, d, a))
print(pcall(b.set_prev, b, a))
print(pcall(a.set_prev, a, a))
print(pcall(a.set_prev, a, 1))
print(pcall(a.set_prev, 1, a))
d:set_prev(nil)
print(a.prev, a.prev.prev)
local x = box.error.new{reason = 'x'}
x:set_prev(b)
print(a.prev, x.prev)
print(ffi.string(e._type.name), ffi.string(e._type.parent.name), ffi.string(e._errmsg), e._line)
print(ffi.string(c._type.name), ffi.string(c._file))
print(box.error.REPLICA_ID_IS_RESERVED, box.error.SQL_KEYWORD_IS_RESERVED, box.error.UNKNOWN, box.error.TUPLE_METADATA_IS_TOO_BIG)
local n = 0 for k, v in pairs(box.error) do if type(v) == 'number' then n = n + 1 end end print('codes', n)
print(rawget(box.error, 'new'), rawget(box.error, 'last'), box.error.new ~= nil)
local ok, err = pcall(function() error('boom') end)
print(type(err), err)
local ok, err = pcall(function() box.error(box.error.NO_SUCH_SPACE, 'foo') end)
print(type(err), err, err.trace[1].line, err.trace[1].file)
print(box.error.last(), box.error.last() == err, rawequal(box.error.last(), err))
box.error.clear()
print(box.error.last())
print(require('json').encode(e), require('json').encode({e}), #require('msgpack').encode(e))
print(#e.trace, #box.error.new({reason = string.rep('a', 1000)}).message)
print(pcall(box.error, box.error.NO_SUCH_SPACE))
print(pcall(box.error.new, box.error.NO_SUCH_SPACE))
print(pcall(box.error.new))
print(pcall(box.error))
print(pcall(box.error, 'MyType', 'msg %d', 5))
local ok, y = pcall(box.error, 'MyType', 'msg %d', 5) print(y.type, y.code, y.base_type, y.custom_type)
print(pcall(box.error, 'MyType'))
print(pcall(box.error, box.error.ILLEGAL_PARAMS, 'a', 'b'))
local ok, y = pcall(box.error, 10000, 'a') print(y.code, y.type, y.message)
print(pcall(box.error, box.error.TUPLE_FOUND, 'a', 5))
print(pcall(box.error, {code = 3}))
local ok, y = pcall(box.error, {reason = 'r', type = 'ClientError', code = 3}) print(y.type, y.base_type, y.custom_type)
print(pcall(box.error, e))
print(box.error.last() == e)
box.error.set(d)
print(box.error.last())
print(pcall(box.error.set))
print(pcall(box.error.set, 1))
print(pcall(box.error.last, 1))
print(pcall(box.error.clear, 1))
print(e:match('x'), e:match('(x)'))
print(pcall(e.unpack))
print(pcall(e.raise))
print(pcall(e.match, 1))
print(e .. 'z', 'z' .. e)
print(type(box.error.injection.info()), box.error.injection.set('foo', true), box.error.injection.get('foo'))
print(e.nothing, e.log, e.code, e.unpack ~= nil, tostring(e), e.__index)
local s = box.schema.space.create('t') s:create_index('pk')
s:insert{1}
local ok, y = pcall(s.insert, s, {1}) print(y.type, y.code, y.message, box.error.last() == y)
local f = require('fiber').new(function() box.error(box.error.ILLEGAL_PARAMS, 'in fiber') end)
f:set_joinable(true)
local ok, y = f:join() print(ok, y, type(y), y.trace[1].line)
box.schema.user.create('u')
local ok, y = pcall(box.session.su, 'u', function() return box.space.t:select() end)
print(y.type, y.code, y.message, y.access_type, y.object_type, y.object_name)
dump(y:unpack())
os.exit(0)
`

// TestBoxErrorObjects compares box.error objects with the reference.
func TestBoxErrorObjects(t *testing.T) {
	out := sameAsTarantool(t, errorsScript)
	if !strings.Contains(out, "builtin/error.lua:143: Cycles are not allowed") {
		t.Errorf("no cycle refusal in:\n%s", out)
	}
}

// funcScript exercises box.func: the objects' fields, call with and
// without bodies (sandboxed or not), setuid functions run as their owner,
// the errors of func:call and box.schema.func.call, objects kept across
// drop and re-create, and box.func inside a rolled back transaction.
const funcScript = `box.cfg{log_level = 1}
` + dumpLua + `
function gf(a, b) return a + b, box.session.uid(), box.session.euid() end
box.schema.func.create('gf')
box.schema.func.create('body1', {body = 'function(a) return a * 2 end'})
box.schema.func.create('sb', {body = 'function() return type(box), type(string), type(require) end', is_sandboxed = true})
box.schema.func.create('nsb', {body = 'function() return type(box), type(string) end'})
box.schema.func.create('full', {setuid = true, comment = 'hi', returns = 'integer', is_deterministic = true, language = 'LUA'})
dump(box.func.gf) print('--')
dump(box.func.body1) print('--')
dump(box.func.sb) print('--')
dump(box.func.full) print('--')
print(box.func.gf:call({1, 2}))
print(box.func.body1:call({21}))
print(box.func.sb:call())
print(box.func.nsb:call())
print(pcall(box.func.gf.call, box.func.gf, 5))
print(pcall(box.func.gf.call, 5))
local ok, e = pcall(box.func.full.call, box.func.full) print(e.type, e.code, e.trace[1].file, e.trace[1].line)
print(pcall(box.schema.func.create, 'bad', {body = 'function('}))
print(pcall(box.schema.func.create, 'bad2', {body = '42'}))
print(box.func.bad)
print(pcall(box.schema.func.call, 'nosuch'))
print(pcall(box.schema.func.call))
print(pcall(box.schema.func.reload, 'x'))
print(pcall(box.schema.func.reload))
function errf() error('oops') end
box.schema.func.create('errf')
local ok, e = pcall(box.func.errf.call, box.func.errf) print(ok, type(e), e, e.type, e.trace[1].file)
local gf = box.func.gf
box.func.gf:drop()
print(box.func.gf, gf.name)
box.schema.func.create('gf')
print(box.func.gf == gf, box.func[gf.id])
box.schema.user.create('u')
box.schema.user.grant('u', 'execute', 'function', 'full')
function full() return box.session.uid(), box.session.euid(), box.session.user(), box.space._space:count() > 0 end
box.schema.func.create('nosetuid')
function nosetuid() return box.space._space:count() end
box.schema.user.grant('u', 'execute', 'function', 'nosetuid')
box.session.su('u', function()
    print(box.func.full:call())
    print(pcall(box.func.gf.call, box.func.gf, {1, 2}))
    print(pcall(box.func.nosetuid.call, box.func.nosetuid))
end)
box.begin() box.schema.func.create('intx') print(box.func.intx ~= nil) box.rollback() print(box.func.intx)
local n = 0 for k, v in pairs(box.func) do n = n + 1 end print('entries', n)
os.exit(0)
`

// TestBoxFunc compares box.func with the reference.
func TestBoxFunc(t *testing.T) {
	sameAsTarantool(t, funcScript)
}

// statScript counts Lua requests and errors in box.stat() after a reset.
const statScript = `box.cfg{log_level = 1}
local s = box.schema.space.create('t') s:create_index('pk')
box.stat.reset()
local function show(label)
    local st = box.stat()
    local names = {}
    for k in pairs(st) do table.insert(names, k) end
    table.sort(names)
    local parts = {}
    for _, k in ipairs(names) do table.insert(parts, k .. '=' .. st[k].total) end
    print(label, table.concat(parts, ' '))
end
show('reset')
s:insert{1} s:insert{2} s:replace{3} s:update({1}, {{'=', 2, 'x'}}) s:upsert({4}, {{'=', 2, 'y'}}) s:delete{2}
show('dml')
s:select{} s:get{1} s.index.pk:select{1} for _ in s:pairs() do end s:count() s:len() s.index.pk:min() s.index.pk:max()
show('reads')
pcall(s.insert, s, {1})
show('dup')
pcall(box.error, box.error.ILLEGAL_PARAMS, 'x')
pcall(box.error.new, {reason = 'y'})
show('errors')
print(box.stat.INSERT.total, box.stat.INSERT.rps, box.stat.ERROR ~= nil, box.stat.AUTH.total, box.stat.nothing)
print(box.stat.net.SENT.total, box.stat.net.CONNECTIONS.current, box.stat.net.REQUESTS.current, box.stat.net.nothing)
local function keys(t) local k = {} for n, v in pairs(t) do table.insert(k, tostring(n) .. '=' .. type(v)) end table.sort(k) return table.concat(k, ' ') end
print(keys(box.stat.net()), keys(box.stat.net().REQUESTS), keys(box.stat.net().SENT))
print(keys(box.stat), keys(box.runtime.info()), keys(box.info.memory()), keys(box.stat.sql()))
local v = box.stat.vinyl()
print(keys(v), keys(v.regulator), v.regulator.dump_watermark, v.tx.commit)
print(box.runtime.info().maxalloc, box.runtime.info().lua > 0)
local fiber = require('fiber')
local function inner() fiber.sleep(10) end
local function outer() inner() end
local f = fiber.new(outer)
f:name('sleeper')
fiber.yield()
for _, i in pairs(fiber.info()) do
    if i.name == 'sleeper' then
        print(keys(i), keys(i.memory), i.time, i.memory.used)
        for _, fr in ipairs(i.backtrace) do if fr.L then print(fr.L) end end
    end
end
for _, i in pairs(fiber.info({bt = false})) do
    if i.name == 'sleeper' then print(keys(i)) end
end
os.exit(0)
`

// TestBoxStat compares box.stat, box.stat.net, box.runtime.info,
// box.info.memory and fiber.info with the reference (the counters Lua
// requests move, and the shapes of the rest).
func TestBoxStat(t *testing.T) {
	sameAsTarantool(t, statScript)
}

// TestBoxStatNet makes IPROTO requests and reads what box.stat() and
// box.stat.net() counted, on Spindle and on the reference.
func TestBoxStatNet(t *testing.T) {
	forBoth(t, func(t *testing.T, bin string) {
		in := start(t, bin, `box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.grant('guest', 'execute', 'universe')
function f(x) return x end
`)
		c := dialT(t, in.Addr, client.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Eval(ctx, "box.stat.reset()", nil); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := c.Call(ctx, "f", []any{i}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := c.Eval(ctx, `local s, n = box.stat(), box.stat.net()
return {s.CALL.total, s.EVAL.total, n.CONNECTIONS.current, n.SENT.total > 0, n.RECEIVED.total > 0,
        n.REQUESTS.total, n.REQUESTS.current}`, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(res)
		// 5 calls, this eval; one connection; the requests read since
		// the reset (the calls and this eval, which is in progress).
		if want := "[[5 1 1 true true 6 1]]"; got != want {
			t.Fatalf("CALL, EVAL, connections, sent, received, requests = %s, want %s", got, want)
		}
	})
}

// iteratorScript exercises tuple and index iterators: pairs(tuple),
// tuple:pairs() as a luafun iterator, slice, totable and unpack ranges,
// next, the box.tuple method list, and index:pairs() as fun.wrap of a
// generator over an iterator state.
const iteratorScript = `local t = box.tuple.new{1, 'a', {2, 3}, 4}
local function show(...) local out = {} for i = 1, select('#', ...) do local v = select(i, ...) out[i] = type(v) == 'table' and 'table' or tostring(v) end print(table.concat(out, ' ')) end
print(pcall(function() for k, v in pairs(t) do show(k, v) end end))
print(pcall(function() for k, v in ipairs(t) do show(k, v) end end))
for k, v in t:pairs() do show(k, v) end
print(t:pairs():map(function(x) return type(x) end):totable()[3])
show(t:pairs(2):totable()[1], t:ipairs(1):length())
show(t:slice(1)) show(t:slice(-2)) show(t:slice(1, 3)) show(t:slice(0, -1))
print(pcall(t.slice, t), pcall(t.slice, t, 4), pcall(t.slice, t, 0, 0), pcall(t.slice, t, 0, 5))
print(pcall(t.slice, 1, 1))
show(t:totable(2, 3)[1], #t:totable(2), t:unpack(2, 3))
print(pcall(t.totable, t, 0)) print(pcall(t.totable, t, 1, 0))
local keys = {} for k in pairs(box.tuple) do table.insert(keys, k) end table.sort(keys) print(table.concat(keys, ' '))
print(t:find('a'), t:find(1, 4), t:findall(4)[1])
print(t:next(), t:next(3), t:next(4))
print(pcall(t.next, t, 'x'))
print(type(t:pairs()), tostring(t:pairs()))
local it, param, state = t:pairs() print(type(it), param == t, state)
print(pcall(function() return t:pairs('x'):totable() end))
print(pcall(function() return t:pairs(7):totable() end))
print(t:pairs():length(), t:ipairs():nth(2))
box.cfg{log_level = 1}
local s = box.schema.space.create('t') s:create_index('pk')
for i = 1, 5 do s:insert{i, i * 10} end
for st, tu in s:pairs() do print(type(st), tostring(st), tu[2]) break end
print(s:pairs():map(function(t) return t[2] end):totable()[3])
print(s:pairs({3}, {iterator = 'GE'}):filter(function(t) return t[1] % 2 == 1 end):length())
print(s.index.pk:pairs(2, 'LT'):totable()[1][1])
local gen, param, state = s:pairs()
print(type(gen), type(param), #param, type(state))
print(pcall(gen.gen, param, 5))
print(select('#', s:pairs()))
print(s:pairs():nth(2)[2])
local it = s:pairs() print(select(2, it.gen(it.param, it.state))[1])
local n = 0 for _, tu in s:pairs() do n = n + tu[1] end print(n)
print(pcall(function() for k in pairs(nil) do end end))
print(pcall(function() for k in ipairs(5) do end end))
print(pcall(pairs), pcall(ipairs))
local n = 0 for k in pairs({a = 1, b = 2}) do n = n + 1 end print(n)
os.exit(0)
`

// TestIterators compares tuple and index iterators with the reference.
func TestIterators(t *testing.T) {
	sameAsTarantool(t, iteratorScript)
}

// keyDefScript exercises the key_def module: parts and their options,
// extract_key, compare (with 2.6's memcmp differences for strings),
// compare_with_key, merge, totable, and the errors of each.
const keyDefScript = `box.cfg{log_level = 1}
` + dumpLua + `
local key_def = require('key_def')
local ffi = require('ffi')
local kd = key_def.new({{fieldno = 1, type = 'unsigned'}, {field = 3, type = 'string', collation = 'unicode_ci', is_nullable = true}})
print(kd, type(kd), ffi.typeof(kd))
dump(kd:totable())
print(kd:extract_key({1, 2, 'x', 4}), kd:extract_key(box.tuple.new{5, 6}))
print(kd:compare({1, 0, 'a'}, {1, 0, 'c'}), kd:compare({1, 0, 'A'}, {1, 0, 'a'}), kd:compare({2}, {1, 0, 'z'}), kd:compare({1}, {1, 0, 'a'}))
print(kd:compare_with_key({1, 0, 'b'}, {1}), kd:compare_with_key({1, 0, 'b'}, {1, 'c'}), kd:compare_with_key({1, 0, 'b'}, {}))
local kd2 = key_def.new({{fieldno = 2, type = 'string'}, {fieldno = 1, type = 'unsigned'}})
dump(kd:merge(kd2):totable())
dump(kd2:merge(kd):totable())
local s1 = key_def.new({{fieldno = 1, type = 'string'}})
print(s1:compare({'a'}, {'c'}), s1:compare({'ab'}, {'a'}), s1:compare({'a'}, {'abc'}), s1:compare({'z'}, {'a'}))
local n1 = key_def.new({{fieldno = 1, type = 'number'}})
print(n1:compare({1.5}, {1}), n1:compare({-1}, {10}), n1:compare({2}, {2.0}))
local sc = key_def.new({{fieldno = 1, type = 'scalar'}})
print(sc:compare({true}, {1}), sc:compare({'a'}, {1}), sc:compare({false}, {true}))
print(pcall(key_def.new))
print(pcall(key_def.new, {}))
print(pcall(key_def.new, {{type = 'unsigned'}}))
print(pcall(key_def.new, {{fieldno = 1}}))
print(pcall(key_def.new, {{fieldno = 1, field = 1, type = 'unsigned'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'any'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'foo'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'string', collation = 'nope'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'string', collation = 'unicode', collation_id = 1}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'string', collation_id = 999}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'string', path = '[*]'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'string', path = '..'}}))
print(pcall(key_def.new, {1}))
print(pcall(key_def.new, {{fieldno = 0, type = 'string'}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'UNSIGNED'}}), pcall(key_def.new, {{fieldno = 1, type = 'num'}}), pcall(key_def.new, {{fieldno = 1, type = ''}}))
print(pcall(key_def.new, {{fieldno = 1, type = 'int'}}))
print(pcall(kd.extract_key, kd, {'x'}))
print(pcall(kd.extract_key, kd, {}))
print(pcall(kd.extract_key, kd))
print(pcall(kd.extract_key, kd, 1))
print(pcall(kd.extract_key, kd, {a = 1}))
print(pcall(kd.compare, kd, {1}))
print(pcall(kd.compare_with_key, kd, {1}, {'x'}))
print(pcall(kd.compare_with_key, kd, {1}, {1, 'a', 3}))
print(pcall(kd.compare_with_key, kd, {1}, 1))
print(kd:compare_with_key({1}, box.tuple.new{1}))
print(pcall(kd.merge, kd, 1))
print(pcall(kd.totable, 1))
local p = key_def.new({{fieldno = 2, type = 'string', path = 'a.b'}, {fieldno = 2, type = 'unsigned', path = '[2]', is_nullable = true}})
dump(p:totable())
print(p:extract_key({1, {a = {b = 'q'}}}))
print(pcall(p.extract_key, p, {1, {a = 1}}))
print(p:compare({1, {a = {b = 'q'}}}, {1, {a = {b = 'r'}}}))
print(kd.nothing, kd.totable ~= nil)
local ok, e = pcall(key_def.new, {{fieldno = 1, type = 'foo'}}) print(e.type, e.code)
local ok, e = pcall(kd.extract_key, kd, {'x'}) print(e.type, e.code)
dump(key_def.new({{fieldno = 1, type = 'string', collation = 'none'}}):totable())
dump(key_def.new({{fieldno = 1, type = 'string', collation_id = 2}}):totable())
local c1 = key_def.new({{fieldno = 1, type = 'string', collation = 'unicode_ci'}})
local c2 = key_def.new({{fieldno = 1, type = 'string', collation = 'unicode'}})
local c3 = key_def.new({{fieldno = 1, type = 'string'}})
print(#c1:merge(c2):totable(), #c2:merge(c1):totable(), #c1:merge(c1):totable(), #c3:merge(c2):totable(), #c2:merge(c3):totable())
local kn = key_def.new({{fieldno = 2, type = 'unsigned', is_nullable = true}})
print(kn:compare({1}, {1, 5}), kn:compare({1, box.NULL}, {1}), kn:extract_key({1}))
local keys = {} for k in pairs(key_def) do table.insert(keys, k) end table.sort(keys) print(table.concat(keys, ' '))
os.exit(0)
`

// TestKeyDef compares the key_def module with the reference.
func TestKeyDef(t *testing.T) {
	sameAsTarantool(t, keyDefScript)
}

// mergerScript exercises the merger module: table, buffer and tuple
// sources, chunked sources, nested mergers, reverse order, equal keys
// (whose order comes from 2.6's heap), select into a table or a buffer,
// pairs, and the errors of each.
const mergerScript = `box.cfg{log_level = 1}
local merger = require('merger')
local key_def = require('key_def')
local buffer = require('buffer')
local msgpack = require('msgpack')
local kd = key_def.new({{fieldno = 1, type = 'unsigned'}})
local function show(t) local out = {} for _, x in ipairs(t) do table.insert(out, tostring(x)) end print(table.concat(out, ' ')) end
local s1 = merger.new_source_fromtable({{1, 'a'}, {3, 'c'}, {5, 'e'}})
local s2 = merger.new_source_fromtable({{2, 'b'}, {3, 'c2'}, {4, 'd'}})
local m = merger.new(kd, {s1, s2})
print(type(m), require('ffi').typeof(m))
show(m:select())
show(m:select())
show(merger.new(kd, {merger.new_source_fromtable({{1}, {1, 'x'}, {2}}), merger.new_source_fromtable({{1, 'y'}, {2, 'z'}}), merger.new_source_fromtable({{1, 'w'}})}):select())
show(merger.new(kd, {merger.new_source_fromtable({{2, 1}, {2, 2}, {2, 3}}), merger.new_source_fromtable({{2, 4}, {2, 5}}), merger.new_source_fromtable({{2, 6}}), merger.new_source_fromtable({{2, 7}, {3}})}):select())
show(merger.new(kd, {merger.new_source_fromtable({{2, 1}, {2, 2}}), merger.new_source_fromtable({{2, 4}, {1, 5}})}, {reverse = true}):select())
local m3 = merger.new(kd, {merger.new_source_fromtable({{5}, {3}, {1}}), merger.new_source_fromtable({{4}, {2}})}, {reverse = true})
show(m3:select({limit = 3}))
show(m3:select())
local b = buffer.ibuf()
msgpack.encode({{1, 'b1'}, {4, 'b4'}}, b)
local m4 = merger.new(kd, {merger.new_source_frombuffer(b), merger.new_source_fromtable({{2, 't2'}, {3, 't3'}})})
local out = buffer.ibuf()
m4:select({buffer = out, limit = 3})
print(out:size(), require('json').encode((msgpack.decode(out.rpos, out:size()))))
for i, t in merger.new(kd, {merger.new_source_fromtable({{1}, {3}}), merger.new_source_fromtable({{2}})}):pairs() do print(type(i), t) end
print(merger.new(kd, {merger.new_source_fromtable({{1}, {3}}), merger.new_source_fromtable({{2}})}):pairs():map(function(t) return t[1] end):totable()[2])
local chunks = {{{1}, {4}}, {{6}}, {}}
local i = 0
local src = merger.new_table_source(function(param, state) i = i + 1 if chunks[i] == nil then return nil end return i, chunks[i] end, nil, 0)
show(merger.new(kd, {src, merger.new_source_fromtable({{2}, {5}})}):select())
local tuples = {box.tuple.new{3}, box.tuple.new{1}}
local j = 0
show(merger.new_tuple_source(function() j = j + 1 if tuples[j] == nil then return end return j, tuples[j] end):select())
local bufs = {buffer.ibuf(), buffer.ibuf()}
msgpack.encode({{7}}, bufs[1]) msgpack.encode({{8}, {9}}, bufs[2])
local k = 0
show(merger.new_buffer_source(function() k = k + 1 if bufs[k] == nil then return end return k, bufs[k] end):select())
print(pcall(merger.new))
print(pcall(merger.new, kd))
print(pcall(merger.new, kd, {1}))
print(pcall(merger.new, kd, {}, {reverse = 1}))
print(pcall(merger.new_source_fromtable, 1))
print(pcall(merger.new_source_frombuffer, {}))
print(pcall(merger.new_table_source))
print(pcall(merger.new_table_source, 1))
print(pcall(m.select, 1))
print(pcall(m.select, m, {limit = 'x'}))
print(pcall(m.select, m, {buffer = 1}))
print(pcall(m.pairs, 1))
print(pcall(function() return merger.new(kd, {merger.new_source_fromtable({{'x'}})}):select() end))
print(pcall(function() return merger.new(kd, {merger.new_source_fromtable({{}})}):select() end))
print(pcall(function() return merger.new(kd, {merger.new_source_fromtable({1})}):select() end))
print(pcall(function() return merger.new(kd, {merger.new_table_source(function() return 1, 2, 3 end)}):select() end))
print(pcall(function() return merger.new(kd, {merger.new_table_source(function() return 1, 2 end)}):select() end))
local ok, e = pcall(function() return merger.new(kd, {merger.new_table_source(function() error('gen failed') end)}):select() end)
print(ok, e, type(e), e.type)
local bb = buffer.ibuf() bb:alloc(1)[0] = 0x91
print(pcall(function() return merger.new(kd, {merger.new_source_frombuffer(bb)}):select() end))
local keys = {} for k in pairs(merger) do table.insert(keys, k) end table.sort(keys) print(table.concat(keys, ' '))
show(merger.new(kd, {merger.new(kd, {merger.new_source_fromtable({{1}, {5}})}), merger.new_source_fromtable({{3}})}):select())
print(m.nothing, m.select ~= nil)
os.exit(0)
`

// TestMerger compares the merger module with the reference.
func TestMerger(t *testing.T) {
	sameAsTarantool(t, mergerScript)
}

// popenScript exercises the popen module with real processes: pipes,
// reads to the end of a stream, shell modes, stdin and shutdown, timeouts,
// signals and states, closed handles, the environment, fiber
// cancellation, and the errors of bad parameters.
const popenScript = `local popen = require('popen')
local fiber = require('fiber')
local function keys(t) local k = {} for n, v in pairs(t) do table.insert(k, tostring(n) .. '=' .. (type(v) == 'table' and 'table' or tostring(v))) end table.sort(k) return table.concat(k, ' ') end
local ph, err = popen.new({'/nonexistent'})
print(type(ph), err, keys(ph:wait()))
local ph = popen.new({'/bin/echo', 'hello world'}, {stdout = popen.opts.PIPE})
print(ph.command, ph.pid ~= nil, keys(ph.opts), ph.stdout, ph.stdin, ph.stderr)
print(ph:read())
print(ph:read())
print(keys(ph:wait()))
print(ph.pid, keys(ph.status))
print(keys(ph:info()))
print(ph:close(), ph:close())
print(pcall(function() return ph.pid end))
print(pcall(ph.read, ph))
print(type(ph), require('json').encode(ph))
local sh = popen.shell('echo out; echo err >&2; exit 3', 'rR')
print(sh.command, keys(sh.opts))
print(sh:read(), sh:read({stderr = true}))
print(keys(sh:wait()))
sh:close()
local cat = popen.shell('cat', 'rw')
print(cat:write('abc'), cat:shutdown({stdin = true}), cat:read(), cat:read(), cat.stdin)
print(keys(cat:wait()))
local sl = popen.new({'/bin/sleep', '10'}, {stdout = 'pipe'})
local r, e = sl:read({timeout = 0.1})
print(r, e, e.type)
print(sl:terminate(), keys(sl:wait()))
local r, e = sl:kill()
print(r, e, e.type, e.errno)
sl:close()
local sl2 = popen.shell('sleep 10')
print(sl2:signal(popen.signal.SIGKILL), keys(sl2:wait()))
print(pcall(popen.new))
print(pcall(popen.new, {}, 1))
print(pcall(popen.new, {1}))
print(pcall(popen.new, {'/bin/true'}, {stdin = 'foo'}))
print(pcall(popen.new, {'/bin/true'}, {stdin = 1}))
print(pcall(popen.new, {'/bin/true'}, {group_signal = true}))
print(pcall(popen.new, {'/bin/true'}, {shell = 1}))
print(pcall(popen.new, {'/bin/true'}, {env = {a = 1}}))
print(pcall(popen.shell, 1))
print(pcall(popen.shell, 'true', 'x'))
print(pcall(popen.shell, 'true', 1))
local t = popen.new({'/bin/true'})
print(pcall(t.read, t))
print(pcall(t.write, t, 'x'))
print(pcall(t.read, t, {stdout = true, stderr = true}))
print(pcall(t.read, t, {timeout = -1}))
print(pcall(t.read, t, {timeout = 'x'}))
print(pcall(t.shutdown, t))
print(pcall(t.shutdown, t, {stdin = true}))
print(pcall(t.signal, t))
print(keys(t:wait()))
print(t:signal(1))
t:close()
local env = popen.shell('echo $FOO', 'r')
print(env:read()) env:close()
local env2 = popen.new({'/bin/sh', '-c', 'echo $FOO'}, {env = {FOO = 'bar'}, stdout = 'pipe'})
print(env2:read()) env2:close()
local keys2 = {} for k in pairs(popen) do table.insert(keys2, k) end table.sort(keys2) print(table.concat(keys2, ' '))
print(keys(popen.opts), keys(popen.stream), keys(popen.state))
print(popen.signal.SIGTERM, popen.signal.SIGKILL, popen.signal.SIGHUP, popen.signal.SIGSYS)
local big = popen.shell('head -c 100000 /dev/zero', 'r')
local total = 0 while true do local s = big:read() if s == '' then break end total = total + #s end print('total', total) big:close()
local c2 = popen.shell('cat', 'rw')
local f = fiber.new(function() return c2:read() end)
f:set_joinable(true)
fiber.sleep(0.05)
f:cancel()
print(f:join())
print(c2:read({timeout = 0.05}))
c2:close()
local y = popen.shell('echo abc', 'r')
print(y:read({timeout = 5}))
print(pcall(y.shutdown, y, {stdout = true}), y.stdout, pcall(y.read, y))
y:close()
local ticks = 0
local ticker = fiber.new(function() for i = 1, 10 do ticks = ticks + 1 fiber.sleep(0.01) end end)
local s3 = popen.shell('sleep 0.3; echo late', 'r')
print(s3:read(), ticks == 10)
s3:close()
os.exit(0)
`

// TestPopen compares the popen module with the reference, on real
// processes.
func TestPopen(t *testing.T) {
	sameAsTarantool(t, popenScript)
}
