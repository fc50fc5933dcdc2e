-- schema.lua: the part of Tarantool 2.6.0's box API that Tarantool writes
-- in Lua on top of system-space DML: box.schema.space.*, box.schema.index.*,
-- box.schema.sequence and the index `sequence` option,
-- and the helpers shared with the files run after it (see ORDER).
--
-- Invariants:
--  * Every schema change is a plain insert/replace/update/delete on a system
--    space; the core validates it and rebuilds box.space. Nothing here keeps
--    schema state of its own, so the result persists and replicates.
--  * Option checks, their order and their error messages follow 2.6.0's
--    src/box/lua/schema.lua, because users and tests match on them.
--  * Tuples of system spaces are read by field number (see F below), not by
--    name, so this file depends only on the 2.6 tuple shapes.
--  * Runs on gopher-lua (Lua 5.1): no goto, no ffi, no `bit` module; numbers
--    are doubles. LuaJIT's 32-bit `bit` semantics are emulated in `bit32s`.

local schema = box.schema or {}
box.schema = schema
local internal = box.internal

-- System space ids and limits of Tarantool 2.6.0 (src/box/schema_def.h),
-- published as box.schema.* constants; Go may have set them already.
local constants = {
    SYSTEM_ID_MIN = 256, VINYL_DEFERRED_DELETE_ID = 257, SCHEMA_ID = 272,
    COLLATION_ID = 276, VCOLLATION_ID = 277, SPACE_ID = 280, VSPACE_ID = 281,
    SEQUENCE_ID = 284, SEQUENCE_DATA_ID = 285, VSEQUENCE_ID = 286,
    INDEX_ID = 288, VINDEX_ID = 289, FUNC_ID = 296, VFUNC_ID = 297,
    USER_ID = 304, VUSER_ID = 305, PRIV_ID = 312, VPRIV_ID = 313,
    CLUSTER_ID = 320, TRIGGER_ID = 328, TRUNCATE_ID = 330,
    SPACE_SEQUENCE_ID = 340, FK_CONSTRAINT_ID = 356, CK_CONSTRAINT_ID = 364,
    FUNC_INDEX_ID = 372, SESSION_SETTINGS_ID = 380, SYSTEM_ID_MAX = 511,
    ADMIN_ID = 1, GUEST_ID = 0, PUBLIC_ROLE_ID = 2, SUPER_ROLE_ID = 31,
    SYSTEM_USER_ID_MIN = 0, SYSTEM_USER_ID_MAX = 2, REPLICA_MAX = 32,
    INDEX_MAX = 128, INDEX_PART_MAX = 255, INDEX_FIELD_MAX = 32767,
    FIELD_MAX = 2147483647, SPACE_MAX = 2147483647, FORMAT_ID_MAX = 65534,
    NAME_MAX = 65000, SQL_BIND_PARAMETER_MAX = 65000,
}
for k, v in pairs(constants) do
    if schema[k] == nil then
        schema[k] = v
    end
end

-- Field numbers (1-based) of the system space tuples read here.
local F = {
    space_id = 1, space_owner = 2, space_name = 3, space_engine = 4,
    space_format = 7,
    index_space = 1, index_id = 2, index_name = 3, index_type = 4,
    index_opts = 5, index_parts = 6,
    user_id = 1, user_owner = 2, user_name = 3, user_type = 4,
    priv_grantor = 1, priv_grantee = 2, priv_object_type = 3,
    priv_object_id = 4, priv_privilege = 5,
    seq_id = 1, seq_name = 3,
    sseq_sequence = 2, sseq_is_generated = 3, sseq_field = 4, sseq_path = 5,
    func_id = 1, func_name = 3,
    coll_id = 1,
    schema_value = 2,
}

-- lib is shared with the files that run after this one (user.lua, once.lua).
local lib = {F = F}
internal.schema_lib = lib

local function setmap(t)
    return setmetatable(t, {__serialize = 'map'})
end
lib.setmap = setmap

local function sysspace(id)
    return box.space[id]
end
lib.sysspace = sysspace

