box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- Deterministic rendering: tuples as arrays, maps with sorted keys.
local function dump(v)
    if v == nil or v == box.NULL then
        return 'nil'
    elseif box.tuple.is(v) then
        return dump(v:totable())
    elseif type(v) == 'number' then
        if v == math.floor(v) then
            return string.format('%d', v)
        end
        return tostring(v)
    elseif type(v) == 'string' then
        return "'" .. v .. "'"
    elseif type(v) == 'table' then
        local n, count, parts = #v, 0, {}
        for _ in pairs(v) do
            count = count + 1
        end
        local mt = getmetatable(v)
        if count == 0 and mt and mt.__serialize == 'map' then
            return '{}'
        end
        if count == n then
            for i = 1, n do
                parts[i] = dump(v[i])
            end
            return '[' .. table.concat(parts, ', ') .. ']'
        end
        local keys = {}
        for k in pairs(v) do
            table.insert(keys, k)
        end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        for _, k in ipairs(keys) do
            table.insert(parts, tostring(k) .. ': ' .. dump(v[k]))
        end
        return '{' .. table.concat(parts, ', ') .. '}'
    end
    return tostring(v)
end

-- An error as "message (code)"; Lua string errors lose their position.
local function errstr(e)
    if type(e) == 'string' then
        return (e:gsub('^[^:]*:%d+: ', ''))
    end
    local ok, code = pcall(function() return e.code end)
    return string.format('%s (%s)', tostring(e), ok and tostring(code) or '?')
end

-- Runs f(...) and prints one line: the label, then ok and the dumped
-- results, or err and the error.
local function check(label, f, ...)
    local r = {n = 0}
    local function collect(ok, ...)
        r.ok, r.n = ok, select('#', ...)
        for i = 1, r.n do
            r[i] = (select(i, ...))
        end
    end
    collect(pcall(f, ...))
    if not r.ok then
        print(label .. ': err ' .. errstr(r[1]))
        return
    end
    local parts = {}
    for i = 1, r.n do
        parts[i] = dump(r[i])
    end
    print(label .. ': ok ' .. table.concat(parts, ' '))
end

local function show(label, v)
    print(label .. ': ' .. dump(v))
end

-- Users, roles and privileges.
local function privs(grantee)
    local r = {}
    for _, t in ipairs(box.space._priv:select{grantee}) do
        table.insert(r, t)
    end
    return r
end
local function uid(name)
    local t = box.space._user.index.name:get{name}
    return t and t[1]
end

show('priv bits', {box.priv.R, box.priv.W, box.priv.X, box.priv.S, box.priv.U,
                   box.priv.C, box.priv.D, box.priv.A, box.priv.REFERENCE,
                   box.priv.TRIGGER, box.priv.INSERT, box.priv.UPDATE,
                   box.priv.DELETE, box.priv.GRANT, box.priv.REVOKE, box.priv.ALL})
show('admin info', box.schema.user.info('admin'))
show('guest info', box.schema.user.info('guest'))
show('current info', box.schema.user.info())
show('public info', box.schema.role.info('public'))
show('replication info', box.schema.role.info('replication'))
show('super info', box.schema.role.info('super'))

-- create.
check('create', box.schema.user.create, 'alice')
show('alice row', box.space._user.index.name:get{'alice'})
show('alice privs', privs(uid('alice')))
show('alice info', box.schema.user.info('alice'))
check('create with password', box.schema.user.create, 'bob', {password = 'secret'})
show('bob row', box.space._user.index.name:get{'bob'})
check('create exists', box.schema.user.create, 'alice')
check('create exists as role', box.schema.user.create, 'public')
check('create if_not_exists', box.schema.user.create, 'alice', {if_not_exists = true})
check('create bad option', box.schema.user.create, 'carol', {foo = 1})
check('create bad password', box.schema.user.create, 'carol', {password = 1})
check('create opts not table', box.schema.user.create, 'carol', 1)
check('create empty name', box.schema.user.create, '')
check('exists', function()
    return box.schema.user.exists('alice'), box.schema.user.exists('nobody'),
           box.schema.user.exists('public'), box.schema.user.exists(uid('alice')),
           box.schema.user.exists('guest'), box.schema.user.exists(nil)
end)

-- passwords.
check('passwd other', box.schema.user.passwd, 'alice', 'pw1')
show('alice auth', box.space._user.index.name:get{'alice'}[5])
check('passwd missing user', box.schema.user.passwd, 'nobody', 'pw')
check('passwd role', box.schema.user.passwd, 'public', 'pw')
check('passwd usage', box.schema.user.passwd)
check('passwd current', box.schema.user.passwd, 'adminpw')
show('admin auth', box.space._user:get{1}[5])
check('password hash', box.schema.user.password, 'secret')

