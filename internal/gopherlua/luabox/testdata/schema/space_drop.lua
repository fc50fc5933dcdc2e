local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- Dropping, renaming and formatting spaces.
local function count(space_name, key, index)
    local s = box.space[space_name]
    if index then
        return #s.index[index]:select(key)
    end
    return #s:select(key)
end

local s = box.schema.space.create('victim')
s:create_index('pk')
s:create_index('sk', {parts = {2, 'string'}})
s:create_index('tk', {parts = {3, 'unsigned'}, unique = false})
s:insert{1, 'a', 10}
s:truncate()
box.schema.user.create('u1')
box.schema.user.grant('u1', 'read,write', 'space', 'victim')
box.schema.role.create('r1')
box.schema.role.grant('r1', 'read', 'space', 'victim')
show('indexes before', count('_index', {s.id}))
show('privs before', count('_priv', {'space', s.id}, 'object'))
show('truncate before', box.space._truncate:get{s.id} ~= nil)

-- Record the order of system-space deletions made by the drop.
local log = {}
local function watch(name)
    box.space[name]:on_replace(function(old, new)
        if old ~= nil and new == nil then
            local t = old:totable()
            table.insert(log, name .. ' ' .. dump({t[1], t[2], t[3]}))
        end
    end)
end
watch('_index')
watch('_priv')
watch('_truncate')
watch('_space')
local id = s.id
check('drop', function() return s:drop() end)
for _, l in ipairs(log) do
    print('deleted ' .. l)
end
show('space gone', box.space.victim == nil and box.space[id] == nil)
show('indexes after', count('_index', {id}))
show('privs after', count('_priv', {'space', id}, 'object'))
show('truncate after', box.space._truncate:get{id})
show('u1 privs', box.schema.user.info('u1'))
check('drop again via object', function() return s:drop() end)
check('drop by id missing', box.schema.space.drop, id)
check('drop by id missing name', box.schema.space.drop, id, 'victim')
check('drop if_exists', box.schema.space.drop, id, nil, {if_exists = true})
check('drop bad id', box.schema.space.drop, 'victim')
check('drop bad opts', box.schema.space.drop, id, nil, {foo = true})
check('drop system', function() return box.space._schema:drop() end)
check('method misuse', function() return box.space._schema.drop() end)

-- Drop through box.schema.space.drop, with no indexes.
local e = box.schema.space.create('empty')
check('drop empty by id', box.schema.space.drop, e.id)
show('empty gone', box.space.empty)

-- Rename.
local r = box.schema.space.create('r1space')
r:create_index('pk')
r:insert{1, 'x'}
check('rename', function() return r:rename('r2space') end)
show('renamed', {box.space.r1space == nil, box.space.r2space.id == r.id, r.name,
                 box.space.r2space:get{1}})
check('rename to existing', function() return r:rename('_space') end)
check('rename bad name', function() return r:rename(5) end)
check('rename fn bad id', box.schema.space.rename, 'x', 'y')
check('rename fn missing id', box.schema.space.rename, 9999, 'y')
check('rename fn', box.schema.space.rename, r.id, 'r3space')
show('renamed again', box.space.r3space ~= nil)

-- Format get and set.
check('format get empty', function() return r:format() end)
check('format set missing field', function() return r:format({'id', 'name', 'third'}) end)
check('format set', function() return r:format({{'id', 'unsigned'}, 'name', {name = 'n', type = 'number', is_nullable = true}}) end)
check('format get', function() return r:format() end)
check('format via schema', box.schema.space.format, r.id)
check('format bad type', function() return r:format({{'id', 'string'}}) end)
check('format after bad', function() return r:format() end)
check('format not table', function() return r:format('x') end)
check('format bad entry', function() return r:format({{5}}) end)
check('format clear', function() return r:format({}) end)
check('format cleared', function() return r:format() end)
check('format missing space', box.schema.space.format, 9999)
check('format bad id', box.schema.space.format, 'x')
check('format system', function() return box.space._schema:format() end)
show('no alter in 2.6', r.alter == nil)
os.exit(0)
