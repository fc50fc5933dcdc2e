-- http.client against a server written with socket.tcp_server in the
-- same process: requests as the server sees them (header lines sorted),
-- responses, redirects, failures and their statuses, errors, options,
-- client objects and their counters, a cancelled request.
local http = require('http.client')
local socket = require('socket')
local fiber = require('fiber')

local lines = {}
local function show(...)
    local t = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        t[i] = type(v) == 'string' and string.format('%q', v) or tostring(v)
    end
    table.insert(lines, table.concat(t, ' '))
end

local function sorted(tbl)
    local keys = {}
    for k, v in pairs(tbl) do
        if type(v) == 'table' then
            local parts = {}
            for _, x in ipairs(v) do
                parts[#parts + 1] = type(x) == 'table' and table.concat(x, '|') or tostring(x)
            end
            v = '{' .. table.concat(parts, ';') .. '}'
        end
        table.insert(keys, tostring(k) .. '=' .. tostring(v))
    end
    table.sort(keys)
    return table.concat(keys, ' ')
end

local GZIP = '\31\139\8\0\0\0\0\0\2\3\75\206\207\45\40\74\45\46\78\77\81\200\72\205\201\201\7\0\182\1\153\70\16\0\0\0'
local DEFLATE = '\120\156\75\73\77\203\73\44\73\77\81\200\72\205\201\201\7\0\40\188\5\110'

local last -- the last request the server read, normalized
local port

local function reply(c, status, headers, body)
    local out = {'HTTP/1.1 ' .. status}
    for _, h in ipairs(headers or {}) do table.insert(out, h) end
    if body then table.insert(out, 'Content-Length: ' .. #body) end
    c:write(table.concat(out, '\r\n') .. '\r\n\r\n' .. (body or ''))
end

local routes = {
    ['/plain'] = function(c) reply(c, '200 OK', {'Content-Type: text/plain'}, 'plain body') end,
    ['/created'] = function(c)
        reply(c, '201 Created', {'X-Multi: A', 'X-Multi: B', 'Content-Type: a', 'Content-Type: b',
            'Set-Cookie: a=1; Path=/; HttpOnly', 'Set-Cookie: b=2; Max-Age=5; Foo=bar',
            'Set-Cookie: bad name=3', 'Set-Cookie: novalue', 'Set-Cookie: c=x=y'}, 'created')
    end,
    ['/redirect'] = function(c) reply(c, '302 Found', {'Location: /plain', 'X-Hop: first'}, '') end,
    ['/loop'] = function(c) reply(c, '301 Moved', {'Location: /plain'}, 'moved') end,
    ['/notfound'] = function(c) reply(c, '404 Not Found', {}, 'nothing here') end,
    ['/error'] = function(c) reply(c, '503 Unavailable', {'Retry-After: 5', 'Retry-After: 6'}, '') end,
    ['/nocontent'] = function(c) reply(c, '204 No Content', {'X-Empty:'}) end,
    ['/chunked'] = function(c)
        c:write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    end,
    ['/untilclose'] = function(c) c:write('HTTP/1.1 200 OK\r\n\r\nbody until close') end,
    ['/http10'] = function(c) c:write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok') end,
    ['/longname'] = function(c)
        reply(c, '200 OK', {string.rep('n', 40) .. ': long', 'Short: s'}, '')
    end,
    ['/slow'] = function(c) fiber.sleep(0.5) reply(c, '200 OK', {}, 'late') end,
    ['/close'] = function(c) end,
    ['/garbage'] = function(c) c:write('garbage\r\n\r\n') end,
    ['/gzip'] = function(c) reply(c, '200 OK', {'Content-Encoding: gzip'}, GZIP) end,
    ['/deflate'] = function(c) reply(c, '200 OK', {'Content-Encoding: deflate'}, DEFLATE) end,
    ['/echo'] = function(c, req) reply(c, '200 OK', {}, req) end,
}

local function handler(c)
    for _ = 1, 5 do -- keep-alive connections bring more requests
        local head = c:read('\r\n\r\n', 2)
        if head == nil or head == '' then return end
        local clen = tonumber(head:lower():match('\ncontent%-length: (%d+)') or 0)
        local body = clen > 0 and c:read(clen, 2) or ''
        local first, rest = head:match('^([^\r]*)\r\n(.*)$')
        local hl = {}
        for l in rest:gmatch('([^\r\n]+)') do
            l = l:gsub('127%.0%.0%.1:%d+', 'HOST')
            table.insert(hl, l)
        end
        table.sort(hl)
        last = first .. ' [' .. table.concat(hl, ', ') .. '] ' .. body
        local path = first:match('^%S+ (%S+)')
        local route = routes[path] or routes['/plain']
        route(c, last)
        if not head:lower():match('connection: keep%-alive') then return end
    end
end

local server = socket.tcp_server('127.0.0.1', 0, handler)
port = server:name().port
local base = 'http://127.0.0.1:' .. port

local function resp(r)
    if r == nil then return 'nil' end
    local keys = {}
    for k in pairs(r) do table.insert(keys, k) end
    table.sort(keys)
    return string.format('%s %q body=%s proto=%s fields=%s headers={%s}', r.status, r.reason,
        tostring(r.body), r.proto and table.concat(r.proto, '.') or 'nil',
        table.concat(keys, ','), r.headers and sorted(r.headers) or 'nil')
end

-- Requests as the server sees them.
show(resp(http.get(base .. '/plain')))
show(last)
show(resp(http.post(base .. '/plain', 'a=1&b=2')))
show(last)
show(resp(http.post(base .. '/plain')))
show(last)
show(resp(http.put(base .. '/plain', 'put body', {headers = {['Content-Type'] = 'text/plain'}})))
show(last)
show(resp(http.patch(base .. '/plain', 'patch')))
show(last)
show(resp(http.delete(base .. '/plain')))
show(last)
show(resp(http.options(base .. '/plain')))
show(last)
show(resp(http.head(base .. '/plain')))
show(last)
show(resp(http.trace(base .. '/plain')))
show(last)
show(resp(http.request('FOO', base .. '/plain')))
show(last)
show(resp(http.request('GET', base .. '/plain', 'turns into a post')))
show(last)
show(resp(http.request('GET', base .. '/plain', '')))
show(last)
show(resp(http.request('GET', base .. '/plain', 12345)))
show(last)
show(resp(http.get(base .. '/plain?q=1&r=%20', {headers = {['X-One'] = '1', Accept = 'text/html',
    ['User-Agent'] = 'agent/1', Host = 'example.com', Connection = 'keep-alive'}})))
show(last)
show(resp(http.get(base .. '/plain', {keepalive_idle = 30, keepalive_interval = 10})))
show(last)
show(resp(http.get(base .. '/plain', {keepalive_idle = 30})))
show(last)
show(resp(http.get(base .. '/plain', {accept_encoding = 'gzip'})))
show(last)
show(resp(http.get('127.0.0.1:' .. port .. '/plain')))

-- Responses.
local r = http.get(base .. '/created')
show(resp(r))
show(sorted(r.cookies))
show(resp(http.get(base .. '/notfound')))
show(resp(http.get(base .. '/error')))
show(resp(http.get(base .. '/nocontent')))
show(resp(http.get(base .. '/chunked')))
show(resp(http.get(base .. '/untilclose')))
show(resp(http.get(base .. '/http10')))
show(resp(http.get(base .. '/longname')))
show(resp(http.get(base .. '/longname', {max_header_name_length = 64})))
show(resp(http.get(base .. '/longname', {max_header_name_length = 3})))
show(resp(http.get(base .. '/gzip', {accept_encoding = 'gzip'})))
show(resp(http.get(base .. '/deflate', {accept_encoding = 'deflate'})))
show(resp(http.get(base .. '/gzip', {accept_encoding = ''})))

-- Redirects: followed by default, with the first response's headers.
show(resp(http.get(base .. '/redirect')))
show(last)
show(resp(http.get(base .. '/redirect', {follow_location = false})))
show(resp(http.get(base .. '/loop', {follow_location = true})))
show(resp(http.get(base .. '/redirect', {follow_location = 'yes'})))

-- Failures that are statuses.
show(resp(http.get(base .. '/slow', {timeout = 0.1})))
show(resp(http.get(base .. '/close')))
show(resp(http.get('http://127.0.0.1:1/')))
show(resp(http.get('http://no-such-host.invalid/')))
show(resp(http.get(base .. '/plain', {unix_socket = os.getenv('NB_WORK_DIR') .. '/none'})))

-- Failures that raise.
local function perr(...)
    local ok, e = pcall(...)
    if ok then return 'ok ' .. resp(e) end
    if type(e) == 'string' then return e end
    return string.format('%s %s errno=%s', e.type, e.message, tostring(e.errno))
end
show(perr(http.get, 'bad url'))
show(perr(http.get, ''))
show(perr(http.get, base .. '/garbage'))
show(perr(http.request))
show(perr(http.request, 'GET'))
show(perr(http.get))
show(perr(http.request, 'GET', base, {}))
show(perr(http.request, 'GET', base, nil, 5))
show(perr(http.request, 'GET', base, nil, {headers = 5}))
show(perr(http.request, 'GET', base, nil, {headers = {a = 5}}))
show(perr(http.request, 'GET', base, nil, {headers = {'x'}}))
show(perr(http.request, 'GET', {}, nil))
show(perr(http.request, {}, base, nil))
show(perr(http.new, {max_connections = 'x'}))
show(perr(http.new, {max_total_connections = {}}))

-- Client objects and their counters.
local c = http.new()
show(type(c), type(c.curl), sorted(c:stat()))
for _, m in ipairs({'get', 'post', 'put', 'patch', 'options', 'head', 'delete', 'trace', 'connect'}) do
    show(m, perr(c[m], base))
end
show(resp(c:get(base .. '/plain')))
show(resp(c:get(base .. '/notfound')))
show(resp(c:get('http://127.0.0.1:1/')))
pcall(c.get, c, 'bad url')
local st = c:stat()
show(st.total_requests, st.http_200_responses, st.http_other_responses, st.failed_requests, st.active_requests)
local opts = {}
http.new(opts)
show(sorted(opts))
local limited = http.new({max_connections = 1, max_total_connections = 1})
show(resp(limited:get(base .. '/plain')), resp(limited:get(base .. '/plain')))
show(limited:stat().total_requests, limited:stat().http_200_responses)

-- Concurrent requests from fibers; the counters while they run.
local done = fiber.channel(10)
local busy = http.new()
for i = 1, 5 do
    fiber.create(function()
        local rr = busy:get(base .. '/slow', {timeout = 3})
        done:put(rr.status)
    end)
end
local t0 = fiber.clock()
while busy:stat().active_requests < 5 and fiber.clock() - t0 < 3 do fiber.sleep(0.01) end
show('active', busy:stat().active_requests)
local statuses = {}
for _ = 1, 5 do table.insert(statuses, done:get(5)) end
show('statuses', table.concat(statuses, ','), busy:stat().active_requests)

-- A cancelled request ends with 408; a woken one goes on.
local result
local f = fiber.create(function() result = http.get(base .. '/slow', {timeout = 3}) end)
fiber.sleep(0.05)
f:wakeup()
fiber.sleep(0.05)
show('woken', f:status(), result ~= nil)
t0 = fiber.clock()
while result == nil and fiber.clock() - t0 < 3 do fiber.sleep(0.05) end
show('woken result', resp(result))
result = nil
f = fiber.create(function() result = http.get(base .. '/slow', {timeout = 3}) end)
fiber.sleep(0.05)
f:cancel()
t0 = fiber.clock()
while (result == nil or f:status() ~= 'dead') and fiber.clock() - t0 < 3 do fiber.sleep(0.01) end
show('cancelled', f:status(), resp(result))

-- A unix socket server reached through unix_socket.
local path = os.getenv('NB_WORK_DIR') .. '/http.sock'
local us = socket.tcp_server('unix/', path, handler)
show(resp(http.get('http://localhost/plain', {unix_socket = path})))
show(last)
us:close()

server:close()
out = table.concat(lines, '\n') .. '\n'
