-- rows.lua runs the DML scenario of TestJournalRowsMatchTarantool on a real
-- Tarantool 2.6.0 and prints the WAL rows of space 512 as JSON lines.
-- Usage: tarantool rows.lua WORKDIR
local json = require('json')
box.cfg{work_dir = arg[1], log_level = 1}
local s = box.schema.space.create('test', {id = 512})
s:create_index('primary')
s:create_index('sk', {type = 'hash', parts = {2, 'string'}})
local l = box.schema.space.create('loc', {id = 513, is_local = true})
l:create_index('pk')
local t = box.schema.space.create('tmp', {id = 514, temporary = true})
t:create_index('pk')
s:insert{1, 'a'}
s:replace{2, 'b', 3}
s:update(1, {{'=', 3, 5}, {'+', 1, 0}})
s:update(9, {{'=', 3, 5}})
s.index.sk:update('b', {{'#', 3, 1}})
s:upsert({3, 'c'}, {{'+', 3, 1}})
s:upsert({3, 'c'}, {{'+', 3, 1}})
s:delete(7)
s.index.sk:delete('a')
l:insert{1}
t:insert{1}
box.begin() s:insert{10, 'x'} s:insert{11, 'y'} box.commit()
local xlog = require('xlog')
for _, f in ipairs(require('fio').glob(arg[1] .. '/*.xlog')) do
    for _, row in xlog.pairs(f) do
        local b = row.BODY
        if b.space_id ~= nil and b.space_id >= 512 then
            print(json.encode({type = row.HEADER.type, group_id = row.HEADER.group_id or 0,
                               commit = row.HEADER.commit or false, tsn = row.HEADER.tsn ~= nil, body = b}))
        end
    end
end
os.exit(0)
