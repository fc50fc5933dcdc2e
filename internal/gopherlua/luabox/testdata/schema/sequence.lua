local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}


-- A sequence object as its fields (the methods live in the metatable).
local function seqobj(s)
    if s == nil then
        return nil
    end
    return {id = s.id, uid = s.uid, name = s.name, step = s.step, min = s.min,
            max = s.max, start = s.start, cache = s.cache, cycle = s.cycle}
end
local function seqrow(name)
    return box.space._sequence.index.name:get{name}
end
local function data(s)
    return box.space._sequence_data:get{s.id}
end
local function cur(s)
    local ok, v = pcall(s.current, s)
    if ok then
        return v
    end
    return 'not started'
end

-- box.schema.sequence.create: defaults and options.
local s1 = box.schema.sequence.create('s1')
show('s1 object', seqobj(s1))
show('s1 row', seqrow('s1'))
show('s1 by id', box.sequence[s1.id] == s1 and box.sequence.s1 == s1)
local desc = box.schema.sequence.create('desc', {step = -2})
show('desc row', seqrow('desc'))
local o = box.schema.sequence.create('opts', {step = 3, min = -10, max = 100,
                                              start = 5, cache = 7, cycle = true})
show('opts row', seqrow('opts'))
show('start from min', seqrow(box.schema.sequence.create('m', {min = 50}).name))
show('start from max', seqrow(box.schema.sequence.create('md', {step = -1, max = -50}).name))
check('desc min given', function() return seqobj(box.schema.sequence.create('dm', {step = -1, min = -5})) end)
check('exists', box.schema.sequence.create, 's1')
check('exists if_not_exists', function()
    local s, status = box.schema.sequence.create('s1', {if_not_exists = true})
    return s == s1, status
end)
check('name not string', box.schema.sequence.create, 5)
check('opts not table', box.schema.sequence.create, 'x', 5)
check('unexpected option', box.schema.sequence.create, 'x', {foo = 1})
check('step wrong type', box.schema.sequence.create, 'x', {step = '1'})
check('cycle wrong type', box.schema.sequence.create, 'x', {cycle = 1})
check('step zero', box.schema.sequence.create, 'x', {step = 0})
check('min above max', box.schema.sequence.create, 'x', {min = 10, max = 5})
check('start below min', box.schema.sequence.create, 'x', {min = 10, start = 5})
check('start above max', box.schema.sequence.create, 'x', {max = 10, start = 50})
check('desc start above max', box.schema.sequence.create, 'x', {step = -1, max = -5, start = 0})
check('fractional step', box.schema.sequence.create, 'x', {step = 1.5})
check('huge max', box.schema.sequence.create, 'x', {max = 2^63})
check('bad name', box.schema.sequence.create, '')
show('x not created', box.sequence.x)

-- next, current, set, reset.
check('current before next', s1.current, s1)
check('next 1', s1.next, s1)
check('next 2', s1.next, s1)
check('current', s1.current, s1)
show('data after next', data(s1))
check('set', s1.set, s1, 100)
show('data after set', data(s1))
check('next after set', s1.next, s1)
check('set string', s1.set, s1, 'a')
check('set beyond max', s1.set, s1, -1000)
check('next below min', s1.next, s1)
check('reset', s1.reset, s1)
show('data after reset', data(s1))
check('current after reset', s1.current, s1)
check('next after reset', s1.next, s1)
check('desc next', function() return desc:next(), desc:next(), desc:next() end)
check('opts next', function()
    local r = {}
    for i = 1, 40 do
        r[i] = o:next()
    end
    return r
end)
local small = box.schema.sequence.create('small', {min = 1, max = 3})
check('overflow', function() return small:next(), small:next(), small:next(), small:next() end)
check('after overflow', small.current, small)
local cyc = box.schema.sequence.create('cyc', {min = -1, max = 1, cycle = true})
check('cycle', function() return cyc:next(), cyc:next(), cyc:next(), cyc:next(), cyc:next() end)
local dcyc = box.schema.sequence.create('dcyc', {step = -1, min = 1, max = 2, cycle = true})
check('desc cycle', function() return dcyc:next(), dcyc:next(), dcyc:next() end)
local big = box.schema.sequence.create('big', {step = 2^62, min = 0})
check('int64 overflow', function() return big:next(), big:next(), big:next() end)
check('int64 overflow current', big.current, big)
local bigc = box.schema.sequence.create('bigc', {step = 2^62, min = -2^62, cycle = true})
check('int64 cycle', function() return bigc:next(), bigc:next(), bigc:next(), bigc:next() end)
local bigd = box.schema.sequence.create('bigd', {step = -2^62, max = 0})
check('int64 neg overflow', function() return bigd:next(), bigd:next(), bigd:next(), bigd:next() end)
check('step beyond range', function()
    local s = box.schema.sequence.create('br', {step = 5, max = 12})
    local r = {s:next(), s:next(), s:next()}
    local ok, err = pcall(s.next, s)
    return r, ok, tostring(err)
end)

