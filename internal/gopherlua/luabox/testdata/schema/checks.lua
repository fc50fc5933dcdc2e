-- Shared helpers of the schema corpus scripts: deterministic rendering
-- of values and one line per check, so that the output of tarantool 2.6
-- and of spindle can be compared line by line.

-- Deterministic rendering: tuples as arrays, maps with sorted keys.
local function dump(v)
    if v == nil or v == box.NULL then
        return 'nil'
    elseif box.tuple.is(v) then
        return dump(v:totable())
    elseif type(v) == 'number' or (type(v) == 'cdata' and tonumber(v) ~= nil) then
        -- Sequence values are int64: tarantool returns cdata beyond 2^53
        -- and Spindle a rounded double, so the int64 bounds get names.
        v = tonumber(v)
        if v >= 9.2e18 then
            return 'INT64_MAX'
        elseif v <= -9.2e18 then
            return 'INT64_MIN'
        elseif v == math.floor(v) then
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

return {dump = dump, errstr = errstr, check = check, show = show}
