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

-- space:create_index and the index DDL methods.
local function irow(space, name)
    return box.space._index.index.name:get{space.id, name}
end
local function icreate(label, space, name, opts)
    check(label, function()
        local i = space:create_index(name, opts)
        return i.id, i.name, i.type, i.unique
    end)
    show(label .. ' row', irow(space, name))
end

local s = box.schema.space.create('s')
icreate('default pk', s, 'pk')
icreate('pairs form', s, 'i1', {parts = {2, 'string', 3, 'unsigned'}})
icreate('table parts', s, 'i2', {parts = {{2, 'string'}, {4, 'integer', is_nullable = true}}})
icreate('field key', s, 'i3', {parts = {{field = 5, type = 'number'}}})
icreate('no type', s, 'i4', {parts = {{6}}})
icreate('bare numbers', s, 'i5', {parts = {7, 8}, unique = false})
icreate('hash upper', s, 'i6', {type = 'HASH', parts = {1, 'unsigned'}})
icreate('hash lower', s, 'i7', {type = 'hash', parts = {{1, 'unsigned'}}})
icreate('tree mixed case', s, 'i8', {type = 'Tree', parts = {9, 'str'}})
icreate('aliases', s, 'i9', {parts = {10, 'uint', 11, 'int', 12, 'NUM', 13, 'STRING'}})
icreate('collation', s, 'i10', {parts = {{14, 'string', collation = 'unicode_ci'}}})
icreate('collation upper', s, 'i11', {parts = {{14, 'string', collation = 'UNICODE'}}})
icreate('explicit id', s, 'i12', {id = 40, parts = {15, 'unsigned'}})
icreate('after explicit id', s, 'i13', {parts = {16, 'unsigned'}})
icreate('is_nullable false', s, 'i14', {parts = {{17, 'unsigned', is_nullable = false}}})
icreate('not unique', s, 'i15', {parts = {18, 'scalar'}, unique = false})

-- Errors.
check('exists', function() return s:create_index('pk') end)
check('exists if_not_exists', function()
    local i, status = s:create_index('pk', {if_not_exists = true})
    return i.id, status
end)
check('options not table', function() return s:create_index('x', 'tree') end)
check('unexpected option', function() return s:create_index('x', {foo = 1}) end)
check('unique wrong type', function() return s:create_index('x', {unique = 1}) end)
check('type wrong type', function() return s:create_index('x', {type = 1}) end)
check('func wrong type', function() return s:create_index('x', {func = true}) end)
check('name not string', function() return s:create_index(5) end)
check('parts not table', function() return s:create_index('x', {parts = 'a'}) end)
check('parts empty', function() return s:create_index('x', {parts = {}}) end)
check('pairs odd', function() return s:create_index('x', {parts = {1, 'unsigned', 2}}) end)
check('pairs bad field', function() return s:create_index('x', {parts = {1, 'unsigned', 'a', 'string'}}) end)
check('pairs zero field', function() return s:create_index('x', {parts = {0, 'unsigned'}}) end)
check('pairs bad type', function() return s:create_index('x', {parts = {1, 'unsigned', 2, 3}}) end)
check('part zero field', function() return s:create_index('x', {parts = {{0, 'unsigned'}}}) end)
check('part negative field', function() return s:create_index('x', {parts = {{-1, 'unsigned'}}}) end)
check('part no field', function() return s:create_index('x', {parts = {{type = 'unsigned'}}}) end)
check('part bool field', function() return s:create_index('x', {parts = {true}}) end)
check('part unknown name', function() return s:create_index('x', {parts = {'nope'}}) end)
check('part type not string', function() return s:create_index('x', {parts = {{1, 5}}}) end)
check('part nullable not bool', function() return s:create_index('x', {parts = {{1, 'unsigned', is_nullable = 1}}}) end)
check('part bad collation', function() return s:create_index('x', {parts = {{2, 'string', collation = 'nope'}}}) end)
check('part unknown type', function() return s:create_index('x', {parts = {{2, 'nope'}}}) end)
check('part unknown key', function() return s:create_index('x', {parts = {{2, 'string', foo = 1}}}) end)
check('bad index type', function() return s:create_index('x', {type = 'nope', parts = {2, 'string'}}) end)
check('hash not unique', function() return s:create_index('x', {type = 'hash', unique = false, parts = {2, 'string'}}) end)
check('secondary sequence', function() return s:create_index('x', {parts = {2, 'unsigned'}, sequence = true}) end)
check('secondary sequence false', function()
    return s:create_index('seqf', {parts = {2, 'string'}, sequence = false}).id
end)
check('misuse', function() return s.create_index('x') end)
check('schema.index.create bad space', box.schema.index.create, 'x', 'y')
check('schema.index.create missing space', box.schema.index.create, 9999, 'y')
check('schema.index.create bad name', box.schema.index.create, s.id, nil)