-- LuaJIT's `bit` operations: operands are reduced modulo 2^32 and results
-- are signed 32-bit numbers. 2.6 relies on this (e.g. band(x, ALL) is
-- negative for x >= 2^31), so privilege checks emulate it exactly.
local bit32s = {}
do
    local TWO32, TWO31 = 4294967296, 2147483648
    local function u32(x)
        return math.floor(x) % TWO32
    end
    local function s32(x)
        if x >= TWO31 then
            return x - TWO32
        end
        return x
    end
    -- op(a, b) decides one result bit from two operand bits (0/1).
    local function bitwise(a, b, op)
        a, b = u32(a), u32(b)
        local r, p = 0, 1
        for _ = 1, 32 do
            local x, y = a % 2, b % 2
            if op(x, y) then
                r = r + p
            end
            a, b, p = (a - x) / 2, (b - y) / 2, p * 2
        end
        return s32(r)
    end
    local function op_and(x, y) return x == 1 and y == 1 end
    local function op_or(x, y) return x == 1 or y == 1 end
    local function op_xor(x, y) return x ~= y end
    local function fold(op)
        return function(a, ...)
            local r = s32(u32(a))
            for i = 1, select('#', ...) do
                r = bitwise(r, (select(i, ...)), op)
            end
            return r
        end
    end
    bit32s.band = fold(op_and)
    bit32s.bor = fold(op_or)
    bit32s.bxor = fold(op_xor)
    bit32s.bnot = function(a)
        return s32(TWO32 - 1 - u32(a))
    end
end
lib.bit = bit32s

--
-- Option checking, as 2.6's check_param / check_param_table /
-- update_param_table. A template value is a Lua type name, a comma
-- separated list of them, or 'any'.
--
local function check_param(param, name, should_be_type)
    if type(param) ~= should_be_type then
        box.error(box.error.ILLEGAL_PARAMS,
                  name .. " should be a " .. should_be_type)
    end
end
lib.check_param = check_param

local function check_param_table(tab, template)
    if tab == nil then
        return
    end
    if type(tab) ~= 'table' then
        box.error(box.error.ILLEGAL_PARAMS, "options should be a table")
    end
    if tab.dont_check then
        return
    end
    for k, v in pairs(tab) do
        local want = template[k]
        if want == nil then
            box.error(box.error.ILLEGAL_PARAMS,
                      "unexpected option '" .. k .. "'")
        elseif want ~= 'any' then
            if string.find(want, ',') == nil then
                if type(v) ~= want then
                    box.error(box.error.ILLEGAL_PARAMS, "options parameter '"
                              .. k .. "' should be of type " .. want)
                end
            else
                local haystack = ',' .. string.gsub(want, ' ', '') .. ','
                if string.find(haystack, ',' .. type(v) .. ',', 1, true) == nil then
                    box.error(box.error.ILLEGAL_PARAMS, "options parameter '"
                              .. k .. "' should be one of types: " .. want)
                end
            end
        end
    end
end
lib.check_param_table = check_param_table

-- Returns a new table: defaults overridden by the given options.
local function update_param_table(tab, defaults)
    local r = {}
    for k, v in pairs(defaults or {}) do
        r[k] = v
    end
    for k, v in pairs(tab or {}) do
        r[k] = v
    end
    return r
end
lib.update_param_table = update_param_table

-- Deletes every _priv row granting something on the object.
local function revoke_object_privs(object_type, object_id)
    local _priv = sysspace(schema.PRIV_ID)
    local rows = sysspace(schema.VPRIV_ID).index.object:select{object_type, object_id}
    for _, t in ipairs(rows) do
        _priv:delete{t[F.priv_grantee], object_type, object_id}
    end
end
lib.revoke_object_privs = revoke_object_privs

local function collation_by_name(name)
    local _coll = sysspace(schema.COLLATION_ID)
    return _coll.index.name:get{name}
end

-- Normalizes a space format as 2.6's update_format: a field is a name
-- string, {name, type}, or a map with name/type/is_nullable/collation...;
-- the type defaults to 'any' and collation names become ids.
local function update_format(format)
    local result = {}
    for i, given in ipairs(format) do
        local field = {}
        if type(given) ~= 'table' then
            field.name = given
        else
            for k, v in pairs(given) do
                if k == 1 then
                    if given.name then
                        if not given.type then
                            field.type = v
                        else
                            field[1] = v
                        end
                    else
                        field.name = v
                    end
                elseif k == 2 and not given.type and not given.name then
                    field.type = v
                elseif k == 'collation' then
                    local coll = collation_by_name(v)
                    if not coll then
                        box.error(box.error.ILLEGAL_PARAMS, "format[" .. i ..
                                  "]: collation was not found by name '" .. v .. "'")
                    end
                    field[k] = coll[F.coll_id]
                else
                    field[k] = v
                end
            end
        end
        if type(field.name) ~= 'string' then
            box.error(box.error.ILLEGAL_PARAMS,
                      "format[" .. i .. "]: name (string) is expected")
        end
        if field.type == nil then
            field.type = 'any'
        elseif type(field.type) ~= 'string' then
            box.error(box.error.ILLEGAL_PARAMS,
                      "format[" .. i .. "]: type must be a string")
        end
        table.insert(result, field)
    end
    return result
