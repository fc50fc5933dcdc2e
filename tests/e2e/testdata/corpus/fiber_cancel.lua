-- Cancellation: yield points raise "fiber is cancelled" after cancel.
local fiber = require('fiber')
local log = {}
local s = fiber.create(function() fiber.sleep(10) table.insert(log, 'not reached') end)
print(s:status())
s:cancel()
print(s:status())
fiber.yield()
print(s:status(), #log)
-- the error can be caught; every later yield point raises again
local c = fiber.new(function()
    local ok, e = pcall(fiber.sleep, 10)
    table.insert(log, tostring(ok) .. ' ' .. tostring(e) .. ' ' .. e.type)
    table.insert(log, tostring(select(2, pcall(fiber.yield))))
    table.insert(log, tostring(select(2, pcall(fiber.testcancel))))
    table.insert(log, tostring(select(2, pcall(fiber.sleep, 0))))
    local ch = fiber.channel()
    table.insert(log, tostring(select(2, pcall(ch.get, ch, 1))))
    table.insert(log, tostring(select(2, pcall(ch.put, ch, 1, 1))))
    local cond = fiber.cond()
    table.insert(log, tostring(select(2, pcall(cond.wait, cond, 0))))
    return 'finished'
end)
c:set_joinable(true)
fiber.yield()
c:cancel()
print(c:join())
print(table.concat(log, '\n'))
-- a cancelled joinable fiber reports the error to its joiner
local d = fiber.new(function() fiber.sleep(10) end)
d:set_joinable(true)
fiber.yield()
fiber.kill(d:id())
local ok, e = d:join()
print(ok, e, e.type, e.message)
-- cancelling oneself raises at once
local selfc = fiber.new(function()
    local ok, e = pcall(function() fiber.self():cancel() return 'no' end)
    return ok, tostring(e)
end)
selfc:set_joinable(true)
print(selfc:join())
-- cancelling a dead fiber
local dead = fiber.create(function() end)
print(pcall(dead.cancel, dead))
print(pcall(fiber.cancel, dead))
-- a busy fiber is cancelled only at its next yield point
local steps = 0
local busy = fiber.new(function()
    for i = 1, 5 do
        steps = steps + 1
        if i == 3 then fiber.testcancel() end
    end
end)
busy:set_joinable(true)
busy:cancel()
print(busy:join())
print(steps)
-- cancel wakes a channel reader; cond waiters wake with true
local ch = fiber.channel()
local rr = fiber.new(function() return ch:get() end)
rr:set_joinable(true)
local cw = fiber.new(function() return fiber.cond():wait() end)
cw:set_joinable(true)
fiber.yield()
rr:cancel()
cw:cancel()
print(rr:join())
print(cw:join())
os.exit(0)