-- Default parts come from the format.
local f = box.schema.space.create('f', {format = {{'name', 'string'}, {'age', 'unsigned'}, {'note', 'string', is_nullable = true}, 'free'}})
icreate('fmt default pk', f, 'pk')
icreate('fmt by name', f, 'byage', {parts = {'age'}})
icreate('fmt by name table', f, 'byage2', {parts = {{'age'}}})
icreate('fmt by name field', f, 'byage3', {parts = {{field = 'age', type = 'integer'}}})
icreate('fmt nullable inherited', f, 'bynote', {parts = {'note'}})
icreate('fmt any field', f, 'byfree', {parts = {4}})
icreate('fmt multi names', f, 'multi', {parts = {'age', 'name'}, unique = false})
icreate('fmt pairs form', f, 'pairsf', {parts = {2, 'unsigned'}})
check('fmt type conflict', function() return f:create_index('bad', {parts = {{'age', 'string'}}}) end)
local g = box.schema.space.create('g', {format = {'a', {'b', 'string'}}})
icreate('any first field default', g, 'pk')
icreate('bracket path', g, 'br', {parts = {{'[2]', 'string'}}})
icreate('quoted path', g, 'qp', {parts = {{'["b"]', 'string'}}})

-- iid allocation takes max + 1.
local h = box.schema.space.create('h')
h:create_index('pk')
h:create_index('a', {parts = {2, 'unsigned'}})
h:create_index('b', {parts = {3, 'unsigned'}})
h.index.a:drop()
icreate('after drop', h, 'c', {parts = {4, 'unsigned'}})
show('h indexes', box.space._index:select{h.id})

-- alter, rename, drop.
h:insert{1, 2, 3, 4}
check('alter parts', function() return h.index.c:alter({parts = {{5, 'unsigned', is_nullable = true}}}) end)
show('alter parts row', irow(h, 'c'))
check('alter unique', function() return h.index.c:alter({unique = false}) end)
show('alter unique row', irow(h, 'c'))
check('alter name type', function() return h.index.c:alter({name = 'cc', type = 'tree'}) end)
show('alter name row', irow(h, 'cc'))
check('alter nil', function() return h.index.cc:alter() end)
check('alter unexpected', function() return h.index.cc:alter({foo = 1}) end)
check('alter id and parts', function() return h.index.cc:alter({id = 7, parts = {2, 'unsigned'}}) end)
check('alter id', function() return h.index.cc:alter({id = 7, name = 'seven'}) end)
show('alter id rows', box.space._index:select{h.id})
check('alter pk type hash', function() return h.index.pk:alter({type = 'hash'}) end)
show('alter pk row', irow(h, 'pk'))
check('alter pk dup', function()
    h:insert{2, 2, 6}
    return h.index.pk:alter({parts = {2, 'unsigned'}})
end)
check('alter missing space', box.schema.index.alter, 9999, 0, {})
check('alter missing index', box.schema.index.alter, h.id, 99, {})
check('alter misuse', function() return h.index.pk.alter() end)
check('rename', function() return h.index.b:rename('bb') end)
show('renamed', {h.index.b == nil, h.index.bb.id})
check('rename bad name', function() return h.index.bb:rename(1) end)
check('rename dup', function() return h.index.bb:rename('pk') end)
check('schema.index.rename bad', box.schema.index.rename, h.id, 'x', 'y')
check('drop pk with secondaries', function() return h.index.pk:drop() end)
check('drop secondary', function() return h.index.bb:drop() end)
check('drop secondary 2', function() return h.index.cc:drop() end)
check('drop pk', function() return h.index.pk:drop() end)
show('h indexes after drop', box.space._index:select{h.id})
check('schema.index.drop bad', box.schema.index.drop, h.id, 'x')
check('schema.index.drop bad space', box.schema.index.drop, 'x', 0)
check('schema.index.drop missing', box.schema.index.drop, h.id, 5)
check('schema.index.create fn', function() return box.schema.index.create(h.id, 'viafn').id end)
check('schema.index.rename fn', box.schema.index.rename, h.id, 0, 'renamed')
check('schema.index.alter fn', box.schema.index.alter, h.id, 0, {parts = {{1, 'integer'}}})
show('fn rows', box.space._index:select{h.id})
check('schema.index.drop fn', box.schema.index.drop, h.id, 0)

-- auto_increment.
local a = box.schema.space.create('a')
check('auto_increment no pk', function() return a:auto_increment{'x'} end)
a:create_index('pk')
check('auto_increment empty', function() return a:auto_increment{'x'} end)
check('auto_increment next', function() return a:auto_increment{'y', 2} end)
a:insert{10, 'z'}
check('auto_increment after 10', function() return a:auto_increment{} end)
check('auto_increment misuse', function() return a.auto_increment({}) end)
os.exit(0)
