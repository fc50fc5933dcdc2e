package server

import (
	"net"
	"strings"
	"syscall"

	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/proto"
)

// binaryTransport is an IPROTO session's connection for box.session.
type binaryTransport struct{ cs *session }

func (t binaryTransport) Type() string { return "binary" }
func (t binaryTransport) Peer() string { return t.cs.conn.Peer }
func (t binaryTransport) FD() int      { return socketFD(t.cs.conn.NetCon) }

// Push sends an IPROTO_CHUNK {DATA: [v]} with the request's sync, as
// 2.6's iproto_session_push; it is queued, never waited for.
func (t binaryTransport) Push(L lua.State, sync uint64, idx int) error {
	b, err := L.Encode(nil, idx, nil)
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

func (t *consoleTransport) Push(L lua.State, _ uint64, idx int) error {
	b := t.pushed[t.sched.Current()]
	if b == nil {
		// A fiber the request started: 2.6 writes to the console at once;
		// with no request output to join, the document is dropped.
		return nil
	}
	idx = L.AbsIndex(idx)
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.Load("return require('yaml').encode(...)", "=console"); err != nil {
		return err
	}
	L.PushValue(idx)
	L.CreateTable(0, 2)
	L.PushString("!push!")
	L.RawSetField(-2, "tag_handle")
	L.PushString("tag:tarantool.io/push,2018")
	L.RawSetField(-2, "tag_prefix")
	if err := L.PCall(2, 1); err != nil {
		return err
	}
	doc, _ := L.ToString(-1)
	b.WriteString(doc)
	return nil
}