-- alter.
local a = box.schema.sequence.create('a')
a:next()
check('alter step', box.schema.sequence.alter, 'a', {step = 10})
show('a after alter', seqobj(a))
check('next after alter', a.next, a)
check('alter name', function() a:alter{name = 'a2'} return box.sequence.a, box.sequence.a2 == a, a.name end)
show('a2 row', seqrow('a2'))
check('alter bad bounds', box.schema.sequence.alter, 'a2', {min = 100, max = 10})
check('alter start', box.schema.sequence.alter, 'a2', {start = 0})
check('alter missing', box.schema.sequence.alter, 'nope', {step = 2})
check('alter unexpected', box.schema.sequence.alter, 'a2', {foo = 1})
check('alter nil opts', box.schema.sequence.alter, 'a2')
check('alter dup name', box.schema.sequence.alter, 'a2', {name = 's1'})
check('alter max then next', function()
    a:alter{max = 25, cycle = false}
    return a:current(), pcall(a.next, a)
end)
check('alter min above current', function()
    a:set(5)
    a:alter{min = 20, start = 20}
    return a:next()
end)

-- drop.
local d = box.schema.sequence.create('d')
d:next()
check('raw delete with data', function() return box.space._sequence:delete{d.id} end)
box.schema.user.create('su1')
box.schema.user.grant('su1', 'read', 'sequence', 'd')
box.space._sequence_data:delete{d.id}
check('raw delete with grants', function() return box.space._sequence:delete{d.id} end)
check('drop', box.schema.sequence.drop, 'd')
show('d gone', {box.sequence.d, seqrow('d'), box.sequence[d.id]})
check('drop missing', box.schema.sequence.drop, 'd')
check('drop missing if_exists', box.schema.sequence.drop, 'd', {if_exists = true})
check('drop by id', function() return box.schema.sequence.drop(box.schema.sequence.create('did').id) end)
check('drop method', function() local s = box.schema.sequence.create('dm2') s:drop() return box.sequence.dm2 end)
check('next dropped', d.next, d)
check('data for missing', function() return box.space._sequence_data:insert{9999, 1} end)

-- Transactions: values handed out stay taken; a rolled back reset or
-- drop gives the value back.
local tx = box.schema.sequence.create('tx')
tx:next()
box.begin() tx:next() tx:next() box.rollback()
show('next rolled back', {cur(tx), data(tx)})
check('next after rollback', tx.next, tx)
box.begin() tx:reset() box.rollback()
show('reset rolled back', {cur(tx), data(tx)})
box.begin() tx:set(50) box.rollback()
show('set rolled back', {cur(tx), data(tx)})
box.begin() tx:drop() box.rollback()
show('drop rolled back', {box.sequence.tx == tx, cur(tx), data(tx)})
box.begin() box.schema.sequence.create('txc'):next() show('created in txn', box.sequence.txc ~= nil) box.rollback()
show('create rolled back', {box.sequence.txc, seqrow('txc')})
box.begin() tx:alter{step = 7} box.rollback()
show('alter rolled back', tx.step)
box.begin() tx:next() box.commit()
show('next committed', {cur(tx), data(tx)})

