package luabox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
)

// nbScriptPrelude defines add(...), which appends one line of its
// arguments' string forms to r, for the scripts of these tests.
const nbScriptPrelude = `
local nb = require('net.box')
local fiber = require('fiber')
local r = {}
local function add(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end table.insert(r, table.concat(t, ' ')) end
`

// TestNetBoxTriggers checks when the connection triggers fire against
// the scripted server, as 2.6 fires them: on_schema_reload then
// on_connect in the worker fiber when the connection comes up (again
// after a reconnect), on_schema_reload after DDL, on_disconnect with
// the remote's fields not yet changed when the peer hangs up or the
// connection is closed; and what a raising trigger does.
func TestNetBoxTriggers(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, nbScriptPrelude+fmt.Sprintf(`
local addr = '%s'
local ev = {}
local function flush() local s = table.concat(ev, '; ') ev = {} return s end
local c = nb.connect(addr, {wait_connected = false, reconnect_after = 0.02})
local worker = c.host .. ':' .. c.port .. ' (net.box)'
c:on_schema_reload(function(cc) table.insert(ev, 'reload ' .. cc.state .. ' ' .. tostring(cc.schema_version) .. ' ' .. tostring(fiber.name() == worker)) end)
c:on_connect(function(cc) table.insert(ev, 'connect ' .. cc.state .. ' ' .. tostring(cc == c) .. ' ' .. tostring(fiber.name() == worker)) end)
c:on_disconnect(function(cc) table.insert(ev, 'disconnect ' .. cc.state .. ' ' .. tostring(cc.error)) end)
add(c:wait_connected(1), c.state, flush())
add(c:call('ddl'), c.schema_version, c.space.more ~= nil, flush())
add(pcall(c.call, c, 'hangup'))
add(c.state, c.error, flush())
add(c:wait_connected(1), c.state, flush())
c:close()
add(c.state, flush())
c:close()
add(c.state, flush())

-- a trigger added and removed while the connection is up
local c2 = nb.connect(addr)
local function on() table.insert(ev, 'on') end
c2:on_disconnect(on)
c2:on_disconnect(nil, on)
c2:close()
add(c2.state, '[' .. flush() .. ']')

-- on_connect raises: the connection fails with ER_UNKNOWN and the
-- error; on_disconnect runs first, seeing the remote not yet active
c2 = nb.connect(addr, {wait_connected = false})
c2:on_connect(function() error('no', 0) end)
c2:on_disconnect(function(cc) table.insert(ev, 'disconnect ' .. cc.state) end)
add(c2:wait_connected(1), c2.state, c2.error, flush())
local ok, e = pcall(c2.call, c2, 'echo', {1})
add(ok, e.code, e.message)

-- on_disconnect raises in close(): close raises, the remote keeps its
-- state, the transport is closed
c2 = nb.connect(addr)
c2:on_disconnect(function() error('bad disconnect', 0) end)
add(pcall(c2.close, c2))
add(c2.state, c2:is_connected(), c2:ping(), pcall(c2.close, c2))
ok, e = pcall(c2.call, c2, 'echo', {1})
add(ok, e.code, e.message)

-- on_schema_reload raises after DDL: the connection fails, requests in
-- flight fail with the trigger's error
c2 = nb.connect(addr)
c2:on_schema_reload(function() error('bad reload', 0) end)
local f = c2:call('slow', {}, {is_async = true})
add(c2:call('ddl'))
add(c2.state, c2.error)
local res, err = f:wait_result(1)
add(res, err.code, err.message)
out = table.concat(r, '\n')
`, srv.addr()))
	want := strings.Join([]string{
		"true active reload fetch_schema 80 true; connect fetch_schema true true",
		"true 81 true reload fetch_schema 81 true",
		"false Peer closed",
		"error_reconnect Peer closed disconnect active nil",
		"true active reload fetch_schema 81 true; connect fetch_schema true true",
		"closed disconnect active nil",
		"closed ",
		"closed []",
		"false error no disconnect fetch_schema",
		"false 0 no",
		"false bad disconnect",
		"active true false true",
		"false 77 Connection closed",
		"true",
		"error bad reload",
		"nil 0 bad reload",
	}, "\n")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, log)
	}
}

// TestNetBoxRemoteObject checks the remote's __serialize, the
// deprecated conn:timeout() and the module's connect forms.
func TestNetBoxRemoteObject(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, nbScriptPrelude+fmt.Sprintf(`
local addr = '%s'
local c = nb.connect(addr)
local s = debug.getmetatable(c).__serialize(c)
local keys = {}
for k in pairs(s) do table.insert(keys, k) end
table.sort(keys)
add(table.concat(keys, ','), s.state, s.peer_uuid, s.schema_version, s.opts)
add(getmetatable(c), type(c._transport))
c = nb.connect(addr, {reconnect_after = 5})
s = debug.getmetatable(c).__serialize(c)
add(s.opts.reconnect_after, s.opts == c.opts)
-- conn:timeout(t): a per-fiber deadline for requests without a timeout
local ok, e = pcall(function() return c:timeout(0.05):call('slow') end)
add(ok, e.code)
ok, e = pcall(c.call, c, 'echo', {1})
add(ok, e.code)
add(c:timeout(nil):call('echo', {2}))
add(c:wait_state('active'), c:wait_state({active = true}), c:wait_state('closed', 0.01))
c:close()
add(c:wait_state('closed'), c:wait_state({closed = true, active = true}, 0))
add(pcall(nb.self.call))
out = table.concat(r, '\n')
`, srv.addr()))
	want := strings.Join([]string{
		"host,peer_uuid,peer_version_id,port,protocol,schema_version,state active 11111111-2222-3333-4444-555555555555 80 nil",
		"false userdata",
		"5 true",
		"false 78",
		"false 78",
		"2",
		"true true false",
		"true true",
		"false Use remote:call(...) instead of remote.call(...):",
	}, "\n")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, log)
	}
	if n := strings.Count(log, "netbox:timeout(timeout) is deprecated since 1.7.4"); n != 1 {
		t.Errorf("the deprecation warning was logged %d times:\n%s", n, log)
	}
}

