-- user.lua: users, roles, privileges and stored functions of Tarantool
-- 2.6.0's box API (box.schema.user.*, box.schema.role.*, box.schema.func.*,
-- box.priv), written on top of DML on _user, _priv and _func.
--
-- Invariants:
--  * A privilege is one _priv row [grantor, grantee, object_type,
--    object_id, privilege bits] per (grantee, object_type, object_id); a
--    grant ORs bits into it, a revoke clears bits and deletes the row when
--    none remain. A role granted to a user is 'execute' on that role.
--  * Privilege bit arithmetic uses LuaJIT's signed 32-bit `bit` semantics
--    (lib.bit), because 2.6's checks and stored values depend on them.
--  * Messages and check order follow 2.6.0's src/box/lua/schema.lua.

local schema = box.schema
local lib = box.internal.schema_lib
local F, bit = lib.F, lib.bit
local sysspace, setmap = lib.sysspace, lib.setmap
local check_param_table = lib.check_param_table
local update_param_table = lib.update_param_table
local user_or_role_resolve = lib.user_or_role_resolve
local session = box.session

box.priv = {
    R = 1, W = 2, X = 4, S = 8, U = 16, C = 32, D = 64, A = 128,
    REFERENCE = 256, TRIGGER = 512, INSERT = 1024, UPDATE = 2048,
    DELETE = 4096, GRANT = 8192, REVOKE = 16384, ALL = 4294967295,
}
local P = box.priv

-- Looks a user or role up by name or id; kind limits the result to
-- 'user' or 'role'.
local function resolve_kind(name_or_id, kind)
    local _vuser = sysspace(schema.VUSER_ID)
    local t
    if type(name_or_id) == 'string' then
        t = _vuser.index.name:get{name_or_id}
    elseif name_or_id ~= nil then
        t = _vuser:get{name_or_id}
    end
    if t == nil or t[F.user_type] ~= kind then
        return nil
    end
    return t[F.user_id]
end

local function user_resolve(name_or_id) return resolve_kind(name_or_id, 'user') end
local function role_resolve(name_or_id) return resolve_kind(name_or_id, 'role') end

-- Privilege names in bit order; a privilege string grants every name it
-- contains as a substring (so 'read,write' and 'readwrite' both work).
local priv_names = {
    {'read', P.R}, {'write', P.W}, {'execute', P.X}, {'session', P.S},
    {'usage', P.U}, {'create', P.C}, {'drop', P.D}, {'alter', P.A},
    {'reference', P.REFERENCE}, {'trigger', P.TRIGGER},
    {'insert', P.INSERT}, {'update', P.UPDATE}, {'delete', P.DELETE},
}

local function privilege_resolve(privilege)
    if type(privilege) ~= 'string' then
        return privilege
    end
    privilege = string.lower(privilege)
    local numeric = 0
    for _, p in ipairs(priv_names) do
        if string.find(privilege, p[1], 1, true) then
            numeric = numeric + p[2]
        end
    end
    return numeric
end

local function privilege_name(privilege)
    local names = {}
    for _, p in ipairs(priv_names) do
        if bit.band(privilege, p[2]) ~= 0 then
            table.insert(names, p[1])
        end
    end
    return table.concat(names, ',')
end

-- The privilege bits each object type accepts ('execute' on a space is a
-- legacy of 2.6, kept).
local priv_object_combo = {
    universe = P.ALL,
    space = bit.bxor(P.ALL, P.S, P.REVOKE, P.GRANT),
    sequence = bit.bor(P.R, P.W, P.U, P.C, P.A, P.D),
    ['function'] = bit.bor(P.X, P.U, P.C, P.D),
    role = bit.bor(P.X, P.U, P.C, P.D),
    user = bit.bor(P.C, P.A, P.D),
}

local function privilege_check(privilege, object_type)
    local priv_hex = privilege_resolve(privilege)
    local combo = priv_object_combo[object_type]
    if combo == nil then
        box.error(box.error.UNKNOWN_SCHEMA_OBJECT, object_type)
    elseif type(priv_hex) ~= 'number' or priv_hex == 0 or
           bit.band(priv_hex, combo) ~= priv_hex then
        box.error(box.error.UNSUPPORTED_PRIV, object_type, privilege)
    end
    return priv_hex
