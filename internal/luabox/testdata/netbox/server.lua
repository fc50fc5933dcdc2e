-- The tarantool server of the net.box differential test: it prints its
-- address once it listens.
local fiber = require('fiber')
local ffi = require('ffi')
ffi.cdef('int shutdown(int, int);')
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('WD'), log = os.getenv('WD') .. '/log.txt'}
box.schema.user.grant('guest', 'super')
local s = box.schema.space.create('t', {format = {{'id', 'unsigned'}, {'v', 'any', is_nullable = true}}})
s:create_index('pk')
s:create_index('byv', {parts = {{2, 'scalar', is_nullable = true}}, unique = false})
box.schema.space.create('noindex')

function big()
    return 2^63, -2^62, 9007199254740993ULL, 18446744073709551615ULL,
        -9223372036854775807LL, box.NULL, 1e15, 100000000000000, 99999999999999, 2^53, 0.5
end
function echo(...) return ... end
function types(...)
    local r = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        r[i] = type(v) .. ':' .. (type(v) == 'table' and '{}' or tostring(v))
    end
    return r
end
function multi() return 1, nil, 3 end
function nothing() end
function pusher(n, delay)
    for i = 1, n do
        box.session.push({i, 2^63})
        if delay then fiber.sleep(delay) end
    end
    return 'final'
end
function slow(t) fiber.sleep(t) return 'late' end
function push_nil() box.session.push(nil) box.session.push(box.NULL) return 1 end
-- drop closes the calling session's socket from the server side a little
-- after it answers.
function drop()
    local fd = box.session.fd()
    fiber.create(function() fiber.sleep(0.02) ffi.C.shutdown(fd, 2) end)
    return true
end
function custom() box.error({type = 'MyError', reason = 'custom failure'}) end
function client_error() box.error(box.error.ILLEGAL_PARAMS, 'bad thing') end
function lua_error() error('plain failure') end
function ddl(name) box.schema.space.create(name, {format = {{'k', 'string'}}}):create_index('pk', {parts = {{1, 'string'}}}) end
io.stdout:write(box.info.listen .. '\n')
io.stdout:flush()
