package luabox

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
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
	// Push delivers the value at stack index idx of L to the client as
	// box.session.push does, answering the request with sync. It must not
	// block on the network: the reply of the request goes out after it.
	Push(L lua.State, sync uint64, idx int) error
}

// SetTransport registers tr for the session with id; DropSession forgets
// it.
func (rt *Runtime) SetTransport(id uint64, tr Transport) { rt.transports[id] = tr }

// transport returns the transport of the running fiber's session, nil
// for a background session.
func (rt *Runtime) transport() Transport {
	fc := rt.ctx()
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
func (rt *Runtime) sessionExists(id uint64) bool {
	if _, ok := rt.transports[id]; ok {
		return true
	}
	sess := rt.session()
	return sess != nil && sess.ID == id
}

// sessionArg resolves the optional session id argument of peer and fd:
// the running session without it, the named one with it (which must
// exist).
func (rt *Runtime) sessionArg(L lua.State, fn string) Transport {
	if L.IsNoneOrNil(1) {
		return rt.transport()
	}
	id := uint64(L.CheckNumber(1))
	if !rt.sessionExists(id) {
		L.Errorf("session.%s(): session does not exist", fn)
	}
	return rt.transports[id]
}

// sessionTransportFuncs are the box.session functions answered from the
// transport.
func (rt *Runtime) sessionTransportFuncs() map[string]lua.Function {
	return map[string]lua.Function{
		"type": func(L lua.State) int {
			if tr := rt.transport(); tr != nil {
				L.PushString(tr.Type())
			} else {
				L.PushString("background")
			}
			return 1
		},
		"exists": func(L lua.State) int {
			L.PushBool(rt.sessionExists(uint64(L.CheckNumber(1))))
			return 1
		},
		"peer": func(L lua.State) int {
			tr := rt.sessionArg(L, "peer")
			if tr == nil || tr.Peer() == "" {
				L.PushNil()
			} else {
				L.PushString(tr.Peer())
			}
			return 1
		},
		"fd": func(L lua.State) int {
			tr := rt.sessionArg(L, "fd")
			fd := -1
			if tr != nil {
				fd = tr.FD()
			}
			L.PushNumber(float64(fd))
			return 1
		},
		"sync": func(L lua.State) int {
			L.PushUint64(rt.ctx().Sync)
			return 1
		},
		// push answers nil and an error object on failure, as 2.6 does.
		"push": func(L lua.State) int {
			if L.GetTop() != 1 {
				L.Errorf("Usage: box.session.push(data)")
			}
			tr := rt.transport()
			var err error
			if tr == nil {
				err = boxerr.New(boxerr.ER_UNSUPPORTED, "Session 'background'", "push()")
			} else {
				err = tr.Push(L, rt.ctx().Sync, 1)
			}
			if err != nil {
				L.PushNil()
				rt.pushError(L, boxerr.From(err))
				return 2
			}
			L.PushBool(true)
			return 1
		},
	}
}
