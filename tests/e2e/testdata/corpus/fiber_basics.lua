-- fiber.create/new scheduling order, status, names, join, storage, errors.
local fiber = require('fiber')
local log = {}
local function say(...) table.insert(log, table.concat({...}, ' ')) end
print(fiber.status(), fiber.self() == fiber.self(), fiber.find(fiber.id()) == fiber.self())
local f = fiber.create(function(a, b)
    say('child', a, b, fiber.status())
    fiber.yield()
    say('child resumed')
    return a + b
end, 1, 2)
say('after create', f:status(), f:name())
local g = fiber.new(function() say('new runs', fiber.self():name()) end)
g:name('gee')
say('after new', g:status(), g:name())
print(tostring(f) == 'fiber: ' .. f:id(), f:id() > fiber.id(), g:id() == f:id() + 1)
fiber.yield()
say('main resumed', f:status(), g:status())
print(table.concat(log, '\n'))
print(pcall(f.name, f))
print(pcall(fiber.status, f), pcall(f.status, f))
print(pcall(fiber.kill, f))
-- scheduling order of many yielders (libev timer heap order)
log = {}
for i = 1, 3 do
    fiber.create(function() for j = 1, 3 do say('a' .. i .. j) fiber.yield() end end)
end
for i = 1, 3 do
    fiber.new(function() for j = 1, 2 do say('n' .. i .. j) fiber.sleep(0) end end)
end
say('main')
fiber.sleep(0.05)
print(table.concat(log, ' '))
-- join
local j = fiber.new(function(x) return x, 'two', nil end, 'one')
j:set_joinable(true)
print(j:join())
print(pcall(j.join, j))
local e = fiber.new(function() error('boom') end)
e:set_joinable(true)
local ok, err = e:join()
print(ok, err, err.type, err.message)
local be = fiber.new(function() box.error(box.error.ILLEGAL_PARAMS, 'xx') end)
fiber.set_joinable(be, true)
ok, err = be:join()
print(ok, err, err.type, err.code)
local nj = fiber.new(function() return 1 end)
print(pcall(nj.join, nj))
local dj = fiber.new(function() return 1 end)
dj:set_joinable(true)
fiber.yield()
print(dj:status(), dj:name(), nj:status())
print(dj:join())
print(dj:status(), (pcall(dj.name, dj)))
-- an error kills only its fiber
local alive = 0
fiber.create(function() error('fiber failure') end)
fiber.create(function() alive = alive + 1 end)
print('alive', alive)
-- names
fiber.name('worker')
print(fiber.name(), fiber.self():name())
print(fiber.name('x', {truncate = true}), fiber.name())
fiber.name(string.rep('a', 300), {truncate = true})
print(#fiber.name())
print(pcall(fiber.name, string.rep('b', 256)))
print(pcall(fiber.name, string.rep('b', 255)), #fiber.name())
-- storage
fiber.self().storage.k = 'v'
local seen
local st = fiber.create(function() fiber.sleep(0) seen = fiber.self().storage.k end)
print(fiber.self().storage.k, st.storage.k)
st.storage.k = 'child'
fiber.sleep(0)
print(seen, pcall(function() return st.storage end))
-- argument errors
print(pcall(fiber.sleep))
print(pcall(fiber.sleep, 'x'))
print(pcall(fiber.create))
print(pcall(fiber.new, 1))
print(pcall(fiber.find))
print(fiber.find(1e9))
print(pcall(fiber.set_joinable, fiber.self()))
print(pcall(fiber.testcancel, 1))
print(pcall(fiber.status, 1))
print(pcall(fiber.id, 'x'))
print(pcall(fiber.kill, 1e9))
print(pcall(fiber.top))
-- time
print(fiber.time() == fiber.time(), fiber.clock() == fiber.clock())
print(fiber.time() > 1e9, fiber.clock() >= 0, fiber.time64() > 0, fiber.clock64() >= 0)
print(math.abs(fiber.time() - os.time()) < 2)
os.exit(0)
