-- net.box connections: URI forms, states, wait_*, close, errors of
-- refused and closed connections, call/eval results and remote errors,
-- timeouts, and that a call blocks only its own fiber.
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
box.schema.user.grant('guest', 'super')
box.schema.user.create('u', {password = 'p'})
box.schema.user.grant('u', 'read,write,execute', 'universe')
local nb = require('net.box')
local fiber = require('fiber')
local json = require('json')
local addr = box.info.listen
local port = addr:match(':(%d+)$')

function echo(...) return ... end
function slow(t) fiber.sleep(t) return 'done' end
function fails() error('oops') end
function raises() box.error(box.error.TUPLE_FOUND, 'pk', 'sp') end
function coded() box.error{code = 123, reason = 'custom'} end
function tuple() return box.tuple.new{1, 2, 'x'} end
function multi() return 1, nil, 3 end
obj = {m = function(self, x) return self == obj, x end}

local function show(ok, e)
    if ok then print('ok', e) return end
    if type(e) == 'string' then print('lua error', e) return end
    print('box error', e.code, e.type, e.message)
end

print('-- connect')
local c = nb.connect(addr)
print(c.state, c.error, c:is_connected(), c.peer_uuid == box.info.uuid, c.peer_version_id)
print(type(c.schema_version), c.protocol, c.host, c.port == port, json.encode(c.opts))
print(getmetatable(c), c.space._space.id, c.space[281].name)
print(c:ping(), c:ping({timeout = 1}), c:wait_connected(), c:wait_connected(0), c:wait_state('active'))
print(c:wait_state({active = true, error = true}, 0.01), c:wait_state('closed', 0.01))
print(nb.connect(port).state, nb.new('127.0.0.1', port).state, nb.connect(addr, {}).state)
print(nb:connect(addr).state, nb.timeout(1).connect(addr).state, nb.timeout(nil) == nb)

print('-- users')
print(nb.connect('u:p@' .. addr):eval('return box.session.user()'))
print(nb.connect(addr, {user = 'u', password = 'p'}):eval('return box.session.user()'))
print(nb.connect(port, {user = 'u', password = 'p'}):eval('return box.session.user()'))
print(nb.connect(addr):eval('return box.session.user()'))
local w = nb.connect('u:wrong@' .. addr)
print(w.state, w.error, w:is_connected(), w:ping())
show(pcall(w.eval, w, 'return 1'))
w = nb.connect(addr, {user = 'u'})
print(w.state, w.error)
w = nb.connect('nobody:x@' .. addr)
print(w.state, w.error)
show(pcall(nb.connect, addr, {password = 'p'}))
show(pcall(nb.connect, 'foo'))
show(pcall(nb.connect))

print('-- refused')
local r = nb.connect('127.0.0.1:1')
print(r.state, r.error, r:is_connected(), r.space, r:ping(), r:wait_connected(0.01))
show(pcall(r.call, r, 'echo'))
show(pcall(r.eval, r, 'return 1'))
r:close()
print(r.state, r.error)
r = nb.connect('127.0.0.1:1', {wait_connected = false})
print(r.state, r.error)
print(r:wait_connected(), r.state, r.error)
r = nb.connect('127.0.0.1:1', {reconnect_after = 0.05, wait_connected = false})
print(r.state)
print(r:wait_state('error_reconnect', 1), r.state, r.error)
show(pcall(r.eval, r, 'return 1', nil, {timeout = 0.01}))
r:close()
print(r.state, r.error)
show(pcall(r.eval, r, 'return 1'))

print('-- wait_connected = false')
local l = nb.connect(addr, {wait_connected = false})
print(l.state, l.error, l:is_connected())
print(l:eval('return 7'), l.state)
l = nb.connect(addr, {wait_connected = false})
print(l:wait_connected(), l.state, l:is_connected())

print('-- call')
print(c:call('echo', {1, 'a', 'b'}))
print(json.encode({c:call('echo', {1, 'a', {b = 2}, {3, 4}})}))
print(select('#', c:call('echo')), select('#', c:call('echo', {})), select('#', c:call('multi')))
print(c:call('multi'))
print(json.encode(c:call('tuple')), box.tuple.is(c:call('tuple')))
print(c:call('obj:m', {5}))
print(c:call('echo', {1}, {timeout = 1}))
print(c:call_16('echo', 1, 2)[1][2], #c:call_16('multi'))
show(pcall(c.call, c, 'nosuch'))
show(pcall(c.call, c, 'raises'))
show(pcall(c.call, c, 'coded'))
show(pcall(c.call, c, 'echo', 1))
show(pcall(c.call, c, 'echo', {1}, {timeout = 0.01}))
show(pcall(c.call, 'echo'))
show(pcall(c.call, c, 'echo', {a = 1}))
local ok, e = pcall(c.call, c, 'fails')
print(ok, e, e.type)

print('-- eval')
print(c:eval('return 1 + 1'), c:eval('return ...', {1, 2}), c:eval('return ...', {}, {timeout = 1}))
print(select('#', c:eval('local x = 1')), c:eval_16('return ...', 'a', 'b'))
show(pcall(c.eval, c, 'box.error(box.error.NO_SUCH_USER, "x")'))
show(pcall(c.eval, c, 'return 1', 2))
show(pcall(c.eval, 'return 1'))
ok, e = pcall(c.eval, c, 'return +')
print(ok, e, e.type)
ok, e = pcall(c.eval, c, 'error("boom")')
print(ok, e, e.type)

print('-- timeouts')
local t0 = fiber.clock()
show(pcall(c.call, c, 'slow', {1}, {timeout = 0.05}))
print(fiber.clock() - t0 < 0.5)
show(pcall(c.eval, c, 'require("fiber").sleep(1)', {}, {timeout = 0}))
print(c:ping(), c:call('echo', {'after timeout'}))

print('-- a call blocks only its fiber')
local c2 = nb.connect(addr)
t0 = fiber.clock()
local ch = fiber.channel(2)
fiber.create(function() ch:put(c:call('slow', {0.2})) end)
fiber.create(function() ch:put(c2:call('slow', {0.2})) end)
local ticks = 0
fiber.create(function() for _ = 1, 5 do ticks = ticks + 1 fiber.sleep(0.01) end end)
print(ch:get(), ch:get(), fiber.clock() - t0 < 0.35, ticks)

print('-- schema reload')
print(c.space.nb2)
local v0 = c.schema_version
local sp = c.space._space
c:eval("box.schema.space.create('nb2'):create_index('pk')")
print(c.space.nb2 ~= nil, c.schema_version > v0, c.space.nb2.index.pk.id, c.space._space == sp)
c:eval("box.space.nb2:drop()")
print(c.space.nb2, c.space._space == sp)

print('-- close')
c:close()
print(c.state, c.error, c:is_connected(), c.space ~= nil, c:ping(), c:wait_connected(0.01))
show(pcall(c.eval, c, 'return 1'))
show(pcall(c.space._space.get, c.space._space, 280))
c:close()
print(c.state, c.error)
show(pcall(c.close))
local pending = nb.connect(addr)
local res
fiber.create(function() res = {pcall(pending.call, pending, 'slow', {1})} end)
pending:close()
for _ = 1, 100 do if res then break end fiber.sleep(0.01) end
show(res[1], res[2])
os.exit()
