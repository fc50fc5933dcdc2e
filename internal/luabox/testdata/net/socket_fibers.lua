-- socket with fibers: waits that let other fibers run, timeouts,
-- wakeups and cancellation of waiting fibers, tcp_server's fibers, a
-- socket closed under a waiting fiber. Every wait is bounded.
local socket = require('socket')
local fiber = require('fiber')
local errno = require('errno')

local lines = {}
local function show(...)
    local t = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        t[i] = type(v) == 'string' and string.format('%q', v) or tostring(v)
    end
    table.insert(lines, table.concat(t, ' '))
end

-- Normalizes ports and descriptors in a text.
local function norm(s)
    return (tostring(s):gsub(':%d+', ':PORT'):gsub('fd %d+', 'fd N'))
end

-- wait_for lets other fibers run until cond() holds (at most 5 s), so
-- that what the test shows next does not depend on how fast they are.
local function wait_for(cond)
    local deadline = fiber.clock() + 5
    while not cond() and fiber.clock() < deadline do
        fiber.sleep(0.001)
    end
end

-- A pair of connected sockets over loopback.
local function pair()
    local l = socket('AF_INET', 'SOCK_STREAM', 'tcp')
    assert(l:bind('127.0.0.1', 0) and l:listen())
    local c = socket.tcp_connect('127.0.0.1', l:name().port, 1)
    assert(l:readable(1))
    local a = l:accept()
    l:close()
    return c, a
end

-- A read waits without the baton: another fiber writes meanwhile.
do
    local c, a = pair()
    local order = {}
    local w = fiber.create(function()
        table.insert(order, 'writer starts')
        fiber.sleep(0.05)
        table.insert(order, 'writer writes')
        c:write('late data\n')
    end)
    table.insert(order, 'reader waits')
    local data = a:read('\n', 2)
    table.insert(order, 'reader got ' .. tostring(data):gsub('\n', ''))
    show(table.concat(order, ', '))
    c:close() a:close()
end

-- Timeouts.
do
    local c, a = pair()
    local t0 = fiber.clock()
    show(a:read(10, 0.05), a:errno(), fiber.clock() - t0 >= 0.05)
    show(a:readable(0.01), a:errno())
    show(a:read(10, 0), a:errno())
    c:write('abc')
    show(a:read(10, 0.05), a:errno())
    show(a:read(3, 0.05))
    c:close() a:close()
end

-- A wakeup does not end a read; a cancellation does, with an error.
do
    local c, a = pair()
    local result = {}
    local f = fiber.create(function()
        local ok, data = pcall(a.read, a, '\n', 2)
        result.ok, result.data = ok, data
    end)
    fiber.sleep(0.02)
    f:wakeup()
    fiber.sleep(0.02)
    show('after wakeup', f:status(), result.ok)
    c:write('woken but waiting\n')
    wait_for(function() return result.ok ~= nil end)
    show('read', result.ok, result.data)

    result = {}
    f = fiber.create(function()
        local ok, err = pcall(a.read, a, '\n', 2)
        result.ok, result.err = ok, tostring(err)
    end)
    fiber.sleep(0.02)
    f:cancel()
    wait_for(function() return result.ok ~= nil and f:status() == 'dead' end)
    show('cancelled', f:status(), result.ok, result.err)

    result = {}
    f = fiber.create(function()
        result.r1 = socket.iowait(a:fd(), 1, 2)
        result.r2 = {pcall(socket.iowait, a:fd(), 'R', 2)}
    end)
    fiber.sleep(0.02)
    f:wakeup()
    wait_for(function() return result.r1 ~= nil end)
    fiber.sleep(0.02)
    f:cancel()
    wait_for(function() return result.r2 ~= nil end)
    show('iowait', result.r1, result.r2[1], tostring(result.r2[2]))
    c:close() a:close()
end

-- iowait(nil, nil, t) sleeps; a wakeup ends it.
do
    local t0 = fiber.clock()
    socket.iowait(nil, nil, 0.03)
    show('slept', fiber.clock() - t0 >= 0.03)
    local done = false
    local f = fiber.create(function() socket.iowait(nil, nil, 5) done = true end)
    fiber.sleep(0.01)
    f:wakeup()
    wait_for(function() return done end)
    show('woken sleep', done)
end

-- Closing a socket ends another fiber's wait on it.
do
    local c, a = pair()
    local got
    local f = fiber.create(function() got = {a:readable(3)} end)
    fiber.sleep(0.02)
    local t0 = fiber.clock()
    a:close()
    wait_for(function() return got ~= nil end)
    show('closed under a reader', got and got[1], fiber.clock() - t0 < 1)
    c:close()
