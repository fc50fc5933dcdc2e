package luabox

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// fakeServer is a scripted IPROTO server: one space "test" (id 512,
// fields id and name), call "echo" returns its arguments, "slow" answers
// after 300 ms, "hangup" closes the connection, "ddl" bumps the schema
// version (and the schema then has a second space), "push" sends
// box.session.push messages before its reply, eval fails with a Lua
// error, and selects of space 512 return two tuples.
type fakeServer struct {
	ln      net.Listener
	mu      sync.Mutex
	version uint32
	conns   int
}

func startFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, version: 80}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(nc)
		}
	}()
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func mp(v any) []byte { return msgpack.MustAppend(nil, v) }

func (s *fakeServer) serve(nc net.Conn) {
	defer nc.Close()
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		nc.Write(b)
	}
	write(proto.EncodeGreeting("2.6.0", "11111111-2222-3333-4444-555555555555", make([]byte, 32)))
	r := bufio.NewReader(nc)
	for {
		p, err := proto.ReadPacket(r, proto.BodyLenMax, nil)
		if err != nil {
			return
		}
		row, err := proto.DecodeHeader(p)
		if err != nil {
			return
		}
		var body map[any]any
		if len(row.Body) > 0 {
			v, _, _ := msgpack.Decode(row.Body)
			body, _ = v.(map[any]any)
		}
		s.mu.Lock()
		ver := s.version
		s.mu.Unlock()
		data := func(items ...any) []byte {
			var b []byte
			for _, it := range items {
				b = append(b, mp(it)...)
			}
			return proto.AppendData(nil, row.Sync, ver, uint32(len(items)), b)
		}
		switch row.Type {
		case proto.Ping:
			write(proto.AppendOK(nil, row.Sync, ver, nil))
		case proto.Select:
			switch body[uint64(proto.KeySpaceID)] {
			case uint64(281):
				sp := []any{
					[]any{uint64(512), uint64(1), "test", "memtx", uint64(0), map[string]any{},
						[]any{map[string]any{"name": "id", "type": "unsigned"}, map[string]any{"name": "name", "type": "string"}}},
				}
				if ver > 80 {
					sp = append(sp, []any{uint64(513), uint64(1), "more", "memtx", uint64(0), map[string]any{"temporary": true}, []any{}})
				}
				write(data(sp...))
			case uint64(289):
				write(data([]any{uint64(512), uint64(0), "pk", "tree", map[string]any{"unique": true},
					[]any{[]any{uint64(0), "unsigned"}}}))
			case uint64(277):
				write(data())
			default:
				write(data([]any{uint64(1), "a"}, []any{uint64(2), "b"}))
			}
		case proto.Call:
			name, _ := body[uint64(proto.KeyFunctionName)].(string)
			args, _ := body[uint64(proto.KeyTuple)].([]any)
			switch name {
			case "echo":
				write(data(args...))
			case "slow":
				go func(sync uint64) {
					time.Sleep(300 * time.Millisecond)
					write(proto.AppendData(nil, sync, ver, 1, mp("late")))
				}(row.Sync)
			case "push":
				// push(n[, delay_ms]): n pushes of 1..n, then "pushed".
				n, _ := args[0].(uint64)
				var delay uint64
				if len(args) > 1 {
					delay, _ = args[1].(uint64)
				}
				go func(sync uint64) {
					for i := uint64(1); i <= n; i++ {
						write(proto.AppendChunk(nil, sync, ver, mp(i)))
						time.Sleep(time.Duration(delay) * time.Millisecond)
					}
					write(proto.AppendData(nil, sync, ver, 1, mp("pushed")))
				}(row.Sync)
			case "hangup":
				return
			case "ddl":
				s.mu.Lock()
				s.version++
				ver = s.version
				s.mu.Unlock()
				write(data(true))
			default:
				write(proto.AppendError(nil, row.Sync, ver, boxerr.New(boxerr.ER_NO_SUCH_PROC, name)))
			}
		case proto.Eval:
			write(proto.AppendError(nil, row.Sync, ver,
				&boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError", Message: "eval:1: boom"}))
		default:
			write(proto.AppendError(nil, row.Sync, ver, boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, row.Type)))
		}
	}
}

