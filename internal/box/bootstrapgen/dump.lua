-- dump.lua writes the initial contents of Tarantool 2.6.0's system spaces
-- (every memtx space with id < 512) as a stream of msgpack arrays
-- [space_id, tuple], in ascending space id and primary-key order.
-- Rows that depend on the instance (_schema 'cluster', _cluster) are left
-- out: box.Bootstrap adds them for the replica set being created.
--
-- Usage: tarantool dump.lua OUTPUT_FILE
local fio = require('fio')
local msgpack = require('msgpack')

local out = fio.abspath(assert(arg[1], 'usage: tarantool dump.lua OUTPUT_FILE'))
local tmp = fio.tempdir()
-- wal_mode none: nothing is written to tmp, so it can be removed at once.
box.cfg{work_dir = tmp, wal_mode = 'none', log_level = 1}

local ids = {}
for _, sp in box.space._space:pairs() do
    local id, engine = sp[1], sp[4]
    if id < 512 and engine == 'memtx' and id ~= box.schema.CLUSTER_ID then
        table.insert(ids, id)
    end
end
table.sort(ids)

local chunks = {}
for _, id in ipairs(ids) do
    for _, t in box.space[id]:pairs() do
        if not (id == box.schema.SCHEMA_ID and t[1] == 'cluster') then
            -- box.tuple objects encode as their raw msgpack bytes.
            table.insert(chunks, '\x92' .. msgpack.encode(id) .. msgpack.encode(t))
        end
    end
end

local f = assert(fio.open(out, {'O_WRONLY', 'O_CREAT', 'O_TRUNC'}, tonumber('644', 8)))
f:write(table.concat(chunks))
f:close()
fio.rmtree(tmp)
os.exit(0)
