-- The client of the net.box differential test: the same script runs in
-- tarantool and in Spindle's runtime against a fresh tarantool server
-- (os.getenv('NB_ADDR')), and the lines it builds in `out` must match.
-- It prints nothing itself and avoids what differs by design (table
-- addresses, the Lua type of tuples and error objects).
local nb = require('net.box')
local fiber = require('fiber')
local ffi = require('ffi')
local addr = os.getenv('NB_ADDR')
local H = dofile(os.getenv('NB_DIR') .. '/show.lua')
local add, str, kind = H.add, H.str, H.kind

local function try(f, ...) return pcall(f, ...) end

-- triggers set before the connection is up
local events = {}
local function ev(s) table.insert(events, s) end
local c = nb.connect(addr, {wait_connected = false, reconnect_after = 0.05})
add(c.state, c:is_connected())
local worker = nil
c:on_schema_reload(function(cc)
    worker = fiber.name()
    ev('reload ' .. cc.state .. ' ' .. tostring(cc == c) .. ' ' .. tostring(cc.space.t ~= nil))
end)
c:on_connect(function(cc) ev('connect ' .. cc.state .. ' ' .. tostring(fiber.name() == worker)) end)
c:on_disconnect(function(cc) ev('disconnect ' .. cc.state .. ' ' .. tostring(cc.error)) end)
add(c:wait_connected(5), c.state, c:is_connected(), c.error, c.protocol, c.peer_version_id, c.schema_version)
add(table.concat(events, '; '))
add(worker == c.host .. ':' .. c.port .. ' (net.box)')
events = {}

-- values both ways
add(c:call('big'))
add(c:call('types', {1LL, 2ULL^63, box.NULL, 2^53, 1e14, -1LL, 1.5, true, 'str', {a = box.NULL, 1}, -2^63}))
add(c:call('echo', {1, box.NULL, {box.NULL, 2, {x = 1LL}}, 2^64 - 1}))
add(c:call('multi'))
add(c:call('nothing'))
add(c:eval('return ...', {box.NULL, nil, 3}))
add(c:eval('return 1, 2LL^60', {}))
add(c:call('echo'))
add(c:call('echo', nil))
add(c:call(setmetatable({}, {__tostring = function() return 'echo' end}), {7}))
add(try(c.eval, c, 123))
add(c:call_16('echo', 1, 'a'))
add(c:eval_16('return ...', 5, 6))

-- space objects
local s = c.space.t
add(s.id, s.name, s.engine, s.field_count, s.temporary, s.is_sync, s.enabled, s.connection == c, c.space[s.id] == s)
add(s.index.pk.id, s.index.pk.type, s.index.pk.unique, s.index.byv.unique, s.index[1] == s.index.byv, s.index.pk.space == s)
add(s.index.pk.parts, s.index.byv.parts)
add(s:format())
add(try(s.format, s, {}))
add(c.space.noindex.index)
local t = s:replace{1, 9007199254740993ULL}
add(t, t.id, t.v, t[2], t:totable())
add(s:replace{2, box.NULL}, s:insert{3, 'three'}, s:insert{4, 4.5})
t = s:get(2)
add(t, t.id, t[2])
add(s:select{})
add(s:select({}, {limit = 2, offset = 1}))
add(s:select(2, {iterator = 'GT'}))
add(s:select(2, {iterator = box.index.LT}))
add(s:select(2, 'le'))
add(try(s.select, s, 2, {iterator = 'bogus'}))
add(try(s.select, s, 2, {iterator = true}))
add(s.index.byv:select(box.NULL))
add(s.index.byv:select({box.NULL}))
add(s:get(100), s:get(100) == nil)
add(s.index.pk:min(), s.index.pk:max(), s.index.pk:min(3), s.index.pk:max(2))
add(try(s.index.byv.get, s.index.byv, box.NULL))
add(s.index.pk:count(), s.index.pk:count(2, {iterator = 'GE'}), s.index.byv:count())
add(s:update(1, {{'+', 2, 1}}), s:update(100, {{'=', 2, 1}}))
add(s:update({3}, {{'=', 'v', 'x'}}))
add(s:upsert({5, 1}, {{'+', 2, 1}}), s:upsert({5, 1}, {{'+', 2, 1}}), s:get(5))
add(s:delete(5), s:delete(5), s.index.pk:delete(4))
add(try(s.insert, s, {1, 1}))
add(try(s.insert, s, {'x'}))
add(try(s.insert, s, 5))
add(try(s.replace, s, {k = 1}))
add(try(s.update, s, 1, 5))
add(try(c.space.noindex.select, c.space.noindex))
add(try(s.select))
add(try(s.index.pk.select))
add(try(s.insert, {}))

