-- net.box.self: the local instance through the connection interface.
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
local nb = require('net.box')
local json = require('json')
local s = nb.self

function echo(...) return ... end
function fails() error('oops') end
function raises() box.error(box.error.TUPLE_FOUND, 'i', 's') end
function tuple() return box.tuple.new{1, 2} end
obj = {m = function(self, x) return self == obj, x end}

local function show(ok, e)
    if ok then print('ok', e) return end
    if type(e) == 'string' then print('lua error', e) return end
    print('box error', e.code, e.type, e.message)
end

print(s:ping(), s:is_connected(), s:wait_connected(), s:close(), s:reload_schema(), s:timeout(1) == s)
print(nb.self == s, type(s.call), s.state, s.error, s.peer_uuid, s.schema_version)
print(s:call('echo', {1, 2}))
print(select('#', s:call('echo')), select('#', s:call('echo', {nil, 2})))
print(s:call('obj:m', {5}))
print(s:call('echo', {'x'}, {timeout = 1}))
show(pcall(s.call, s, 'nosuch'))
show(pcall(s.call, s, 'fails'))
show(pcall(s.call, s, 'raises'))
show(pcall(s.call, s, 'echo', 1))
show(pcall(s.call, 1, 'echo'))
local t = s:call('tuple')
print(box.tuple.is(t), type(t), json.encode(t))
print(box.tuple.is(s:eval('return box.tuple.new{3}')))
print(s:eval('return 1 + 1'), s:eval('1 + 2'), s:eval('return ...', {7, 8}))
print(select('#', s:eval('local x = 1')))
show(pcall(s.eval, s, 'return +'))
show(pcall(s.eval, s, 'error("x")'))
show(pcall(s.eval, s, 'error("long error message from a long chunk of code that goes on")'))
show(pcall(s.eval, s, 'box.error(box.error.NO_SUCH_USER, "u")'))
show(pcall(s.eval, s, 'return 1', 2))
show(pcall(s.eval, 1, 'return 1'))
print(s.space == box.space)
local sp = box.schema.space.create('x')
sp:create_index('pk')
print(s.space.x:insert{1}, s.space.x.id)
print(json.encode(s:call('box.space.x:select', {1})))
box.begin()
box.space.x:insert{2}
show(pcall(s.eval, s, 'error("y")'))
print(box.is_in_txn(), box.space.x:get{2})
box.begin()
box.space.x:insert{3}
show(pcall(s.call, s, 'nosuch'))
print(box.is_in_txn(), box.space.x:get{3})
box.begin()
box.space.x:insert{4}
print(s:call('echo', {1}), box.is_in_txn())
box.commit()
print(box.space.x:get{4})
os.exit()