end

-- tcp_server: a fiber per client, named after it; the listening socket
-- closed ends the server's fiber.
do
    local names = {}
    -- Each handler reports when it is done, and the next client waits
    -- for it, so that the output order does not depend on timing.
    local done = fiber.channel(3)
    local s, addr = socket.tcp_server('127.0.0.1', 0, function(client, from)
        table.insert(names, norm(fiber.name()))
        local line = client:read('\n', 2)
        client:write('echo: ' .. tostring(line))
        local rest = client:read(100, 0.05)
        show('handler', from.family, from.host, rest, client:errno())
        done:put(true)
    end)
    show('server', norm(s), addr.family, addr.host, type(addr.port), addr.type, addr.protocol)
    local port = s:name().port
    for i = 1, 3 do
        local c = socket.tcp_connect('127.0.0.1', port, 2)
        c:write('client ' .. i .. '\n')
        show('reply', c:read('\n', 2))
        c:close()
        done:get(2)
    end
    fiber.sleep(0.1)
    table.sort(names)
    show(table.concat(names, ' '))
    local server_fibers = 0
    for _, f in pairs(fiber.info()) do
        if f.name:match('^server/127') then server_fibers = server_fibers + 1 end
    end
    show('server fibers', server_fibers)
    s:close()
    fiber.sleep(0.05)
    server_fibers = 0
    for _, f in pairs(fiber.info()) do
        if f.name:match('^server/127') then server_fibers = server_fibers + 1 end
    end
    show('after close', server_fibers)
    show(socket.tcp_connect('127.0.0.1', port, 1), errno.strerror())
end

-- tcp_server with opts: name, prepare's backlog; a handler that raises
-- still has its connection closed.
do
    local prepared
    local s = socket.tcp_server('127.0.0.1', 0, {
        name = 'named',
        prepare = function(sock) prepared = type(sock) return 5 end,
        handler = function(client) client:write('bye\n') error('handler fails') end,
    })
    show('prepared', prepared)
    local c = socket.tcp_connect('127.0.0.1', s:name().port, 1)
    show(c:read('\n', 1), c:read(10, 1))
    c:close()
    s:close()
end

-- A unix socket server; a dead socket file is replaced, a live one is not.
do
    local path = os.getenv('NB_WORK_DIR') .. '/sock'
    local s = socket.tcp_server('unix/', path, function(client) client:write('unix hello') end)
    show('unix server', s ~= nil)
    local s2 = socket.tcp_server('unix/', path, function() end)
    show('second server', s2, errno.strerror())
    local c = socket.tcp_connect('unix/', path, 1)
    show(c:read(10, 1), c:peer().host, c:peer().port == path)
    c:close()
    s:close()
    show('file after close', io.open(path) ~= nil)
    local dead = socket('AF_UNIX', 'SOCK_STREAM', 0)
    dead:bind('unix/', path)
    dead:close()
    show('dead file', io.open(path) ~= nil)
    s = socket.tcp_server('unix/', path, function(client) client:write('again') end)
    show('replaced', s ~= nil)
    c = socket.tcp_connect('unix/', path, 1)
    show(c:read(10, 1))
    c:close()
    s:close()
end

-- LuaSocket's timeouts.
do
    local m = socket.bind('127.0.0.1', 0)
    m:settimeout(0.05)
    show(m:accept())
    local host, port = m:getsockname()
    local c = socket.connect(host, port)
    c:settimeout(0.05)
    local a = m:accept()
    show(tostring(a):match('client'))
    show(c:receive())
    a:send('partial')
    show(c:receive('*a'))
    a:close() c:close() m:close()
end

-- Many fibers wait on one socket each; all are served.
do
    local n = 20
    local got = 0
    local s = socket.tcp_server('127.0.0.1', 0, function(client)
        local l = client:read('\n', 2)
        if l then client:write(l) end
    end)
    local port = s:name().port
    local done = fiber.channel(n)
    for i = 1, n do
        fiber.create(function()
            local c = socket.tcp_connect('127.0.0.1', port, 2)
            c:write('n' .. i .. '\n')
            if c:read('\n', 2) == 'n' .. i .. '\n' then got = got + 1 end
            c:close()
            done:put(true)
        end)
    end
    for _ = 1, n do done:get(3) end
    show('served', got)
    s:close()
end

out = table.concat(lines, '\n') .. '\n'
