-- methods.lua: the DDL methods of space and index objects (drop, rename,
-- format, create_index, auto_increment, frommap; index alter, drop,
-- rename) of Tarantool 2.6.0, added to the method tables Go owns. Each
-- delegates to box.schema.space / box.schema.index (schema.lua), which
-- run first.

local schema = box.schema
local internal = box.internal

--
-- Space and index methods. Go owns the method tables; the DDL methods
-- are added here.
--
local space_mt = internal.space_mt_index
local index_mt = internal.index_mt_index
schema.space_mt = schema.space_mt or space_mt
schema.index_mt = schema.index_mt or index_mt
schema.memtx_index_mt = schema.memtx_index_mt or index_mt
schema.vinyl_index_mt = schema.vinyl_index_mt or index_mt

-- These raise plain Lua errors, as 2.6 does, for s.method() misuse.
local function check_space_arg(space, method)
    if type(space) ~= 'table' or space.id == nil then
        error(string.format('Use space:%s(...) instead of space.%s(...)',
                            method, method), 3)
    end
end
internal.check_space_arg = internal.check_space_arg or check_space_arg

local function check_index_arg(index, method)
    if type(index) ~= 'table' or index.id == nil then
        error(string.format('Use index:%s(...) instead of index.%s(...)',
                            method, method), 3)
    end
end
internal.check_index_arg = internal.check_index_arg or check_index_arg

local function check_space_exists(space)
    if box.space[space.id] == nil then
        box.error(box.error.NO_SUCH_SPACE, space.name)
    end
end

local function check_primary_index(space)
    local pk = space.index[0]
    if pk == nil then
        box.error(box.error.NO_SUCH_INDEX_ID, 0, space.name)
    end
    return pk
end
internal.check_primary_index = internal.check_primary_index or check_primary_index

function space_mt.format(space, format)
    check_space_arg(space, 'format')
    return schema.space.format(space.id, format)
end

function space_mt.drop(space)
    check_space_arg(space, 'drop')
    check_space_exists(space)
    return schema.space.drop(space.id, space.name)
end

function space_mt.rename(space, name)
    check_space_arg(space, 'rename')
    check_space_exists(space)
    return schema.space.rename(space.id, name)
end

function space_mt.create_index(space, name, options)
    check_space_arg(space, 'create_index')
    check_space_exists(space)
    return schema.index.create(space.id, name, options)
end

-- Inserts the tuple with primary key max + 1 prepended (the primary key
-- is expected to be a number).
function space_mt.auto_increment(space, tuple)
    check_space_arg(space, 'auto_increment')
    local max_tuple = check_primary_index(space):max()
    local max = 0
    if max_tuple ~= nil then
        max = max_tuple[1]
    end
    table.insert(tuple, 1, max + 1)
    return space:insert(tuple)
end

function index_mt.drop(index)
    check_index_arg(index, 'drop')
    return schema.index.drop(index.space_id, index.id)
end

function index_mt.rename(index, name)
    check_index_arg(index, 'rename')
    return schema.index.rename(index.space_id, index.id, name)
end

function index_mt.alter(index, options)
    check_index_arg(index, 'alter')
    if index.id == nil or index.space_id == nil then
        box.error(box.error.PROC_LUA, "Usage: index:alter{opts}")
    end
    return schema.index.alter(index.space_id, index.id, options)
end

--
-- space:frommap(map[, {table = bool}]): builds a tuple from a map keyed by
-- format field names. Like 2.6 (a C function there) it returns nil and a
-- message instead of raising for unknown fields and format violations.
--
local function is_integer(v)
    return type(v) == 'number' and v == math.floor(v) and v > -math.huge and v < math.huge
end

-- Decimals are decimal_t cdata (the decimal module is loaded at start).
local is_decimal = require('decimal').is_decimal

local function is_array(v)
    if box.tuple.is(v) then
        return true
    end
    if type(v) ~= 'table' then
        return false
    end
    local mt = getmetatable(v)
    local ser = mt and mt.__serialize
    if ser == 'map' or ser == 'mapping' then
        return false
    elseif ser == 'array' or ser == 'seq' or ser == 'sequence' then
        return true
    end
    local n = 0
    for _ in pairs(v) do
        n = n + 1
    end
    return n == #v
end

