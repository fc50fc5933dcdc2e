package e2e

import (
	"testing"
)

// socketHTTPScript serves HTTP with socket.tcp_server from an instance
// with box configured: handlers store and read tuples, http.client calls
// the server from several fibers at once while another fiber waits on a
// socket read, and the server stops when its socket is closed.
const socketHTTPScript = `
box.cfg{work_dir = os.getenv('WORK_DIR'), log = 'instance.log'}
local socket = require('socket')
local http = require('http.client')
local fiber = require('fiber')
local json = require('json')
box.schema.space.create('kv', {if_not_exists = true})
box.space.kv:create_index('pk', {type = 'tree', parts = {1, 'string'}, if_not_exists = true})

local function respond(c, status, body)
    c:write(('HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s')
        :format(status, #body, body))
end

local server = socket.tcp_server('127.0.0.1', 0, function(c)
    local head = c:read('\r\n\r\n', 5)
    if not head then return end
    local method, path = head:match('^(%S+) (%S+)')
    local len = tonumber(head:lower():match('content%-length: (%d+)') or 0)
    local body = len > 0 and c:read(len, 5) or ''
    local key = path:match('^/kv/(.+)$')
    if method == 'POST' and key then
        box.space.kv:replace({key, body})
        respond(c, '201 Created', json.encode({stored = key}))
    elseif method == 'GET' and key then
        local t = box.space.kv:get(key)
        if t then respond(c, '200 OK', json.encode({key = key, value = t[2]}))
        else respond(c, '404 Not Found', '{}') end
    else
        respond(c, '400 Bad Request', '{}')
    end
end)
local base = 'http://127.0.0.1:' .. server:name().port

-- A fiber waits on a socket nobody writes to until the end.
local l = socket('AF_INET', 'SOCK_STREAM', 'tcp')
l:bind('127.0.0.1', 0) l:listen()
local quiet = socket.tcp_connect('127.0.0.1', l:name().port, 2)
local peer = l:accept()
local waited
local waiter = fiber.create(function() waited = quiet:read('\n', 10) end)

local done = fiber.channel(10)
for i = 1, 5 do
    fiber.create(function()
        local r = http.post(base .. '/kv/k' .. i, 'value ' .. i, {timeout = 5})
        done:put(r.status)
    end)
end
local statuses = {}
for _ = 1, 5 do table.insert(statuses, done:get(10)) end
table.sort(statuses)
print('posted', table.concat(statuses, ','))
for i = 1, 5 do
    local r = http.get(base .. '/kv/k' .. i, {timeout = 5})
    print(r.status, r.reason, r.headers['content-type'], json.decode(r.body).value)
end
print(http.get(base .. '/kv/missing').status, http.request('PUT', base .. '/x').status)
print('count', box.space.kv:count())

print('while a fiber waits', waiter:status(), waited)
peer:write('line\n')
fiber.sleep(0.1)
print('waiter got', waited)

server:close()
fiber.sleep(0.05)
print(http.get(base .. '/kv/k1', {timeout = 2}).status)
os.exit(0)
`

// TestSocketHTTPServer runs socketHTTPScript under spindle and the
// reference and requires the same output.
func TestSocketHTTPServer(t *testing.T) {
	outs := map[string]string{}
	forBoth(t, func(t *testing.T, bin string) {
		out, _ := runStep(t, bin, t.TempDir(), socketHTTPScript)
		outs[t.Name()] = out
	})
	sp, tt := outs["TestSocketHTTPServer/spindle"], outs["TestSocketHTTPServer/tarantool"]
	if sp == "" {
		t.Fatal("spindle printed nothing")
	}
	if tt != "" && sp != tt {
		t.Errorf("outputs differ:\nspindle:\n%s\ntarantool:\n%s", sp, tt)
	}
	t.Logf("output:\n%s", sp)
}
