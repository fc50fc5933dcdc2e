-- socket without fibers: objects, options, addresses, reads and writes
-- over loopback, errors and their positions.
local socket = require('socket')
local errno = require('errno')
local ffi = require('ffi')

local function show(...)
    local t = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        t[i] = type(v) == 'string' and string.format('%q', v) or tostring(v)
    end
    print(table.concat(t, ' '))
end

-- The constant tables.
for _, k in ipairs({'DOMAIN', 'SO_TYPE', 'SEND_FLAGS', 'AI_FLAGS', 'protocols'}) do
    local keys = {}
    for name, v in pairs(socket.internal[k]) do
        table.insert(keys, name .. '=' .. tostring(v))
    end
    table.sort(keys)
    print(k, table.concat(keys, ' '))
end
print('SOL_SOCKET', socket.internal.SOL_SOCKET)
for _, level in ipairs({1, 6}) do
    local opts = socket.internal.SO_OPT[level]
    local keys = {}
    for name, o in pairs(opts) do
        table.insert(keys, string.format('%s=%d/%d/%s', name, o.iname, o.type, tostring(o.rw)))
    end
    table.sort(keys)
    print('SO_OPT', level, table.concat(keys, ' '))
end
print(type(socket), type(socket.iowait), type(socket.tcp_connect), type(socket.tcp))

-- Creation and its failures.
show(socket('AF_INET', 'XX', 'tcp'), errno())
show(socket('AF_XX', 'SOCK_STREAM', 'tcp'), errno())
show(socket('AF_INET', 'SOCK_STREAM', 'xx'), errno())
show(socket('AF_INET', 'SOCK_STREAM', {}), errno())
show(socket(1000, 'SOCK_STREAM', 0), errno.strerror())
local u = socket('AF_UNIX', 'SOCK_STREAM', 0)
show(type(u), u.itype, u:nonblock(), tostring(u:name()), u:name().family, u:name().host)
show(u:peer(), u:errno(), u:error())
show(u:nonblock(false), u:nonblock(), u:nonblock(true))
show(type(u._gc_socket), u._gc_socket.fd == u:fd())
show(u:close(), u._gc_socket.fd)

-- A listening socket and a connection over loopback.
local s = socket('AF_INET', 'SOCK_STREAM', 'tcp')
show(s:setsockopt('SOL_SOCKET', 'SO_REUSEADDR', true), s:getsockopt('SOL_SOCKET', 'SO_REUSEADDR'))
show(s:setsockopt('socket', 'SO_REUSEADDR', 0), s:getsockopt('socket', 'SO_REUSEADDR'))
show(s:bind('127.0.0.1', 0), s:listen(), s:getsockopt('SOL_SOCKET', 'SO_ACCEPTCONN'))
local name = s:name()
show(name.host, name.family, name.type, name.protocol, type(name.port))
show(tostring(s):gsub(tostring(name.port), 'PORT'):gsub('fd %d+', 'fd N'))
show(s:peer(), s:errno(), s:error())
show(s:accept(), s:errno(), s:error())
show(s:readable(0), s:errno())
show(s:readable(0.01), s:errno())

local c = socket('AF_INET', 'SOCK_STREAM', 'tcp')
local ok = c:sysconnect('127.0.0.1', name.port)
show(ok or c:errno() == errno.EINPROGRESS)
show(c:writable(1))
show(c:getsockopt('SOL_SOCKET', 'SO_ERROR'))
show(s:readable(1))
local a, from = s:accept()
show(type(a), from.host, from.family, from.port == c:name().port, a.itype)
show(a:name().port == name.port, c:peer().port == name.port)
show(a:getsockopt('tcp', 'TCP_NODELAY'), a:setsockopt('IPPROTO_TCP', 'TCP_NODELAY', true),
     a:getsockopt('SOL_TCP', 'TCP_NODELAY'))
show(pcall(a.getsockopt, a, 6, 1))
show(pcall(a.setsockopt, a, 6, 1, 1))
show(a:getsockopt('SOL_SOCKET', 'SO_TYPE'), a:getsockopt('SOL_SOCKET', 'SO_DOMAIN'))
show(a:getsockopt('SOL_SOCKET', 'SO_PROTOCOL'))

