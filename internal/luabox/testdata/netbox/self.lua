-- net.box.self, in tarantool and in Spindle's runtime with box up: the
-- local instance behind the connection interface (results, errors,
-- transactions rolled back by a failure).
local nb = require('net.box')
local H = dofile(os.getenv('NB_DIR') .. '/show.lua')
local add, str = H.add, H.str
local function try(f, ...) return pcall(f, ...) end
local me = nb.self
add(me:ping(), rawget(box, 'space') == nil or me.space == box.space)
box.cfg{work_dir = os.getenv('NB_WORK_DIR'), log = 'self.log'}
function local_echo(...) return ... end
function local_tuple() return box.tuple.new{1, 2ULL^63}, 5LL, box.NULL, {box.NULL}, 2LL^62 end
function local_multi() return 1, nil end
local obj = {}
function obj:m(x) return self == obj, x end
local_obj = obj
add(me:call('local_echo', {1, nil, 3}))
add(me:call('local_tuple'))
add(me:call('local_multi'))
add(me:call('local_obj:m', {7}))
add(try(me.call, me, 'nope'))
add(try(me.call, me, 'local_echo', 1))
add(try(me.eval, me, 'x x'))
add(try(me.eval, me, 'error("z")'))
add(try(me.eval, me, 'box.error(box.error.ILLEGAL_PARAMS, "q")'))
add(me:eval('1 + 1'), me:eval('return ...', {7, 8}))
add(me:ping(), me:is_connected(), me:wait_connected(), me:timeout(1) == me, me:close(), me:reload_schema())
add(try(me.call))


function fails() error('oops') end
function raises() box.error(box.error.TUPLE_FOUND, 'i', 's') end
add(try(me.call, me, 'fails'))
add(try(me.call, me, 'raises'))
add(try(me.call, 1, 'local_echo'))
add(try(me.eval, 1, 'return 1'))
add(me.space == box.space, me.state, me.error, me.schema_version)
local sp = box.schema.space.create('x', {format = {{'id', 'unsigned'}}})
sp:create_index('pk')
add(me.space.x:insert{1}, me.space.x.id)
add(me:call('box.space.x:select', {1}), me:call('box.space.x:get', {1}), me:eval('return box.space.x:get(1).id'))
box.begin()
box.space.x:insert{2}
add(try(me.eval, me, 'error("y")'))
add(box.is_in_txn(), box.space.x:get{2})
box.begin()
box.space.x:insert{3}
add(try(me.call, me, 'nosuch'))
add(box.is_in_txn(), box.space.x:get{3})
box.begin()
box.space.x:insert{4}
add(me:call('local_echo', {1}), box.is_in_txn())
add(try(me.eval, me, 'x x'))
add(box.is_in_txn(), box.space.x:get{4})
box.begin()
box.space.x:insert{5}
add(me:call('local_echo', {1}), box.is_in_txn())
box.commit()
add(box.space.x:get{5}, box.space.x:select{})
out = H.out()