end

-- Returns the object id a grant refers to: 0 for the universe, '' for
-- "every object of the type", else the id of the named object.
local function object_resolve(object_type, object_name)
    if object_name ~= nil and type(object_name) ~= 'string' and
       type(object_name) ~= 'number' then
        box.error(box.error.ILLEGAL_PARAMS, "wrong object name type")
    end
    if object_type == 'universe' then
        return 0
    end
    if object_type == 'space' then
        if object_name == '' then
            return ''
        end
        local space = box.space[object_name]
        if space == nil then
            box.error(box.error.NO_SUCH_SPACE, object_name)
        end
        return space.id
    end
    if object_type == 'function' then
        if object_name == '' then
            return ''
        end
        local _vfunc = sysspace(schema.VFUNC_ID)
        local func
        if type(object_name) == 'string' then
            func = _vfunc.index.name:get{object_name}
        else
            func = _vfunc:get{object_name}
        end
        if func == nil then
            box.error(box.error.NO_SUCH_FUNCTION, object_name)
        end
        return func[F.func_id]
    end
    if object_type == 'sequence' then
        if object_name == '' then
            return ''
        end
        local id = lib.sequence_resolve(object_name)
        if id == nil then
            box.error(box.error.NO_SUCH_SEQUENCE, object_name)
        end
        return id
    end
    if object_type == 'role' or object_type == 'user' then
        if object_name == '' then
            return ''
        end
        local _vuser = sysspace(schema.VUSER_ID)
        local t
        if type(object_name) == 'string' then
            t = _vuser.index.name:get{object_name}
        else
            t = _vuser:get{object_name}
        end
        if t ~= nil and t[F.user_type] == object_type then
            return t[F.user_id]
        elseif object_type == 'role' then
            box.error(box.error.NO_SUCH_ROLE, object_name)
        else
            box.error(box.error.NO_SUCH_USER, object_name)
        end
    end
    box.error(box.error.UNKNOWN_SCHEMA_OBJECT, object_type)
end

local function object_name(object_type, object_id)
    if object_type == 'universe' or object_id == '' then
        return ''
    end
    local space_id
    if object_type == 'space' then
        space_id = schema.VSPACE_ID
    elseif object_type == 'sequence' then
        space_id = schema.SEQUENCE_ID
    elseif object_type == 'function' then
        space_id = schema.VFUNC_ID
    elseif object_type == 'role' or object_type == 'user' then
        space_id = schema.VUSER_ID
    else
        box.error(box.error.UNKNOWN_SCHEMA_OBJECT, object_type)
    end
    -- Every one of these spaces keeps the object name in field 3.
    return sysspace(space_id):get{object_id}[3]
end

-- grant(user, role) means grant(user, 'execute', 'role', role);
-- grant(user, privilege, object_type) means every object of the type.
local function grant_target(privilege, object_type, object_name)
    if object_name == nil then
        if object_type == nil then
            return 'execute', 'role', privilege
        end
        return privilege, object_type, ''
    end
    return privilege, object_type, object_name
end

local function grant(uid, name, privilege, object_type, object_name, options)
    privilege, object_type, object_name =
        grant_target(privilege, object_type, object_name)
    local privilege_hex = privilege_check(privilege, object_type)
    local oid = object_resolve(object_type, object_name)
    options = options or {}
    if options.grantor == nil then
        options.grantor = session.euid()
    else
        options.grantor = user_or_role_resolve(options.grantor)
    end
    local t = sysspace(schema.VPRIV_ID):get{uid, object_type, oid}
    local old_privilege = t and t[F.priv_privilege] or 0
    privilege_hex = bit.bor(privilege_hex, old_privilege)
    -- An unchanged set is not rewritten (the grantor stays the old one).
    if privilege_hex ~= old_privilege then
        sysspace(schema.PRIV_ID):replace{options.grantor, uid, object_type,
                                         oid, privilege_hex}
    elseif not options.if_not_exists then
        if object_type == 'role' and object_name ~= '' and privilege == 'execute' then
            box.error(box.error.ROLE_GRANTED, name, object_name)
        end
        if object_type ~= 'universe' then
            object_name = string.format(" '%s'", object_name)
        end
        box.error(box.error.PRIV_GRANTED, name, privilege, object_type, object_name)
    end
