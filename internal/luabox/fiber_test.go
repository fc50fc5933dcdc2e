package luabox

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/say"
)

// fakeHost is a Host for runtimes that never configure box; the methods
// these tests never reach come from the nil embedded Host.
type fakeHost struct{ Host }

func (fakeHost) ApplyCfg(bool, map[string]any, map[string]any) error { return nil }
func (fakeHost) Info() Info                                          { return Info{Status: "running"} }

// syncBuf is a log destination safe for concurrent writers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runLua runs src in a main fiber of a fresh runtime with sess and returns
// the global `out` (a string the script builds) and the log.
func runLua(t *testing.T, sess *box.Session, src string) (string, string) {
	t.Helper()
	logBuf := &syncBuf{}
	sched := fiber.NewScheduler()
	rt, err := New(sched, say.New(logBuf), fakeHost{})
	if err != nil {
		t.Fatal(err)
	}
	f := sched.New("test.lua")
	f.Acquire()
	fc := rt.NewFiberCtx(f, sess)
	if err := rt.RunString(fc, src, "test.lua"); err != nil {
		f.Finish()
		t.Fatalf("script failed: %v", err)
	}
	rt.L.GetGlobal("out")
	out, _ := rt.L.ToString(-1)
	rt.L.Pop(1)
	rt.ReleaseFiberCtx(fc)
	f.Finish()
	return out, logBuf.String()
}

// TestLuaAtomicBetweenYields checks that Lua code between two yield
// points never interleaves with other fibers: each fiber's critical
// section leaves marks that must come in begin/end pairs, and a
// read-modify-write split over many statements loses no update.
func TestLuaAtomicBetweenYields(t *testing.T) {
	out, _ := runLua(t, nil, `
local fiber = require('fiber')
counter = 0
local marks = {}
local fibers = {}
for i = 1, 8 do
    local f = fiber.new(function()
        for j = 1, 50 do
            table.insert(marks, 'b' .. i)
            local v = counter
            local s = 0
            for k = 1, 100 do s = s + k end
            counter = v + 1
            table.insert(marks, 'e' .. i)
            if j % 3 == 0 then fiber.yield() elseif j % 7 == 0 then fiber.sleep(0.001) end
        end
    end)
    f:set_joinable(true)
    table.insert(fibers, f)
end
for _, f in ipairs(fibers) do assert(f:join()) end
local bad = 0
for k = 1, #marks, 2 do
    if marks[k]:sub(2) ~= marks[k + 1]:sub(2) or marks[k]:sub(1, 1) ~= 'b' then bad = bad + 1 end
end
out = counter .. ' ' .. #marks .. ' ' .. bad`)
	if out != "400 800 0" {
		t.Fatalf("counter, marks, interleavings = %q, want \"400 800 0\"", out)
	}
}

// TestLuaFiberSemantics drives the module through its main paths and
// compares with what Tarantool 2.6 prints for the same code.
func TestLuaFiberSemantics(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"create runs at once", `
local fiber = require('fiber')
local log = {}
local f = fiber.create(function() table.insert(log, 'child') fiber.yield() table.insert(log, 'child2') end)
table.insert(log, 'main')
fiber.new(function() table.insert(log, 'new') end)
fiber.yield()
out = table.concat(log, ' ')`, "child main new child2"},
		{"join", `
local fiber = require('fiber')
local f = fiber.new(function(a) return a, 'b' end, 'a')
f:set_joinable(true)
local ok, x, y = f:join()
out = tostring(ok) .. x .. y .. f:status()`, "trueabdead"},
		{"join error", `
local fiber = require('fiber')
local f = fiber.new(function() error('bad', 0) end)
f:set_joinable(true)
local ok, e = f:join()
out = tostring(ok) .. ' ' .. tostring(e) .. ' ' .. e.type`, "false bad LuajitError"},
		{"not joinable", `
local fiber = require('fiber')
local f = fiber.new(function() end)
out = select(2, pcall(f.join, f))`, "the fiber is not joinable"},
		{"cancel", `
local fiber = require('fiber')
local f = fiber.new(function() fiber.sleep(100) end)
f:set_joinable(true)
fiber.yield()
f:cancel()
local ok, e = f:join()
out = tostring(ok) .. ' ' .. e.type .. ' ' .. e.message`, "false FiberIsCancelled fiber is cancelled"},
		{"channel", `
local fiber = require('fiber')
local ch = fiber.channel(1)
fiber.create(function() for i = 1, 3 do ch:put(i) end ch:close() end)
local got = {}
while true do local v = ch:get() if v == nil then break end table.insert(got, v) end
out = table.concat(got, ',') .. ' ' .. tostring(ch:put(1)) .. ' ' .. tostring(ch:get(0.001))`, "1,2,3 false nil"},
		{"cond timeout", `
local fiber = require('fiber')
local c = fiber.cond()
local r = c:wait(0.001)
fiber.create(function() c:signal() end)
out = tostring(r)`, "false"},
		{"name", `
local fiber = require('fiber')
fiber.name('abc')
local ok, e = pcall(fiber.name, string.rep('x', 256))
out = fiber.name() .. ' ' .. e`, "abc Fiber name is too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := runLua(t, nil, c.src)
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestLuaFiberErrorLogged checks the log line a failing fiber leaves and
// that the failure kills only that fiber.
func TestLuaFiberErrorLogged(t *testing.T) {
	out, log := runLua(t, nil, `
local fiber = require('fiber')
local f = fiber.create(function() fiber.name('worker') error('it broke') end)
local g = fiber.create(function() box.error(box.error.ILLEGAL_PARAMS, 'zz') end)
local c = fiber.new(function() fiber.sleep(10) end)
fiber.yield()
c:cancel()
fiber.yield()
out = 'alive ' .. f:status()`)
	if out != "alive dead" {
		t.Fatalf("out %q", out)
	}
	for _, re := range []string{
		`main/\d+/worker utils\.c:1005 E> LuajitError: test\.lua:3: it broke`,
		`main/\d+/lua test\.lua:4 E> ER_ILLEGAL_PARAMS: Illegal parameters, zz`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("log lacks %s:\n%s", re, log)
		}
	}
	if strings.Contains(log, "cancelled") {
		t.Errorf("a cancelled fiber's death was logged:\n%s", log)
	}
}

// TestLuaFiberInheritsSession checks that fibers created inside a
// request run in the request's session.
func TestLuaFiberInheritsSession(t *testing.T) {
	sess := &box.Session{ID: 77}
	out, _ := runLua(t, sess, `
local fiber = require('fiber')
local f = fiber.new(function() return box.session.id() end)
f:set_joinable(true)
local _, id = f:join()
out = tostring(id)`)
	if out != "77" {
		t.Fatalf("session id in child fiber %q, want 77", out)
	}
}