// TestNetBoxFakeServer drives every connection method against the
// scripted server: schema objects, tuples with field names, remote
// errors, timeouts, a slow call that does not block other fibers,
// schema reload, peer hangup and close.
func TestNetBoxFakeServer(t *testing.T) {
	srv := startFakeServer(t)
	out, log := runNetBoxLua(t, fmt.Sprintf(`
local nb = require('net.box')
local fiber = require('fiber')
local r = {}
local function add(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end table.insert(r, table.concat(t, ' ')) end
local c = nb.connect('%s')
add(c.state, c.error, c.peer_uuid, c.peer_version_id, c.schema_version, c:ping(), c:is_connected())
local s = c.space.test
add(s.id, s.name, s.index.pk.type, s.index[0].parts[1].fieldno, c.space[512] == s, c.space.more)
local t = s:select()
add(#t, t[1].id, t[2].name, t[2][1], box.tuple.is(t[1]))
add(c:call('echo', {1, 'x'}))
local ok, e = pcall(c.call, c, 'nosuch')
add(ok, e.code, e.type, e.message)
ok, e = pcall(c.eval, c, 'return 1')
add(ok, e.type, e.message)
ok, e = pcall(s.get, s, 1)
add(ok, e.code, e.message == '')
ok, e = pcall(c.call, c, 'slow', {}, {timeout = 0.05})
add(ok, e.code, e.message)
-- a slow call blocks only its fiber
local ticks, res = 0
fiber.create(function() res = c:call('slow') end)
for _ = 1, 5 do ticks = ticks + 1 fiber.sleep(0.01) end
add(ticks, res)
while res == nil do fiber.sleep(0.01) end
add(res)
-- DDL on the server shows up after the reply that carries it
local okd, ed = pcall(c.call, c, 'ddl') if not okd then error(tostring(ed)) end
add(c.schema_version, c.space.more ~= nil, c.space.more.temporary, c.space.test == s)
-- the server hangs up
ok, e = pcall(c.call, c, 'hangup')
add(ok, e.code, e.message, c.state, c.error)
ok, e = pcall(c.ping, c)
add(ok, e)
-- reconnect
local c2 = nb.connect('%s', {reconnect_after = 0.02})
pcall(c2.call, c2, 'hangup')
add(c2.state, c2.error)
add(c2:wait_connected(1), c2.state, select(2, pcall(c2.call, c2, 'echo', {5})))
c2:close()
add(c2.state, c2.error)
c:close()
add(c.state, c.error)
out = table.concat(r, '\n')
`, srv.addr(), srv.addr()))
	want := strings.Join([]string{
		"active nil 11111111-2222-3333-4444-555555555555 132608 80 true true",
		"512 test TREE 1 true nil",
		"2 1 b 2 true",
		"1 x",
		"false 33 ClientError Procedure 'nosuch' is not defined",
		"false LuajitError eval:1: boom",
		"false 41 true",
		"false 78 Timeout exceeded",
		"5 nil",
		"late",
		"81 true true true",
		"false 77 Peer closed error Peer closed",
		"true false",
		"error_reconnect Peer closed",
		"true active 5",
		"closed Connection closed",
		"error Peer closed",
	}, "\n")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, log)
	}
	if !strings.Contains(log, "W> "+srv.addr()+": Peer closed") {
		t.Errorf("no reconnect warning in the log:\n%s", log)
	}
}