end

local function revoke(uid, name, privilege, object_type, object_name, options)
    privilege, object_type, object_name =
        grant_target(privilege, object_type, object_name)
    local privilege_hex = privilege_check(privilege, object_type)
    options = options or {}
    local oid = object_resolve(object_type, object_name)
    local t = sysspace(schema.VPRIV_ID):get{uid, object_type, oid}
    if t == nil then
        if options.if_exists then
            return
        end
        if object_type == 'role' and object_name ~= '' and privilege == 'execute' then
            box.error(box.error.ROLE_NOT_GRANTED, name, object_name)
        end
        box.error(box.error.PRIV_NOT_GRANTED, name, privilege, object_type, object_name)
    end
    local old_privilege = t[F.priv_privilege]
    -- A user may revoke more bits than are granted; only revoking
    -- nothing at all is an error.
    privilege_hex = bit.band(old_privilege, bit.bnot(privilege_hex))
    if privilege_hex == old_privilege then
        if options.if_exists then
            return
        end
        box.error(box.error.PRIV_NOT_GRANTED, name, privilege, object_type, object_name)
    end
    local _priv = sysspace(schema.PRIV_ID)
    if privilege_hex ~= 0 then
        _priv:replace{t[F.priv_grantor], uid, object_type, oid, privilege_hex}
    else
        _priv:delete{uid, object_type, oid}
    end
end

-- Drops a user or role with everything it owns: spaces, functions,
-- sequences, the grants of the role to others, then its own privileges.
local function drop(uid)
    local _vpriv = sysspace(schema.VPRIV_ID)
    for _, t in ipairs(sysspace(schema.VSPACE_ID).index.owner:select{uid}) do
        box.space[t[F.space_id]]:drop()
    end
    for _, t in ipairs(sysspace(schema.VFUNC_ID).index.owner:select{uid}) do
        schema.func.drop(t[F.func_id])
    end
    for _, t in ipairs(_vpriv.index.object:select{'role', uid}) do
        revoke(t[F.priv_grantee], t[F.priv_grantee], uid)
    end
    local _vsequence = sysspace(schema.VSEQUENCE_ID)
    if _vsequence ~= nil then
        for _, t in ipairs(_vsequence.index.owner:select{uid}) do
            schema.sequence.drop(t[F.seq_id])
        end
    end
    -- Only admin may revoke universe privileges, hence su.
    if sysspace(schema.VUSER_ID):get{uid}[F.user_type] == 'user' then
        session.su('admin', schema.user.revoke, uid, 'session,usage',
                   'universe', nil, {if_exists = true})
    end
    for _, t in ipairs(_vpriv.index.primary:select{uid}) do
        session.su('admin', revoke, uid, uid, t[F.priv_privilege],
                   t[F.priv_object_type], t[F.priv_object_id])
    end
    sysspace(schema.USER_ID):delete{uid}
end

local function info(id)
    local privs = {}
    for _, t in ipairs(sysspace(schema.VPRIV_ID):select{id}) do
        table.insert(privs, {privilege_name(t[F.priv_privilege]),
                             t[F.priv_object_type],
                             object_name(t[F.priv_object_type], t[F.priv_object_id])})
    end
    return privs
end

--
-- box.schema.user
--
schema.user = schema.user or {}
local user = schema.user

function user.password(password)
    return box.internal.password_hash(password)
end

local function chpasswd(uid, new_password)
    local auth = {['chap-sha1'] = user.password(new_password)}
    sysspace(schema.USER_ID):update({uid}, {{'=', 5, auth}})
end

function user.passwd(name, new_password)
    if name == nil then
        box.error(box.error.PROC_LUA,
                  "Usage: box.schema.user.passwd([user,] password)")
    end
    if new_password == nil then
        -- The current user changes its own password.
        session.su('admin', chpasswd, session.uid(), name)
        return
    end
    local uid = user_resolve(name)
    if uid == nil then
        box.error(box.error.NO_SUCH_USER, name)
    end
    return chpasswd(uid, new_password)
