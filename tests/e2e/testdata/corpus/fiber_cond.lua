-- fiber.cond: signal, broadcast, timeouts, wakeup.
local fiber = require('fiber')
local c = fiber.cond()
print(tostring(c))
local log = {}
for i = 1, 3 do
    fiber.create(function()
        table.insert(log, 'wait' .. i)
        local ok = c:wait()
        table.insert(log, 'woke' .. i .. ' ' .. tostring(ok))
    end)
end
fiber.create(function() table.insert(log, 'x') fiber.yield() table.insert(log, 'x2') end)
c:signal()
table.insert(log, 'signalled')
fiber.yield()
table.insert(log, 'main')
c:broadcast()
table.insert(log, 'broadcast')
fiber.sleep(0.01)
print(table.concat(log, ' '))
-- timeout
local t0 = fiber.clock()
print(c:wait(0.02), fiber.clock() - t0 >= 0.02)
print(c:wait(0))
-- wakeup ends a wait without a signal
local res
local w = fiber.create(function() res = c:wait(10) end)
w:wakeup()
fiber.yield()
print(res, w:status())
-- signal with nobody waiting is lost
c:signal()
print(c:wait(0.01))
-- usage errors
print(pcall(c.wait, c, -1))
print(pcall(c.wait, c, 'x'))
print(pcall(c.wait))
print(pcall(c.signal, 1))
-- a producer/consumer with cond
local queue, done = {}, fiber.cond()
local consumer = fiber.new(function()
    local got = {}
    while #got < 3 do
        while #queue == 0 do done:wait() end
        table.insert(got, table.remove(queue, 1))
    end
    return table.concat(got, ',')
end)
consumer:set_joinable(true)
for i = 1, 3 do
    table.insert(queue, i)
    done:signal()
    fiber.yield()
end
print(consumer:join())
os.exit(0)