-- errors from the server
local ok, e = try(c.call, c, 'nosuch')
add(ok, e)
ok, e = try(c.call, c, 'custom')
add(ok, e, e.base_type)
ok, e = try(c.call, c, 'client_error')
add(ok, e)
ok, e = try(c.call, c, 'lua_error')
add(ok, e)
ok, e = try(c.eval, c, 'syntax error here')
add(ok, e)
add(try(c.call, c, 'echo', 5))
add(try(c.eval, c, 'return 1', 5))
add(try(c.call))
add(try(c.call, c, 'echo', {function() end}))

-- timeouts
add(try(c.call, c, 'slow', {0.2}, {timeout = 0.05}))
add(try(c.call, c, 'slow', {0.2}, {timeout = 0}))
add(c:ping(), c:ping({timeout = 1}), c:ping({is_async = true}))
add(try(c.call, c, 'echo', {1}, {timeout = 'x'}))

-- futures
local f = c:call('slow', {0.05}, {is_async = true})
add(kind(f), f:is_ready(), f:result())
add(f:wait_result(0.01))
add(f:wait_result(5), f:is_ready())
local r1 = f:result()
add(r1 == f:result())
add(try(f.wait_result, f, -1))
add(try(f.wait_result, f, 'x'))
add(try(f.is_ready))
f = c:call('slow', {0.05}, {is_async = true})
f:discard()
add(f:is_ready(), f:result())
f = c:call('nosuch', {}, {is_async = true})
local _, e1 = f:wait_result(5)
local _, e2 = f:result()
add(e1, e1 == e2)
add(s:select({}, {is_async = true}):wait_result(5))
add(s:get(1, {is_async = true}):wait_result(5))
add(s.index.byv:get(box.NULL, {is_async = true}):wait_result(5))
add(s.index.pk:count(nil, {is_async = true}):wait_result(5))
add(s:upsert({9, 1}, {}, {is_async = true}):wait_result(5))
add(c:eval('return 1, nil', {}, {is_async = true}):wait_result(5))
add(try(c.call, c, 'echo', {}, {is_async = true, on_push = print}))
add(try(c.call, c, 'echo', {}, {is_async = true, on_push_ctx = {}}))

-- pushes
local got = {}
add(c:call('pusher', {3}, {on_push = function(ctx, m) table.insert(got, str(ctx) .. str(m)) end, on_push_ctx = 'p'}), table.concat(got, ','))
got = {}
add(c:call('pusher', {2}, {on_push = function(ctx, m) table.insert(got, str(ctx) .. str(m)) end}), table.concat(got, ','))
add(c:call('pusher', {2}))
f = c:call('pusher', {3, 0.01}, {is_async = true})
local seen = {}
for i, v in f:pairs(5) do table.insert(seen, str(i) .. '=' .. str(v)) end
add(table.concat(seen, ' '))
f = c:call('slow', {0.3}, {is_async = true})
seen = {}
for i, v in f:pairs(0.02) do table.insert(seen, str(i) .. '=' .. str(v)) end
add(table.concat(seen, ' '))
add(try(f.pairs, f, -1))
add(f:wait_result(5))

f = c:call('push_nil', {}, {is_async = true})
seen = {}
for i, v in f:pairs(5) do table.insert(seen, str(i) .. '=' .. str(v)) end
add(table.concat(seen, ' '))
add(c:call('echo', {1}, {is_async = true, timeout = 0.001}):wait_result(5))

