-- Helpers of the net.box differential scripts: add(...) appends a line
-- of its arguments' forms that tarantool and Spindle's runtime print
-- alike (tables by sorted keys; tuples and error objects by kind, since
-- their Lua types differ by design); out() returns the lines.
local r = {}

local function kind(v)
    if box.tuple.is(v) then return 'tuple' end
    local t = type(v)
    if t == 'cdata' or t == 'userdata' then
        local ok, m = pcall(function() return v.message end)
        if ok and type(m) == 'string' then return 'error' end
    end
    return t
end

local function str(v, depth)
    depth = depth or 0
    local k = kind(v)
    if k == 'table' and depth < 4 then
        local keys = {}
        for key in pairs(v) do table.insert(keys, key) end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local parts = {}
        for _, key in ipairs(keys) do
            table.insert(parts, tostring(key) .. '=' .. str(v[key], depth + 1))
        end
        return '{' .. table.concat(parts, ',') .. '}'
    elseif k == 'error' then
        return 'error(' .. tostring(v.type) .. ',' .. tostring(v.code) .. ',' .. v.message .. ')'
    elseif k == 'string' then
        return string.format('%q', v)
    end
    return k .. ':' .. tostring(v)
end

local function add(...)
    local t = {}
    for i = 1, select('#', ...) do t[i] = str((select(i, ...))) end
    table.insert(r, select('#', ...) .. ' ' .. table.concat(t, ' '))
end


return {add = add, str = str, kind = kind, out = function() return table.concat(r, '\n') end}
