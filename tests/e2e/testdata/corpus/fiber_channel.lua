-- fiber.channel: buffering, hand-over, timeouts, close, fairness.
local fiber = require('fiber')
local ch = fiber.channel(2)
print(ch:size(), ch:count(), ch:is_empty(), ch:is_full(), ch:is_closed(), tostring(ch))
print(ch:put(1), ch:put('two'), ch:count(), ch:is_full(), ch:is_empty(), tostring(ch))
print(ch:put(3, 0))
print(ch:put(3, 0.01))
print(ch:get(), ch:get(), ch:count())
print(ch:get(0), ch:get(0.01))
-- a reader waiting on an unbuffered channel
local u = fiber.channel()
local log = {}
local r = fiber.create(function() table.insert(log, 'got ' .. tostring(u:get())) end)
print(u:has_readers(), u:has_writers(), u:size())
print(u:put('hello'))
print(log[1], r:status())
-- writers waiting on an unbuffered channel
log = {}
for i = 1, 3 do
    fiber.create(function() local ok = u:put('w' .. i) table.insert(log, 'put w' .. i .. ' ' .. tostring(ok)) end)
end
print(u:has_readers(), u:has_writers(), u:count())
print(u:get(), u:get(), u:get(), u:has_writers())
fiber.yield()
print(table.concat(log, ' '))
-- a full buffer with waiting writers keeps order
local b = fiber.channel(1)
b:put('first')
for i = 1, 2 do fiber.create(function() b:put('late' .. i) end) end
print(b:count(), b:has_writers())
print(b:get(), b:get(), b:get())
print(b:get(0))
-- values of any type
local t = {1, 2}
b:put(t)
print(b:get() == t)
b:put(nil)
print(b:count(), b:get(0), b:count())
-- close
local c = fiber.channel(3)
c:put('x')
local readers, writers = fiber.channel(0), fiber.channel(0)
local res = {}
fiber.create(function() res.get = {readers:get()} end)
fiber.create(function() res.put = {writers:put('y')} end)
print(readers:has_readers(), readers:has_writers(), writers:has_readers(), writers:has_writers())
c:close()
readers:close()
writers:close()
print(c:is_closed(), c:count(), tostring(c), c:put('z'), c:get(), c:get(0))
print(res.get, res.put)
fiber.yield()
print(#res.get, res.get[1], #res.put, res.put[1])
c:close()
-- usage errors
print(pcall(fiber.channel, -1))
print(pcall(fiber.channel, 'x'))
print(pcall(ch.put, ch))
print(pcall(ch.put, ch, 1, -1))
print(pcall(ch.put, ch, 1, 'x'))
print(pcall(ch.get, ch, -1))
print(pcall(ch.get))
print(pcall(ch.count))
print(pcall(ch.size, 1))
-- timeouts really wait
local t0 = fiber.clock()
print(fiber.channel(0):get(0.05), fiber.clock() - t0 >= 0.05)
-- a get with timeout is served by a later put
local late = fiber.channel()
fiber.create(function() fiber.sleep(0.01) late:put('on time') end)
print(late:get(1))
os.exit(0)