end

local function user_or_role_resolve(user)
    local _vuser = sysspace(schema.VUSER_ID)
    local t
    if type(user) == 'string' then
        t = _vuser.index.name:get{user}
    else
        t = _vuser:get{user}
    end
    return t and t[F.user_id]
end
lib.user_or_role_resolve = user_or_role_resolve

--
-- box.schema.space
--
schema.space = schema.space or {}

local space_create_template = {
    if_not_exists = 'boolean', engine = 'string', id = 'number',
    field_count = 'number', user = 'string, number', format = 'table',
    is_local = 'boolean', temporary = 'boolean', is_sync = 'boolean',
}

function schema.space.create(name, options)
    check_param(name, 'name', 'string')
    check_param_table(options, space_create_template)
    options = update_param_table(options,
                                 {engine = 'memtx', field_count = 0, temporary = false})
    local _space = sysspace(schema.SPACE_ID)
    if box.space[name] then
        if options.if_not_exists then
            return box.space[name], "not created"
        end
        box.error(box.error.SPACE_EXISTS, name)
    end
    local id = options.id
    if not id then
        -- _schema['max_id'] holds the last allocated id; it is created
        -- from the largest existing id (at least SYSTEM_ID_MAX) on demand.
        local _schema = sysspace(schema.SCHEMA_ID)
        local max_id = _schema:update({'max_id'}, {{'+', 2, 1}})
        if max_id == nil then
            id = _space.index.primary:max()[F.space_id]
            if id < schema.SYSTEM_ID_MAX then
                id = schema.SYSTEM_ID_MAX
            end
            max_id = _schema:insert{'max_id', id + 1}
        end
        id = max_id[F.schema_value]
    end
    local uid = box.session.euid()
    if options.user then
        uid = user_or_role_resolve(options.user)
        if uid == nil then
            box.error(box.error.NO_SUCH_USER, options.user)
        end
    end
    local format = options.format or {}
    check_param(format, 'format', 'table')
    format = update_format(format)
    local space_options = setmap({
        group_id = options.is_local and 1 or nil,
        temporary = options.temporary and true or nil,
        is_sync = options.is_sync,
    })
    _space:insert{id, uid, name, options.engine, options.field_count,
                  space_options, format}
    return box.space[id], "created"
end
schema.create_space = schema.space.create

function schema.space.format(id, format)
    check_param(id, 'id', 'number')
    if format == nil then
        local t = sysspace(schema.VSPACE_ID):get(id)
        if t == nil then
            box.error(box.error.NO_SUCH_SPACE, '#' .. tostring(id))
        end
        return t[F.space_format]
    end
    check_param(format, 'format', 'table')
    format = update_format(format)
    sysspace(schema.SPACE_ID):update(id, {{'=', F.space_format, format}})
end

-- Deletes rows of the optional system space `id` selected by `key` from
-- index `iname`; `pk` maps a row to its primary key. Spaces Spindle does
-- not have (SQL triggers, constraints) are skipped.
local function delete_dependent(id, iname, key, pk)
    local s = sysspace(id)
    if s == nil or s.index[iname] == nil then
        return
    end
    for _, t in ipairs(s.index[iname]:select(key)) do
        s:delete(pk(t))
    end
end

-- Detaches the sequence of a space (if any) and drops it when it was
-- generated for the space.
local function detach_space_sequence(space_id)
    local _space_sequence = sysspace(schema.SPACE_SEQUENCE_ID)
    if _space_sequence == nil then
        return
    end
    local t = _space_sequence:delete{space_id}
    if t ~= nil and t[F.sseq_is_generated] == true then
        schema.sequence.drop(t[F.sseq_sequence])
    end
end

