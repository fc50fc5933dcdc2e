package luabox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
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

// FuzzMergerBuffer feeds arbitrary bytes to a merger as the content of a
// buffer source, merged with a table source: select returns every
// tuple or raises an error, never panics or leaves the runtime broken.
func FuzzMergerBuffer(f *testing.F) {
	f.Add(mpBytes([]any{[]any{uint64(1), "a"}, []any{uint64(4)}}))
	f.Add(mpBytes([]any{[]any{"x"}}))
	f.Add([]byte{0x91})
	f.Add([]byte{0x92, 0x91, 0x01})
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x91, 0x02})
	f.Add([]byte{0x91, 0x92, 0x03, 0xc1})
	rt, sched, _ := nbRuntime(f)
	fb := sched.New("fuzz")
	fb.Acquire()
	fc := rt.NewFiberCtx(fb, nil)
	L := fc.L
	if err := L.Load(`local data = ...
local ffi, buffer = require('ffi'), require('buffer')
local merger, key_def = require('merger'), require('key_def')
local kd = key_def.new({{fieldno = 1, type = 'unsigned'}})
local b = buffer.ibuf()
ffi.copy(b:alloc(#data), data, #data)
local ok, res = pcall(function()
    return merger.new(kd, {merger.new_source_frombuffer(b), merger.new_source_fromtable({{2}, {3}})}):select()
end)
if not ok then return 'error', tostring(res) end
-- A source is taken in its own order; the table source's tuples come
-- out whatever the buffer holds.
local seen = 0
for _, t in ipairs(res) do
    if t[1] == 2 or t[1] == 3 then seen = seen + 1 end
end
if seen < 2 then return 'lost', tostring(#res) end
return 'ok', tostring(#res)`, "=fuzz"); err != nil {
		f.Fatal(err)
	}
	fn := L.Ref()
	f.Fuzz(func(t *testing.T, data []byte) {
		defer L.SetTop(0)
		L.PushRef(fn)
		L.PushBytes(data)
		if err := L.PCall(1, 2); err != nil {
			t.Fatalf("script failed: %v", err)
		}
		status, _ := L.ToString(-2)
		detail, _ := L.ToString(-1)
		if status == "lost" || strings.Contains(detail, "internal error") {
			t.Fatalf("%s: %s", status, detail)
		}
	})
}

// mpBytes encodes v as MessagePack.
func mpBytes(v any) []byte { return msgpack.MustAppend(nil, v) }

// TestCallSetuid runs CALL requests as a user who may only execute two
// functions: the setuid one runs as its owner (admin) and reads a space
// the user may not, the other runs as the user and fails with the
// AccessDeniedError a client sees.
func TestCallSetuid(t *testing.T) {
	var rtp **Runtime
	rt, sched, _ := nbRuntimeHost(t, func(rt **Runtime) Host { rtp = rt; return nbBoxHost{rt: rt} })
	*rtp = rt
	f := sched.New("test.lua")
	f.Acquire()
	defer f.Finish()
	fc := rt.NewFiberCtx(f, nil)
	defer rt.ReleaseFiberCtx(fc)
	if err := rt.RunString(fc, `box.cfg{}
box.schema.user.create('u')
box.schema.space.create('secret'):create_index('pk')
box.space.secret:insert{42}
function peek() return box.space.secret:get{42}[1], box.session.uid(), box.session.euid() end
function peek2() return box.space.secret:get{42}[1] end
box.schema.func.create('peek', {setuid = true})
box.schema.func.create('peek2')
box.schema.user.grant('u', 'execute', 'function', 'peek')
box.schema.user.grant('u', 'execute', 'function', 'peek2')`, "=test.lua"); err != nil {
		t.Fatal(err)
	}
	sess := rt.Box.NewSession()
	u := rt.Box.UserByName("u")
	if err := rt.Box.SetUser(sess, u.ID); err != nil {
		t.Fatal(err)
	}
	call := rt.NewFiberCtx(f, sess)
	defer rt.ReleaseFiberCtx(call)
	f.Local = call
	n, out, err := rt.Call(call, "peek", []byte{0x90}, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for rest := out; len(rest) > 0; {
		v, m, err := msgpack.Decode(rest)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		rest = rest[m:]
	}
	if n != 3 || fmt.Sprint(got) != fmt.Sprintf("[42 %d 1]", u.ID) {
		t.Fatalf("peek returned %d values %v", n, got)
	}
	if sess.UserID() != u.ID {
		t.Fatalf("the session's user became %d", sess.UserID())
	}
	_, _, err = rt.Call(call, "peek2", []byte{0x90}, false)
	e := boxerr.From(err)
	if e.Type != "AccessDeniedError" || e.Message != "Read access to space 'secret' is denied for user 'u'" ||
		e.ObjectName != "secret" || e.AccessType != "Read" || e.File != "./src/box/space.c" {
		t.Fatalf("peek2: %+v", *e)
	}
	_, _, err = rt.Call(call, "nosuch", []byte{0x90}, false)
	if e := boxerr.From(err); e.Message != "Execute access to function 'nosuch' is denied for user 'u'" {
		t.Fatalf("nosuch: %v", err)
	}
	f.Local = fc
}

// TestPopenYieldsAndCancels checks that a read waiting for a child gives
// the baton to other fibers, and that cancelling the reading fiber ends
// its read with FiberIsCancelled while the data stays for the next read.
func TestPopenYieldsAndCancels(t *testing.T) {
	out, _ := runLua(t, nil, `
local popen, fiber = require('popen'), require('fiber')
local log = {}
local ph = popen.shell('sleep 0.2; echo late', 'r')
local ticker = fiber.new(function() for i = 1, 5 do table.insert(log, 'tick') fiber.sleep(0.01) end end)
table.insert(log, ph:read())
ph:close()
local cat = popen.shell('cat', 'rw')
local reader = fiber.new(function() return cat:read() end)
reader:set_joinable(true)
fiber.sleep(0.05)
reader:cancel()
local ok, err = reader:join()
table.insert(log, tostring(ok) .. ' ' .. tostring(err) .. ' ' .. err.type)
cat:write('kept\n')
table.insert(log, cat:read({timeout = 5}))
cat:close()
out = table.concat(log, '|')`)
	want := "tick|tick|tick|tick|tick|late\n|false fiber is cancelled FiberIsCancelled|kept\n"
	if out != want {
		t.Fatalf("out = %q\nwant  %q", out, want)
	}
}
