package luabox

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/boxerr"
)

// Transport is the connection behind a session as box.session sees it:
// the server registers one for every client session (SetTransport) and
// the session functions answer from it. A session without one (the
// instance file, fibers it starts, appliers) is a "background" session,
// as in 2.6.
type Transport interface {
	// Type is box.session.type(): "binary", "console" or "repl".
	Type() string
	// Peer is box.session.peer(): the client's "host:port", "" if none.
	Peer() string
	// FD is box.session.fd(), -1 if there is no socket.
	FD() int
	// Push delivers v to the client as box.session.push does, answering
	// the request with sync. It must not block on the network: the reply
	// of the request goes out after it.
	Push(L *lua.LState, sync uint64, v lua.LValue) error
}

// SetTransport registers tr for the session with id; DropSession forgets
// it.
func (rt *Runtime) SetTransport(id uint64, tr Transport) { rt.transports[id] = tr }

// transport returns the transport of the running fiber's session, nil
// for a background session.
func (rt *Runtime) transport(L *lua.LState) Transport {
	fc := rt.ctx(L)
	if fc.Transport != nil {
		return fc.Transport
	}
	if sess := fc.Sess; sess != nil {
		return rt.transports[sess.ID]
	}
	return nil
}

// sessionExists reports whether id is a live session: a client session
// or the running fiber's own.
func (rt *Runtime) sessionExists(L *lua.LState, id uint64) bool {
	if _, ok := rt.transports[id]; ok {
		return true
	}
	sess := rt.session(L)
	return sess != nil && sess.ID == id
}

// sessionArg resolves the optional session id argument of peer and fd:
// the running session without it, the named one with it (which must
// exist).
func (rt *Runtime) sessionArg(L *lua.LState, fn string) (Transport, bool) {
	if L.GetTop() < 1 || L.Get(1) == lua.LNil {
		return rt.transport(L), true
	}
	id := uint64(L.CheckNumber(1))
	if !rt.sessionExists(L, id) {
		luaRaise(L, "session."+fn+"(): session does not exist")
	}
	return rt.transports[id], true
}

// sessionTransportFuncs are the box.session functions answered from the
// transport.
func (rt *Runtime) sessionTransportFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"type": func(L *lua.LState) int {
			if tr := rt.transport(L); tr != nil {
				L.Push(lua.LString(tr.Type()))
			} else {
				L.Push(lua.LString("background"))
			}
			return 1
		},
		"exists": func(L *lua.LState) int {
			L.Push(lua.LBool(rt.sessionExists(L, uint64(L.CheckNumber(1)))))
			return 1
		},
		"peer": func(L *lua.LState) int {
			tr, _ := rt.sessionArg(L, "peer")
			if tr == nil || tr.Peer() == "" {
				L.Push(lua.LNil)
			} else {
				L.Push(lua.LString(tr.Peer()))
			}
			return 1
		},
		"fd": func(L *lua.LState) int {
			tr, _ := rt.sessionArg(L, "fd")
			fd := -1
			if tr != nil {
				fd = tr.FD()
			}
			L.Push(lua.LNumber(fd))
			return 1
		},
		"sync": func(L *lua.LState) int {
			L.Push(lua.LNumber(rt.ctx(L).Sync))
			return 1
		},
		// push answers nil and an error object on failure, as 2.6 does.
		"push": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaRaise(L, "Usage: box.session.push(data)")
			}
			tr := rt.transport(L)
			var err error
			if tr == nil {
				err = boxerr.New(boxerr.ER_UNSUPPORTED, "Session 'background'", "push()")
			} else {
				err = tr.Push(L, rt.ctx(L).Sync, L.Get(1))
			}
			if err != nil {
				L.Push(lua.LNil)
				L.Push(rt.newError(L, boxerr.From(err)))
				return 2
			}
			L.Push(lua.LTrue)
			return 1
		},
	}
}
