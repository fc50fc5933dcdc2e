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

-- space:frommap.
local s = box.schema.space.create('s', {format = {{'a', 'unsigned'}, {'b', 'string'}, {'c', 'unsigned', is_nullable = true}}})
s:create_index('pk')
check('full', function() return s:frommap({a = 1, b = 'x', c = 3}) end)
check('trailing nullable omitted', function() return s:frommap({a = 1, b = 'x'}) end)
check('is tuple', function() return box.tuple.is(s:frommap({a = 1, b = 'x'})) end)
check('as table', function() return s:frommap({a = 1, b = 'x'}, {table = true}) end)
check('as table type', function()
    local t = s:frommap({a = 1, b = 'x'}, {table = true})
    return type(t), box.tuple.is(t), #t
end)
check('table false', function() return s:frommap({a = 1, b = 'x'}, {table = false}) end)
check('empty opts', function() return s:frommap({a = 1, b = 'x'}, {}) end)
check('hole', function() return s:frommap({a = 1, c = 3}) end)
check('missing first', function() return s:frommap({b = 'x'}) end)
check('wrong type', function() return s:frommap({a = 'x', b = 'y'}) end)
check('wrong type later', function() return s:frommap({a = 1, b = 2}) end)
check('negative unsigned', function() return s:frommap({a = -1, b = 'y'}) end)
check('unknown field', function() return s:frommap({a = 1, b = 'y', d = 1}) end)
check('numeric key', function() return s:frommap({[1] = 1}) end)
check('empty map', function() return s:frommap({}) end)
check('usage no map', function() return s:frommap() end)
check('usage map not table', function() return s:frommap(1) end)
check('usage opts not table', function() return s:frommap({}, 1) end)
check('usage table not bool', function() return s:frommap({}, {table = 1}) end)
check('usage too many', function() return s:frommap({}, {}, {}) end)
check('dropped space', function()
    local d = box.schema.space.create('d', {format = {'x'}})
    d:drop()
    return d:frommap({x = 1})
end)
check('insert result', function() return s:insert(s:frommap({a = 5, b = 'five'})) end)

-- Key parts constrain fields the format leaves open.
local k = box.schema.space.create('k', {format = {'id', 'v'}})
k:create_index('pk', {parts = {1, 'unsigned'}})
check('key type enforced', function() return k:frommap({id = 'x'}) end)
check('key missing', function() return k:frommap({v = 1}) end)
check('free field', function() return k:frommap({id = 1, v = {1, 2}}) end)
check('only key', function() return k:frommap({id = 7}) end)

-- Types.
local t = box.schema.space.create('t', {format = {
    {'i', 'integer'}, {'n', 'number'}, {'s', 'scalar'}, {'b', 'boolean'},
    {'ar', 'array'}, {'m', 'map'}, {'any', 'any'}}})
check('all types', function()
    return t:frommap({i = -5, n = 1.5, s = 'x', b = true, ar = {1, 2}, m = {k = 'v'}, any = 0})
end)
check('integer float', function() return t:frommap({i = 1.5}) end)
check('number string', function() return t:frommap({i = 1, n = 'x'}) end)
check('scalar table', function() return t:frommap({i = 1, n = 1, s = {}}) end)
check('boolean number', function() return t:frommap({i = 1, n = 1, s = 1, b = 1}) end)
check('array map', function() return t:frommap({i = 1, n = 1, s = 1, b = false, ar = {k = 1}}) end)
check('map array', function() return t:frommap({i = 1, n = 1, s = 1, b = false, ar = {}, m = {1, 2}}) end)
check('any missing', function() return t:frommap({i = 1, n = 1, s = 1, b = false, ar = {}, m = {a = 1}}) end)
os.exit(0)
