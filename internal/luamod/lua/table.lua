-- Tarantool's table extensions (2.6 builtin/table.lua): table.copy and
-- table.deepcopy. A table whose metatable has __copy is copied by calling
-- it; other tables are copied key by key and keep their metatable (which
-- itself is shared, not copied). Values of other types are returned as
-- they are.

-- copy_hook returns the __copy metamethod of t's metatable, if any, and
-- the metatable.
local function copy_hook(t)
    local mt = getmetatable(t)
    if mt == nil then
        return nil, nil
    end
    return mt.__copy, mt
end

local function copy(orig)
    if type(orig) ~= 'table' then
        return orig
    end
    local hook, mt = copy_hook(orig)
    if hook ~= nil then
        return hook(orig)
    end
    local res = {}
    for k, v in pairs(orig) do
        res[k] = v
    end
    if mt ~= nil then
        setmetatable(res, mt)
    end
    return res
end

-- deep copies keys as well as values; seen maps each table already being
-- copied to its copy, so cycles and shared subtables keep their shape.
local function deep(orig, seen)
    if type(orig) ~= 'table' then
        return orig
    end
    local hook, mt = copy_hook(orig)
    if hook ~= nil then
        return hook(orig)
    end
    local res = seen[orig]
    if res ~= nil then
        return res
    end
    res = {}
    seen[orig] = res
    for k, v in pairs(orig) do
        res[deep(k, seen)] = deep(v, seen)
    end
    if mt ~= nil then
        setmetatable(res, mt)
    end
    return res
end

local function deepcopy(orig)
    return deep(orig, {})
end

table.copy = copy
table.deepcopy = deepcopy
