-- Transactions, errors and box.once from Lua.
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1}
local s = box.schema.space.create('t')
s:create_index('pk')
box.begin()
s:insert{1}
s:insert{2}
box.rollback()
print(s:count())
box.begin()
s:insert{1}
s:insert{2}
box.commit()
print(s:count(), box.is_in_txn())
print(pcall(box.atomic, function() s:insert{3} s:insert{1} end))
print(s:count())
print(box.atomic(function(a) s:insert{a} return 'done', a end, 4))
print(s:count())
box.begin()
print(box.is_in_txn(), pcall(box.begin))
box.rollback()
local ok, e = pcall(box.error, box.error.ILLEGAL_PARAMS, 'bad thing')
print(ok, e, e.code, e.type, e.message)
ok, e = pcall(box.error, {code = 555, reason = 'custom reason'})
print(ok, e, e.code)
print(box.error.NO_SUCH_SPACE, box.error.TUPLE_FOUND, box.error.READONLY)
local n = 0
box.once('k', function() n = n + 1 end)
box.once('k', function() n = n + 1 end)
print(n, box.space._schema:get{'oncek'})
box.cfg{read_only = true}
print(pcall(s.insert, s, {10}))
box.cfg{read_only = false}
print(s:insert{10})
os.exit(0)