-- a call blocks only its fiber; close fails the calls in flight
local ch = fiber.channel(2)
fiber.create(function() ch:put(c:call('slow', {0.1})) end)
fiber.create(function() ch:put(select(2, pcall(c.call, c, 'slow', {0.1}, {timeout = 0.02}))) end)
add(ch:get(5), ch:get(5))
-- neither a wakeup nor a cancellation ends a request's wait; a
-- cancelled fiber raises when its wait times out
local res5
local fb = fiber.create(function() res5 = {pcall(c.call, c, 'slow', {0.3}, {timeout = 0.1})} end)
fiber.sleep(0.01)
fb:wakeup()
fiber.sleep(0.01)
add(res5 == nil)
fb:cancel()
fiber.sleep(0.01)
add(res5 == nil)
for _ = 1, 300 do if res5 then break end fiber.sleep(0.01) end
add(res5[1], res5[2])
local res6
local fb6 = fiber.create(function() res6 = {pcall(c.call, c, 'slow', {0.05})} end)
fiber.sleep(0.01)
fb6:cancel()
fiber.sleep(0.01)
add(res6 == nil, fb6:status())
for _ = 1, 300 do if res6 then break end fiber.sleep(0.01) end
add(res6[1], res6[2])
local c4 = nb.connect(addr)
local res4
fiber.create(function() res4 = {pcall(c4.call, c4, 'slow', {1})} end)
c4:close()
for _ = 1, 100 do if res4 then break end fiber.sleep(0.01) end
add(res4[1], res4[2], c4.state)

-- buffers: an ibuf-like object, as 2.6 only calls buffer:alloc(n)
local function newbuf()
    local b = {data = ffi.new('char[65536]'), n = 0}
    function b.alloc(self, n) local p = self.data + self.n; self.n = self.n + n; return p end
    function b.hex(self)
        local s = ffi.string(self.data, self.n)
        return (s:gsub('.', function(ch) return string.format('%02x', ch:byte()) end))
    end
    return b
end
local buf = newbuf()
add(c:call('echo', {1, 'a'}, {buffer = buf}), buf:hex())
buf = newbuf()
add(c:call('echo', {1, 'a'}, {buffer = buf, skip_header = true}), buf:hex())
buf = newbuf()
add(s:select({1}, {buffer = buf}), buf:hex())
buf = newbuf()
add(c:call('pusher', {1}, {buffer = buf, skip_header = true}), buf:hex())
buf = newbuf()
f = c:eval('return 5', {}, {is_async = true, buffer = buf})
add(f:wait_result(5), buf:hex())
add(try(s.get, s, 1, {buffer = buf}))
add(try(s.index.pk.count, s.index.pk, 1, {buffer = buf}))

