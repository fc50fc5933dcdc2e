-- box.NULL as a key is no key; error objects serialize as their message.
box.cfg{work_dir = os.getenv("TEST_WORK_DIR"), log_level = 1}
local s = box.schema.space.create('t') s:create_index('pk') s:insert{1} s:insert{2}
print(s:count(box.NULL), #s:select(box.NULL), s.index.pk:count(box.NULL), #s.index.pk:select(box.NULL, {limit=1}))
print(pcall(function() return s:get(box.NULL) end))
local e = box.error.new({code = 5, reason = 'boom'})
print(require('json').encode(e), require('json').encode({e}))
print(require('yaml').encode(e))
print(require('msgpack').decode(require('msgpack').encode(e)))
os.exit()