-- Reads: sizes, delimiters, chunks, timeouts, end of stream.
show(c:write('line one\nline two\r\nrest'))
show(a:read('\n', 1))
show(a:read({delimiter = {'\r\n', 'two'}}, 1))
show(a:read({chunk = 2, delimiter = '\n'}, 1))
show(a:read(0, 1))
show(a:read({chunk = 0}, 1))
show(a:read(100, 0.01), a:errno(), a:error())
show(a:read(2, 0))
show(a:read({delimiter = 'zz', chunk = 1}, 0))
show(c:send('abc'), c:send('def', 'MSG_DONTWAIT'), c:send('g', {'MSG_DONTWAIT', 'MSG_NOSIGNAL'}))
show(a:read(7, 1))
show(c:syswrite('xyz'), a:readable(1), a:sysread(2), a:sysread())
show(a:sysread(10), a:errno(), a:error())
local buf = ffi.new('char[8]')
show(c:syswrite(ffi.cast('const char *', 'cdata'), 5), a:readable(1), a:sysread(buf, 8), ffi.string(buf, 5))
show(c:write(''), c:write('tail'), c:shutdown('W'))
show(a:read('never', 1))
show(a:read(10, 1), a:errno())
show(a:recv(), a:errno())
show(c:read(1, 0), c:errno())
show(a:wait(0))

-- Argument errors and their positions.
show(pcall(a.read, a, -1))
show(pcall(a.read, a, true))
show(pcall(a.read, a))
show(pcall(a.read))
show(pcall(a.read, {}))
show(pcall(a.sysread, a, -5))
show(pcall(a.syswrite, a, 5))
show(pcall(a.syswrite, a))
show(pcall(a.setsockopt, a, 'SOL_SOCKET', 'SO_XX', 1))
show(pcall(a.setsockopt, a, 'SOL_SOCKET', 'SO_TYPE', 1))
show(pcall(a.setsockopt, a, 'SOL_SOCKET', 'SO_LINGER', 1))
show(pcall(a.getsockopt, a, 'SOL_SOCKET', 'SO_XX'))
show(pcall(a.getsockopt, a, 'SOL_SOCKET', 'SO_LINGER'))
show(pcall(a.getsockopt, a, 'SOL_TCP', 'TCP_INFO'))
show(a:getsockopt('XX', 'SO_TYPE'), a:errno())
show(a:setsockopt({}, 'SO_TYPE', 1), a:errno())
show(pcall(socket.tcp_server, '127.0.0.1', 0, 5))
show(pcall(socket.tcp_server, '127.0.0.1', 0, {}))
show(pcall(socket.connect))
show(pcall(socket.bind, 'x'))

-- linger, shutdown variants, close twice.
show(a:linger())
show(a:linger(true, 3))
show(a:linger())
show(a:linger(false))
show(a:shutdown('R'), a:shutdown(0), a:shutdown('both'), a:shutdown('bogus'))
show(c:shutdown(), c:errno())
show(c:close(), pcall(c.close, c))
show(pcall(tostring, c))
show(pcall(c.fd, c))
show(a:close(), s:close())

-- Datagrams.
local d1 = socket('AF_INET', 'SOCK_DGRAM', 'udp')
local d2 = socket('AF_INET', 'SOCK_DGRAM', 'udp')
show(d1:bind('127.0.0.1', 0), d2:bind('127.0.0.1', 0))
local p1 = d1:name().port
show(d1:recv(), d1:errno())
show(d2:sendto('127.0.0.1', p1, 'datagram one'), d2:sendto('127.0.0.1', p1, ''))
show(d2:sendto('127.0.0.1', p1, 'two'), d2:sendto('127.0.0.1', p1, 'x', 'MSG_BOGUS'), d2:errno())
show(d1:readable(1))
show(d1:recv())
local data, src = d1:recvfrom()
show(data, src.host, src.family, src.port == d2:name().port)
show(d1:recv(), d1:errno())
show(d2:sendto('not an address', 1, 'x'), d2:errno())
show(d2:sendto('unix/', string.rep('x', 200), 'x'), d2:errno())
show(d2:sendto('::1', p1, 'x') ~= 0)
show(d1:recvfrom(nil, 'MSG_BOGUS'), d1:errno())
show(d1:close(), d2:close())

-- Unix sockets.
local path = os.tmpname()
os.remove(path)
local us = socket('AF_UNIX', 'SOCK_STREAM', 0)
show(us:bind('unix/', path), us:listen(4))
show(us:name().host, us:name().port == path, us:name().family, us:name().type, us:name().protocol)
local uc = socket('AF_UNIX', 'SOCK_STREAM', 0)
show(uc:sysconnect('unix/', path))
local ua, ufrom = us:accept()
show(ufrom.host, ufrom.port, ufrom.family)
show(uc:peer().port == path, tostring(uc:name()))
show(uc:write('over unix'), ua:read(9, 1))
show(ua:close(), uc:close(), us:close())
os.remove(path)
show(socket.tcp_connect('unix/', path), errno.strerror())

