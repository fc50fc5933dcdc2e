-- A single Spindle instance: listens on 127.0.0.1:3301 (override with
-- LISTEN=host:port), keeps its files in ./data, and creates a space and a
-- user the first time it starts. Connect with Tarantool's net.box:
--   tarantool -e "c = require('net.box').connect('app:secret@127.0.0.1:3301') print(c.space.kv:select{})"
local work_dir = os.getenv('WORK_DIR') or 'data'
os.execute('mkdir -p ' .. work_dir)
box.cfg{
    listen = os.getenv('LISTEN') or '127.0.0.1:3301',
    work_dir = work_dir,
}

box.once('schema', function()
    local kv = box.schema.space.create('kv', {format = {
        {name = 'key', type = 'string'},
        {name = 'value', type = 'any'},
    }})
    kv:create_index('primary', {parts = {'key'}})
    box.schema.user.create('app', {password = 'secret'})
    box.schema.user.grant('app', 'read,write', 'space', 'kv')
    box.schema.user.grant('app', 'execute', 'universe')
    print('box.once executed: space kv and user app created')
end)

function kv_put(key, value)
    return box.space.kv:replace{key, value}
end

box.space.kv:replace{'greeting', 'hello from ' .. box.info.uuid}
print('instance ' .. box.info.uuid .. ' is listening on ' .. box.cfg.listen)
