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

-- box.once.
local calls = 0
local function inc(a, b)
    calls = calls + 1
    return a, b
end
check('first', box.once, 'init', inc, 1, 2)
show('calls', calls)
show('marker', box.space._schema:get{'onceinit'})
check('second', box.once, 'init', inc, 1, 2)
show('calls', calls)
check('other key', box.once, 'other', inc)
show('calls', calls)
check('no args', box.once)
check('key not string', box.once, 1, inc)
check('fn not function', box.once, 'k', 'x')
check('error inside', box.once, 'bad', function() box.error(box.error.PROC_LUA, 'boom') end)
show('marker kept after error', box.space._schema:get{'oncebad'})
check('after error', box.once, 'bad', inc)
show('calls', calls)
box.space._schema:delete{'onceinit'}
check('after marker delete', box.once, 'init', inc, 3)
show('calls', calls)
local markers = {}
for _, t in box.space._schema:pairs() do
    if string.sub(t[1], 1, 4) == 'once' then
        table.insert(markers, t[1])
    end
end
show('markers', markers)
os.exit(0)
