package server

import (
	"net"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/proto"
)

// binaryTransport is an IPROTO session's connection for box.session.
type binaryTransport struct{ cs *session }

func (t binaryTransport) Type() string { return "binary" }
func (t binaryTransport) Peer() string { return t.cs.conn.Peer }
func (t binaryTransport) FD() int      { return socketFD(t.cs.conn.NetCon) }

// Push sends an IPROTO_CHUNK {DATA: [v]} with the request's sync, as
// 2.6's iproto_session_push; it is queued, never waited for.
func (t binaryTransport) Push(L *lua.LState, sync uint64, v lua.LValue) error {
	b, err := luaconv.EncodeL(L, nil, v)
	if err != nil {
		return err
	}
	t.cs.conn.Queue(proto.AppendChunk(nil, sync, t.cs.schemaVersion(), b))
	return nil
}

// socketFD is the descriptor of a TCP connection, -1 if it has none.
func socketFD(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// consoleTransport is a console session ("repl" for the local console,
// "console" for console.listen): a push prints a YAML document tagged
// !push!, as 2.6's console does, ahead of the request's own output.
type consoleTransport struct {
	kind string
	// pushed collects the push documents of each request in progress,
	// by the fiber that serves it.
	pushed map[*fiber.Fiber]*strings.Builder
	sched  *fiber.Scheduler
}

func (t *consoleTransport) Type() string { return t.kind }
func (t *consoleTransport) Peer() string { return "" }
func (t *consoleTransport) FD() int      { return -1 }

func (t *consoleTransport) Push(L *lua.LState, _ uint64, v lua.LValue) error {
	b := t.pushed[t.sched.Current()]
	if b == nil {
		// A fiber the request started: 2.6 writes to the console at once;
		// with no request output to join, the document is dropped.
		return nil
	}
	yaml := L.GetField(L.GetField(L.Get(lua.RegistryIndex), "_LOADED"), "yaml")
	if yaml == lua.LNil {
		L.Push(L.GetGlobal("require"))
		L.Push(lua.LString("yaml"))
		L.Call(1, 1)
		yaml = L.Get(-1)
		L.Pop(1)
	}
	opts := L.NewTable()
	opts.RawSetString("tag_handle", lua.LString("!push!"))
	opts.RawSetString("tag_prefix", lua.LString("tag:tarantool.io/push,2018"))
	L.Push(L.GetField(yaml, "encode"))
	L.Push(v)
	L.Push(opts)
	L.Call(2, 1)
	b.WriteString(lua.LVAsString(L.Get(-1)))
	L.Pop(1)
	return nil
}