// TestNetBoxConnectErrors covers refused connections, a server that never
// greets (connect_timeout) and one that is not IPROTO.
func TestNetBoxConnectErrors(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	console, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	go func() {
		for {
			c, err := console.Accept()
			if err != nil {
				return
			}
			g := make([]byte, proto.GreetingSize)
			copy(g, fmt.Sprintf("%-63s\n%-63s\n", "Tarantool 2.6.0 (Lua console)", "type 'help' for interactive help"))
			c.Write(g)
			defer c.Close()
		}
	}()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	out, _ := runNetBoxLua(t, fmt.Sprintf(`
local nb = require('net.box')
local r = {}
local function add(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end table.insert(r, table.concat(t, ' ')) end
local c = nb.connect('%s')
add(c.state, c.error)
local ok, e = pcall(c.call, c, 'f')
add(ok, e.code, e.message)
c = nb.connect('%s', {connect_timeout = 0.05})
add(c.state, c.error)
c = nb.connect('%s')
add(c.state, c.error)
c = nb.connect('%s', {wait_connected = false})
add(c.state, c:wait_connected(0.01), c.state)
ok, e = pcall(c.call, c, 'f', {}, {timeout = 0.01})
add(ok, e.code, e.message == '')
c:close()
add(c.state)
out = table.concat(r, '\n')
`, refusedAddr, silent.Addr(), console.Addr(), silent.Addr()))
	want := strings.Join([]string{
		"error Connection refused",
		"false 77 Connection refused",
		"error Connection timed out",
		"error Unsupported protocol: Lua console",
		"initial false initial",
		"false 77 true",
		"closed",
	}, "\n")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		in                   string
		login, pass, host, s string
		ok                   bool
	}{
		{"3301", "", "", "", "3301", true},
		{"localhost:3301", "", "", "localhost", "3301", true},
		{"u:p@h:3301", "u", "p", "h", "3301", true},
		{"u@h:3301", "u", "", "h", "3301", true},
		{"unix/:/tmp/x.sock", "", "", "unix/", "/tmp/x.sock", true},
		{"foo", "", "", "foo", "", true},
		{"", "", "", "", "", false},
		{":3301", "", "", "", "", false},
		{"tcp://h:1", "", "", "h", "1", true},
		{"[::1]:3301", "", "", "::1", "3301", true},
		{"u:p@3301", "u", "p", "3301", "", true},
	} {
		u, ok := parseURI(c.in)
		if ok != c.ok || (ok && (u.login != c.login || u.password != c.pass || u.host != c.host || u.service != c.s)) {
			t.Errorf("parseURI(%q) = %+v, %v; want login %q password %q host %q service %q, %v",
				c.in, u, ok, c.login, c.pass, c.host, c.s, c.ok)
		}
	}
}