-- Drop order is 2.6's: sequence link, SQL triggers, foreign keys, check
-- constraints, functional index links, secondary to primary index,
-- privileges on the space, the _truncate row, the _space row.
function schema.space.drop(space_id, space_name, opts)
    check_param(space_id, 'space_id', 'number')
    opts = opts or {}
    check_param_table(opts, {if_exists = 'boolean'})
    detach_space_sequence(space_id)
    delete_dependent(schema.TRIGGER_ID, 'space_id', {space_id},
                     function(t) return {t[1]} end)
    delete_dependent(schema.FK_CONSTRAINT_ID, 'child_id', {space_id},
                     function(t) return {t[1], space_id} end)
    delete_dependent(schema.CK_CONSTRAINT_ID, 'primary', {space_id},
                     function(t) return {space_id, t[2]} end)
    delete_dependent(schema.FUNC_INDEX_ID, 'primary', {space_id},
                     function(t) return {space_id, t[2]} end)
    local _index = sysspace(schema.INDEX_ID)
    local keys = sysspace(schema.VINDEX_ID):select{space_id}
    for i = #keys, 1, -1 do
        _index:delete{keys[i][F.index_space], keys[i][F.index_id]}
    end
    revoke_object_privs('space', space_id)
    sysspace(schema.TRUNCATE_ID):delete{space_id}
    if sysspace(schema.SPACE_ID):delete{space_id} == nil then
        if space_name == nil then
            space_name = '#' .. tostring(space_id)
        end
        if not opts.if_exists then
            box.error(box.error.NO_SUCH_SPACE, space_name)
        end
    end
end

function schema.space.rename(space_id, space_name)
    check_param(space_id, 'space_id', 'number')
    check_param(space_name, 'space_name', 'string')
    sysspace(schema.SPACE_ID):update(space_id, {{'=', F.space_name, space_name}})
end

--
-- Index parts. An index definition's parts come in the 1.6 form
-- {1, 'unsigned', 2, 'string'} or as a list of parts, each a field
-- (number or name) or a table {field, type, is_nullable=, collation=, ...}.
-- _index stores {field0, type} pairs when no part uses options, else maps.
--
local function parts_pairs_error()
    box.error(box.error.ILLEGAL_PARAMS,
              "options.parts: expected field_no (number), type (string) pairs")
end

local function update_index_parts_1_6_0(parts)
    local result = {}
    if #parts % 2 ~= 0 then
        parts_pairs_error()
    end
    for i = 1, #parts, 2 do
        if type(parts[i]) ~= 'number' then
            parts_pairs_error()
        elseif parts[i] == 0 then
            box.error(box.error.ILLEGAL_PARAMS,
                      "invalid index parts: field_no must be one-based")
        end
        if type(parts[i + 1]) ~= 'string' then
            parts_pairs_error()
        end
        table.insert(result, {field = parts[i] - 1, type = parts[i + 1]})
    end
    return result
end

local function format_field_index_by_name(format, name)
    for k, v in pairs(format) do
        if v.name == name then
            return k
        end
    end
    return nil
end

-- Resolves a field number or a JSON path whose first token is a field
-- name or [N] into (0-based field number, relative path or nil).
local function format_field_resolve(format, path, what)
    local idx, relative_path
    if type(path) == 'number' then
        idx = path
    else
        idx = format_field_index_by_name(format, path)
        if idx == nil then
            local token = string.match(path, "^%[(%d+)%]")
            idx = tonumber(token)
            if idx ~= nil then
                relative_path = string.sub(path, string.len(token) + 3)
            end
        end
        if idx == nil then
            local token = string.match(path, '^%["([^%]]+)"%]') or
                          string.match(path, "^%['([^%]]+)'%]")
            idx = format_field_index_by_name(format, token)
            if idx ~= nil then
                relative_path = string.sub(path, string.len(token) + 5)
            end
        end
        if idx == nil then
            local token = string.match(path, "^([^.[]+)")
            idx = format_field_index_by_name(format, token)
            if idx ~= nil then
                relative_path = string.sub(path, string.len(token) + 1)
            end
        end
        if idx == nil then
            box.error(box.error.ILLEGAL_PARAMS, what .. ": " ..
                      "field was not found by name '" .. path .. "'")
        end
    end
    if idx <= 0 then
        box.error(box.error.ILLEGAL_PARAMS, what .. ": " ..
                  "field (number) must be one-based")
    end
    return idx - 1, relative_path
end

