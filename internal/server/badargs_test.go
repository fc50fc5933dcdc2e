package server

import (
	"strings"
	"testing"
)

// badArgsScript calls every function of the box API and of the built-in
// modules with arguments of wrong types and counts the calls whose error
// is a Go runtime failure (a panic turned into a Lua error) rather than
// an argument error. Functions that end the process, block on a
// terminal, write files or start listeners are left out.
const badArgsScript = `
local fiber = require('fiber')
local find, sub, tostring, pcall, type = string.find, string.sub, tostring, pcall, type
local space = box.schema.space.create('bad_args')
space:create_index('pk')
space:insert{1, 'a'}
local skip = {
    ['os.exit'] = true, ['os.remove'] = true, ['os.rename'] = true, ['os.execute'] = true,
    ['os.tmpname'] = true, ['box.cfg'] = true, ['box.snapshot'] = true,
    ['fiber.sleep'] = true, ['console.start'] = true, ['console.connect'] = true,
    ['console.listen'] = true, ['box.ctl.wait_ro'] = true, ['box.ctl.wait_rw'] = true,
    ['box.once'] = true, ['box.session.su'] = true,
}
local writers = {'open', 'mkdir', 'makedirs', 'rmdir', 'rmtree', 'unlink', 'rename', 'symlink',
    'link', 'copyfile', 'copytree', 'chmod', 'chown', 'truncate', 'utime', 'tempdir', 'copyfile'}
for _, w in ipairs(writers) do skip['fio.' .. w] = true end
-- a table that contains itself, and one the functions may fill
local cyclic = {}
cyclic[1] = cyclic
cyclic.x = cyclic
local values = {nil, -1, 0.5, 'x', {}, {1, 'a'}, true, box.NULL, function() end, fiber.self(), cyclic}
local nvalues = 11
local failures = {}
local calls = 0
-- texts of Go runtime panics, which the Lua binding turns into Lua
-- errors ("internal error: ...")
local gofailures = {'internal error', 'runtime error', 'panic', 'goroutine', 'invalid memory', 'nil map',
    'interface conversion', 'slice bounds', 'index out of range', 'divide by zero', 'closed channel'}
local function try(name, fn, ...)
    calls = calls + 1
    local ok, err = pcall(fn, ...)
    if not ok then
        local msg = tostring(err)
        if type(err) ~= 'string' and err ~= nil and err.message ~= nil then msg = tostring(err.message) end
        local gofail = false
        for _, p in ipairs(gofailures) do
            if find(msg, p, 1, true) then gofail = true end
        end
        if gofail then
            failures[#failures + 1] = name .. ': ' .. sub(msg, 1, 200)
        end
    end
end
local function sweep(name, fn)
    if skip[name] then return end
    try(name, fn)
    for i = 1, nvalues do
        try(name, fn, values[i])
        for j = 1, nvalues do
            try(name, fn, values[i], values[j])
        end
    end
end
local seen = {}
local function walk(prefix, t, depth)
    if depth > 3 or seen[t] then return end
    seen[t] = true
    local keys = {}
    for k in pairs(t) do if type(k) == 'string' then table.insert(keys, k) end end
    table.sort(keys)
    for _, k in ipairs(keys) do
        local v = rawget(t, k)
        local name = prefix .. k
        if type(v) == 'function' then
            sweep(name, v)
        elseif type(v) == 'table' and k ~= 'space' and k ~= 'index' and k ~= '_G' and k ~= 'loaded' then
            walk(name .. '.', v, depth + 1)
        end
    end
end
for _, m in ipairs({'json', 'yaml', 'msgpack', 'digest', 'uuid', 'clock', 'errno', 'log', 'fio', 'uri',
                    'fiber', 'net.box', 'console'}) do
    walk(m .. '.', require(m), 0)
end
walk('box.', box, 0)
-- methods of objects: a space, an index, a tuple, a fiber, a channel,
-- a cond, a net.box connection to nowhere
local objects = {
    space = space, index = space.index.pk, tuple = space:get{1}, fiber = fiber.self(),
    channel = fiber.channel(1), cond = fiber.cond(),
}
for oname, o in pairs(objects) do
    local mt = getmetatable(o)
    local methods = {}
    if type(o) == 'table' then
        for k, v in pairs(o) do if type(v) == 'function' then methods[k] = v end end
    end
    local idx = mt and mt.__index
    if type(idx) == 'table' then
        for k, v in pairs(idx) do if type(v) == 'function' then methods[k] = v end end
    end
    for k, fn in pairs(methods) do
        -- waits without a timeout are not errors: they would wait forever
        local blocks = (oname == 'channel' and (k == 'get' or k == 'put')) or
            (oname == 'cond' and k == 'wait') or (oname == 'fiber' and k == 'join')
        if not (oname == 'space' and (k == 'drop' or k == 'truncate')) and k ~= 'sleep' and not blocks then
            sweep(oname .. ':' .. k, function(...) return fn(o, ...) end)
            sweep(oname .. '.' .. k, fn)
        end
    end
end
bad_args_result = {calls = calls, failures = failures}
`

// TestBadArgumentsNeverPanic: every built-in function answers arguments
// of the wrong type with an error, never a Go panic.
func TestBadArgumentsNeverPanic(t *testing.T) {
	if testing.Short() {
		t.Skip("long sweep")
	}
	s := newTestServer(t, "box.cfg{log_level = 0}\n"+badArgsScript)
	f := s.Sched.New("check")
	f.Acquire()
	defer f.Finish()
	L := s.RT.L
	L.GetGlobal("bad_args_result")
	L.RawGetField(-1, "calls")
	calls := L.ToNumber(-1)
	L.RawGetField(-2, "failures")
	n := L.ObjLen(-1)
	var msgs []string
	for i := 1; i <= n; i++ {
		L.RawGetI(-1, i)
		m, _ := L.ToString(-1)
		msgs = append(msgs, m)
		L.Pop(1)
	}
	L.SetTop(0)
	t.Logf("%v calls", calls)
	if n > 0 {
		t.Fatalf("%d calls failed with a Go runtime error:\n%s", n, strings.Join(msgs, "\n"))
	}
}