-- trigger lists
local function trg() end
local function trg2() end
add(#c:on_connect(), c:on_connect(trg), #c:on_connect())
add(c:on_connect(trg2, trg) == trg, c:on_connect()[2] == trg2)
add(c:on_connect(nil, trg2) == trg2, #c:on_connect())
add(try(c.on_connect, c, nil, trg2))
add(try(c.on_connect, c, trg, trg2))
add(try(c.on_connect, c, 1))
add(try(c.on_disconnect, c, trg, 'x'))
add(try(c.on_schema_reload, c, {}))
local callable = setmetatable({}, {__call = function() end})
add(c:on_schema_reload(callable), c:on_schema_reload(nil, callable) == callable)
add(try(c.on_connect, nil, trg))
add(c:on_connect(box.NULL, box.NULL) ~= nil)

-- DDL seen by the connection
local sv = c.schema_version
add(c.space.kv == nil, c:call('ddl', {'kv'}), c.space.kv ~= nil, c.schema_version - sv)
add(table.concat(events, '; '))
events = {}
add(c.space.kv:insert{'a'}, c.space.kv.index.pk.parts)
c:eval('box.space.kv:drop()')
add(c.space.kv == nil, c.schema_version - sv)
events = {}

-- the server drops the connection: on_disconnect, then reconnect
add(c:call('drop'))
local pending = c:call('slow', {1}, {is_async = true})
local wres, werr = pending:wait_result(5)
add(wres, werr, c.state, c.error, c:is_connected())
add(try(c.call, c, 'echo', {1}, {timeout = 0}))
add(c:wait_connected(5), c.state, c.error)
add(table.concat(events, '; '))
events = {}
add(c:call('echo', {'again'}))
c:close()
add(c.state, c.error, c:is_connected(), c:ping())
add(try(c.call, c, 'echo', {1}))
add(table.concat(events, '; '))
c:close()
add(c.state)

-- errors in triggers
local c2 = nb.connect(addr, {wait_connected = false})
c2:on_connect(function() error('connect failed') end)
c2:on_disconnect(function(cc) ev('disc2 ' .. cc.state .. ' ' .. tostring(cc.error)) end)
add(c2:wait_connected(5), c2.state, c2.error)
add(try(c2.call, c2, 'echo', {1}))
add(c2:ping(), table.concat(events, '; '))
events = {}
c2 = nb.connect(addr, {wait_connected = false})
c2:on_schema_reload(function() error('reload failed') end)
c2:on_connect(function() ev('never') end)
add(c2:wait_connected(5), c2.state, c2.error, c2.space.t ~= nil)
add(try(c2.call, c2, 'echo', {1}))
c2 = nb.connect(addr, {wait_connected = false})
c2:on_connect(function() box.error(box.error.ILLEGAL_PARAMS, 'from trigger') end)
add(c2:wait_connected(5), c2.state, c2.error)
add(try(c2.call, c2, 'echo', {1}))
c2 = nb.connect(addr)
c2:on_disconnect(function() error('disconnect failed') end)
add(try(c2.close, c2))
add(c2.state, c2.error, c2:is_connected(), c2:ping())
add(try(c2.close, c2))
c2 = nb.connect(addr)
c2:on_schema_reload(function() error('reload failed again') end)
local pend = c2:call('slow', {0.5}, {is_async = true})
add(try(c2.call, c2, 'ddl', {'kv2'}))
add(c2.state, c2.error)
add(pend:wait_result(5))
table.insert(events, 'end')
add(table.concat(events, '; '))

-- connect arguments and failures
local refused = nb.connect('127.0.0.1:1')
add(refused.state, refused.error, refused:is_connected(), refused.space, refused:ping(), refused:wait_connected(0.01))
add(try(refused.call, refused, 'echo'))
refused:close()
add(refused.state, refused.error)
refused = nb.connect('127.0.0.1:1', {reconnect_after = 0.02, wait_connected = false})
add(refused.state, refused:wait_state('error_reconnect', 1), refused.state, refused.error)
add(try(refused.eval, refused, 'return 1', nil, {timeout = 0.01}))
refused:close()
add(refused.state, refused.error)
add(try(refused.eval, refused, 'return 1'))
add(try(nb.connect, 'nohost'))
add(try(nb.connect, addr, {password = 'x'}))
local c3 = nb.connect(addr, {user = 'nobody', password = 'x'})
add(c3.state, c3.error)
add(try(c3.call, c3, 'echo'))
c3 = nb.new(addr, {user = 'guest'})
add(c3.state, c3.opts.user, c3.opts.password)
c3:close()
local host, port = addr:match('^(.*):(%d+)$')
c3 = nb.connect(host, tonumber(port))
add(c3.state, c3.host, type(c3.port), c3.port == tonumber(port))
c3:close()
c3 = nb:connect(addr, {wait_connected = false})
add(c3.state)
c3:close()
add(c3.state)
c3 = nb.timeout(5).connect(addr)
add(c3.state, c3.opts.wait_connected)
c3:close()
c3 = nb.connect(addr, {call_16 = true})
add(c3:call('echo', 1, 2))
c3:close()

-- SQL
local q = nb.connect(addr)
add(q:execute([[CREATE TABLE sq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT COLLATE "unicode_ci", n INTEGER)]]))
add(q:execute('INSERT INTO sq (v, n) VALUES (?, ?), (?, ?)', {'a', 1, 'b', 9223372036854775807LL}))
add(q:execute('SELECT id, v, v AS w, n, 1 + 1 FROM sq WHERE id > ?', {0}))
add(q:execute('SELECT * FROM sq WHERE id = :x', {{[':x'] = 2}}))
local p = q:prepare('SELECT * FROM sq WHERE id = ?')
add(type(p.stmt_id), p.param_count, p.params, p.metadata)
add(q:execute(p.stmt_id, {1}))
local p2 = q:prepare('UPDATE sq SET n = n + 1 WHERE id = ?')
add(type(p2.stmt_id), p2.param_count, p2.params, p2.metadata)
add(q:unprepare(p.stmt_id))
add(try(q.unprepare, q, p.stmt_id))
add(try(q.unprepare, q, 'x'))
add(try(q.unprepare, q, p2.stmt_id, nil, {}))
add(try(q.prepare, q, 5))
add(try(q.prepare, q, 'SELECT 1', nil, {}))
add(try(q.execute, q, 'SELECT 1', {}, {}))
add(try(q.execute, q, 'SELEKT 1'))
add(q:execute('SELECT 1', nil, nil, {is_async = true}):wait_result(5))
add(q:execute('SELECT 1', nil, nil, {timeout = 5}))
q:execute('SET SESSION "sql_full_metadata" = true')
add(q:execute('SELECT id, v AS w, n + 1 FROM sq'))
add(try(q.execute))
q:close()

out = H.out()
