-- memtx aborts a transaction whose fiber yields after its first
-- statement; an empty transaction may yield.
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
local fiber = require('fiber')
local s = box.schema.space.create('t')
s:create_index('pk')
box.begin()
fiber.yield()
s:insert{1}
box.commit()
print(s:count())
box.begin()
s:insert{2}
fiber.sleep(0)
print(s:get{2}, s:count(), box.is_in_txn())
s:insert{3}
print(s:get{3}, s:count())
local ok, e = pcall(box.commit)
print(ok, e, e and e.code, box.is_in_txn())
print(s:count(), s:get{3})
-- another fiber never sees a yielding transaction's changes
local seen
box.begin()
s:insert{4}
fiber.create(function() seen = s:get{4} end)
print(seen, s:get{4})
print(pcall(box.commit))
print(s:count())
-- the wait for the WAL in commit is not a yield inside the transaction
box.begin()
s:insert{5}
s:insert{6}
print(pcall(box.commit))
print(s:count())
-- box.atomic with a yield inside
print(pcall(box.atomic, function() s:insert{7} fiber.yield() s:insert{8} end))
print(s:get{7}, s:get{8}, s:count())
-- rollback after an aborting yield is quiet
box.begin()
s:insert{9}
fiber.yield()
box.rollback()
print(s:count(), box.is_in_txn())
-- a fiber with an open transaction that yields in a channel get
local ch = fiber.channel()
local f = fiber.create(function()
    box.begin()
    s:insert{10}
    ch:get()
    local ok, e = pcall(box.commit)
    print('fiber', ok, e and e.code)
    ch:put(true)
end)
ch:put(1)
ch:get()
print(s:get{10}, s:count())
os.exit(0)
