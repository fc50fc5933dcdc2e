-- The parts of net.box that Tarantool 2.6 writes as plain table work in
-- Lua (src/box/lua/net_box.lua): the schema a connection installs in
-- conn.space, the copy of a reply into a user buffer, and net.box.self.
-- The transport itself is Go (netbox*.go), which loads this chunk once
-- with its helpers and keeps the table it returns. Not listed in ORDER:
-- it is not run at start-up as box's own Lua files are.
local h = ...

local ffi = require('ffi')

local M = {}

-- The field-name table the tuples of a space read names through (the
-- environment of a box.tuple): name -> field number, [0] = the names.
local function new_format(format)
    local names = {}
    local f = {[0] = names}
    if type(format) ~= 'table' then
        return f
    end
    for i, field in ipairs(format) do
        local name = type(field) == 'table' and field.name
        if type(name) == 'string' then
            names[i] = name
            if f[name] == nil then
                f[name] = i
            end
        end
    end
    return f
end

-- _install_schema: conn.space gets one object per row of _vspace, keyed
-- by id and name, with the indexes of _vindex. A space object keeps its
-- identity across reloads (its fields are updated in place), so
-- `local s = conn.space.x` stays usable after DDL. Malformed rows raise,
-- which fails the connection as in 2.6.
function M.install_schema(remote, schema_version, spaces, indices,
                          collations, space_mt, index_mt)
    local sl = {}
    for _, space in pairs(spaces) do
        local name = space[3]
        local id = space[1]
        local engine = space[4]
        local field_count = space[5]
        local format = space[7] or {}
        local s = {}
        if remote.space ~= nil and remote.space[id] ~= nil then
            s = remote.space[id]
        else
            setmetatable(s, space_mt)
        end
        s.id = id
        s.name = name
        s.engine = engine
        s.field_count = field_count
        s.enabled = true
        s.index = {}
        s.temporary = false
        s.is_sync = false
        s._format = format
        s._format_cdata = new_format(format)
        s.connection = remote
        if #space > 5 then
            local opts = space[6]
            if type(opts) == 'table' then
                -- Tarantool >= 1.7.0
                s.temporary = not not opts.temporary
                s.is_sync = not not opts.is_sync
            elseif type(opts) == 'string' then
                -- Tarantool < 1.7.0
                s.temporary = string.match(opts, 'temporary') ~= nil
            end
        end
        sl[id] = s
        sl[name] = s
    end

    for _, index in pairs(indices) do
        local idx = {
            space = index[1],
            id = index[2],
            name = index[3],
            type = string.upper(index[4]),
            parts = {},
        }
        local OPTS = 5
        local PARTS = 6
        if type(index[OPTS]) == 'number' then
            -- The 1.6 layout: unique flag, part count, then field, type
            -- pairs.
            idx.unique = index[OPTS] == 1
            for k = 0, index[PARTS] - 1 do
                local pktype = index[7 + k * 2 + 1]
                local pkfield = index[7 + k * 2]
                idx.parts[k + 1] = {type = pktype, fieldno = pkfield + 1}
            end
        else
            for k = 1, #index[PARTS] do
                local part = index[PARTS][k]
                local pknullable = part.is_nullable or false
                local pkcollationid = part.collation
                local pktype = part[2] or part.type
                local pkfield = part[1] or part.field
                -- A peer with _vcollation gives collation names.
                local pkcollation = nil
                if pkcollationid ~= nil and collations ~= nil then
                    pkcollation = collations[pkcollationid + 1][2]
                end
                local pk = {
                    type = pktype,
                    fieldno = pkfield + 1,
                    is_nullable = pknullable
                }
                if collations == nil then
                    pk.collation_id = pkcollationid
                else
                    pk.collation = pkcollation
                end
                idx.parts[k] = pk
            end
            idx.unique = not not index[OPTS].unique
        end
        if sl[idx.space] ~= nil then
            sl[idx.space].index[idx.id] = idx
            sl[idx.space].index[idx.name] = idx
            idx.space = sl[idx.space]
            setmetatable(idx, index_mt)
        end
    end

    remote.schema_version = schema_version
    remote.space = sl
end

