local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- Edge cases of id allocation, formats, index defaults and privilege bits.

-- Without _schema['max_id'] the next id comes from the largest space id.
box.space._schema:delete{'max_id'}
check('create without max_id', function() return box.schema.space.create('m1').id end)
show('max_id rebuilt', box.space._schema:get{'max_id'})
box.schema.space.create('m2', {id = 700})
box.space._schema:delete{'max_id'}
check('create without max_id above', function() return box.schema.space.create('m3').id end)
show('max_id rebuilt above', box.space._schema:get{'max_id'})
check('create in system range', function() return box.schema.space.create('sysr', {id = 400}).id end)
check('create id zero', box.schema.space.create, 'zero', {id = 0})
check('create field_count', function()
    local s = box.schema.space.create('fc', {field_count = 2})
    s:create_index('pk')
    return s:insert{1, 2}, pcall(s.insert, s, {1})
end)
check('frommap field_count', function()
    local s = box.schema.space.create('fcm', {field_count = 3, format = {'a', 'b'}})
    s:create_index('pk')
    return s:frommap({a = 1, b = 2})
end)

-- Format corner cases.
check('format name key and positional type', function()
    return box.schema.space.create('ff1', {format = {{'a', type = 'string'}}}):format()
end)
check('format extra key', function()
    return box.schema.space.create('ff2', {format = {{name = 'a', foo = 1}}}):format()
end)
check('format name type and positional', box.schema.space.create, 'ff3', {format = {{name = 'a', type = 'string', 'x'}}})
check('format nullable not bool', box.schema.space.create, 'ff4', {format = {{name = 'a', is_nullable = 1}}})
check('format type upper', function()
    return box.schema.space.create('ff5', {format = {{'a', 'UNSIGNED'}}}):format()
end)
check('format numeric type', function()
    return box.schema.space.create('ff6', {format = {{'a', 'num'}}}):format()
end)

-- Index defaults with nullable or collated format fields.
local n = box.schema.space.create('n', {format = {{'a', 'string', is_nullable = true}, {'b', 'string', collation = 'unicode'}}})
check('pk on nullable field', function() return n:create_index('pk') end)
check('pk explicit not nullable', function()
    return n:create_index('pk', {parts = {{'a', is_nullable = false}}}).parts
end)
show('pk row', box.space._index:get{n.id, 0})
check('collated field', function() return n:create_index('sk', {parts = {'b'}}).id end)
show('sk row', box.space._index:get{n.id, 1})
check('nullable field secondary', function() return n:create_index('nk', {parts = {{'a'}}, unique = false}).id end)
show('nk row', box.space._index:get{n.id, 2})
check('index object parts', function()
    local r = {}
    for _, p in ipairs(n.index.nk.parts) do
        table.insert(r, {p.fieldno, p.type, p.is_nullable})
    end
    return r
end)
check('alter keeps opts', function()
    n.index.nk:alter({name = 'nk2'})
    return box.space._index:get{n.id, 2}
end)

-- Privilege bit corner cases (LuaJIT's signed 32-bit bit operations).
box.schema.user.create('pu')
check('grant zero', box.schema.user.grant, 'pu', 0, 'universe')
check('grant numeric 2^31', box.schema.user.grant, 'pu', 2147483648, 'universe')
check('grant numeric big', box.schema.user.grant, 'pu', 4096 + 2048, 'universe')
show('pu universe', box.space._priv:get{box.space._user.index.name:get{'pu'}[1], 'universe', 0})
check('revoke numeric', box.schema.user.revoke, 'pu', 4096, 'universe')
show('pu universe after', box.space._priv:get{box.space._user.index.name:get{'pu'}[1], 'universe', 0})
check('grant missing space id', box.schema.user.grant, 'pu', 'read', 'space', 9999)
check('grant unknown grantor', box.schema.user.grant, 'pu', 'read', 'space', 'n', {grantor = 'nobody'})
check('grant grantor by id', box.schema.user.grant, 'pu', 'write', 'space', 'n', {grantor = 1})
check('grant execute space', box.schema.user.grant, 'pu', 'execute', 'space', 'n')
check('grant sequence bits', box.schema.user.grant, 'pu', 'execute', 'sequence', '')
check('grant user create', box.schema.user.grant, 'pu', 'create', 'user', '')
check('grant role usage', box.schema.user.grant, 'pu', 'usage', 'role', '')
show('pu info', box.schema.user.info('pu'))
check('role revoke from super', box.schema.role.revoke, 'super', 'read', 'universe')
show('super universe', box.space._priv:get{31, 'universe', 0})
check('role grant super numeric', box.schema.role.grant, 'super', 1, 'universe')
show('super universe again', box.space._priv:get{31, 'universe', 0})
check('role info super', box.schema.role.info, 'super')

-- Running as another user.
box.schema.user.grant('pu', 'read,write,create,alter,drop,execute', 'universe')
check('su create space', function()
    return box.session.su('pu', function()
        local s = box.schema.space.create('pus')
        s:create_index('pk')
        return s.id, box.space._space:get{s.id}[2] == box.space._user.index.name:get{'pu'}[1]
    end)
end)
check('su passwd self', function()
    box.session.su('pu', box.schema.user.passwd, 'newpw')
    return box.space._user.index.name:get{'pu'}[5], box.space._user:get{1}[5]
end)
check('su ids', function()
    return box.session.su('pu', function() return box.session.uid(), box.session.euid() end)
end)
check('su info self', function()
    return box.session.su('pu', box.schema.user.info)
end)
check('su once', function()
    return box.session.su('pu', box.once, 'as_pu', function() return 'ran' end)
end)
os.exit(0)
