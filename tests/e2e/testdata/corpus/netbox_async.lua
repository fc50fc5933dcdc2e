-- net.box asynchronous requests (is_async futures: is_ready, result,
-- wait_result, discard, pairs) and box.session.push delivered to
-- on_push callbacks and to future:pairs(), as Tarantool 2.6 does.
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
box.schema.user.grant('guest', 'super')
local s = box.schema.space.create('test', {format = {{'id', 'unsigned'}, {'name', 'string'}}})
s:create_index('pk')
s:create_index('name', {parts = {2, 'string'}, unique = false})
local nb = require('net.box')
local fiber = require('fiber')
local json = require('json')

function echo(...) return ... end
function slow(t) fiber.sleep(t) return 'done', t end
function raises() box.error(box.error.TUPLE_FOUND, 'pk', 'sp') end
function fails() error('oops') end
function pusher(n)
    for i = 1, n do box.session.push({i, 'msg' .. i}) end
    return 'final', n
end
function slow_pusher(n, t)
    for i = 1, n do box.session.push(i) fiber.sleep(t) end
    return 'end'
end
function push_nil() box.session.push(nil) box.session.push(box.NULL) return 1 end

local function err(e)
    if e == nil then return 'nil' end
    if type(e) == 'string' then return 'lua error: ' .. e end
    return string.format('box error %s %s %s', e.code, e.type, e.message)
end
local function show(ok, ...)
    if ok then
        local t = {}
        for i = 1, select('#', ...) do t[i] = json.encode((select(i, ...))) end
        print('ok', table.concat(t, ' '))
        return
    end
    print(err(...))
end

local c = nb.connect(box.info.listen)

print('-- call and eval futures')
local f = c:call('echo', {1, 'two', {3}}, {is_async = true})
print(type(f), f:is_ready())
print(select('#', f:result()), f:result(), err(select(2, f:result())))
print(json.encode(f:wait_result()), f:is_ready())
print(json.encode(f:result()), json.encode(f:wait_result(0)))
f = c:eval('return ...', {5, 6}, {is_async = true})
print(json.encode(f:wait_result(1)))
f = c:call('multi_nonexistent', {}, {is_async = true})
local r, e = f:wait_result()
print(r, err(e))
r, e = f:result()
print(r, err(e))
f = c:call('raises', nil, {is_async = true})
r, e = f:wait_result()
print(r, err(e), e == select(2, f:result()))
f = c:call('fails', nil, {is_async = true})
print(err(select(2, f:wait_result())))
f = c:eval('error("boom")', nil, {is_async = true})
print(err(select(2, f:wait_result())))
print(c:ping({is_async = true}))

print('-- timeouts and waiting')
f = c:call('slow', {0.3}, {is_async = true})
r, e = f:wait_result(0.01)
print(r, err(e), f:is_ready())
r, e = f:wait_result(0)
print(r, err(e))
show(pcall(f.wait_result, f, -1))
show(pcall(f.wait_result, f, 'x'))
local ticks = 0
fiber.create(function() for _ = 1, 5 do ticks = ticks + 1 fiber.sleep(0.01) end end)
print(json.encode(f:wait_result(2)), ticks)
f = c:call('slow', {0.1}, {is_async = true, timeout = 0.001})
print(json.encode(f:wait_result()))

print('-- several futures at once')
local fs = {}
for i = 1, 5 do fs[i] = c:call('slow', {0.05 * (6 - i)}, {is_async = true}) end
local res = {}
for i = 1, 5 do res[i] = fs[i]:wait_result()[2] end
print(json.encode(res))
local order = {}
local ch = fiber.channel(10)
for i = 1, 3 do
    fiber.create(function()
        local ff = c:call('slow', {0.03 * (4 - i)}, {is_async = true})
        ff:wait_result()
        table.insert(order, i)
        ch:put(true)
    end)
end
for _ = 1, 3 do ch:get() end
print(json.encode(order))

print('-- discard')
f = c:call('slow', {0.05}, {is_async = true})
f:discard()
print(f:is_ready())
r, e = f:result()
print(r, err(e))
r, e = f:wait_result()
print(r, err(e))
fiber.sleep(0.1)
r, e = f:result()
print(r, err(e))
f = c:call('echo', {1}, {is_async = true})
f:wait_result()
f:discard()
print(json.encode(f:result()))

for _, m in ipairs({'is_ready', 'result', 'wait_result', 'discard'}) do print(m, pcall(f[m])) end
print(json.encode({pcall(f.wait_result, f, 1, 2)}))