-- Connection trigger lists (remote._on_connect and the like), as 2.6's
-- internal.trigger makes them: list(fn) appends, list(nil, old)
-- removes, list(fn, old) replaces, list() returns a copy, list:run(...)
-- calls each. The errors carry internal.trigger's positions.
local function is_callable(arg)
    if type(arg) == 'function' then
        return true
    elseif type(arg) == 'table' then
        local mt = getmetatable(arg)
        if mt ~= nil and type(mt.__call) == 'function' then
            return true
        end
    end
    return false
end

local trigger_where = 'builtin/internal.trigger.lua:'

local trigger_list_mt = {
    __call = function(self, new_trigger, old_trigger)
        if new_trigger ~= nil and not is_callable(new_trigger) then
            error(string.format("%s23: Usage: %s(callable)", trigger_where, self.name), 0)
        end
        if old_trigger ~= nil and not is_callable(old_trigger) then
            error(trigger_where .. "26: Usage: trigger(new_callable, old_callable)", 0)
        end
        if new_trigger == nil and old_trigger == nil then
            local list = {}
            for i, func in ipairs(self) do list[i] = func end
            return list
        elseif new_trigger ~= nil and old_trigger == nil then
            return table.insert(self, new_trigger)
        elseif new_trigger == nil and old_trigger ~= nil then
            for pos, func in ipairs(self) do
                if old_trigger == func then
                    table.remove(self, pos)
                    return old_trigger
                end
            end
            error(string.format("%s44: %s: trigger is not found", trigger_where, self.name), 0)
        else
            for pos, func in ipairs(self) do
                if old_trigger == func then
                    self[pos] = new_trigger
                    return old_trigger
                end
            end
            error(string.format("%s54: %s: trigger is not found", trigger_where, self.name), 0)
        end
    end,
    __index = {
        run = function(self, ...)
            for _, func in ipairs(self) do
                func(...)
            end
        end,
    }
}

function M.trigger_new(name)
    return setmetatable({name = name}, trigger_list_mt)
end

-- copy appends a reply body to a buffer (an ibuf: buffer:alloc(n) gives
-- the place to write n bytes) and returns its length.
function M.copy(buffer, data)
    local len = #data
    local wpos = buffer:alloc(len)
    ffi.copy(wpos, data, len)
    return len
end

-- net.box.self: the local instance behind the connection interface.
-- call and eval run in the calling fiber; a failure rolls back the
-- fiber's transaction and is raised as ER_PROC_LUA with the error's
-- text, and cdata among the results (tuples, 64-bit integers, box.NULL)
-- go through MessagePack and back, as 2.6 does.
local function handle_eval_result(status, ...)
    if not status then
        h.rollback()
        return box.error(box.error.PROC_LUA, (...))
    end
    local results = {...}
    for i = 1, select('#', ...) do
        if h.is_cdata(results[i]) then
            results[i] = h.through_msgpack(results[i])
        end
    end
    return unpack(results)
end

M.self = {
    ping = function() return true end,
    reload_schema = function() end,
    close = function() end,
    timeout = function(self) return self end,
    wait_connected = function(self) return true end,
    is_connected = function(self) return true end,
    call = function(_box, proc_name, args)
        h.check_remote_arg(_box, 'call')
        h.check_call_args(args)
        args = args or {}
        proc_name = tostring(proc_name)
        local status, proc, obj = pcall(h.loadproc, proc_name)
        if not status then
            h.rollback()
            return error(proc) -- re-throw
        end
        if obj ~= nil then
            return handle_eval_result(pcall(proc, obj, unpack(args)))
        else
            return handle_eval_result(pcall(proc, unpack(args)))
        end
    end,
    eval = function(_box, expr, args)
        h.check_remote_arg(_box, 'eval')
        h.check_eval_args(args)
        args = args or {}
        local proc, errmsg = loadstring(expr)
        if not proc then
            proc, errmsg = loadstring("return "..expr)
        end
        if not proc then
            h.rollback()
            return box.error(box.error.PROC_LUA, errmsg)
        end
        return handle_eval_result(pcall(proc, unpack(args)))
    end
}

setmetatable(M.self, {
    __index = function(self, key)
        if key == 'space' then
            -- proxy self.space to box.space, brought up to date first
            return h.box_space()
        end
        return nil
    end
})

return M
