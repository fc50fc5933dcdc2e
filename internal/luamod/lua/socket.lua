-- socket: Tarantool 2.6's socket module, the part 2.6 writes in Lua
-- (builtin/socket.lua), over socket.internal and the Go helpers of
-- socket.go.
--
-- Line numbers are part of the interface: scripts see errors raised here
-- as "builtin/socket.lua:88: attempt to use closed socket", with 2.6's
-- line numbers. Each statement that raises sits on the line of its
-- counterpart in 2.6, marked --@N (socket_test.go checks the marks);
-- blank lines fill the gaps. Keep the marked lines in place when editing.
--
-- A socket is a table whose _gc_socket field is a struct gc_socket cdata
-- holding the descriptor (-1 once closed; its __gc closes a socket Lua
-- collects), with itype (the socket type), _errno (the last failure) and
-- rbuf (an ibuf of what read() has received and not yet returned), as in
-- 2.6, whose users read these fields.
local _, internal, sys = ...

local TIMEOUT_INFINITY = 500 * 365 * 86400
local LIMIT_INFINITY = 2147483647

local ffi = require('ffi')
local bit = require('bit')
local boxerrno = require('errno')
local buffer = require('buffer')
local log = require('log')
local fio = require('fio')

-- The fiber module exists where fibers do (the server); a Lua state
-- without them waits on the Go side's monotonic clock and is never
-- cancelled.
local has_fiber, fiber = pcall(require, 'fiber')
if not has_fiber then fiber = nil end
local clock = fiber and fiber.clock or sys.clock
local testcancel = fiber and fiber.testcancel or function() end

local format = string.format
local C = ffi.C

if not pcall(ffi.typeof, 'struct gc_socket') then
    ffi.cdef('struct gc_socket { const int fd; };')
end
-- The C library's calls under names of their own, so that scripts may
-- declare the usual names with their own signatures.
if not pcall(ffi.typeof, 'struct spindle_sock_linger') then ffi.cdef[[
struct spindle_sock_linger { int active; int timeout; };
ptrdiff_t spindle_sock_read(int fd, void *buf, size_t count) __asm__("read");
ptrdiff_t spindle_sock_send(int fd, const void *buf, size_t len, int flags) __asm__("send");
ptrdiff_t spindle_sock_recv(int fd, void *buf, size_t len, int flags) __asm__("recv");
int spindle_sock_listen(int fd, int backlog) __asm__("listen");
int spindle_sock_shutdown(int fd, int how) __asm__("shutdown");
int spindle_sock_setsockopt(int fd, int level, int name, const void *v,
                            uint32_t len) __asm__("setsockopt");
int spindle_sock_getsockopt(int fd, int level, int name, void *v,
                            uint32_t *len) __asm__("getsockopt");
void *spindle_sock_memmem(const void *h, size_t hlen, const void *n,
                          size_t nlen) __asm__("memmem");
]] end

local gc_socket_t = ffi.typeof('struct gc_socket')
pcall(ffi.metatype, gc_socket_t, {
    __gc = function(gc)
        if gc.fd >= 0 and not sys.close(gc.fd) then
            log.error("socket: failed to close fd=%d on gc: %s", gc.fd,
                      boxerrno.strerror())
        end
    end
})
local closed_gc = ffi.new(gc_socket_t, {fd = -1})
local int_box = ffi.new('int[1]')
local len_box = ffi.new('uint32_t[1]')
local linger_box = ffi.new('struct spindle_sock_linger[1]')
local MSG_NOSIGNAL = sys.MSG_NOSIGNAL

local socket_mt

local function is_closed(self)
    return self._gc_socket.fd < 0
end



local function check_socket(self)
    local gc = type(self) == 'table' and self._gc_socket
    if ffi.istype(gc_socket_t, gc) then
        if gc.fd >= 0 then
            return gc.fd
        end
        error("attempt to use closed socket")                             --@88
    end
    local msg = "Usage: socket:method()"
    if self ~= nil then msg = msg .. ", called with non-socket" end

    error(msg)                                                            --@93
end

local function make_socket(fd, itype)
    return setmetatable({
        _gc_socket = ffi.new(gc_socket_t, {fd = fd}),
        itype = itype,
    }, socket_mt)
end

local function socket_close(self)
    local fd = check_socket(self)
    self._errno = nil
    local ok = sys.close(fd)
    -- The descriptor field is const: the closed marker is copied over it.
    ffi.copy(self._gc_socket, closed_gc, ffi.sizeof(gc_socket_t))
    if not ok then
        self._errno = boxerrno()
        return false
    end
    return true
end

-- Address tables print as host:port.
local addr_mt = {
    __tostring = function(a)
        if a.host == nil and a.port == nil then
            return ''
        elseif a.host == nil then
            return format('0:%s', tostring(a.port))
        elseif a.port == nil then
            return format('%s:0', tostring(a.host))
        end
        return format('%s:%s', tostring(a.host), tostring(a.port))
    end
}

local function get_name(self, get)
    local fd = check_socket(self)
    local a = get(fd)
    if a == nil then
        self._errno = boxerrno()
        return nil
    end
    self._errno = nil
    return setmetatable(a, addr_mt)
