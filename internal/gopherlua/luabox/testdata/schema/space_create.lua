local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- box.schema.space.create: options, id allocation, stored rows.
local _space = box.space._space
local function row(name) return _space.index.name:get{name} end

show('max_id before', box.space._schema:get{'max_id'})
check('create a', function()
    local s, status = box.schema.space.create('a')
    return s.id, s.name, s.engine, s.field_count, status
end)
show('row a', row('a'))
show('max_id after', box.space._schema:get{'max_id'})
check('create b alias', function()
    local s = box.schema.create_space('b', {field_count = 2, temporary = true})
    return s.id, s.field_count, s.temporary
end)
show('row b', row('b'))
check('create c explicit id', function()
    return box.schema.space.create('c', {id = 1000}).id
end)
show('max_id after explicit id', box.space._schema:get{'max_id'})
check('create d after explicit id', function()
    return box.schema.space.create('d').id
end)
check('create local', function()
    local s = box.schema.space.create('loc', {is_local = true})
    return s.id, s.is_local
end)
show('row loc', row('loc'))
check('create local sync', box.schema.space.create, 'ls', {is_local = true, is_sync = true})
check('create is_sync false', function()
    return box.schema.space.create('nosync', {is_sync = false}).id
end)
show('row nosync', row('nosync'))
check('create owner admin by name', function()
    return box.schema.space.create('own1', {user = 'admin'}).id
end)
check('create owner guest by id', function()
    return box.schema.space.create('own2', {user = 0}).id
end)
show('row own2', row('own2'))
check('create owner unknown', box.schema.space.create, 'own3', {user = 'nobody'})
check('create owner unknown id', box.schema.space.create, 'own3', {user = 777})

-- Formats.
check('create with format', function()
    local s = box.schema.space.create('f', {format = {
        'plain',
        {'short', 'unsigned'},
        {name = 'named', type = 'string', is_nullable = true},
        {'onlyname'},
        {name = 'mixed', 'integer'},
        {'x', 'string', is_nullable = true},
        {'coll', 'string', collation = 'unicode_ci'},
    }})
    return s.id
end)
show('format f', box.space.f:format())
show('row f format', row('f')[7])
check('format bad name', box.schema.space.create, 'g', {format = {{type = 'unsigned'}}})
check('format number name', box.schema.space.create, 'g', {format = {1}})
check('format bad type', box.schema.space.create, 'g', {format = {{'a', 5}}})
check('format bad collation', box.schema.space.create, 'g',
      {format = {{'a', 'string', collation = 'nope'}}})
check('format not table', box.schema.space.create, 'g', {format = 'x'})
check('format bad field type', box.schema.space.create, 'g', {format = {{'a', 'nosuchtype'}}})
check('format duplicate name', box.schema.space.create, 'g', {format = {'a', 'a'}})

-- Option errors.
check('name not string', box.schema.space.create, 5)
check('no name', box.schema.space.create)
check('options not table', box.schema.space.create, 'g', 'x')
check('unexpected option', box.schema.space.create, 'g', {foo = 1})
check('option wrong type', box.schema.space.create, 'g', {id = 'x'})
check('option wrong types', box.schema.space.create, 'g', {user = true})
check('engine wrong type', box.schema.space.create, 'g', {engine = 1})
check('bad engine', box.schema.space.create, 'g', {engine = 'nope'})
check('temporary wrong type', box.schema.space.create, 'g', {temporary = 1})
check('if_not_exists wrong type', box.schema.space.create, 'g', {if_not_exists = 'yes'})
check('dont_check', function()
    return box.schema.space.create('dc', {dont_check = true, foo = 1}).id
end)
check('exists', box.schema.space.create, 'a')
check('exists if_not_exists', function()
    local s, status = box.schema.space.create('a', {if_not_exists = true})
    return s.id, status
end)
check('id taken', box.schema.space.create, 'g', {id = 512})
check('empty name', box.schema.space.create, '')
check('system name ok', function()
    return box.schema.space.create('_mine').id
end)
check('id too big', box.schema.space.create, 'g', {id = 2147483648})
show('max_id final', box.space._schema:get{'max_id'})

-- Constants.
show('consts', {box.schema.SPACE_ID, box.schema.INDEX_ID, box.schema.SYSTEM_ID_MAX,
                box.schema.SYSTEM_ID_MIN, box.schema.SCHEMA_ID, box.schema.USER_ID,
                box.schema.PRIV_ID, box.schema.FUNC_ID, box.schema.VSPACE_ID,
                box.schema.VINDEX_ID, box.schema.VUSER_ID, box.schema.VPRIV_ID,
                box.schema.VFUNC_ID, box.schema.CLUSTER_ID, box.schema.TRUNCATE_ID,
                box.schema.SEQUENCE_ID, box.schema.SPACE_SEQUENCE_ID,
                box.schema.COLLATION_ID, box.schema.ADMIN_ID, box.schema.GUEST_ID,
                box.schema.PUBLIC_ROLE_ID, box.schema.SUPER_ROLE_ID,
                box.schema.SYSTEM_USER_ID_MIN, box.schema.SYSTEM_USER_ID_MAX,
                box.schema.INDEX_MAX, box.schema.REPLICA_MAX})
show('alias', box.schema.create_space == box.schema.space.create)
os.exit(0)