// TestNetBoxAgainstTarantool connects net.box inside Spindle to a real
// tarantool server and checks DDL through eval, DML through space
// objects, tuple field names, remote errors and the schema reload.
func TestNetBoxAgainstTarantool(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found; skipping the interop test")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "srv.lua")
	os.WriteFile(script, []byte(`
box.cfg{listen = '127.0.0.1:0', work_dir = os.getenv('WD'), log = os.getenv('WD') .. '/log.txt'}
box.schema.user.create('tester', {password = 'pw'})
box.schema.user.grant('tester', 'super')
function add(a, b) return a + b end
function pusher(n) for i = 1, n do box.session.push({i}) end return 'final' end
io.stdout:write(box.info.listen .. '\n')
io.stdout:flush()
`), 0o644)
	cmd := exec.Command(bin, script)
	cmd.Env = append(os.Environ(), "WD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("tarantool did not report its address: %v", err)
	}
	addr := strings.TrimSpace(line)
	out, log := runNetBoxLua(t, fmt.Sprintf(`
local nb = require('net.box')
local r = {}
local function add(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end table.insert(r, table.concat(t, ' ')) end
local c = nb.connect('tester:pw@%s')
add(c.state, c.peer_version_id, c:eval('return box.session.user()'))
c:eval([[
local s = box.schema.space.create('kv', {format = {{'k', 'string'}, {'v', 'unsigned'}}})
s:create_index('pk', {parts = {{1, 'string', collation = 'unicode_ci'}}})
]])
local kv = c.space.kv
add(kv.id, kv.index.pk.parts[1].collation, kv.index.pk.unique)
add(kv:insert{'a', 1}, kv:replace{'b', 2}.v, kv:get('A').k)
add(kv:update('a', {{'+', 2, 10}}).v, kv:upsert({'c', 3}, {{'+', 2, 1}}))
add(#kv:select(), kv.index.pk:count(), kv.index.pk:max().k, kv:delete('b').v)
local ok, e = pcall(kv.insert, kv, {'a', 5})
add(ok, e.code, e.type, e.message)
ok, e = pcall(kv.insert, kv, {1})
add(ok, e.code, e.message)
add(c:call('add', {2, 3}), pcall(c.call, c, 'nope'))
local pushed = {}
add(c:call('pusher', {2}, {on_push = function(x, m) table.insert(pushed, x .. m[1]) end, on_push_ctx = 'p'}), table.concat(pushed, ','))
local f = c:call('pusher', {2}, {is_async = true})
local seen = {}
for i, v in f:pairs(1) do table.insert(seen, i .. '=' .. (type(v) == 'table' and tostring(v[1]) or '?')) end
add(table.concat(seen, ' '), kv:get('a', {is_async = true}):wait_result(1).v)
local fs = {}
for i = 1, 5 do fs[i] = c:eval('require("fiber").sleep(...) return ...', {(5 - i) * 0.01}, {is_async = true}) end
add(fs[5]:wait_result(1)[1], fs[1]:is_ready(), fs[1]:wait_result(1)[1])
f = kv:insert({'a', 1}, {is_async = true})
add(select(2, f:wait_result(1)).code)
c:close()
add(c.state)
local bad = nb.connect('tester:wrong@%s')
add(bad.state, bad.error)
out = table.concat(r, '\n')
`, addr, addr))
	want := strings.Join([]string{
		"active 132608 tester",
		"512 unicode_ci true",
		"['a', 1] 2 a",
		"11",
		"3 3 c 2",
		"false 3 ClientError Duplicate key exists in unique index 'pk' in space 'kv'",
		"false 23 Tuple field 1 type does not match one required by operation: expected string",
		"5 false Procedure 'nope' is not defined",
		"final p1,p2",
		"1=1 2=2 3=final 11",
		"0 false 0.04",
		"3",
		"closed",
		"error Incorrect password supplied for user 'tester'",
	}, "\n")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s\nlog:\n%s", out, want, log)
	}
}