end

function user.create(name, opts)
    local uid = user_or_role_resolve(name)
    opts = opts or {}
    check_param_table(opts, {password = 'string', if_not_exists = 'boolean'})
    if uid then
        if not opts.if_not_exists then
            box.error(box.error.USER_EXISTS, name)
        end
        return
    end
    local auth = setmap({})
    if opts.password then
        auth['chap-sha1'] = user.password(opts.password)
    end
    local _user = sysspace(schema.USER_ID)
    uid = _user:auto_increment{session.euid(), name, 'user', auth}[F.user_id]
    user.grant(uid, 'public')
    -- The user may change its own password and name.
    user.grant(uid, 'alter', 'user', uid)
    -- Universe privileges need admin's grant rights.
    session.su('admin', user.grant, uid, 'session,usage', 'universe', nil,
               {if_not_exists = true})
end

function user.exists(name)
    return user_resolve(name) ~= nil
end

function user.grant(user_name, ...)
    local uid = user_resolve(user_name)
    if uid == nil then
        box.error(box.error.NO_SUCH_USER, user_name)
    end
    return grant(uid, user_name, ...)
end

function user.revoke(user_name, ...)
    local uid = user_resolve(user_name)
    if uid == nil then
        box.error(box.error.NO_SUCH_USER, user_name)
    end
    return revoke(uid, user_name, ...)
end

function user.enable(name)
    user.grant(name, 'session,usage', 'universe', nil, {if_not_exists = true})
end

function user.disable(name)
    user.revoke(name, 'session,usage', 'universe', nil, {if_exists = true})
end

local function is_system_user(uid)
    return uid >= schema.SYSTEM_USER_ID_MIN and uid <= schema.SYSTEM_USER_ID_MAX
end

function user.drop(name, opts)
    opts = opts or {}
    check_param_table(opts, {if_exists = 'boolean'})
    local uid = user_resolve(name)
    if uid == nil then
        if not opts.if_exists then
            box.error(box.error.NO_SUCH_USER, name)
        end
        return
    end
    if is_system_user(uid) then
        box.error(box.error.DROP_USER, name, "the user or the role is a system")
    end
    if uid == session.uid() or uid == session.euid() then
        box.error(box.error.DROP_USER, name,
                  "the user is active in the current session")
    end
    return drop(uid)
end

function user.info(user_name)
    local uid
    if user_name == nil then
        uid = session.euid()
    else
        uid = user_resolve(user_name)
        if uid == nil then
            box.error(box.error.NO_SUCH_USER, user_name)
        end
    end
    return info(uid)
end

--
-- box.schema.role
--
schema.role = schema.role or {}
local role = schema.role

function role.exists(name)
    return role_resolve(name) ~= nil
end

function role.create(name, opts)
    opts = opts or {}
    check_param_table(opts, {if_not_exists = 'boolean'})
    if user_or_role_resolve(name) then
        if not opts.if_not_exists then
            box.error(box.error.ROLE_EXISTS, name)
        end
        return
    end
    sysspace(schema.USER_ID):auto_increment{session.euid(), name, 'role', setmap({})}
end

function role.drop(name, opts)
    opts = opts or {}
    check_param_table(opts, {if_exists = 'boolean'})
    local uid = role_resolve(name)
    if uid == nil then
        if not opts.if_exists then
            box.error(box.error.NO_SUCH_ROLE, name)
        end
        return
    end
    if is_system_user(uid) or uid == schema.SUPER_ROLE_ID then
        box.error(box.error.DROP_USER, name, "the user or the role is a system")
    end
    return drop(uid)
end

-- Roles cannot hold 'session' or 'usage'. As in 2.6 the privilege goes
-- through string.lower first, so a numeric one is checked as its digits.
local function role_check_sys_priv(priv)
    priv = string.lower(priv)
    if priv:match('session') or priv:match('usage') then
        box.error(box.error.GRANT, "system privilege can not be granted to role")
    end
end

function role.grant(role_name, ...)
    local uid = role_resolve(role_name)
    if uid == nil then
        box.error(box.error.NO_SUCH_ROLE, role_name)
    end
    role_check_sys_priv(...)
    return grant(uid, role_name, ...)
