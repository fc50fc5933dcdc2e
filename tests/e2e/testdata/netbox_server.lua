-- Instance file shared by the net.box comparison: run by spindle and by
-- the reference tarantool with the same LISTEN/WORK_DIR environment.
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.once('schema', function()
    local s = box.schema.space.create('test', {format = {
        {name = 'id', type = 'unsigned'},
        {name = 'name', type = 'string'},
        {name = 'n', type = 'integer', is_nullable = true},
    }})
    s:create_index('primary')
    s:create_index('name', {unique = false, parts = {'name'}})
    local h = box.schema.space.create('h')
    h:create_index('pk', {type = 'hash', parts = {1, 'string'}})
    box.schema.user.create('alice', {password = 'secret'})
    box.schema.user.grant('alice', 'read', 'space', 'test')
    box.schema.user.create('bob', {password = 'pw'})
    box.schema.user.grant('bob', 'read,write', 'space', 'test')
    box.schema.user.grant('bob', 'execute', 'universe')
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
end)
function add(a, b) return a + b end
function multi() return 1, 'two', {3, 4}, nil, true end
function fail() error('boom') end
function boxfail() box.error(box.error.PROC_LUA, 'custom failure') end
function echo(...) return ... end
function tuples() return box.space.test:select({}, {limit = 2}) end
math_helpers = {double = function(x) return x * 2 end}
function pusher(n)
    for i = 1, n do box.session.push({i, 'push'}) end
    return n, box.session.type(), box.session.sync() > 0
end
function session_info()
    local id = box.session.id()
    return box.session.type(), box.session.exists(id), box.session.peer() ~= nil,
        box.session.fd() >= 0, pcall(box.session.peer, 987654), box.session.exists(987654)
end
function push_bad() return pcall(box.session.push) end