print('-- space methods')
local sp = c.space.test
f = sp:insert({1, 'a'}, {is_async = true})
r = f:wait_result()
print(box.tuple.is(r), r.name, json.encode(r))
print(json.encode(sp:replace({2, 'b'}, {is_async = true}):wait_result()))
print(json.encode(sp:select({}, {is_async = true}):wait_result()))
print(json.encode(sp:get(1, {is_async = true}):wait_result()))
print(json.encode(sp:get(7, {is_async = true}):wait_result()))
print(json.encode(sp:update(1, {{'=', 2, 'A'}}, {is_async = true}):wait_result()))
print(json.encode(sp:upsert({3, 'c'}, {{'=', 2, 'C'}}, {is_async = true}):wait_result()))
print(json.encode(sp:delete(2, {is_async = true}):wait_result()))
print(json.encode(sp.index.name:select('A', {is_async = true}):wait_result()))
print(json.encode(sp.index.pk:min(nil, {is_async = true}):wait_result()))
print(json.encode(sp.index.pk:max(nil, {is_async = true}):wait_result()))
print(json.encode(sp.index.pk:count({}, {is_async = true}):wait_result()))
sp:insert({4, 'A'})
r, e = sp.index.name:get('A', {is_async = true}):wait_result()
print(r, err(e))
r, e = sp:insert({1, 'dup'}, {is_async = true}):wait_result()
print(r, err(e))
r = sp:select({}, {is_async = true, iterator = 'GE'}):wait_result()
print(#r, r[1].name)

print('-- pushes to on_push')
local got = {}
local function collect(ctx, msg) table.insert(got, json.encode({ctx, msg})) end
show(pcall(c.call, c, 'pusher', {3}, {on_push = collect, on_push_ctx = 'ctx'}))
print(table.concat(got, ' '))
got = {}
show(pcall(c.call, c, 'pusher', {2}, {on_push = collect}))
print(table.concat(got, ' '))
show(pcall(c.call, c, 'pusher', {2}, {on_push_ctx = {}}))
show(pcall(c.call, c, 'pusher', {2}))
show(pcall(c.eval, c, 'box.session.push(...) return 7', {'x'}, {on_push = collect, on_push_ctx = 'e'}))
print(got[3])
got = {}
show(pcall(c.call, c, 'push_nil', {}, {on_push = collect}))
print(#got, table.concat(got, ' '))
local who
show(pcall(c.call, c, 'pusher', {1}, {on_push = function() who = fiber.self() ~= fiber.self() end}))
show(pcall(c.call, c, 'pusher', {1}, {is_async = true, on_push = collect}))
show(pcall(c.call, c, 'pusher', {1}, {is_async = true, on_push_ctx = {}}))
show(pcall(c.call, c, 'raises', {}, {on_push = collect}))
show(pcall(c.call, c, 'slow_pusher', {3, 0.1}, {on_push = collect, timeout = 0.15}))

print('-- pushes to future:pairs')
f = c:call('pusher', {3}, {is_async = true})
for i, v in f:pairs() do print(i, json.encode(v)) end
print(json.encode(f:result()))
for i, v in f:pairs() do print('again', i, json.encode(v)) end
f = c:call('slow_pusher', {3, 0.02}, {is_async = true})
for i, v in f:pairs(1) do print(i, json.encode(v)) end
f = c:call('slow_pusher', {2, 0.2}, {is_async = true})
for i, v in f:pairs(0.05) do print(i, i == box.NULL, type(v) == 'number' and v or err(v)) end
f:wait_result()
f = c:call('raises', {}, {is_async = true})
for i, v in f:pairs() do print(i, i == box.NULL, err(v)) end
f = c:call('push_nil', {}, {is_async = true})
for i, v in f:pairs() do print(i, json.encode(v)) end
f = c:call('pusher', {2}, {is_async = true})
f:wait_result()
for i, v in f:pairs() do print(i, json.encode(v)) end
show(pcall(f.pairs, f, -1))
show(pcall(f.pairs, f, 'x'))
f = c:call('slow_pusher', {2, 0.05}, {is_async = true})
f:discard()
for i, v in f:pairs() do print(i, err(v)) end

print('-- connection loss')
local c2 = nb.connect(box.info.listen)
f = c2:call('slow', {1}, {is_async = true})
local f2 = c2:call('slow', {1}, {is_async = true})
c2:close()
print(f:is_ready(), err(select(2, f:result())), err(select(2, f2:wait_result())))
show(pcall(c2.call, c2, 'echo', {1}, {is_async = true}))
local c3 = nb.connect(box.info.listen, {wait_connected = false})
show(pcall(c3.call, c3, 'echo', {1}, {is_async = true}))
print(json.encode(c3:call('echo', {2})))
local c4 = nb.connect('127.0.0.1:1', {wait_connected = false})
show(pcall(c4.call, c4, 'echo', {1}, {is_async = true}))
c:close()
os.exit()