-- Returns the normalized parts and whether they can be stored in the
-- short {field, type} form.
local function update_index_parts(format, parts)
    if type(parts) ~= 'table' then
        box.error(box.error.ILLEGAL_PARAMS,
                  "options.parts parameter should be a table")
    end
    if #parts == 0 then
        box.error(box.error.ILLEGAL_PARAMS,
                  "options.parts must have at least one part")
    end
    if type(parts[1]) == 'number' and type(parts[2]) == 'string' then
        return update_index_parts_1_6_0(parts), true
    end
    local simple = true
    local result = {}
    for i = 1, #parts do
        local what = "options.parts[" .. i .. "]"
        local part = {}
        if type(parts[i]) ~= 'table' then
            part.field = parts[i]
        else
            for k, v in pairs(parts[i]) do
                if k == 1 or k == 'field' then
                    part.field = v
                elseif k == 2 or k == 'type' then
                    part.type = v
                elseif k == 'collation' then
                    local coll = collation_by_name(v) or collation_by_name(v:lower())
                    if not coll then
                        box.error(box.error.ILLEGAL_PARAMS, what ..
                                  ": collation was not found by name '" .. v .. "'")
                    end
                    part[k] = coll[F.coll_id]
                    simple = false
                else
                    part[k] = v
                    simple = false
                end
            end
        end
        if type(part.field) == 'number' or type(part.field) == 'string' then
            local idx, path = format_field_resolve(format, part.field, what)
            part.field = idx
            part.path = path or part.path
            simple = simple and part.path == nil
        else
            box.error(box.error.ILLEGAL_PARAMS,
                      what .. ": field (name or number) is expected")
        end
        local fmt = format[part.field + 1]
        if part.type == nil then
            part.type = fmt and fmt.type or 'scalar'
        elseif type(part.type) ~= 'string' then
            box.error(box.error.ILLEGAL_PARAMS,
                      what .. ": type (string) is expected")
        end
        if part.is_nullable == nil then
            if fmt and fmt.is_nullable then
                part.is_nullable = true
                simple = false
            end
        elseif type(part.is_nullable) ~= 'boolean' then
            box.error(box.error.ILLEGAL_PARAMS,
                      what .. ": type (boolean) is expected")
        end
        if part.action == nil and fmt and fmt.action ~= nil then
            part.action = fmt.action
            simple = false
        end
        table.insert(result, part)
    end
    return result, simple
end

local function simplify_index_parts(parts)
    local r = {}
    for i, part in ipairs(parts) do
        r[i] = {part.field, part.type}
    end
    return r
end

local field_type_aliases = {
    num = 'unsigned', uint = 'unsigned', str = 'string', int = 'integer',
    ['*'] = 'any',
}

local function normalize_part_types(parts)
    for _, part in ipairs(parts) do
        local t = part.type:lower()
        part.type = field_type_aliases[t] or t
        if t == 'num' then
            local ok, log = pcall(require, 'log')
            if ok and log then
                log.warn("field type '%s' is deprecated since Tarantool 1.7, " ..
                         "please use '%s' instead", t, part.type)
            end
        end
    end
end

--
-- Sequences attached to a primary key: the create_index/alter `sequence`
-- option (true: a sequence generated for the space, named SPACE_seq; a
-- name or id: an existing sequence; {id =, field =}; false: detach).
--
-- Raises an error if the sequence (its field and path) does not fit the
-- index parts; an omitted field means the first part.
local function space_sequence_check(sequence, parts, space_name, index_name)
    local seq_part
    if sequence.field ~= nil then
        sequence.path = sequence.path or ''
        for _, part in ipairs(parts) do
            if sequence.field == (part.field or part[1]) and
               sequence.path == (part.path or '') then
                seq_part = part
                break
            end
        end
        if seq_part == nil then
            box.error(box.error.MODIFY_INDEX, index_name, space_name,
                      "sequence field must be a part of the index")
        end
    else
        seq_part = parts[1]
        sequence.field = seq_part.field or seq_part[1]
        sequence.path = seq_part.path or ''
    end
    local t = seq_part.type or seq_part[2]
    if t ~= 'integer' and t ~= 'unsigned' then
        box.error(box.error.MODIFY_INDEX, index_name, space_name,
                  "sequence cannot be used with a non-integer key")
    end
end

