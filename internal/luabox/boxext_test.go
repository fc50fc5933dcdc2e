package luabox

import (
	"testing"
)

// boxRun runs src in the main fiber of a fresh runtime whose box is an
// in-memory instance brought up by box.cfg, and returns the runtime and
// the global `out` the script builds.
func boxRun(t *testing.T, src string) (*Runtime, string) {
	t.Helper()
	var rtp **Runtime
	rt, sched, logBuf := nbRuntimeHost(t, func(rt **Runtime) Host { rtp = rt; return nbBoxHost{rt: rt} })
	*rtp = rt
	f := sched.New("test.lua")
	f.Acquire()
	defer f.Finish()
	fc := rt.NewFiberCtx(f, nil)
	defer rt.ReleaseFiberCtx(fc)
	if err := rt.RunString(fc, src, "=test.lua"); err != nil {
		t.Fatalf("script failed: %v\nlog:\n%s", err, logBuf.String())
	}
	fc.L.GetGlobal("out")
	out, _ := fc.L.ToString(-1)
	fc.L.Pop(1)
	return rt, out
}

// TestErrorBlocksFreed checks that the C blocks behind error objects go
// when Lua collects the last value pointing at them, causes included,
// while an error the fiber's diagnostics area holds keeps its identity
// for as long as a value of it lives.
func TestErrorBlocksFreed(t *testing.T) {
	rt, out := boxRun(t, `box.cfg{}
for i = 1, 2000 do
    local e = box.error.new({code = i, reason = 'e' .. i})
    e:set_prev(box.error.new({type = 'T', reason = 'cause'}))
    local p = e.prev
    pcall(box.error, e)
end
kept = box.error.new({reason = 'kept'})
box.error.set(kept)
collectgarbage() collectgarbage()
out = tostring(box.error.last() == kept) .. ' ' .. box.error.last().message`)
	if out != "true kept" {
		t.Fatalf("out = %q", out)
	}
	// kept (one block, whatever its values) and the last error of the
	// loop's diagnostics area, now replaced by kept, may survive; not the
	// 4000 of the loop.
	if n := len(rt.errs.byBlock); n > 3 || len(rt.errs.byError) != n {
		t.Fatalf("%d blocks (%d errors) live after collection", n, len(rt.errs.byError))
	}
}

// TestSuActsForOneFiber checks that box.session.su(user, fn) changes the
// user of the fiber running fn only: another fiber of the same session
// keeps the session's user while fn sleeps, and so does the fiber once
// fn returns.
func TestSuActsForOneFiber(t *testing.T) {
	_, out := boxRun(t, `box.cfg{}
local fiber = require('fiber')
box.schema.user.create('u')
local seen = {}
local f = fiber.new(function()
    box.session.su('u', function()
        table.insert(seen, 'in su: ' .. box.session.euid() .. ' ' .. box.session.uid() .. ' ' .. box.session.id())
        fiber.sleep(0.01)
        table.insert(seen, 'in su after sleep: ' .. box.session.euid())
    end)
    table.insert(seen, 'after su: ' .. box.session.euid())
end)
f:set_joinable(true)
fiber.yield()
table.insert(seen, 'other fiber: ' .. box.session.euid() .. ' ' .. box.session.user() .. ' ' .. box.session.id())
f:join()
out = table.concat(seen, '; ')`)
	// Both fibers are in the session the script's box calls started.
	want := "in su: 32 1 1; other fiber: 1 admin 1; in su after sleep: 32; after su: 1"
	if out != want {
		t.Fatalf("out = %q\nwant  %q", out, want)
	}
}

// TestIteratorsReleased checks that index iterators are forgotten when
// they end and when Lua collects an unfinished one.
func TestIteratorsReleased(t *testing.T) {
	rt, out := boxRun(t, `box.cfg{}
local s = box.schema.space.create('t') s:create_index('pk')
for i = 1, 10 do s:insert{i} end
local sum = 0
for i = 1, 100 do
    for _, tu in s:pairs() do sum = sum + tu[1] end
    local it = s:pairs({5}, {iterator = 'GE'})
    it:nth(2)
end
collectgarbage() collectgarbage()
out = tostring(sum)`)
	if out != "5500" {
		t.Fatalf("sum = %s", out)
	}
	if n := len(rt.iters.live); n > 1 {
		t.Fatalf("%d iterators live after collection", n)
	}
}