-- grants.
box.schema.space.create('sp'):create_index('pk')
check('grant read space', box.schema.user.grant, 'alice', 'read', 'space', 'sp')
check('grant write space merges', box.schema.user.grant, 'alice', 'write', 'space', 'sp')
check('grant again', box.schema.user.grant, 'alice', 'read', 'space', 'sp')
check('grant again if_not_exists', box.schema.user.grant, 'alice', 'read', 'space', 'sp', {if_not_exists = true})
check('grant universe', box.schema.user.grant, 'alice', 'read,write,execute', 'universe')
check('grant universe again', box.schema.user.grant, 'alice', 'read', 'universe')
check('grant universe nil name', box.schema.user.grant, 'alice', 'create', 'universe', nil)
check('grant universe empty name', box.schema.user.grant, 'alice', 'drop', 'universe', '')
check('grant all spaces', box.schema.user.grant, 'alice', 'read', 'space')
check('grant all spaces again', box.schema.user.grant, 'alice', 'read', 'space')
check('grant space by id', box.schema.user.grant, 'alice', 'alter', 'space', box.space.sp.id)
check('grant space by id again', box.schema.user.grant, 'alice', 'alter', 'space', box.space.sp.id)
check('grant role', box.schema.user.grant, 'alice', 'replication')
check('grant role again', box.schema.user.grant, 'alice', 'replication')
check('grant role explicit', box.schema.user.grant, 'alice', 'execute', 'role', 'super')
check('grant role explicit again', box.schema.user.grant, 'alice', 'execute', 'role', 'super')
check('grant missing role', box.schema.user.grant, 'alice', 'nope')
check('grant missing space', box.schema.user.grant, 'alice', 'read', 'space', 'nope')
check('grant missing function', box.schema.user.grant, 'alice', 'execute', 'function', 'nope')
check('grant missing sequence', box.schema.user.grant, 'alice', 'read', 'sequence', 'nope')
check('grant missing user obj', box.schema.user.grant, 'alice', 'alter', 'user', 'nope')
check('grant user obj is role', box.schema.user.grant, 'alice', 'alter', 'user', 'public')
check('grant role obj is user', box.schema.user.grant, 'alice', 'execute', 'role', 'bob')
check('grant unknown object type', box.schema.user.grant, 'alice', 'read', 'table', 'sp')
check('grant unknown privilege', box.schema.user.grant, 'alice', 'fly', 'space', 'sp')
check('grant session on space', box.schema.user.grant, 'alice', 'session', 'space', 'sp')
check('grant read on function', box.schema.user.grant, 'alice', 'read', 'function', '')
check('grant numeric', box.schema.user.grant, 'alice', 4, 'space', 'sp')
check('grant numeric all universe', box.schema.user.grant, 'alice', 4294967295, 'universe')
check('grant upper case', box.schema.user.grant, 'alice', 'USAGE', 'universe')
check('grant wrong name type', box.schema.user.grant, 'alice', 'read', 'space', {})
check('grant to missing user', box.schema.user.grant, 'nobody', 'read', 'universe')
check('grant to role via user', box.schema.user.grant, 'public', 'read', 'universe')
check('grant with grantor', box.schema.user.grant, 'bob', 'read', 'space', 'sp', {grantor = 'admin'})
check('grant sequence universe', box.schema.user.grant, 'bob', 'create', 'sequence')
check('grant user obj', box.schema.user.grant, 'bob', 'drop', 'user', 'alice')
check('grant function all', box.schema.user.grant, 'bob', 'execute', 'function')
show('alice privs', privs(uid('alice')))
show('alice info', box.schema.user.info('alice'))
show('bob info', box.schema.user.info('bob'))

-- revokes.
check('revoke read space', box.schema.user.revoke, 'alice', 'read', 'space', 'sp')
check('revoke read space again', box.schema.user.revoke, 'alice', 'read', 'space', 'sp')
check('revoke if_exists', box.schema.user.revoke, 'alice', 'read', 'space', 'sp', {if_exists = true})
check('revoke more than granted', box.schema.user.revoke, 'alice', 'write,execute,alter', 'space', 'sp')
check('revoke nothing left', box.schema.user.revoke, 'alice', 'write', 'space', 'sp')
check('revoke role', box.schema.user.revoke, 'alice', 'replication')
check('revoke role again', box.schema.user.revoke, 'alice', 'replication')
check('revoke role if_exists', box.schema.user.revoke, 'alice', 'execute', 'role', 'replication', {if_exists = true})
check('revoke universe part', box.schema.user.revoke, 'alice', 'write', 'universe')
check('revoke universe absent bit', box.schema.user.revoke, 'alice', 'write', 'universe')
check('revoke all spaces', box.schema.user.revoke, 'alice', 'read', 'space')
check('revoke missing user', box.schema.user.revoke, 'nobody', 'read', 'universe')
check('revoke unknown type', box.schema.user.revoke, 'alice', 'read', 'nope', 'x')
check('revoke missing space', box.schema.user.revoke, 'alice', 'read', 'space', 'nope')
show('alice info after revokes', box.schema.user.info('alice'))

