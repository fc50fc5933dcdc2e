-- box.slab.info and memtx_memory: a write that does not fit fails as 2.6 says.
box.cfg{work_dir = os.getenv("TEST_WORK_DIR"), log_level = 1, memtx_memory = 32 * 1024 * 1024}
local info = box.slab.info()
local keys = {}
for k, v in pairs(info) do table.insert(keys, k .. ':' .. type(v)) end
table.sort(keys)
print(table.concat(keys, ' '))
print(info.quota_size, type(box.slab.stats()), box.slab.check())
local s = box.schema.space.create('t')
s:create_index('pk')
local pad = string.rep('x', 1000)
local n, err = 0, nil
for i = 1, 100000 do
    local ok, e = pcall(s.insert, s, {i, pad})
    if not ok then err = e break end
    n = n + 1
end
print(n > 10000, n < 40000, err and err.code, err and err.message:match('^Failed to allocate %d+ bytes in slab allocator for memtx_tuple$') ~= nil)
-- deletes and smaller replacements still work; growing again does not
print(pcall(s.delete, s, {1}))
print(pcall(s.replace, s, {2, 'small'}))
print(pcall(box.cfg, {memtx_memory = 16 * 1024 * 1024}))
print(pcall(box.cfg, {memtx_memory = 64 * 1024 * 1024}), box.cfg.memtx_memory)
print((pcall(s.insert, s, {n + 10, pad})))
print(box.slab.info().quota_size)
os.exit(0)