-- Sequences on primary keys.
local t = box.schema.space.create('t')
check('create_index sequence true', function()
    local i = t:create_index('pk', {sequence = true})
    return i.sequence_id, i.sequence_fieldno, i.sequence_path
end)
local tseq = box.sequence.t_seq
show('t_seq', seqobj(tseq))
show('t link', box.space._space_sequence:get{t.id})
check('insert nil', t.insert, t, {box.NULL, 'a'})
check('insert hole', t.insert, t, {nil, 'b'})
check('insert explicit bigger', t.insert, t, {10, 'c'})
check('insert after explicit', t.insert, t, {box.NULL, 'd'})
check('insert explicit smaller', t.insert, t, {5, 'e'})
check('insert after smaller', t.insert, t, {box.NULL, 'f'})
check('replace nil', t.replace, t, {box.NULL, 'g'})
check('insert empty', t.insert, t, {})
check('insert dup', t.insert, t, {13, 'dup'})
check('insert string key', t.insert, t, {'x'})
check('insert negative', t.insert, t, {-5})
check('put nil', t.put, t, {box.NULL, 'h'})
check('auto_increment', t.auto_increment, t, {'i'})
show('t_seq current', cur(tseq))
show('t_seq data', data(tseq))
check('upsert leaves sequence', function() t:upsert({100, 'u'}, {{'=', 2, 'u'}}) return tseq:current() end)
box.begin() t:insert{box.NULL, 'rb'} box.rollback()
show('insert rolled back', cur(tseq))
check('select', t.select, t)
check('tseq next', tseq.next, tseq)
check('insert after next', t.insert, t, {box.NULL})
check('drop generated in use', box.schema.sequence.drop, 't_seq')
check('attach generated elsewhere', function()
    local t2 = box.schema.space.create('t2')
    return t2:create_index('pk', {sequence = 't_seq'})
end)
check('drop pk with sequence', function() return box.space._index:delete{t.id, 0} end)
check('alter pk to string', t.index.pk.alter, t.index.pk, {parts = {1, 'string'}})
check('raw alter pk to string', function()
    return box.space._index:update({t.id, 0}, {{'=', 6, {{0, 'string'}}}})
end)
check('space_sequence update', function()
    return box.space._space_sequence:replace{t.id, tseq.id, true, 0, ''}
end)
check('index alter sequence false', function()
    t.index.pk:alter{sequence = false}
    return box.space._space_sequence:get{t.id}, box.sequence.t_seq, t.index.pk.sequence_id
end)
check('insert nil without sequence', t.insert, t, {box.NULL})
local named = box.schema.sequence.create('named', {start = 1000})
check('index alter sequence name', function()
    t.index.pk:alter{sequence = 'named'}
    return box.space._space_sequence:get{t.id}, t.index.pk.sequence_id == named.id
end)
check('insert named', t.insert, t, {box.NULL, 'n'})
check('index alter sequence true', function()
    t.index.pk:alter{sequence = true}
    return box.space._space_sequence:get{t.id}, box.sequence.named ~= nil
end)
check('insert generated again', t.insert, t, {box.NULL, 'g2'})
check('drop pk index', function()
    t.index.pk:drop()
    return box.space._space_sequence:get{t.id}, box.sequence.t_seq
end)

local f = box.schema.space.create('f', {format = {{'a', 'string'}, {'b', 'unsigned'}, {'c', 'integer'}}})
check('sequence field by name', function()
    local i = f:create_index('pk', {parts = {{'a'}, {'b'}}, sequence = {field = 'b'}})
    return i.sequence_id, i.sequence_fieldno, box.space._space_sequence:get{f.id}
end)
check('insert field b nil', f.insert, f, {'x', box.NULL, 1})
check('insert field b nil again', f.insert, f, {'x', box.NULL, 2})
check('insert short tuple', f.insert, f, {'y'})
check('pk alter drops field', f.index.pk.alter, f.index.pk, {parts = {{'a'}, {'c'}}})
check('pk alter keeps field', function()
    f.index.pk:alter{parts = {{'b'}, {'a'}}}
    return box.space._space_sequence:get{f.id}
end)
check('field not in index', function()
    local g = box.schema.space.create('g', {format = {{'a', 'unsigned'}, {'b', 'unsigned'}}})
    return g:create_index('pk', {sequence = {field = 'b'}})
end)
check('string key', function()
    local g = box.schema.space.create('g2')
    return g:create_index('pk', {parts = {1, 'string'}, sequence = true})
end)
check('missing sequence', function()
    local g = box.schema.space.create('g3')
    return g:create_index('pk', {sequence = 'nope'})
end)
check('sequence by id and table', function()
    local g = box.schema.space.create('g4')
    local s = box.schema.sequence.create('g4s')
    g:create_index('pk', {sequence = {id = s.id}})
    return box.space._space_sequence:get{g.id}
end)
check('drop space with generated', function()
    local g = box.schema.space.create('g5')
    g:create_index('pk', {sequence = true})
    local id = box.sequence.g5_seq.id
    g:drop()
    return box.sequence.g5_seq, box.sequence[id], box.space._space_sequence:get{g.id}
end)
check('drop space keeps attached', function()
    local g = box.space.g4
    g:drop()
    return box.sequence.g4s ~= nil
end)
check('field option unknown name', function()
    local g = box.schema.space.create('g6')
    return g:create_index('pk', {sequence = {field = 'zz'}})
end)
check('raw space_sequence bad space', function()
    return box.space._space_sequence:insert{9999, s1.id, false, 0, ''}
end)
check('raw space_sequence bad seq', function()
    return box.space._space_sequence:insert{t.id, 9999, false, 0, ''}
end)
check('desc sequence on integer key', function()
    local g = box.schema.space.create('g7')
    g:create_index('pk', {parts = {1, 'integer'}, sequence = 'desc'})
    return g:insert{box.NULL}, g:insert{box.NULL}, g:insert{-100}, g:insert{box.NULL}, g:insert{7}
end)