end

local function socket_name(self)
    return get_name(self, internal.name)
end

local function socket_peer(self)
    return get_name(self, internal.peer)
end

local function socket_fd(self)
    return check_socket(self)
end

-- A constant given by its name in tbl, or as a number.
local function get_ivalue(tbl, key)
    if type(key) == 'number' then
        return key
    end
    return tbl[key]
end

-- Flags given as one name or a list of names, or'ed; nil for an unknown
-- name.
local function get_iflags(tbl, flags)
    if flags == nil then
        return 0
    end
    if type(flags) ~= 'table' then
        flags = {flags}
    end
    local res = 0
    for _, f in pairs(flags) do
        local v = tbl[f]
        if v == nil then
            return nil
        end
        res = bit.bor(res, v)
    end
    return res
end

local function getprotobyname(name)
    if type(name) == 'number' then
        return name
    end
    if type(name) ~= 'string' then
        boxerrno(boxerrno.EINVAL)
        return nil
    end
    local num = internal.protocols[name]
    if num == nil then
        num = sys.protocol(name)
        if num == nil then
            boxerrno(boxerrno.EPROTOTYPE)
            return nil
        end
        internal.protocols[name] = num
    end
    return num
end

local function socket_errno(self)
    check_socket(self)
    return self._errno or 0
end

local function socket_error(self)
    check_socket(self)
    if self._errno == nil then
        return nil
    end
    return boxerrno.strerror(self._errno)
end

local function socket_sysconnect(self, host, port)
    local fd = check_socket(self)
    self._errno = nil
    if sys.connect(fd, tostring(host), tostring(port)) then
        return true
    end
    self._errno = boxerrno()
    return false
end

local function syswrite(self, p, size)
    local fd = check_socket(self)
    self._errno = nil
    local n = C.spindle_sock_send(fd, p, size, MSG_NOSIGNAL)
    if n < 0 then
        self._errno = boxerrno()
        return nil
    end
    return tonumber(n)
end






























