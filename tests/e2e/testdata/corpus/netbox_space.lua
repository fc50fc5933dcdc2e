-- net.box space and index objects: the schema as the connection sees it,
-- every data method, tuples with field names, and their errors.
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
box.schema.user.grant('guest', 'super')
local s = box.schema.space.create('test', {format = {{'id', 'unsigned'}, {'name', 'string'},
                                                    {'v', 'any', is_nullable = true}}})
s:create_index('pk')
s:create_index('name', {parts = {{2, 'string', collation = 'unicode_ci'}}, unique = false})
box.schema.space.create('tmp', {temporary = true})
box.schema.space.create('noformat'):create_index('pk', {type = 'hash', parts = {1, 'string'}})
local nb = require('net.box')
local json = require('json')
local c = nb.connect(box.info.listen)

local function show(ok, ...)
    if not ok then
        local e = ...
        if type(e) == 'string' then print('lua error', e) return end
        print('box error', e.code, e.type, e.message)
        return
    end
    local out = {}
    for i = 1, select('#', ...) do
        local v = select(i, ...)
        if box.tuple.is(v) then
            v = 'tuple ' .. json.encode(v:totable())
        elseif type(v) == 'table' then
            local items = {}
            for _, t in ipairs(v) do
                table.insert(items, box.tuple.is(t) and json.encode(t:totable()) or json.encode(t))
            end
            v = 'table {' .. table.concat(items, ', ') .. '}'
        end
        table.insert(out, tostring(v))
    end
    print('ok', select('#', ...), table.concat(out, ' | '))
end

print('-- schema')
local cs = c.space.test
print(cs.id, cs.name, cs.engine, cs.field_count, cs.enabled, cs.temporary, cs.is_sync)
print(cs.connection == c, c.space[cs.id] == cs, getmetatable(cs), c.space.tmp.temporary)
print(#cs:format(), cs:format()[1].name, cs:format()[3].is_nullable, #c.space.noformat:format())
local pk, nm = cs.index.pk, cs.index.name
print(pk.id, pk.name, pk.type, pk.unique, pk.space == cs, #pk.parts, getmetatable(pk))
print(pk.parts[1].fieldno, pk.parts[1].type, pk.parts[1].is_nullable, pk.parts[1].collation)
print(nm.id, nm.name, nm.type, nm.unique, cs.index[1] == nm, nm.parts[1].fieldno, nm.parts[1].collation)
print(c.space.noformat.index.pk.type, c.space.noformat.index[0].parts[1].type)
print(cs.count, cs.len, cs.pairs, cs.truncate, cs.create_index, pk.pairs, pk.random, pk.len)
show(pcall(cs.format, cs, {}))

print('-- insert / replace')
local t = cs:insert{1, 'a', 10}
print(t, t[1], t.name, t.v, #t, box.tuple.is(t), t:unpack())
show(pcall(cs.replace, cs, {2, 'b'}))
show(pcall(cs.insert, cs, {3, 'c'}, {timeout = 1}))
show(pcall(cs.insert, cs, box.tuple.new{5, 'e'}))
show(pcall(cs.insert, cs, {1, 'x'}))
show(pcall(cs.insert, cs, {'x'}))
show(pcall(cs.insert, cs, 1))
show(pcall(cs.insert, cs, {a = 1}))
show(pcall(cs.insert))
show(pcall(cs.replace, 1))

print('-- select')
show(pcall(cs.select, cs))
show(pcall(cs.select, cs, {}))
show(pcall(cs.select, cs, nil, {limit = 2}))
show(pcall(cs.select, cs, {}, {iterator = 'GE', limit = 2, offset = 1}))
show(pcall(cs.select, cs, 2))
show(pcall(cs.select, cs, {2}, {iterator = 'le'}))
show(pcall(cs.select, cs, {2}, 'LT'))
show(pcall(cs.select, cs, nil, {iterator = box.index.REQ}))
show(pcall(cs.select, cs, 99))
show(pcall(cs.select, cs, {}, {iterator = 'BAD'}))
show(pcall(cs.select, cs, {}, {iterator = true}))
show(pcall(cs.select, cs, {}, {iterator = 100}))
show(pcall(cs.select, cs, 'x'))
show(pcall(cs.select, cs, {}, {timeout = 1}))
show(pcall(nm.select, nm, 'C'))
show(pcall(nm.select))
show(pcall(cs.select, 1))

print('-- get / min / max / count')
show(pcall(cs.get, cs, 1))
show(pcall(cs.get, cs, {2}))
show(pcall(cs.get, cs, 99))
show(pcall(nm.get, nm, 'A'))
cs:insert{4, 'c'}
show(pcall(nm.get, nm, 'c'))
show(pcall(cs.get, cs, {}))
show(pcall(pk.min, pk))
show(pcall(pk.max, pk))
show(pcall(pk.min, pk, 3))
show(pcall(pk.max, pk, 3))
show(pcall(nm.max, nm, 'zz'))
show(pcall(pk.count, pk))
show(pcall(nm.count, nm, 'c'))
show(pcall(pk.count, pk, 2, {iterator = 'GE'}))
show(pcall(pk.count, pk, 'x'))

print('-- update / upsert / delete')
show(pcall(cs.update, cs, 1, {{'+', 3, 5}}))
show(pcall(cs.update, cs, {1}, {{'=', 'v', 'named'}}))
show(pcall(cs.update, cs, 99, {{'+', 3, 5}}))
show(pcall(cs.update, cs, 1, {{'+', 2, 5}}))
show(pcall(cs.update, cs, 1, 'x'))
show(pcall(pk.update, pk, 4, {{'=', 3, 7}}))
show(pcall(nm.update, nm, 'c', {{'=', 3, 1}}))
show(pcall(cs.upsert, cs, {1, 'a', 0}, {{'=', 3, 1}}))
show(pcall(cs.upsert, cs, {6, 'f', 0}, {{'+', 3, 1}}))
show(pcall(cs.upsert, cs, {6, 'f', 0}, {{'+', 3, 1}}, {timeout = 1}))
show(pcall(cs.get, cs, 6))
show(pcall(cs.upsert, cs, {7}, {{'+', 3, 1}}))
show(pcall(cs.delete, cs, 2))
show(pcall(cs.delete, cs, 2))
show(pcall(pk.delete, pk, {4}))
show(pcall(nm.delete, nm, 'c'))
show(pcall(cs.select, cs))

print('-- noformat space')
local nf = c.space.noformat
show(pcall(nf.insert, nf, {'k', 1, 2}))
print(nf:get('k')[2], nf:get('k').name)
show(pcall(nf.select, nf, 'k', {iterator = 'GT'}))
show(pcall(nf.delete, nf, 'k'))

print('-- spaces by id and after DDL')
print(c.space[512] == cs, c.space.tmp.id, c.space.missing)
box.space.test:format({{'id', 'unsigned'}, {'label', 'string'}})
c:reload_schema()
print(cs:get(1).label, cs:get(1).name, c.space.test == cs)
box.schema.space.create('later'):create_index('pk')
print(c.space.later, c:ping(), c.space.later and c.space.later.id)
box.space.later:drop()
c:ping()
print(c.space.later)
local nopk = box.schema.space.create('nopk')
c:ping()
show(pcall(c.space.nopk.select, c.space.nopk))
show(pcall(c.space.nopk.get, c.space.nopk, 1))
print(json.encode(c.space.nopk.index))
os.exit()
