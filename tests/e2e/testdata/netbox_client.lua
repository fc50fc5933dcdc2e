-- net.box client run by the reference tarantool against a server; prints
-- one deterministic line per check so two servers can be compared.
local net = require('net.box')
local json = require('json')

local function show(label, ...)
    local parts = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        if type(v) == 'cdata' or type(v) == 'userdata' then
            if box.tuple.is(v) then v = v:totable() else v = tostring(v) end
        elseif type(v) == 'table' then
            local t = {}
            for k, x in pairs(v) do
                if box.tuple.is(x) then t[k] = x:totable() else t[k] = x end
            end
            v = t
        end
        parts[i] = v == nil and 'nil' or json.encode(v)
    end
    print(label .. ': ' .. table.concat(parts, ' '))
end

local function try(label, f, ...)
    local res = {pcall(f, ...)}
    if res[1] then
        show(label, unpack(res, 2, table.maxn(res)))
    else
        local e = res[2]
        if type(e) == 'cdata' or type(e) == 'userdata' then
            print(label .. ': error ' .. tostring(e.code) .. ' ' .. tostring(e.message))
        else
            print(label .. ': error ' .. tostring(e))
        end
    end
end

local addr = os.getenv('ADDR')
local c = net.connect(addr)
show('connected', c:is_connected(), c.state)
try('ping', function() return c:ping() end)
local s = c.space.test
try('insert1', function() return s:insert{1, 'one', 10} end)
try('insert2', function() return s:insert{2, 'two'} end)
try('insert3', function() return s:insert{3, 'one', -5} end)
try('insert dup', function() return s:insert{1, 'again'} end)
try('insert bad type', function() return s:insert{'x', 'y'} end)
try('insert missing field', function() return s:insert{4} end)
try('replace', function() return s:replace{2, 'deux', 7} end)
try('select all', function() return s:select{} end)
try('select eq', function() return s:select{2} end)
try('select ge', function() return s:select({2}, {iterator = 'GE'}) end)
try('select lt', function() return s:select({3}, {iterator = 'LT'}) end)
try('select limit offset', function() return s:select({}, {limit = 1, offset = 1}) end)
try('select by name', function() return s.index.name:select{'one'} end)
try('select by name req', function() return s.index.name:select({'one'}, {iterator = 'REQ'}) end)
try('get', function() return s:get{3} end)
try('get missing', function() return s:get{99} end)
try('update', function() return s:update({1}, {{'+', 3, 5}, {'=', 2, 'uno'}}) end)
try('update by name', function() return s:update({3}, {{'-', 'n', 1}}) end)
try('update missing', function() return s:update({42}, {{'+', 3, 1}}) end)
try('update pk', function() return s:update({1}, {{'=', 1, 100}}) end)
try('update bad op', function() return s:update({1}, {{'?', 3, 1}}) end)
try('upsert new', function() return s:upsert({5, 'five', 1}, {{'+', 3, 1}}) end)
try('upsert existing', function() return s:upsert({5, 'five', 1}, {{'+', 3, 1}}) end)
try('after upsert', function() return s:get{5} end)
try('delete', function() return s:delete{2} end)
try('delete missing', function() return s:delete{2} end)
try('count', function() return s:count() end)
try('select after', function() return s:select() end)
local h = c.space.h
try('hash insert', function() return h:insert{'k1', 1} end)
try('hash insert2', function() return h:insert{'k2', 2} end)
try('hash get', function() return h:get{'k1'} end)
try('hash select eq', function() return h:select{'k2'} end)
try('hash bad iterator', function() return h:select({'k2'}, {iterator = 'LT'}) end)
try('no such space', function() return c:eval('return box.space.nope == nil, box.space.test ~= nil') end)
try('call add', function() return c:call('add', {2, 3}) end)
try('call multi', function() return c:call('multi') end)
try('call fail', function() return c:call('fail') end)
try('call boxfail', function() return c:call('boxfail') end)
try('call missing', function() return c:call('nope') end)
try('call echo', function() return c:call('echo', {1, 'a', {b = 2}, true}) end)
try('call tuples', function() return c:call('tuples') end)
try('call dotted', function() return c:call('math_helpers.double', {21}) end)
try('call method', function() return c:call('box.space.test:count') end)
try('call_16 add', function() return c:call_16('add', 2, 3) end)
try('call_16 multi', function() return c:call_16('multi') end)
try('call_16 tuples', function() return c:call_16('tuples') end)
try('call_16 echo', function() return c:call_16('echo', {1, 2}, {3}) end)
try('call_16 missing', function() return c:call_16('nope') end)
try('eval', function() return c:eval('return 1 + 2') end)
try('eval args', function() return c:eval('local a, b = ... return a .. b', {'x', 'y'}) end)
try('eval error', function() return c:eval('error("eval failed")') end)
try('eval syntax', function() return c:eval('return +') end)
try('eval box.error', function() return c:eval('box.error(box.error.NO_SUCH_USER, "zed")') end)
try('eval info ro', function() return c:eval('return box.info.ro, box.info.status') end)
try('eval tuple', function() return c:eval('return box.tuple.new{1, "a", {2}}') end)
local pushes = {}
try('push sync', function() return c:call('pusher', {3}, {on_push = function(ctx, m) table.insert(pushes, m) end}) end)
show('pushes seen', #pushes, pushes[1] and pushes[1][1])
try('push future', function()
    local f = c:call('pusher', {2}, {is_async = true})
    local got = {}
    for i, m in f:pairs(10) do table.insert(got, m) end
    return got
end)
try('session info', function() return c:call('session_info') end)
try('push bad', function() return c:call('push_bad') end)
c:close()

local a = net.connect('alice:secret@' .. addr)
show('alice connected', a:is_connected())
try('alice select', function() return a.space.test:select{1} end)
try('alice insert', function() return a.space.test:insert{9, 'nine'} end)
try('alice call', function() return a:call('add', {1, 1}) end)
try('alice call missing', function() return a:call('no_such_function') end)
try('alice h', function() return a:eval('return 1') end)
a:close()

local b = net.connect('bob:pw@' .. addr)
try('bob insert', function() return b.space.test:insert{10, 'ten'} end)
try('bob delete', function() return b.space.test:delete{10} end)
try('bob h', function() return b.space.h ~= nil end)
b:close()

local w = net.connect('alice:wrong@' .. addr)
show('wrong password', w:is_connected(), w.error)
local u = net.connect('nobody:x@' .. addr)
show('unknown user', u:is_connected(), u.error)
os.exit(0)