local function socket_syswrite(self, data, size)
    if type(data) == 'cdata' and size ~= nil then
        return syswrite(self, data, size)
    end
    if type(data) == 'string' then
        return syswrite(self, data, #data)
    end
    error('Usage: socket:syswrite(data) or socket:syswrite(const char *, size)') --@271
end

local function sysread(self, p, size)
    local fd = check_socket(self)
    self._errno = nil
    local n = C.spindle_sock_read(fd, p, size)
    if n < 0 then
        self._errno = boxerrno()
        return nil
    end
    return tonumber(n)
end






local function socket_sysread(self, arg, size)
    if type(arg) == 'cdata' and size ~= nil then
        return sysread(self, arg, size)
    end
    size = arg or buffer.READAHEAD
    if size < 0 then                                                      --@295
        error('socket:sysread(): size can not be negative')               --@296
    end
    local buf = buffer.IBUF_SHARED
    buf:reset()
    local p = buf:alloc(size)
    local n = sysread(self, p, size)
    local res = n and ffi.string(p, n)
    buf:recycle()
    return res
end

local function socket_nonblock(self, on)
    local fd = check_socket(self)
    self._errno = nil
    local mode = 0x80
    if on ~= nil then
        mode = on and 1 or 0
    end
    local res = sys.nonblock(fd, mode)
    if res == nil then
        self._errno = boxerrno()
        return nil
    end
    return res == 1
end

-- Waits up to timeout for events (1, 2 or 'RW'), through wakeups: only
-- the events, the timeout (0, _errno ETIMEDOUT) or a cancellation (which
-- raises) end it.
local function do_wait(self, what, timeout)
    local fd = check_socket(self)
    self._errno = nil
    timeout = timeout or TIMEOUT_INFINITY
    repeat
        local started = clock()
        local events = internal.iowait(fd, what, timeout)
        testcancel()
        if events ~= 0 and events ~= '' then
            return events
        end
        timeout = timeout - (clock() - started)
    until timeout < 0
    self._errno = boxerrno.ETIMEDOUT
    return 0
end

local function socket_readable(self, timeout)
    return do_wait(self, 1, timeout) ~= 0
end

local function socket_writable(self, timeout)
    return do_wait(self, 2, timeout) ~= 0
end

local function socket_wait(self, timeout)
    return do_wait(self, 'RW', timeout)
end

local function socket_listen(self, backlog)
    local fd = check_socket(self)
    self._errno = nil
    if C.spindle_sock_listen(fd, backlog or 256) < 0 then
        self._errno = boxerrno()
        return false
    end
    return true
end

local function socket_bind(self, host, port)
    local fd = check_socket(self)
    self._errno = nil
    if sys.bind(fd, tostring(host), tostring(port)) then
        return true
    end
    self._errno = boxerrno()
    return false
end

local shutdown_how = {
    R = 0, READ = 0, receive = 0,
    W = 1, WRITE = 1, send = 1,
    RW = 2, READ_WRITE = 2, both = 2,
    [0] = 0, [1] = 1, [2] = 2,
}

local function socket_shutdown(self, how)
    local fd = check_socket(self)
    self._errno = nil
    if C.spindle_sock_shutdown(fd, shutdown_how[how] or 2) < 0 then
        self._errno = boxerrno()
        return false
    end
    return true
end

-- An option level: a number, 'SOL_SOCKET' or 'socket', or a protocol
-- ('IPPROTO_TCP', 'SOL_TCP', 'tcp').
local function getsol(level)
    if type(level) == 'number' then
        return level
    end
    if type(level) ~= 'string' then
        boxerrno(boxerrno.EINVAL)
        return nil
    end
    if level == 'SOL_SOCKET' or level == 'socket' then
        return internal.SOL_SOCKET
    end
    local proto = level:match('IPPROTO_([A-Z]*)') or
        level:match('SOL_([A-Z]*)') or level
    return getprotobyname(proto:lower())
end
















































local function socket_setsockopt(self, level, name, value)
    local fd = check_socket(self)
    level = getsol(level)
    if level == nil then
        self._errno = boxerrno()
        return false
    end
    local info = get_ivalue(internal.SO_OPT[level] or {}, name)
    if info == nil then
        error(format("Unknown socket option name: %s", tostring(name)))   --@465
    end

    if not info.rw then                                                   --@468
        error(format("Socket option %s is read only", name))              --@469
    end
    self._errno = nil
    if type(value) == 'boolean' then
        value = value and 1 or 0
    end
    local res
    if info.type == 1 then
        int_box[0] = value
        res = C.spindle_sock_setsockopt(fd, level, info.iname, int_box, 4)
    elseif info.type == 2 then
        res = C.spindle_sock_setsockopt(fd, level, info.iname, value, #value)
    end
    if res ~= nil then
        if res < 0 then
            self._errno = boxerrno()
            return false
        end
        return true
    end
    if name == 'SO_LINGER' then















        error("Use s:linger(active[, timeout])")                          --@505
    end
    error(format("Unsupported socket option: %s", name))                  --@507
end



local function socket_getsockopt(self, level, name)
    local fd = check_socket(self)
    level = getsol(level)
    if level == nil then
        self._errno = boxerrno()
        return false
    end
    local info = get_ivalue(internal.SO_OPT[level] or {}, name)
    if info == nil then
        error(format("Unknown socket option name: %s", tostring(name)))   --@521
    end
    self._errno = nil


    if info.type == 1 then                                                --@526
        int_box[0] = 0
        len_box[0] = 4
        if C.spindle_sock_getsockopt(fd, level, info.iname, int_box, len_box) < 0 then
            self._errno = boxerrno()
            return nil
        end
        if len_box[0] ~= 4 then





            error(format("Internal error: unexpected optlen: %d", len_box[0])) --@539
        end
        return tonumber(int_box[0])
    end
    if info.type == 2 then
        local value = buffer.static_alloc('char', 256)
        len_box[0] = 256
        if C.spindle_sock_getsockopt(fd, level, info.iname, value, len_box) < 0 then
            self._errno = boxerrno()
            return nil
        end
        return ffi.string(value, tonumber(len_box[0]))
    end
    if name == 'SO_LINGER' then




        error("Use s:linger()")                                           --@557
    end
    error(format("Unsupported socket option: %s", name))                  --@559
end

-- linger() reads SO_LINGER: active and timeout; linger(active[,
-- timeout]) sets it and returns what it set.
local function socket_linger(self, active, timeout)
    local fd = check_socket(self)
    local level = internal.SOL_SOCKET
    local iname = internal.SO_OPT[level].SO_LINGER.iname
    self._errno = nil
    if active == nil then
        len_box[0] = ffi.sizeof('struct spindle_sock_linger')
        if C.spindle_sock_getsockopt(fd, level, iname, linger_box, len_box) < 0 then
            self._errno = boxerrno()
            return nil
        end
        return linger_box[0].active ~= 0, linger_box[0].timeout
    end
    timeout = timeout or 0
    linger_box[0].active = active and 1 or 0
    linger_box[0].timeout = timeout
    if C.spindle_sock_setsockopt(fd, level, iname, linger_box,
            ffi.sizeof('struct spindle_sock_linger')) < 0 then
        self._errno = boxerrno()
        return nil
    end
    return active, timeout
end

local function socket_accept(self)
    local fd = check_socket(self)
    self._errno = nil
    local cfd, from = internal.accept(fd)
    if cfd == nil then
        self._errno = boxerrno()
        return nil
    end
    local client = make_socket(cfd, self.itype)
    if not client:nonblock(true) then
        client:close()
        return
    end
    return client, from
end

local errno_is_transient = {
    [boxerrno.EAGAIN] = true,
    [boxerrno.EWOULDBLOCK] = true,
    [boxerrno.EINTR] = true,
}

local errno_is_fatal = {
    [boxerrno.EBADF] = true,
    [boxerrno.EINVAL] = true,
    [boxerrno.EOPNOTSUPP] = true,
    [boxerrno.ENOTSOCK] = true,
}

-- Readiness checks of read(): the length of the answer in rbuf, or nil
-- when more must be read. limit is at most LIMIT_INFINITY.

local function check_limit(self, limit)
    if self.rbuf:size() >= limit then
        return limit
    end
    return nil
end

local function check_infinity(self, limit)
    if limit == 0 then
        return 0
    end
    local size = self.rbuf:size()
    if size == 0 then
        return nil
    end
    return size
end

-- The shortest prefix ending with one of the delimiters, if it fits in
-- limit; else limit bytes once there are as many.
local function check_delimiter(self, limit, delimiters)
    if limit == 0 then
        return 0
    end
    local rbuf = self.rbuf
    local size = rbuf:size()
    if size == 0 then
        return nil
    end
    local best
    for _, d in ipairs(delimiters) do
        local at = C.spindle_sock_memmem(rbuf.rpos, size, d, #d)
        if at ~= nil then
            local len = ffi.cast('char *', at) - rbuf.rpos + #d
            if best == nil or len < best then
                best = len
            end
        end
    end
    if best ~= nil and best <= limit then
        return tonumber(best)
    end
    if limit <= size then
        return limit
    end
    return nil
end

-- Takes len bytes off the front of rbuf.
local function take(self, len)
    local rbuf = self.rbuf
    local data = ffi.string(rbuf.rpos, len)
    rbuf.rpos = rbuf.rpos + len
    self._errno = nil
    return data
end









local function read(self, limit, timeout, check, ...)
    if limit < 0 then                                                     --@686
        error('socket:read(): limit can not be negative')                 --@687
    end
    limit = math.min(limit, LIMIT_INFINITY)
    if self.rbuf == nil then
        self.rbuf = buffer.ibuf()
    end
    local rbuf = self.rbuf
    local len = check(self, limit, ...)
    if len ~= nil then
        return take(self, len)
    end
    local deadline = clock() + timeout
    repeat
        local want = math.min(limit - rbuf:size(), buffer.READAHEAD)
        local p = rbuf:reserve(want)
        local n = sysread(self, p, rbuf:unused())
        if n == 0 then
            -- end of stream: whatever was received
            return take(self, rbuf:size())
        elseif n ~= nil then
            rbuf.wpos = rbuf.wpos + n
            len = check(self, limit, ...)
            if len ~= nil then
                return take(self, len)
            end
        elseif not errno_is_transient[self._errno] then
            return nil
        end
    until not socket_readable(self, deadline - clock())
    return nil
end












-- read(size | delimiter | {chunk = size, delimiter = d or {d...}},
-- timeout): size bytes, or what ends with a delimiter, or less at the
-- end of the stream; nil on timeout or error (errno() tells).
local function socket_read(self, opts, timeout)
    check_socket(self)
    timeout = timeout or TIMEOUT_INFINITY
    local t = type(opts)
    if t == 'number' then
        return read(self, opts, timeout, check_limit)
    elseif t == 'string' then
        return read(self, LIMIT_INFINITY, timeout, check_delimiter, {opts})
    elseif t == 'table' then
        local chunk = opts.chunk or opts.size or LIMIT_INFINITY
        local delimiter = opts.delimiter or opts.line
        if delimiter == nil then
            return read(self, chunk, timeout, check_limit)
        elseif type(delimiter) == 'string' then
            return read(self, chunk, timeout, check_delimiter, {delimiter})
        elseif type(delimiter) == 'table' then
            return read(self, chunk, timeout, check_delimiter, delimiter)
        end
    end
    error('Usage: s:read(delimiter|chunk|{delimiter = x, chunk = x}, timeout)') --@752
end


-- write(data, timeout) writes all of data, waiting while the socket is
-- not writable: the count, or nil on timeout or error.
local function socket_write(self, octets, timeout)
    check_socket(self)
    timeout = timeout or TIMEOUT_INFINITY
    local s = ffi.cast('const char *', octets)                            --@761
    local p = s
    local e = s + #octets                                                 --@763
    if p == e then
        return 0
    end
    local deadline = clock() + timeout
    repeat
        local n = syswrite(self, p, e - p)
        if n == 0 then
            return tonumber(p - s)
        elseif n ~= nil then
            p = p + n
            if p == e then
                return tonumber(e - s)
            end
        elseif not errno_is_transient[self._errno] then
            return nil
        end
    until not socket_writable(self, deadline - clock())
    return nil
end

local function socket_send(self, octets, flags)
    local fd = check_socket(self)
    local iflags = get_iflags(internal.SEND_FLAGS, flags)
    self._errno = nil
    local n = C.spindle_sock_send(fd, octets, string.len(octets),
                                  bit.bor(iflags, MSG_NOSIGNAL))
    if n < 0 then
        self._errno = boxerrno()
        return nil
    end
    return tonumber(n)
end

-- The size to receive: the one given, 512 for a stream, the next
-- datagram's length for a datagram socket (nil with EAGAIN when none is
-- queued).
local function recv_size(self, size)
    if size ~= nil then
        return size
    end
    if self.itype ~= get_ivalue(internal.SO_TYPE, 'SOCK_DGRAM') then
        return 512
    end
    local fd = check_socket(self)
    self._errno = nil
    local flags = bit.bor(internal.SEND_FLAGS.MSG_TRUNC,
                          internal.SEND_FLAGS.MSG_PEEK)
    local n = tonumber(C.spindle_sock_recv(fd, nil, 0, flags))
    if n < 0 then
        self._errno = boxerrno()
        return nil
    end
    return n
end

local function socket_recv(self, size, flags)
    local fd = check_socket(self)
    local iflags = get_iflags(internal.SEND_FLAGS, flags)
    if iflags == nil then
        self._errno = boxerrno.EINVAL
        return nil
    end
    size = recv_size(self, size)
    if size == nil then
        return nil
    end
    self._errno = nil
    local buf = buffer.static_alloc('char', size)
    local n = C.spindle_sock_recv(fd, buf, size, iflags)
    if n < 0 then
        self._errno = boxerrno()
        return nil
    end
    return ffi.string(buf, n)
end

local function socket_recvfrom(self, size, flags)
    local fd = check_socket(self)
    local iflags = get_iflags(internal.SEND_FLAGS, flags)
    if iflags == nil then
        self._errno = boxerrno.EINVAL
        return nil
    end
    size = recv_size(self, size)
    if size == nil then
        return nil
    end
    self._errno = nil
    local data, from = internal.recvfrom(fd, size, iflags)
    if data == nil then
        self._errno = boxerrno()
        return nil
    end
    return data, from
end

local function socket_sendto(self, host, port, octets, flags)
    local fd = check_socket(self)
    local iflags = get_iflags(internal.SEND_FLAGS, flags)
    if iflags == nil then
        self._errno = boxerrno.EINVAL
        return nil
    end
    self._errno = nil
    if octets == nil or octets == '' then
        return true
    end
    local n = sys.sendto(fd, tostring(host), tostring(port),
                         tostring(octets), iflags)
    if n == nil then
        self._errno = boxerrno()
        return nil
    end
    return n
end

local function socket_new(domain, stype, proto)
    local idomain = get_ivalue(internal.DOMAIN, domain)
    if idomain == nil then
        boxerrno(boxerrno.EINVAL)
        return nil
    end
    local itype = get_ivalue(internal.SO_TYPE, stype)
    if itype == nil then
        boxerrno(boxerrno.EINVAL)
        return nil
    end
    local iproto = getprotobyname(proto)
    if iproto == nil then
        return nil
    end
    local fd = sys.socket(idomain, itype, iproto)
    if fd ~= nil then
        return make_socket(fd, itype)
    end
end

-- getaddrinfo(host, port[, timeout][, opts]): the addresses of host and
-- port, opts being {type, family, protocol, flags} by name or number.
local function getaddrinfo(host, port, timeout, opts)
    if type(timeout) == 'table' and opts == nil then
        opts, timeout = timeout, TIMEOUT_INFINITY
    elseif timeout == nil then
        timeout = TIMEOUT_INFINITY
    end
    if port == nil then
        port = 0
    end
    local hints = {}
    if opts ~= nil then
        if opts.type ~= nil then
            hints.type = get_ivalue(internal.SO_TYPE, opts.type)
            if hints.type == nil then
                boxerrno(boxerrno.EINVAL)
                return nil
            end
        end
        if opts.family ~= nil then
            hints.family = get_ivalue(internal.DOMAIN, opts.family)
            if hints.family == nil then
                boxerrno(boxerrno.EINVAL)
                return nil
            end
        end
        if opts.protocol ~= nil then
            hints.protocol = getprotobyname(opts.protocol)
            if hints.protocol == nil then
                return nil
            end
        end
        if opts.flags ~= nil then
            hints.flags = get_iflags(internal.AI_FLAGS, opts.flags)
            if hints.flags == nil then
                boxerrno(boxerrno.EINVAL)
                return nil
            end
        end
    end
    return internal.getaddrinfo(host, port, timeout, hints)
end

-- Connects s, waiting up to timeout while the connection is in
-- progress; true, or nil with s._errno.
local function connect_socket(s, host, port, timeout)
    if socket_sysconnect(s, host, port) then
        -- a local peer accepts at once even on a non-blocking socket
        return true
    end
    if s._errno ~= boxerrno.EINPROGRESS then
        return nil
    end
    -- Done or failed, the socket becomes writable; SO_ERROR tells which.
    if socket_writable(s, timeout) then
        s._errno = socket_getsockopt(s, 'SOL_SOCKET', 'SO_ERROR')
    end
    if s._errno ~= 0 then
        return nil
    end
    return true
end

local function tcp_connect(host, port, timeout)
    if host == 'unix/' then
        local s = socket_new('AF_UNIX', 'SOCK_STREAM', 0)
        if not s then
            return nil
        end
        if not connect_socket(s, host, port, timeout) then
            local e = s._errno
            s:close()
            boxerrno(e)
            return nil
        end
        boxerrno(0)
        return s
    end
    timeout = timeout or TIMEOUT_INFINITY
    local stop = clock() + timeout
    local dns = getaddrinfo(host, port, timeout, {type = 'SOCK_STREAM',
                                                 protocol = 'tcp'})
    if dns == nil or #dns == 0 then
        boxerrno(boxerrno.EINVAL)
        return nil
    end
    for _, remote in pairs(dns) do
        timeout = stop - clock()
        if timeout <= 0 then
            boxerrno(boxerrno.ETIMEDOUT)
            return nil
        end
        local s = socket_new(remote.family, remote.type, remote.protocol)
        if s then
            if connect_socket(s, remote.host, remote.port, timeout) then
                boxerrno(0)
                return s
            end
            local e = s:errno()
            s:close()
            boxerrno(e)
        end
    end
    return nil
end

































































-- A client of tcp_server: its fiber runs the handler, then shuts the
-- connection down and closes it; a handler's error ends the fiber with
-- it (the fiber module logs it).
local function tcp_server_handler(server, sc, from)
    fiber.name(format("%s/%s:%s", server.name, from.host, from.port),
               {truncate = true})
    local ok, err = pcall(server.handler, sc, from)
    sc:shutdown()
    sc:close()
    if not ok then
        error(err)                                                        --@1082
    end
end

local function tcp_server_loop(server, s, addr)
    fiber.name(format("%s/%s:%s", server.name, addr.host, addr.port),
               {truncate = true})
    log.info("started")
    while socket_readable(s) do
        if is_closed(s) then
            break
        end
        local sc, from = socket_accept(s)
        if sc == nil then
            local e = s._errno
            if not errno_is_transient[e] then
                log.error('accept(%s) failed: %s', tostring(s), socket_error(s))
            end
            if errno_is_fatal[e] then
                break
            end
        else
            fiber.create(tcp_server_handler, server, sc, from)
        end
    end
    log.info("stopped")
end


local function tcp_server_usage()
    error('Usage: socket.tcp_server(host, port, handler | opts)')         --@1112
end

local function tcp_server_do_bind(s, addr)
    if not socket_bind(s, addr.host, addr.port) then
        return false
    end
    if addr.family == 'AF_UNIX' then
        -- close() removes the socket file first, so that no other server
        -- takes the path before it is gone.
        s.close = function(self)
            fio.unlink(addr.port)
            return socket_close(self)
        end
    end
    return true
end

-- Binds s to addr; a unix socket file left by a dead server (one nobody
-- accepts on) is removed and bound again.
local function tcp_server_bind_addr(s, addr)
    if tcp_server_do_bind(s, addr) then
        return true
    end
    if addr.family ~= 'AF_UNIX' or boxerrno() ~= boxerrno.EADDRINUSE then
        return false
    end
    local saved = boxerrno()
    local sc = tcp_connect(addr.host, addr.port)
    if sc ~= nil then
        sc:close()
        boxerrno(saved)
        return false
    end
    if boxerrno() ~= boxerrno.ECONNREFUSED then
        boxerrno(saved)
        return false
    end
    log.info("tcp_server: remove dead UNIX socket: %s", addr.port)
    if not fio.unlink(addr.port) then
        log.warn("tcp_server: %s", boxerrno.strerror())
        boxerrno(saved)
        return false
    end
    return tcp_server_do_bind(s, addr)
end

local function tcp_server_bind(host, port, prepare, timeout)
    timeout = timeout and tonumber(timeout) or TIMEOUT_INFINITY
    local dns
    if host == 'unix/' then
        dns = {{host = host, port = port, family = 'AF_UNIX', protocol = 0,
                type = 'SOCK_STREAM'}}
    else
        dns = getaddrinfo(host, port, timeout, {type = 'SOCK_STREAM',
                                               flags = 'AI_PASSIVE'})
        if dns == nil then
            return nil
        end
    end
    for _, addr in ipairs(dns) do
        local s = socket_new(addr.family, addr.type, addr.protocol)
        if s ~= nil then
            local backlog
            if prepare then
                backlog = prepare(s)
            else
                socket_setsockopt(s, 'SOL_SOCKET', 'SO_REUSEADDR', 1)
            end
            if not tcp_server_bind_addr(s, addr) or not s:listen(backlog) then
                local e = boxerrno()
                socket_close(s)
                boxerrno(e)
                return nil
            end
            return s, addr
        end
    end
    -- resolved, but to no family this host supports
    boxerrno(boxerrno.EAFNOSUPPORT)
    return nil
end

-- tcp_server(host, port, handler | {handler, prepare, name}[, timeout])
-- listens and runs handler(client, from) in a fiber of its own for each
-- connection; the listening socket and its address, or nil.
local function tcp_server(host, port, opts, timeout)
    local server = {}
    if type(opts) == 'function' then
        server.handler = opts
    elseif type(opts) == 'table' then
        if type(opts.handler) ~= 'function' or
                (opts.prepare ~= nil and type(opts.prepare) ~= 'function') then
            tcp_server_usage()
        end
        for k, v in pairs(opts) do
            server[k] = v
        end
    else
        tcp_server_usage()
    end
    if fiber == nil then
        error('socket.tcp_server() needs fibers: there are none here')
    end
    server.name = server.name or 'server'
    local s, addr = tcp_server_bind(host, port, server.prepare, timeout)
    if not s then
        return nil
    end
    fiber.create(tcp_server_loop, server, s, addr)
    return s, addr
end

socket_mt = {
    __index = {
        close = socket_close,
        errno = socket_errno,
        error = socket_error,
        sysconnect = socket_sysconnect,
        syswrite = socket_syswrite,
        sysread = socket_sysread,
        nonblock = socket_nonblock,
        readable = socket_readable,
        writable = socket_writable,
        wait = socket_wait,
        listen = socket_listen,
        bind = socket_bind,
        shutdown = socket_shutdown,
        setsockopt = socket_setsockopt,
        getsockopt = socket_getsockopt,
        linger = socket_linger,
        accept = socket_accept,
        read = socket_read,
        write = socket_write,
        send = socket_send,
        recv = socket_recv,
        recvfrom = socket_recvfrom,
        sendto = socket_sendto,
        name = socket_name,
        peer = socket_peer,
        fd = socket_fd,
    },
    __tostring = function(self)
        local fd = check_socket(self)
        local saved = self._errno
        local text = format("fd %d", fd)
        local aka = socket_name(self)
        if aka ~= nil then
            text = format("%s, aka %s:%s", text, aka.host, aka.port)
        end
        local peer = socket_peer(self)
        if peer ~= nil then
            text = format("%s, peer %s:%s", text, peer.host, peer.port)
        end
        self._errno = saved
        return text
    end,
    -- yaml, msgpack and json show a socket as its descriptor and ends
    __serialize = function(self)
        local fd = check_socket(self)
        return {fd = fd, peer = socket_peer(self), name = socket_name(self)}
    end,
}

--------------------------------------------------------------------------
-- LuaSocket emulation: socket.tcp(), socket.connect(), socket.bind() and
-- the master, server and client objects of LuaSocket's tcp API.
--------------------------------------------------------------------------

local lsocket_tcp_mt, lsocket_tcp_server_mt, lsocket_tcp_client_mt

local function lsocket_tostring(kind)
    return function(self)
        return format("tcp{%s}: fd=%d", kind, check_socket(self))
    end
end

local function lsocket_tcp_close(self)
    if not socket_close(self) then
        return nil, socket_error(self)
    end
    return 1
end

local function lsocket_name(get)
    return function(self)
        local a = get(self)
        if a == nil then
            return nil, socket_error(self)
        end
        return a.host, tostring(a.port), a.family:match("AF_(.*)"):lower()
    end
end

local function lsocket_tcp_settimeout(self, value)
    check_socket(self)
    self.timeout = value
    return 1
end



















local function lsocket_tcp_setoption(self, option, value)
    local r
    if option == 'reuseaddr' then
        r = socket_setsockopt(self, 'socket', 'SO_REUSEADDR', value)
    elseif option == 'keepalive' then
        r = socket_setsockopt(self, 'socket', 'SO_KEEPALIVE', value)
    elseif option == 'linger' then
        -- LuaSocket's {on = ..., timeout = ...}; the timeout is not used
        r = socket_linger(self, type(value) == 'table' and value.on or value)
    elseif option == 'tcp-nodelay' then
        r = socket_setsockopt(self, 'tcp', 'TCP_NODELAY', value)
    else
        error(format("Unknown socket option name: %s", tostring(option))) --@1342
    end
    if not r then
        return nil, socket_error(self)
    end
    return 1
end

local function lsocket_tcp_bind(self, address, port)
    if not socket_bind(self, address, port) then
        return nil, socket_error(self)
    end
    return 1
end

local function lsocket_tcp_listen(self, backlog)
    if not socket_listen(self, backlog) then
        return nil, socket_error(self)
    end
    setmetatable(self, lsocket_tcp_server_mt)
    return 1
end

local function lsocket_tcp_connect(self, host, port)
    check_socket(self)
    local deadline = clock() + (self.timeout or TIMEOUT_INFINITY)
    -- IPv4 only, as LuaSocket's tcp objects
    local dns = getaddrinfo(host, port, deadline - clock(),
                            {family = 'AF_INET', type = 'SOCK_STREAM'})
    if dns == nil or #dns == 0 then
        self._errno = boxerrno.EINVAL
        return nil, socket_error(self)
    end
    for _, remote in ipairs(dns) do
        if connect_socket(self, remote.host, remote.port, deadline - clock()) then
            return 1
        end
    end
    return nil, socket_error(self)
end

local function lsocket_tcp_accept(self)
    check_socket(self)
    local deadline = clock() + (self.timeout or TIMEOUT_INFINITY)
    repeat
        local client = socket_accept(self)
        if client then
            return setmetatable(client, lsocket_tcp_client_mt)
        end
        if not errno_is_transient[socket_errno(self)] then
            break
        end
    until not socket_readable(self, deadline - clock())
    return nil, socket_error(self)
end





















































-- receive([pattern[, prefix]]): a line ('*l', the default), n bytes, or
-- everything until the end ('*a'); at the end of the stream nil,
-- 'closed' and what was received.
local function lsocket_tcp_receive(self, pattern, prefix)
    check_socket(self)
    prefix = prefix or ''
    local timeout = self.timeout or TIMEOUT_INFINITY
    if type(pattern) == 'number' then
        local data = read(self, pattern, timeout, check_limit)
        if data == nil then
            return nil, socket_error(self)
        elseif #data < pattern then
            return nil, 'closed', prefix .. data
        end
        return prefix .. data
    elseif pattern == nil or pattern == '*l' then
        local data = read(self, LIMIT_INFINITY, timeout, check_delimiter,
                          {"\n"})
        if data == nil then
            return nil, socket_error(self)
        elseif #data > 0 and data:byte(#data) == 10 then
            return prefix .. data:sub(1, #data - 1)
        end
        return nil, 'closed', prefix .. data
    elseif pattern == '*a' then
        local parts = {prefix}
        local deadline = clock() + timeout
        repeat
            local data = read(self, LIMIT_INFINITY, timeout, check_infinity)
            if data == nil then
                if not errno_is_transient[self._errno] then
                    return nil, socket_error(self)
                end
            elseif data == '' then
                break
            else
                table.insert(parts, data)
            end
        until not socket_readable(self, deadline - clock())
        if #parts == 1 then
            return nil, 'closed', table.concat(parts)
        end
        return table.concat(parts)
    end
    error("Usage: socket:receive(pattern, [, prefix])")                   --@1494
end

local function lsocket_tcp_send(self, data, i, j)
    if i ~= nil then
        data = string.sub(data, i, j)
    end
    local sent = socket_write(self, data, self.timeout)
    if not sent then
        return nil, socket_error(self)
    end
    return (i or 1) + sent - 1
end

local function lsocket_tcp_shutdown(self, how)
    if not socket_shutdown(self, how) then
        return nil, socket_error(self)
    end
    return 1
end








































local function lsocket_connect(host, port)
    if host == nil or port == nil then
        error("Usage: luasocket.connect(host, port)")                     --@1556
    end
    local s = tcp_connect(host, port)
    if not s then
        return nil, boxerrno.strerror()
    end
    return setmetatable(s, lsocket_tcp_client_mt)
end


local function lsocket_bind(host, port, backlog)
    if host == nil or port == nil then
        error("Usage: luasocket.bind(host, port [, backlog])")             --@1568
    end
    local s = tcp_server_bind(host, port, function() return backlog end)
    if not s then
        return nil, boxerrno.strerror()
    end
    return setmetatable(s, lsocket_tcp_server_mt)
end

local common = {
    close = lsocket_tcp_close,
    getsockname = lsocket_name(socket_name),
    getpeername = lsocket_name(socket_peer),
    settimeout = lsocket_tcp_settimeout,
    setoption = lsocket_tcp_setoption,
}

local function lsocket_methods(extra)
    local t = {}
    for k, v in pairs(common) do t[k] = v end
    for k, v in pairs(extra) do t[k] = v end
    return t
end

-- A master object has receive and send too: LuaSocket's implementation
-- does, and some of its users rely on it.
lsocket_tcp_mt = {
    __index = lsocket_methods({bind = lsocket_tcp_bind,
        listen = lsocket_tcp_listen, connect = lsocket_tcp_connect,
        receive = lsocket_tcp_receive, send = lsocket_tcp_send}),
    __tostring = lsocket_tostring('master'),
    __serialize = lsocket_tostring('master'),
}
lsocket_tcp_server_mt = {
    __index = lsocket_methods({accept = lsocket_tcp_accept}),
    __tostring = lsocket_tostring('server'),
    __serialize = lsocket_tostring('server'),
}
lsocket_tcp_client_mt = {
    __index = lsocket_methods({receive = lsocket_tcp_receive,
        send = lsocket_tcp_send, shutdown = lsocket_tcp_shutdown}),
    __tostring = lsocket_tostring('client'),
    __serialize = lsocket_tostring('client'),
}

local function lsocket_tcp(self)
    local s = socket_new('AF_INET', 'SOCK_STREAM', 'tcp')
    if not s then
        return nil, socket_error(self)
    end
    return setmetatable(s, lsocket_tcp_mt)
end

-- socket.iowait is internal.iowait, whose string form tests for
-- cancellation when the wait ends, as 2.6's C does.
local function iowait(...)
    local fd, events = ...
    if fd == nil or (type(fd) == 'number' and fd < 0) or
            type(events) ~= 'string' then
        return internal.iowait(...)
    end
    local r = internal.iowait(...)
    testcancel()
    return r
end

return setmetatable({
    getaddrinfo = getaddrinfo,
    tcp_connect = tcp_connect,
    tcp_server = tcp_server,
    iowait = iowait,
    internal = internal,
}, {
    __call = function(_, ...) return socket_new(...) end,
    __index = {
        tcp = lsocket_tcp,
        connect = lsocket_connect,
        bind = lsocket_bind,
    },
})