-- The first stage of a sequence change (space_sequence_alter_prepare):
-- checks the option, creates a generated sequence if needed and detaches
-- the old one before the index is written. Returns the proxy for
-- space_sequence_alter_commit, or nil.
local function space_sequence_alter_prepare(format, parts, options, space_id,
                                            index_id, space_name, index_name)
    local _space_sequence = sysspace(schema.SPACE_SEQUENCE_ID)
    if index_id ~= 0 then
        -- `sequence = false` is ignored for secondary keys.
        if not options.sequence then
            return nil
        end
        box.error(box.error.MODIFY_INDEX, index_name, space_name,
                  "sequence cannot be used with a secondary key")
    end
    local old_sequence
    local t = _space_sequence:get(space_id)
    if t ~= nil then
        old_sequence = {
            id = t[F.sseq_sequence],
            is_generated = t[F.sseq_is_generated],
            field = t[F.sseq_field],
            path = t[F.sseq_path],
        }
    end
    if options.sequence == nil then
        if old_sequence ~= nil and old_sequence.field ~= nil then
            space_sequence_check(old_sequence, parts, space_name, index_name)
        end
        return nil
    end
    local new_sequence
    if type(options.sequence) == 'table' then
        -- Unknown keys are ignored, as in 2.6.
        new_sequence = {id = options.sequence.id, field = options.sequence.field}
    elseif options.sequence == true then
        new_sequence = {}
    elseif options.sequence == false then
        new_sequence = nil
    else
        new_sequence = {id = options.sequence}
    end
    if new_sequence ~= nil then
        if new_sequence.id ~= nil then
            local id = lib.sequence_resolve(new_sequence.id)
            if id == nil then
                box.error(box.error.NO_SUCH_SEQUENCE, new_sequence.id)
            end
            local link = _space_sequence.index.sequence:select(id)[1]
            if link ~= nil and link[F.sseq_is_generated] then
                box.error(box.error.ALTER_SPACE, space_name,
                          "can not attach generated sequence")
            end
            new_sequence.id = id
        end
        if new_sequence.field ~= nil then
            local field, path = format_field_resolve(format, new_sequence.field,
                                                         "sequence field")
            new_sequence.field = field
            new_sequence.path = path
        end
        if old_sequence ~= nil then
            if new_sequence.id == nil and old_sequence.is_generated then
                new_sequence.id = old_sequence.id
                new_sequence.is_generated = true
            end
            if new_sequence.field == nil then
                new_sequence.field = old_sequence.field
                new_sequence.path = old_sequence.path
            end
        end
        space_sequence_check(new_sequence, parts, space_name, index_name)
        if new_sequence.id == nil then
            local seq = schema.sequence.create(space_name .. '_seq')
            new_sequence.id = seq.id
            new_sequence.is_generated = true
        end
        new_sequence.is_generated = new_sequence.is_generated or false
    end
    if old_sequence ~= nil then
        _space_sequence:delete(space_id)
    end
    return {space_id = space_id, new_sequence = new_sequence,
            old_sequence = old_sequence}
end

-- The second stage, after the index is written: attaches the new
-- sequence and drops a generated one that is no longer used.
local function space_sequence_alter_commit(proxy)
    if proxy == nil then
        return
    end
    local new_sequence, old_sequence = proxy.new_sequence, proxy.old_sequence
    if new_sequence ~= nil then
        sysspace(schema.SPACE_SEQUENCE_ID):insert{proxy.space_id, new_sequence.id,
                                                  new_sequence.is_generated,
                                                  new_sequence.field,
                                                  new_sequence.path}
    end
    if old_sequence ~= nil and old_sequence.is_generated and
       (new_sequence == nil or old_sequence.id ~= new_sequence.id) then
        schema.sequence.drop(old_sequence.id)
    end
    internal.sequence.refresh()
end

--
-- box.schema.index
--
schema.index = schema.index or {}

local index_options = {
    unique = 'boolean', dimension = 'number', distance = 'string',
    run_count_per_level = 'number', run_size_ratio = 'number',
    range_size = 'number', page_size = 'number', bloom_fpr = 'number',
    func = 'number, string',
}
local alter_index_template = {
    id = 'number', name = 'string', type = 'string', parts = 'table',
    sequence = 'boolean, number, string, table',
}
for k, v in pairs(index_options) do
    alter_index_template[k] = v
end
local create_index_template = update_param_table({if_not_exists = 'boolean'},
                                                 alter_index_template)

local function func_id_by_name(func_name)
    local t = sysspace(schema.FUNC_ID).index.name:get(func_name)
    if t == nil then
        box.error(box.error.NO_SUCH_FUNCTION, func_name)
    end
    return t[F.func_id]
end

local function index_opts_from(options, into)
    for k in pairs(index_options) do
        if options[k] ~= nil then
            into[k] = options[k]
        end
    end
    if type(into.func) == 'string' then
        into.func = func_id_by_name(into.func)
    end
    return setmap(into)
end

local function link_func_index(space_id, iid, func)
    if func ~= nil then
        sysspace(schema.FUNC_INDEX_ID):insert{space_id, iid, func}
    end
end

