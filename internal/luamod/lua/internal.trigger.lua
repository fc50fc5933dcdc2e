-- require('internal.trigger') (2.6 builtin/internal.trigger.lua): lists of
-- Lua triggers, as net.box keeps its on_connect, on_disconnect and
-- on_schema_reload ones. trigger.new(name) returns a callable list:
--
--   list(fn)         appends fn (returns nothing)
--   list(nil, old)   removes old and returns it
--   list(fn, old)    puts fn in old's place and returns old
--   list()           returns a copy of the list, in order
--   list:run(...)    calls each trigger with the arguments, in order
--
-- A trigger is a function or a table with a __call function in its
-- metatable. The list is a sequence of them (ipairs walks it) named by
-- list.name; errors are raised on Tarantool's lines (23, 26, 44, 54).

local function callable(v)
    if type(v) == 'function' then return true end
    local mt = type(v) == 'table' and getmetatable(v) or nil
    return mt ~= nil and type(mt.__call) == 'function'
end

local function call(self, new, old)
    if new ~= nil and not callable(new) then
        error(string.format('Usage: %s(callable)', self.name))
    end
    if old ~= nil and not callable(old) then
        error('Usage: trigger(new_callable, old_callable)')
    end
    if new == nil and old == nil then
        local list = {}
        for i, fn in ipairs(self) do
            list[i] = fn
        end
        return list
    elseif old == nil then
        table.insert(self, new)
        return
    elseif new == nil then
        for i, fn in ipairs(self) do
            if fn == old then
                table.remove(self, i)
                return old
            end
        end
        error(string.format('%s: trigger is not found', self.name))
    end
    -- Replacing keeps the position of the trigger replaced, so the order
    -- in which the triggers run stays the same.
    for i, fn in ipairs(self) do
        if fn == old then
            self[i] = new
            return old
        end
    end
    error(string.format('%s: trigger is not found', self.name))
end

local list_mt = {
    __call = call,
    __index = {
        run = function(self, ...)
            for _, fn in ipairs(self) do
                fn(...)
            end
        end,
    },
}

return {
    new = function(name)
        return setmetatable({name = name}, list_mt)
    end,
}