-- Which Lua values each field type of 2.6 accepts (nil is handled apart).
local field_type_accepts = {
    any = function() return true end,
    unsigned = function(v) return is_integer(v) and v >= 0 end,
    integer = is_integer,
    number = function(v) return type(v) == 'number' or is_decimal(v) end,
    double = function(v) return type(v) == 'number' and not is_integer(v) end,
    string = function(v) return type(v) == 'string' end,
    boolean = function(v) return type(v) == 'boolean' end,
    scalar = function(v)
        local t = type(v)
        return t == 'number' or t == 'string' or t == 'boolean' or t == 'userdata' or is_decimal(v)
    end,
    array = is_array,
    map = function(v) return type(v) == 'table' and not is_array(v) end,
    varbinary = function() return false end,
    uuid = function(v) return type(v) == 'userdata' end,
    decimal = is_decimal,
}

-- The constraints tuple creation enforces per field: the format's type and
-- nullability, narrowed by index key parts (the core guarantees a key part
-- type is at least as strict as the format type of its field).
local function field_constraints(space, format)
    local fields = {}
    for i, f in ipairs(format) do
        fields[i] = {type = f.type, is_nullable = f.is_nullable == true}
    end
    for k, index in pairs(space.index or {}) do
        if type(k) == 'number' then
            for _, part in ipairs(index.parts or {}) do
                local f = fields[part.fieldno]
                if f == nil then
                    f = {type = 'any', is_nullable = true}
                    fields[part.fieldno] = f
                end
                f.type = part.type
                f.is_nullable = f.is_nullable and part.is_nullable == true
            end
        end
    end
    return fields
end

-- Returns an error message when the Lua array `t` (n slots) violates the
-- space format, as tuple creation with that format would report it:
-- field count first, then each present field's type in order, then the
-- first missing required field.
local function format_violation(space, format, t, n)
    local field_count = space.field_count or 0
    if field_count > 0 and n ~= field_count then
        return string.format("Tuple field count %d does not match space field count %d",
                             n, field_count)
    end
    local fields = field_constraints(space, format)
    local maxno = 0
    for i in pairs(fields) do
        maxno = math.max(maxno, i)
    end
    for i = 1, math.min(n, maxno) do
        local f, v = fields[i], t[i]
        if f ~= nil then
            local accepts = field_type_accepts[f.type]
            local ok
            if v == nil or v == box.NULL then
                ok = f.is_nullable or f.type == 'any'
            else
                ok = accepts == nil or accepts(v)
            end
            if not ok then
                return string.format("Tuple field %d type does not match one " ..
                                     "required by operation: expected %s", i, f.type)
            end
        end
    end
    for i = n + 1, maxno do
        local f = fields[i]
        if f ~= nil and not f.is_nullable then
            return string.format("Tuple field %d required by space format is missing", i)
        end
    end
    return nil
end

function space_mt.frommap(...)
    local argc = select('#', ...)
    local space, map, opts = ...
    local usage = "Usage: space:frommap(map, opts)"
    if argc < 2 or argc > 3 or type(map) ~= 'table' then
        error(usage, 0)
    end
    local as_table = false
    if argc == 3 then
        if type(opts) ~= 'table' then
            error(usage, 0)
        end
        if opts.table ~= nil and type(opts.table) ~= 'boolean' then
            error(usage, 0)
        end
        as_table = opts.table == true
    end
    local id = type(space) == 'table' and tonumber(space.id) or 0
    local s = box.space[id]
    if s == nil then
        return nil, string.format("Space with id '%d' doesn't exist", id)
    end
    local format = schema.space.format(id)
    local fieldno = {}
    for i, f in ipairs(format) do
        if fieldno[f.name] == nil then
            fieldno[f.name] = i
        end
    end
    local t, n = {}, 0
    for k, v in pairs(map) do
        local no = fieldno[tostring(k)]
        if no == nil then
            return nil, string.format("Unknown field '%s'", tostring(k))
        end
        t[no] = v
        if no > n then
            n = no
        end
    end
    local err = format_violation(s, format, t, n)
    if err ~= nil then
        return nil, err
    end
    if as_table then
        return t
    end
    for i = 1, n do
        if t[i] == nil then
            t[i] = box.NULL
        end
    end
    return box.tuple.new(t)
end

-- Gives a space object built outside this library the standard methods.
function schema.space.bless(space)
    setmetatable(space, {__index = space_mt})
    if type(space.index) == 'table' then
        for _, index in pairs(space.index) do
            if type(index) == 'table' then
                setmetatable(index, {__index = index_mt})
            end
        end
    end
end