-- Privileges.
box.schema.user.create('u1')
local ps = box.schema.space.create('ps')
ps:create_index('pk', {sequence = 'opts'})
box.schema.user.grant('u1', 'read,write', 'space', 'ps')
local function as_u1(label, f, ...)
    local args = {...}
    check(label, function() return box.session.su('u1', f, unpack(args)) end)
end
as_u1('u1 next', s1.next, s1)
as_u1('u1 current', s1.current, s1)
as_u1('u1 insert attached', ps.insert, ps, {box.NULL})
as_u1('u1 insert attached explicit', ps.insert, ps, {50})
box.schema.user.grant('u1', 'write', 'sequence', 'opts')
as_u1('u1 insert granted', ps.insert, ps, {box.NULL})
as_u1('u1 next granted', o.next, o)
box.schema.user.grant('u1', 'read', 'sequence', 's1')
as_u1('u1 next read only', s1.next, s1)
box.schema.user.grant('u1', 'write', 'sequence')
as_u1('u1 next all sequences', s1.next, s1)
as_u1('u1 create', box.schema.sequence.create, 'u1seq')
box.schema.user.grant('u1', 'create', 'sequence')
as_u1('u1 create granted', function() return seqobj(box.schema.sequence.create('u1seq')) end)
as_u1('u1 alter own', box.schema.sequence.alter, 'u1seq', {step = 2})
as_u1('u1 alter other', box.schema.sequence.alter, 's1', {step = 2})
as_u1('u1 drop own', box.schema.sequence.drop, 'u1seq')
local gs = box.schema.space.create('gs')
gs:create_index('pk', {sequence = true})
box.schema.user.grant('u1', 'read,write', 'space', 'gs')
box.schema.user.revoke('u1', 'write', 'sequence')
as_u1('u1 insert generated', gs.insert, gs, {box.NULL})
check('user info', box.schema.user.info, 'u1')
check('drop user with sequence grants', box.schema.user.drop, 'u1')
box.schema.user.create('u3')
box.schema.user.grant('u3', 'read,write,create', 'universe')
check('u3 creates', function()
    return box.session.su('u3', function()
        local s = box.schema.sequence.create('u3seq')
        return s.uid == box.session.euid(), s:next()
    end)
end)
show('u3seq owner', box.space._sequence.index.name:get{'u3seq'}[2] == box.space._user.index.name:get{'u3'}[1])
check('drop user owning sequence', box.schema.user.drop, 'u3')
show('u3seq dropped', {box.sequence.u3seq, seqrow('u3seq')})
check('grant execute on sequence', box.schema.user.grant, 'su1', 'execute', 'sequence', 's1')

-- box.sequence holds every sequence by name and id.
local names = {}
for k, v in pairs(box.sequence) do
    if type(k) == 'string' then
        assert(box.sequence[v.id] == v)
        table.insert(names, k)
    end
end
table.sort(names)
show('box.sequence', names)
show('_sequence', box.space._sequence:select{})
-- _sequence_data has a HASH primary key: sort for a stable order.
local rows = {}
for _, t in box.space._sequence_data:pairs() do
    table.insert(rows, t:totable())
end
table.sort(rows, function(x, y) return x[1] < y[1] end)
show('_sequence_data', rows)
show('_space_sequence', box.space._space_sequence:select{})

-- Read-only mode: next() takes the value but cannot record it.
local ro = box.schema.sequence.create('ro')
local rot = box.schema.space.create('rot', {temporary = true})
rot:create_index('pk', {sequence = 'ro'})
box.cfg{read_only = true}
check('ro next', ro.next, ro)
check('ro current', ro.current, ro)
check('ro insert temporary', rot.insert, rot, {box.NULL})
check('ro set', ro.set, ro, 5)
check('ro current after set', ro.current, ro)
check('ro reset', ro.reset, ro)
check('ro create', box.schema.sequence.create, 'ro2')
os.exit(0)
