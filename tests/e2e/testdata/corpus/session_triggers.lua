-- box.session triggers (on_connect, on_auth, on_disconnect) and per-session storage.
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
box.schema.user.create('u', {password = 'p'})
box.schema.user.grant('u', 'read,write,execute', 'universe')
box.schema.user.grant('guest', 'execute', 'universe')
local events = {}
box.session.on_connect(function() table.insert(events, 'connect ' .. box.session.user()) end)
box.session.on_auth(function(user, ok) table.insert(events, 'auth ' .. tostring(user) .. ' ' .. tostring(ok)) end)
box.session.on_disconnect(function() table.insert(events, 'disconnect ' .. box.session.user()) end)
function set(v) box.session.storage.v = v return box.session.storage.v end
function get() return box.session.storage.v end
local net = require('net.box')
local a = net.connect('u:p@' .. box.info.listen)
local b = net.connect(box.info.listen)
print(a:call('set', {'a'}), b:call('set', {'b'}), a:call('get'), b:call('get'))
local c = net.connect('u:wrong@' .. box.info.listen)
print(c.state)
a:close() b:close() c:close()
require('fiber').sleep(0.2)
table.sort(events)
for _, e in ipairs(events) do print(e) end
print(box.session.storage.v)
os.exit(0)