function schema.index.create(space_id, name, options)
    check_param(space_id, 'space_id', 'number')
    check_param(name, 'name', 'string')
    check_param_table(options, create_index_template)
    local space = box.space[space_id]
    if not space then
        box.error(box.error.NO_SUCH_SPACE, '#' .. tostring(space_id))
    end
    local format = space:format()
    options = update_param_table(options, {type = 'tree'})
    -- The default key is the first field (rtree/bitset: the second), typed
    -- by the format when the format types it.
    local defaults = ({
        rtree = {parts = {2, 'array'}, unique = false},
        bitset = {parts = {2, 'unsigned'}, unique = false},
    })[options.type] or {parts = {1, 'unsigned'}, unique = true}
    if not options.parts then
        local fieldno = defaults.parts[1]
        if #format >= fieldno and format[fieldno].type ~= 'any' then
            options.parts = {{fieldno, format[fieldno].type}}
        end
    end
    options = update_param_table(options, defaults)
    if space.engine == 'vinyl' then
        options = update_param_table(options, {
            page_size = box.cfg.vinyl_page_size,
            range_size = box.cfg.vinyl_range_size,
            run_count_per_level = box.cfg.vinyl_run_count_per_level,
            run_size_ratio = box.cfg.vinyl_run_size_ratio,
            bloom_fpr = box.cfg.vinyl_bloom_fpr,
        })
    end
    local _vindex = sysspace(schema.VINDEX_ID)
    if _vindex.index.name:get{space_id, name} then
        if options.if_not_exists then
            return space.index[name], "not created"
        end
        box.error(box.error.INDEX_EXISTS, name)
    end
    local iid = 0
    if options.id then
        iid = options.id
    else
        local last = _vindex.index[0]:select({space_id}, {limit = 1, iterator = 'LE'})[1]
        if last and last[F.index_space] == space_id then
            iid = last[F.index_id] + 1
        end
    end
    local parts, simple = update_index_parts(format, options.parts)
    local index_opts = index_opts_from(options, {})
    normalize_part_types(parts)
    if simple then
        parts = simplify_index_parts(parts)
    end
    local proxy = space_sequence_alter_prepare(format, parts, options, space_id,
                                               iid, space.name, name)
    sysspace(schema.INDEX_ID):insert{space_id, iid, name, options.type,
                                     index_opts, parts}
    space_sequence_alter_commit(proxy)
    link_func_index(space_id, iid, index_opts.func)
    return space.index[name]
end

function schema.index.drop(space_id, index_id)
    check_param(space_id, 'space_id', 'number')
    check_param(index_id, 'index_id', 'number')
    if index_id == 0 then
        detach_space_sequence(space_id)
    end
    delete_dependent(schema.FUNC_INDEX_ID, 'primary', {space_id, index_id},
                     function(t) return {t[1], t[2]} end)
    sysspace(schema.INDEX_ID):delete{space_id, index_id}
end

function schema.index.rename(space_id, index_id, name)
    check_param(space_id, 'space_id', 'number')
    check_param(index_id, 'index_id', 'number')
    check_param(name, 'name', 'string')
    sysspace(schema.INDEX_ID):update({space_id, index_id}, {{'=', F.index_name, name}})
end

function schema.index.alter(space_id, index_id, options)
    local space = box.space[space_id]
    if space == nil then
        box.error(box.error.NO_SUCH_SPACE, '#' .. tostring(space_id))
    end
    if space.index[index_id] == nil then
        box.error(box.error.NO_SUCH_INDEX_ID, index_id, space.name)
    end
    if options == nil then
        return
    end
    check_param_table(options, alter_index_template)
    if type(space_id) ~= 'number' then
        space_id = space.id
    end
    if type(index_id) ~= 'number' then
        index_id = space.index[index_id].id
    end
    local format = space:format()
    local _index = sysspace(schema.INDEX_ID)
    if options.id ~= nil then
        -- Changing the id rewrites the key of the _index row, so only the
        -- name and type may change with it.
        local extra = ''
        for k in pairs(options) do
            if k ~= 'id' and k ~= 'name' and k ~= 'type' then
                extra = extra .. ' ' .. k
            end
        end
        if extra ~= '' then
            box.error(box.error.PROC_LUA,
                      "Don't know how to update both id and" .. extra)
        end
        local ops = {}
        if options.id then table.insert(ops, {'=', F.index_id, options.id}) end
        if options.name then table.insert(ops, {'=', F.index_name, options.name}) end
        if options.type then table.insert(ops, {'=', F.index_type, options.type}) end
        _index:update({space_id, index_id}, ops)
        return
    end
    local t = _index:get{space_id, index_id}
    local parts, index_opts = {}, {}
    if type(t[F.index_opts]) == 'number' then
        -- 1.6 row: unique flag, part count, then field/type pairs.
        index_opts.unique = t[5] == 1
        for i = 1, t[6] do
            table.insert(parts, {t[2 * i + 4], t[2 * i + 5]})
        end
    else
        for k, v in pairs(t[F.index_opts]) do
            index_opts[k] = v
        end
        parts = t[F.index_parts]
    end
    if options.name == nil then
        options.name = t[F.index_name]
    end
    if options.type == nil then
        options.type = t[F.index_type]
    end
    index_opts = index_opts_from(options, index_opts)
    if options.parts then
        local simple
        parts, simple = update_index_parts(format, options.parts)
        if simple then
            parts = simplify_index_parts(parts)
        end
    end
    local proxy = space_sequence_alter_prepare(format, parts, options, space_id,
                                               index_id, space.name, options.name)
    _index:replace{space_id, index_id, options.name, options.type,
                   index_opts, parts}
    link_func_index(space_id, index_id, index_opts.func)
    space_sequence_alter_commit(proxy)