-- Addresses given in the forms the C library reads.
local t = socket('AF_INET', 'SOCK_STREAM', 'tcp')
show(t:bind('127.1', 0), t:name().host)
show(t:bind('256.1.1.1', 0), t:errno(), t:error())
show(t:bind('localhost', 0), t:errno())
show(t:sysconnect('127.0.0.1', 1) or t:errno() == errno.EINPROGRESS, t:writable(1),
     t:getsockopt('SOL_SOCKET', 'SO_ERROR'))
show(t:close())

-- Name resolution.
local function addrs(list)
    if list == nil then return 'nil' end
    local out = {}
    for _, x in ipairs(list) do
        table.insert(out, string.format('%s|%s|%s|%s|%s|%s', tostring(x.host), tostring(x.port),
            tostring(x.family), tostring(x.type), tostring(x.protocol), tostring(x.canonname)))
    end
    table.sort(out)
    return table.concat(out, ' ')
end
show(addrs(socket.getaddrinfo('127.0.0.1', 80)))
show(addrs(socket.getaddrinfo('127.0.0.1', 'http', {type = 'SOCK_STREAM'})))
show(addrs(socket.getaddrinfo('127.0.0.1', nil, {type = 'SOCK_DGRAM', protocol = 'udp'})))
show(addrs(socket.getaddrinfo('::1', 5, 1, {family = 'AF_INET6', type = 'SOCK_STREAM'})))
show(addrs(socket.getaddrinfo(nil, 7, {type = 'SOCK_STREAM', flags = 'AI_PASSIVE', family = 'AF_INET'})))
show(addrs(socket.getaddrinfo('127.0.0.1', 80, {type = 'SOCK_STREAM', flags = {'AI_CANONNAME', 'AI_NUMERICHOST'}})))
show(socket.getaddrinfo('127.0.0.1', 80, {type = 'XX'}), errno())
show(socket.getaddrinfo('127.0.0.1', 80, {family = 'XX'}), errno())
show(socket.getaddrinfo('127.0.0.1', 80, {flags = 'XX'}), errno())
show(socket.getaddrinfo('127.0.0.1', 80, {protocol = 'XX'}), errno())
show(socket.getaddrinfo('127.0.0.1', 'no-such-service', {type = 'SOCK_STREAM'}), errno.strerror())
show(socket.tcp_connect('127.0.0.1', 'no-such-service'), errno.strerror())

-- iowait's forms.
local r = socket('AF_INET', 'SOCK_DGRAM', 'udp')
show(socket.iowait(r:fd(), 'W', 0), socket.iowait(r:fd(), 2, 1), socket.iowait(r:fd(), 'rw', 0))
show(socket.iowait(r:fd(), 1, 0.01), socket.iowait(r:fd(), 'r', 0))
show(pcall(socket.iowait, r:fd(), 'x'))
show(pcall(socket.iowait, r:fd(), 4))
show(pcall(socket.iowait, r:fd(), 0))
show(pcall(socket.iowait, r:fd()))
show(pcall(socket.iowait, r:fd(), ''))
show(pcall(socket.iowait, -1, 1))
show(socket.iowait(nil, nil, 0.01))
show(select('#', socket.iowait(nil, nil, 0)))
show(r:close())

-- LuaSocket emulation.
local m = socket.tcp()
show(tostring(m):gsub('%d+', 'N'))
show(m:setoption('reuseaddr', true), m:setoption('keepalive', true), m:setoption('linger', {on = true}),
     m:setoption('tcp-nodelay', true))
show(pcall(m.setoption, m, 'bogus', 1))
show(m:settimeout(1), m.timeout)
show(m:bind('127.0.0.1', 0), m:listen(8))
show(tostring(m):gsub('%d+', 'N'))
local host, port, family = m:getsockname()
show(host, type(port), family)
show(m:getpeername())
local lc = socket.connect('127.0.0.1', tonumber(port))
show(tostring(lc):gsub('%d+', 'N'))
local la = m:accept()
show(tostring(la):gsub('%d+', 'N'))
show(lc:send('a line\nsecond\nmore', 1), lc:send('0123456789', 3, 5))
show(la:receive())
show(la:receive('*l', 'prefix:'))
show(la:receive(4))
show(lc:shutdown('send'))
show(la:receive('*a'))
show(la:receive('*a'))
show(la:receive(5))
show(pcall(la.receive, la, '*x'))
show(la:close(), lc:close(), m:close())
show(socket.connect('127.0.0.1', 1))
show(socket.bind('not an address', 1))