-- disable/enable.
check('disable', box.schema.user.disable, 'bob')
show('bob universe', box.space._priv:get{uid('bob'), 'universe', 0})
check('disable again', box.schema.user.disable, 'bob')
check('enable', box.schema.user.enable, 'bob')
show('bob universe enabled', box.space._priv:get{uid('bob'), 'universe', 0})

-- roles.
check('role create', box.schema.role.create, 'r1')
show('r1 row', box.space._user.index.name:get{'r1'})
check('role create again', box.schema.role.create, 'r1')
check('role create if_not_exists', box.schema.role.create, 'r1', {if_not_exists = true})
check('role create name of user', box.schema.role.create, 'alice')
check('role create bad opt', box.schema.role.create, 'r2', {password = 'x'})
check('role exists', function()
    return box.schema.role.exists('r1'), box.schema.role.exists('alice'),
           box.schema.role.exists('nope'), box.schema.role.exists(uid('r1')),
           box.schema.role.exists('public')
end)
check('role grant space', box.schema.role.grant, 'r1', 'read,write', 'space', 'sp')
check('role grant session', box.schema.role.grant, 'r1', 'session', 'universe')
check('role grant usage', box.schema.role.grant, 'r1', 'read,usage', 'universe')
check('role grant numeric', box.schema.role.grant, 'r1', 1, 'universe')
check('role grant missing role', box.schema.role.grant, 'nope', 'read', 'universe')
check('role grant to user', box.schema.role.grant, 'alice', 'read', 'universe')
check('role grant role', box.schema.role.grant, 'r1', 'public')
check('role nested', function()
    box.schema.role.create('r2')
    return box.schema.role.grant('r2', 'r1')
end)
check('role grant to user', box.schema.user.grant, 'alice', 'r1')
check('role grant loop', box.schema.role.grant, 'r1', 'r2')
check('role grant itself', box.schema.role.grant, 'r1', 'r1')
show('r1 info', box.schema.role.info('r1'))
show('r2 info', box.schema.role.info('r2'))
check('role info missing', box.schema.role.info, 'nope')
check('role info of user', box.schema.role.info, 'alice')
check('user info of role', box.schema.user.info, 'r1')
check('user info missing', box.schema.user.info, 'nope')
check('role revoke', box.schema.role.revoke, 'r1', 'write', 'space', 'sp')
check('role revoke session', box.schema.role.revoke, 'r1', 'session', 'universe')
check('role revoke missing', box.schema.role.revoke, 'r1', 'read', 'universe')
check('role revoke missing role', box.schema.role.revoke, 'nope', 'read', 'universe')
show('r1 info after revoke', box.schema.role.info('r1'))

-- drops.
check('role drop granted', box.schema.role.drop, 'r1')
show('alice info after r1 drop', box.schema.user.info('alice'))
show('r2 info after r1 drop', box.schema.role.info('r2'))
check('role drop again', box.schema.role.drop, 'r1')
check('role drop if_exists', box.schema.role.drop, 'r1', {if_exists = true})
check('role drop bad opt', box.schema.role.drop, 'r2', {foo = true})
check('role drop a user', box.schema.role.drop, 'alice')
check('role drop public', box.schema.role.drop, 'public')
check('role drop super', box.schema.role.drop, 'super')
check('user drop guest', box.schema.user.drop, 'guest')
check('user drop admin', box.schema.user.drop, 'admin')
check('user drop role', box.schema.user.drop, 'r2')
check('user drop missing', box.schema.user.drop, 'nobody')
check('user drop if_exists', box.schema.user.drop, 'nobody', {if_exists = true})
check('user drop bad opt', box.schema.user.drop, 'alice', {foo = 1})

-- Dropping a user drops what it owns.
box.schema.user.grant('bob', 'read,write,create', 'universe')
box.session.su('bob', function()
    local s = box.schema.space.create('bobspace')
    s:create_index('pk')
    box.schema.func.create('bobfunc')
    box.schema.role.create('bobrole')
end)
show('bob owns', {box.space.bobspace.id, box.space._func.index.name:get{'bobfunc'} ~= nil,
                  box.schema.role.exists('bobrole')})
local bob = uid('bob')
check('user drop bob', box.schema.user.drop, 'bob')
show('after bob drop', {box.space.bobspace, box.space._func.index.name:get{'bobfunc'},
                        box.schema.role.exists('bobrole'), box.schema.user.exists('bob'),
                        #box.space._priv:select{bob}})
check('user drop alice', box.schema.user.drop, 'alice')
show('alice gone', {box.schema.user.exists('alice'), #box.space._priv:select{uid('alice') or 999}})
check('drop current user', function()
    box.schema.user.create('eve')
    box.schema.user.grant('eve', 'read,write,create,drop', 'universe')
    return box.session.su('eve', box.schema.user.drop, 'eve')
end)
check('role drop r2', box.schema.role.drop, 'r2')
show('users left', box.space._user:select{})
os.exit(0)