// FuzzNetBoxReply feeds arbitrary reply bodies to the decoders of
// replies (DATA, tuples with a format, counts, gets) and to the schema
// install: they must fail cleanly, never panic.
func FuzzNetBoxReply(f *testing.F) {
	f.Add(mp(map[uint64]any{proto.KeyData: []any{[]any{uint64(1), "a"}}}))
	f.Add(mp(map[uint64]any{proto.KeyData: []any{[]any{uint64(512), uint64(1), "s", "memtx", uint64(0), map[string]any{}, []any{map[string]any{"name": "x"}}}}}))
	f.Add(mp(map[uint64]any{proto.KeyData: []any{[]any{uint64(512), uint64(0), "pk", "tree", uint64(1), uint64(1), uint64(0), "num"}}}))
	f.Add(mp(map[uint64]any{proto.KeyData: []any{[]any{uint64(512), uint64(0), "pk", "tree", map[string]any{"unique": true},
		[]any{map[string]any{"field": uint64(0), "type": "string", "collation": uint64(1)}}}}}))
	f.Add(mp(map[uint64]any{proto.KeyMetadata: []any{map[uint64]any{0: "ID", 1: "integer", 5: nil}}, proto.KeyData: []any{[]any{uint64(1)}}}))
	f.Add(mp(map[uint64]any{proto.KeySQLInfo: map[uint64]any{0: uint64(2), 1: []any{uint64(1), int64(-2)}}}))
	f.Add(mp(map[uint64]any{proto.KeyStmtID: uint64(7), proto.KeyBindCount: uint64(1), proto.KeyBindMetadata: []any{map[uint64]any{0: "?", 1: "ANY"}}}))
	f.Add([]byte{0x81, 0x30, 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0x30, 0x91, 0x05})
	rt, sched, _ := nbRuntime(f)
	m := rt.openNetBox()
	fb := sched.New("fuzz")
	fb.Acquire()
	fc := rt.NewFiberCtx(fb, nil)
	L := fc.L
	if err := L.DoString(`fuzz_format = {[0] = {'a', 'b'}, a = 1, b = 2}`, "=fuzz"); err != nil {
		f.Fatal(err)
	}
	L.GetGlobal("fuzz_format")
	fmtRef := L.Ref()
	f.Fuzz(func(t *testing.T, body []byte) {
		defer L.SetTop(0)
		resp := client.Response{Body: body}
		for dec := nbDecodeNil; dec <= nbDecodePrepare; dec++ {
			top := L.GetTop()
			if err := m.decodeValue(L, dec, resp, fmtRef); err == nil {
				if L.GetTop() != top+1 {
					t.Fatalf("decoder %d pushed %d values", dec, L.GetTop()-top)
				}
				if dec == nbDecodeSelect || dec == nbDecodeTuple {
					// Read every field through the format, as scripts do.
					if err := L.Load(`local v = ... if type(v) == 'table' then for _, t in ipairs(v) do local _ = t.a, t.b, t:totable() end elseif v ~= nil then local _ = v.a, v:totable() end`, "=read"); err != nil {
						t.Fatal(err)
					}
					L.PushValue(top + 1)
					// Fields may fail to decode (an unknown extension): an
					// error, never a Go panic inside the runtime.
					if err := L.PCall(1, 0); err != nil && strings.Contains(err.Error(), "internal error") {
						t.Fatalf("reading decoded tuples: %v", err)
					}
				}
			}
			L.SetTop(top)
		}
		raw, err := dataOf(resp)
		if err != nil || raw == nil {
			return
		}
		L.PushRef(m.luaRef)
		L.RawGetField(-1, "install_schema")
		L.CreateTable(0, 0)
		L.PushNumber(1)
		for i := 0; i < 3; i++ {
			if _, err := L.PushMsgpack(raw, nil); err != nil {
				return
			}
		}
		L.CreateTable(0, 0)
		L.CreateTable(0, 0)
		if !L.PCallValue(7, 0) && strings.Contains(L.ErrorString(-1), "internal error") {
			t.Fatalf("install_schema: %s", L.ErrorString(-1))
		}
	})
}

// benchNetBox runs chunk b.N times on a net.box connection (global conn)
// to the scripted server.
func benchNetBox(b *testing.B, chunk string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fakeServer{ln: ln, version: 80}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.serve(nc)
		}
	}()
	rt, sched, _ := nbRuntime(b)
	f := sched.New("bench")
	f.Acquire()
	defer f.Finish()
	fc := rt.NewFiberCtx(f, nil)
	defer rt.ReleaseFiberCtx(fc)
	if err := rt.RunString(fc, fmt.Sprintf(`conn = require('net.box').connect('%s')`, ln.Addr()), "=setup"); err != nil {
		b.Fatal(err)
	}
	L := fc.L
	if err := L.Load(chunk, "=bench"); err != nil {
		b.Fatal(err)
	}
	fn := L.Ref()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		L.PushRef(fn)
		if err := L.PCall(0, lua.MultRet); err != nil {
			b.Fatal(err)
		}
		L.SetTop(0)
	}
	b.StopTimer()
	rt.RunString(fc, `conn:close()`, "=teardown")
}

// BenchmarkNetBoxCall measures a call round trip through net.box against
// the scripted server.
func BenchmarkNetBoxCall(b *testing.B) {
	benchNetBox(b, `return conn:call('echo', {1, 'two', {3}})`)
}