// TestNetBoxCollected checks that Lua's collector releases what Go
// holds for a future dropped while pending (2.6's requests table is
// weak) and for a closed connection nobody references.
func TestNetBoxCollected(t *testing.T) {
	srv := startFakeServer(t)
	rt, sched, logBuf := nbRuntime(t)
	m := rt.openNetBox()
	released := 0
	finalize := m.transportType.Finalize
	m.transportType.Finalize = func(L lua.State, v any) {
		released++
		finalize(L, v)
	}
	f := sched.New("test.lua")
	f.Acquire()
	defer f.Finish()
	fc := rt.NewFiberCtx(f, nil)
	defer rt.ReleaseFiberCtx(fc)
	run := func(src string) {
		t.Helper()
		if err := rt.RunString(fc, src, "=test.lua"); err != nil {
			t.Fatalf("%v\nlog:\n%s", err, logBuf.String())
		}
	}
	run(fmt.Sprintf(`
conn = require('net.box').connect('%s')
local f = conn:call('slow', {}, {is_async = true})
local g = conn:call('slow', {}, {is_async = true})
kept = g
f = nil
collectgarbage() collectgarbage()`, srv.addr()))
	L := fc.L
	L.GetGlobal("conn")
	L.RawGetField(-1, "_transport")
	v, ok := L.ToObject(-1, m.transportType)
	L.Pop(2)
	if !ok {
		t.Fatal("conn._transport is not a transport")
	}
	nc := v.(*nbConn)
	if len(nc.futures) != 1 {
		t.Errorf("%d futures pending after one of two was collected, want 1", len(nc.futures))
	}
	run(`assert(kept:wait_result(1)[1] == 'late')
conn:close()
kept = nil
require('fiber').sleep(0.05)
conn = nil
collectgarbage() collectgarbage()`)
	if released != 1 {
		t.Errorf("the closed connection was released %d times, want 1", released)
	}
	if nc.spaceMTRef != 0 || nc.indexMTRef != 0 {
		t.Errorf("references kept after release: space metatable %d, index metatable %d", nc.spaceMTRef, nc.indexMTRef)
	}
}

// TestNetBoxCollectedOpen checks that a connection Lua collects while it
// is up is closed, as 2.6's gc hook stops the transport: a request in
// flight fails with "Connection closed", its triggers (which may refer
// to the connection itself) do not run, and the worker ends.
func TestNetBoxCollectedOpen(t *testing.T) {
	srv := startFakeServer(t)
	rt, sched, logBuf := nbRuntime(t)
	f := sched.New("test.lua")
	f.Acquire()
	defer f.Finish()
	fc := rt.NewFiberCtx(f, nil)
	defer rt.ReleaseFiberCtx(fc)
	src := nbScriptPrelude + fmt.Sprintf(`
local c = nb.connect('%s')
local disconnected = false
c:on_disconnect(function() disconnected = c.state end)
local fut = c:call('slow', {}, {is_async = true})
c = nil
collectgarbage() collectgarbage()
local res, err = fut:wait_result(1)
add(fut:is_ready(), res, err.code, err.message, disconnected)
fiber.sleep(0.01)
local workers = 0
for _, info in pairs(fiber.info()) do
    if info.name:find('(net.box)', 1, true) then workers = workers + 1 end
end
add(workers)
out = table.concat(r, '\n')`, srv.addr())
	if err := rt.RunString(fc, src, "=test.lua"); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, logBuf.String())
	}
	fc.L.GetGlobal("out")
	out, _ := fc.L.ToString(-1)
	fc.L.Pop(1)
	want := "true nil 77 Connection closed false\n0"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, logBuf.String())
	}
}

// TestNetBoxNoLeak runs rounds of every kind of request and requires the
// Lua heap not to grow between rounds: each request releases the
// registry references it took (options, formats, results, futures).
func TestNetBoxNoLeak(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, nbScriptPrelude+fmt.Sprintf(`
local c = nb.connect('%s')
local s = c.space.test
local function round()
    for i = 1, 300 do
        c:call('echo', {i, {x = i}})
        c:call('echo', {i}, {timeout = 5})
        c:call('push', {2}, {on_push = function() end, on_push_ctx = {}})
        c:call('echo', {i}, {is_async = true}):wait_result()
        c:call('push', {1}, {is_async = true})
        c:call('slow', {}, {is_async = true}):discard()
        s:select({}, {limit = 2})
        pcall(c.call, c, 'nosuch')
        pcall(c.call, c, 'slow', {}, {timeout = 0})
    end
    collectgarbage() collectgarbage()
    return collectgarbage('count')
end
round()
local before = round()
local after = round()
out = tostring(after - before < 16)
`, srv.addr()))
	if out != "true" {
		t.Errorf("the Lua heap grows between rounds of requests\nlog:\n%s", log)
	}
}