end

function role.revoke(role_name, ...)
    local uid = role_resolve(role_name)
    if uid == nil then
        box.error(box.error.NO_SUCH_ROLE, role_name)
    end
    role_check_sys_priv(...)
    return revoke(uid, role_name, ...)
end

function role.info(role_name)
    local rid = role_resolve(role_name)
    if rid == nil then
        box.error(box.error.NO_SUCH_ROLE, role_name)
    end
    return info(rid)
end

--
-- box.schema.func
--
schema.func = schema.func or {}
local func = schema.func

local func_create_template = {
    setuid = 'boolean', if_not_exists = 'boolean', language = 'string',
    body = 'string', is_deterministic = 'boolean', is_sandboxed = 'boolean',
    comment = 'string', param_list = 'table', returns = 'string',
    exports = 'table', opts = 'table',
}

local function func_tuple(name_or_id)
    local _vfunc = sysspace(schema.VFUNC_ID)
    if type(name_or_id) == 'string' then
        return _vfunc.index.name:get{name_or_id}
    end
    return _vfunc:get{name_or_id}
end

function func.create(name, opts)
    opts = opts or {}
    check_param_table(opts, func_create_template)
    if sysspace(schema.VFUNC_ID).index.name:get{name} then
        if not opts.if_not_exists then
            box.error(box.error.FUNCTION_EXISTS, name)
        end
        return
    end
    local datetime = os.date("%Y-%m-%d %H:%M:%S")
    opts = update_param_table(opts, {
        setuid = false, language = 'lua', body = '', routine_type = 'function',
        returns = 'any', param_list = {}, aggregate = 'none',
        sql_data_access = 'none', is_deterministic = false,
        is_sandboxed = false, is_null_call = true, exports = {'LUA'},
        opts = setmap({}), comment = '', created = datetime,
        last_altered = datetime,
    })
    sysspace(schema.FUNC_ID):auto_increment{
        session.euid(), name, opts.setuid and 1 or 0,
        string.upper(opts.language), opts.body, opts.routine_type,
        opts.param_list, opts.returns, opts.aggregate, opts.sql_data_access,
        opts.is_deterministic, opts.is_sandboxed, opts.is_null_call,
        opts.exports, opts.opts, opts.comment, opts.created, opts.last_altered}
end

function func.drop(name, opts)
    opts = opts or {}
    check_param_table(opts, {if_exists = 'boolean'})
    local t = name ~= nil and func_tuple(name) or nil
    if t == nil then
        if not opts.if_exists then
            box.error(box.error.NO_SUCH_FUNCTION, name)
        end
        return
    end
    local fid = t[F.func_id]
    lib.revoke_object_privs('function', fid)
    sysspace(schema.FUNC_ID):delete{fid}
end

function func.exists(name_or_id)
    local t = nil
    if type(name_or_id) == 'string' or type(name_or_id) == 'number' then
        t = func_tuple(name_or_id)
    end
    return t ~= nil
end

--
-- box.func objects: Go fills box.func from _func (func.go) and blesses
-- each object with these methods, as 2.6's lbox_func_new calls
-- box.schema.func.bless.
--

-- Helper function to check func:method() usage. The errors carry the
-- position 2.6 raises them at, in its builtin/box/schema.lua.
local function check_func_arg(fn, method)
    if type(fn) ~= 'table' or fn.name == nil then
        local fmt = 'builtin/box/schema.lua:2217: Use func:%s(...) instead of func.%s(...)'
        error(string.format(fmt, method, method), 0)
    end
end

local func_mt = {}

func_mt.drop = function(fn, opts)
    check_func_arg(fn, 'drop')
    func.drop(fn.name, opts)
end

func_mt.call = function(fn, args)
    check_func_arg(fn, 'call')
    args = args or {}
    if type(args) ~= 'table' then
        error('builtin/box/schema.lua:2232: Use func:call(table)', 0)
    end
    return func.call(fn.name, unpack(args))
end

function func.bless(fn)
    setmetatable(fn, {__index = func_mt})
end

func.call = box.internal.func_call
func.reload = box.internal.module_reload
