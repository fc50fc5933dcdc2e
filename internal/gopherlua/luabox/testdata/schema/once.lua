local c = require('checks')
local dump, errstr, check, show = c.dump, c.errstr, c.check, c.show
box.cfg{work_dir = os.getenv('TEST_WORK_DIR') or '.'}

-- box.once.
local calls = 0
local function inc(a, b)
    calls = calls + 1
    return a, b
end
check('first', box.once, 'init', inc, 1, 2)
show('calls', calls)
show('marker', box.space._schema:get{'onceinit'})
check('second', box.once, 'init', inc, 1, 2)
show('calls', calls)
check('other key', box.once, 'other', inc)
show('calls', calls)
check('no args', box.once)
check('key not string', box.once, 1, inc)
check('fn not function', box.once, 'k', 'x')
check('error inside', box.once, 'bad', function() box.error(box.error.PROC_LUA, 'boom') end)
show('marker kept after error', box.space._schema:get{'oncebad'})
check('after error', box.once, 'bad', inc)
show('calls', calls)
box.space._schema:delete{'onceinit'}
check('after marker delete', box.once, 'init', inc, 3)
show('calls', calls)
local markers = {}
for _, t in box.space._schema:pairs() do
    if string.sub(t[1], 1, 4) == 'once' then
        table.insert(markers, t[1])
    end
end
show('markers', markers)
os.exit(0)