end

--
-- box.schema.sequence and box.sequence objects. Go (luabox/sequence.go)
-- owns box.sequence, refreshed from the core's catalog, the value
-- primitives in box.internal.sequence and the _sequence tuples, built
-- there so that int64 bounds stay exact.
--
schema.sequence = schema.sequence or {}
box.sequence = box.sequence or {}

local function sequence_resolve(name_or_id)
    local _vsequence = sysspace(schema.VSEQUENCE_ID)
    if _vsequence == nil then
        return nil
    end
    local t
    if type(name_or_id) == 'string' then
        t = _vsequence.index.name:get{name_or_id}
    elseif name_or_id ~= nil then
        t = _vsequence:get{name_or_id}
    end
    if t == nil then
        return nil
    end
    return t[F.seq_id], t
end
lib.sequence_resolve = sequence_resolve

-- Go registers the method table and the primitives (openSequence).
local sequence_mt = internal.sequence_mt or {}
internal.sequence_mt = sequence_mt

function sequence_mt.next(self)
    return internal.sequence.next(self.id)
end

function sequence_mt.current(self)
    return internal.sequence.current(self.id)
end

function sequence_mt.set(self, value)
    return internal.sequence.set(self.id, value)
end

function sequence_mt.reset(self)
    return internal.sequence.reset(self.id)
end

function sequence_mt.alter(self, opts)
    schema.sequence.alter(self.id, opts)
end

function sequence_mt.drop(self)
    schema.sequence.drop(self.id)
end

schema.sequence.bless = internal.sequence and internal.sequence.bless or
    function(seq) setmetatable(seq, {__index = sequence_mt}) end

local sequence_options = {
    step = 'number', min = 'number', max = 'number', start = 'number',
    cache = 'number', cycle = 'boolean',
}
local create_sequence_options = update_param_table({if_not_exists = 'boolean'},
                                                   sequence_options)
local alter_sequence_options = update_param_table({name = 'string'},
                                                  sequence_options)

function schema.sequence.create(name, opts)
    opts = opts or {}
    check_param(name, 'name', 'string')
    check_param_table(opts, create_sequence_options)
    if sequence_resolve(name) ~= nil then
        if not opts.if_not_exists then
            box.error(box.error.SEQUENCE_EXISTS, name)
        end
        internal.sequence.refresh()
        return box.sequence[name], 'not created'
    end
    -- The id is max + 1, as space:auto_increment gives it in 2.6.
    local _sequence = sysspace(schema.SEQUENCE_ID)
    local last = _sequence.index[0]:max()
    local id = last and last[F.seq_id] + 1 or 1
    _sequence:insert(internal.sequence.create_tuple(id, box.session.euid(),
                                                    name, opts))
    internal.sequence.refresh()
    return box.sequence[name]
end

function schema.sequence.alter(name, opts)
    check_param_table(opts, alter_sequence_options)
    local id, t = sequence_resolve(name)
    if id == nil then
        box.error(box.error.NO_SUCH_SEQUENCE, name)
    end
    if opts == nil then
        return
    end
    sysspace(schema.SEQUENCE_ID):replace(internal.sequence.alter_tuple(t, opts))
    internal.sequence.refresh()
end

function schema.sequence.drop(name, opts)
    opts = opts or {}
    check_param_table(opts, {if_exists = 'boolean'})
    local id = sequence_resolve(name)
    if id == nil then
        if not opts.if_exists then
            box.error(box.error.NO_SUCH_SEQUENCE, name)
        end
        return
    end
    revoke_object_privs('sequence', id)
    sysspace(schema.SEQUENCE_DATA_ID):delete{id}
    sysspace(schema.SEQUENCE_ID):delete{id}
    internal.sequence.refresh()
end
