package luabox

import (
	"fmt"
	"strings"
	"testing"
)

// TestNetBoxFutures drives is_async futures and pushes against the
// scripted server: results while the caller's fiber does other work,
// timeouts, discard, pairs over pushes, on_push of synchronous calls, a
// schema change seen by an async reply, and futures failed by a hangup
// and by close.
func TestNetBoxFutures(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, fmt.Sprintf(`
local nb = require('net.box')
local fiber = require('fiber')
local r = {}
local function add(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end table.insert(r, table.concat(t, ' ')) end
local function em(e) return e and (e.code .. ':' .. e.message) end
local c = nb.connect('%s')
local f = c:call('echo', {1, 'x'}, {is_async = true})
local res, e = f:result()
add(type(f), f:is_ready(), res, em(e))
res = f:wait_result()
add(f:is_ready(), #res, res[1], res[2], f:result() == res)
-- a slow request completes while its fiber keeps running
f = c:call('slow', {}, {is_async = true})
local ticks = 0
while not f:is_ready() do ticks = ticks + 1 fiber.sleep(0.01) end
add(ticks > 5, f:result()[1])
f = c:call('slow', {}, {is_async = true})
res, e = f:wait_result(0.01)
add(res, em(e), f:is_ready())
res, e = f:wait_result(0)
add(res, em(e))
add(f:wait_result(1)[1])
add(pcall(f.wait_result, f, -1))
-- discard
f = c:call('slow', {}, {is_async = true})
f:discard()
add(f:is_ready(), em(select(2, f:result())))
-- remote errors and decoding by method
f = c:call('nosuch', {}, {is_async = true})
res, e = f:wait_result()
add(res, em(e), e == select(2, f:result()))
local s = c.space.test
local tuples = s:select({}, {is_async = true}):wait_result()
add(#tuples, tuples[2].name)
res, e = s:get(1, {is_async = true}):wait_result()
add(res, em(e))
add(c:ping({is_async = true}), pcall(c.call, c, 'echo', {}, {is_async = true, on_push = print}))
-- pushes
local got = {}
add(c:call('push', {3}, {on_push = function(ctx, m) table.insert(got, ctx .. m) end, on_push_ctx = 'p'}), table.concat(got, ','))
add(c:call('push', {2}), c:call('push', {2}, {on_push_ctx = {}}))
f = c:call('push', {3, 10}, {is_async = true})
local seen = {}
for i, v in f:pairs() do table.insert(seen, i .. '=' .. tostring(type(v) == 'table' and v[1] or v)) end
add(table.concat(seen, ' '))
f = c:call('push', {2, 100}, {is_async = true})
seen = {}
for i, v in f:pairs(0.03) do table.insert(seen, tostring(i) .. '=' .. tostring(type(v) == 'number' and v or em(v))) end
add(table.concat(seen, ' '))
add(f:wait_result()[1])
-- an async reply that shows a new schema version reloads the schema
add(c.space.more, c:call('ddl', {}, {is_async = true}):wait_result()[1])
for _ = 1, 100 do if c.space.more then break end fiber.sleep(0.01) end
add(c.schema_version, c.space.more ~= nil)
-- a hangup and close fail pending futures
local f1 = c:call('slow', {}, {is_async = true})
local f2 = c:call('hangup', {}, {is_async = true})
res, e = f1:wait_result(1)
add(res, em(e), em(select(2, f2:result())), c.state)
add(pcall(c.call, c, 'echo', {}, {is_async = true}))
local c2 = nb.connect('%s')
f1 = c2:call('slow', {}, {is_async = true})
c2:close()
add(f1:is_ready(), em(select(2, f1:result())))
-- an error in on_push breaks the connection
local c3 = nb.connect('%s')
local ok, err = pcall(c3.call, c3, 'push', {1}, {on_push = function() error('bad push', 0) end})
add(ok, err.code, err.message, c3.state, c3.error)
add(select(2, pcall(c3.call, c3, 'echo', {})).code)
out = table.concat(r, '\n')
`, srv.addr(), srv.addr(), srv.addr()))
	want := strings.Join([]string{
		"table false nil 32:Response is not ready",
		"true 2 1 x true",
		"true late",
		"nil 78:Timeout exceeded false",
		"nil 78:Timeout exceeded",
		"late",
		"false builtin/box/net_box.lua:408: Usage: future:wait_result(timeout)",
		"true 32:Response is discarded",
		"nil 33:Procedure 'nosuch' is not defined true",
		"2 b",
		"nil 41:",
		"true false builtin/box/net_box.lua:1167: To handle pushes in an async request use future:pairs()",
		"pushed p1,p2,p3",
		"pushed pushed",
		"1=1 2=2 3=3 4=pushed",
		"1=1 <null>=78:Timeout exceeded",
		"pushed",
		"nil true",
		"81 true",
		"nil 77:Peer closed 77:Peer closed error",
		"false Peer closed",
		"true 77:Connection closed",
		"false 0 bad push error bad push",
		"0",
	}, "\n")
	out = strings.ReplaceAll(out, "cdata<void *>: NULL", "<null>")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, log)
	}
}

// BenchmarkNetBoxAsyncCall measures pipelined is_async calls: 16 futures
// sent, then collected, through the worker's dispatch.
func BenchmarkNetBoxAsyncCall(b *testing.B) {
	benchNetBox(b, `
local fs = {}
for i = 1, 16 do fs[i] = conn:call('echo', {i}, {is_async = true}) end
for i = 1, 16 do assert(fs[i]:wait_result()[1] == i) end`)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/call")
}

// TestNetBoxFuturesConcurrent runs many fibers that mix async calls,
// pushes collected by pairs and by on_push, and discards on one
// connection, and checks that every request sees exactly its own
// results.
func TestNetBoxFuturesConcurrent(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, fmt.Sprintf(`
local nb = require('net.box')
local fiber = require('fiber')
math.randomseed(7)
local c = nb.connect('%s')
local bad, done = {}, 0
local function check(ok, what) if not ok then table.insert(bad, what) end end
for w = 1, 20 do
    fiber.create(function()
        for k = 1, 15 do
            local kind = math.random(4)
            local n = math.random(0, 4)
            if kind == 1 then
                local f = c:call('echo', {w, k}, {is_async = true})
                if math.random(2) == 1 then fiber.yield() end
                local r = f:wait_result(5)
                check(r and r[1] == w and r[2] == k, 'echo ' .. w .. '/' .. k)
            elseif kind == 2 then
                local f = c:call('push', {n}, {is_async = true})
                local seen = {}
                for i, v in f:pairs(5) do seen[#seen + 1] = v end
                check(#seen == n + 1 and seen[n + 1][1] == 'pushed', 'pairs ' .. n)
                for i = 1, n do check(seen[i] == i, 'push value') end
            elseif kind == 3 then
                local seen = {}
                local r = c:call('push', {n}, {on_push = function(ctx, m) table.insert(ctx, m) end, on_push_ctx = seen})
                check(r == 'pushed' and #seen == n, 'on_push ' .. n)
                for i = 1, n do check(seen[i] == i, 'on_push value') end
            else
                local f = c:call('push', {n}, {is_async = true})
                f:discard()
                local _, e = f:result()
                check(e.message == 'Response is discarded', 'discard')
            end
        end
        done = done + 1
    end)
end
while done < 20 do fiber.sleep(0.01) end
check(c:call('echo', {'end'}) == 'end', 'after')
out = #bad == 0 and 'ok' or table.concat(bad, '; ')
`, srv.addr()))
	if out != "ok" {
		t.Errorf("got %s\nlog:\n%s", out, log)
	}
}
