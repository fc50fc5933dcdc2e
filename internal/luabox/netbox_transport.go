package luabox

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/say"
)

// The transport of a connection: 2.6's state machine (set_state and its
// callback, error_sm, stop), the worker fiber that connects, runs the
// protocol and reconnects, and the errors it reports.

// pushRemote pushes the remote table, nil once Lua has collected it.
func (nc *nbConn) pushRemote(L lua.State) {
	L.PushRef(nc.m.remotesRef)
	L.RawGetI(-1, nc.id)
	L.Remove(-2)
}

// optsField pushes remote.opts[name] (raw: opts is the plain copy
// connect made).
func (nc *nbConn) optsField(L lua.State, name string) {
	nc.pushRemote(L)
	if !L.IsTable(-1) {
		return
	}
	L.RawGetField(-1, "opts")
	L.Remove(-2)
	if !L.IsTable(-1) {
		L.Pop(1)
		L.PushNil()
		return
	}
	L.RawGetField(-1, name)
	L.Remove(-2)
}

// reconnectTimeout is callback('reconnect_timeout'): opts.reconnect_after
// when it is a positive number, else 0 (no reconnect). It is read at
// every use, as 2.6 does, so a script may change it on the fly.
func (nc *nbConn) reconnectTimeout(L lua.State) time.Duration {
	nc.optsField(L, "reconnect_after")
	defer L.Pop(1)
	if L.Type(-1) == lua.TypeNumber && L.ToNumber(-1) > 0 {
		return seconds(L.ToNumber(-1))
	}
	return 0
}

// connectTimeout is callback('fetch_connect_timeout').
func (nc *nbConn) connectTimeout(L lua.State) time.Duration {
	nc.optsField(L, "connect_timeout")
	defer L.Pop(1)
	if v, ok := luaToNumber(L, -1); ok && L.ToBool(-1) {
		return secondsOrZero(v)
	}
	return nbDefaultConnectTimeout
}

// collected is the _transport object's finalizer: Lua collected the
// remote. A connection still in use is closed, as 2.6's gc hook stops
// the transport (its state callback, and so its triggers, went with the
// remote): the requests in flight fail with "Connection closed" and the
// worker ends. It runs inside a collection, so it calls no Lua.
func (nc *nbConn) collected(L lua.State) {
	if nc.state != nbError && nc.state != nbClosed {
		nc.state, nc.shown = nbClosed, nbClosed
		nc.errSet, nc.errCode, nc.errMsg, nc.errBox = true, boxerr.ER_NO_CONNECTION, "Connection closed", nil
		nc.connected = false
		nc.cond.Broadcast()
		nc.failFutures()
	}
	nc.stopWorker()
	L.Unref(nc.spaceMTRef)
	L.Unref(nc.indexMTRef)
	nc.spaceMTRef, nc.indexMTRef = 0, 0
}

// setState is 2.6's set_state with its callback('state_changed'): it
// records the state, its errno (when hasErr) and its error (the value at
// errIdx, 0 for nil), runs on_connect when the connection becomes active
// and was not, and on_disconnect when a connected one fails or closes,
// mirrors state and error into the remote's fields, wakes the fibers
// waiting for a state change and fails the requests in flight when the
// connection is lost. A trigger that raises stops it there, as in 2.6:
// the remote keeps its fields, nobody is woken, and setState returns
// false with the error value on top of L's stack.
func (nc *nbConn) setState(L lua.State, state string, hasErr bool, code boxerr.Code, errIdx int) bool {
	if errIdx != 0 {
		errIdx = L.AbsIndex(errIdx)
	}
	nc.state = state
	nc.errSet, nc.errCode, nc.errMsg, nc.errBox = hasErr, code, "", nil
	if errIdx != 0 {
		switch L.Type(errIdx) {
		case lua.TypeString, lua.TypeNumber:
			L.PushValue(errIdx)
			nc.errMsg, _ = L.ToString(-1)
			L.Pop(1)
		case lua.TypeCdata:
			nc.errBox = nc.rt.toError(L, errIdx)
		}
	}
	switch state {
	case nbActive:
		if !nc.connected {
			nc.connected = true
			if !nc.runTriggers(L, nbOnConnect) {
				return false
			}
		}
	case nbError, nbErrorReconnect, nbClosed:
		if nc.connected {
			nc.connected = false
			if !nc.runTriggers(L, nbOnDisconnect) {
				return false
			}
		}
	}
	nc.shown = state
	nc.pushRemote(L)
	if L.IsTable(-1) {
		L.PushString(state)
		L.RawSetField(-2, "state")
		if errIdx != 0 {
			L.PushValue(errIdx)
		} else {
			L.PushNil()
		}
		L.RawSetField(-2, "error")
	}
	L.Pop(1)
	if state == nbErrorReconnect {
		// Like 2.6, repeat the same error only in the verbose log.
		text := ""
		if errIdx != 0 {
			text = L.ErrorString(errIdx)
		}
		level := say.Warn
		if text == nc.lastWarn {
			level = say.Verbose
		}
		nc.lastWarn = text
		who := nc.rt.Sched.Current()
		if nc.worker != nil {
			who = nc.worker
		}
		nc.rt.Log.Log(who.Who(), level, nc.logPrefix+": "+text)
	}
	nc.cond.Broadcast()
	switch state {
	case nbError, nbErrorReconnect, nbClosed:
		nc.failFutures()
	}
	return true
}

// setStateMsg is setState with a Go string as the error.
func (nc *nbConn) setStateMsg(L lua.State, state string, code boxerr.Code, msg string) bool {
	L.PushString(msg)
	idx := L.GetTop()
	if !nc.setState(L, state, true, code, idx) {
		L.Remove(idx)
		return false
	}
	L.Pop(1)
	return true
}

// runTriggers is remote._on_<kind>:run(remote), in the running fiber. On
// an error it returns false with the error value on top of the stack.
func (nc *nbConn) runTriggers(L lua.State, kind int) bool {
	top := L.GetTop()
	nc.pushRemote(L)
	if !L.IsTable(-1) {
		L.SetTop(top)
		return true // collected: its triggers went with it
	}
	remote := L.GetTop()
	if err := L.GetField(remote, "_"+nbTriggerNames[kind]); err != nil {
		L.SetTop(top)
		L.PushString(err.Error())
		return false
	}
	list := L.GetTop()
	if err := L.GetField(list, "run"); err != nil {
		L.SetTop(top)
		L.PushString(err.Error())
		return false
	}
	L.PushValue(list)
	L.PushValue(remote)
	if !L.PCallValue(2, 0) {
		L.Replace(top + 1)
		L.SetTop(top + 1)
		return false
	}
	L.SetTop(top)
	return true
}

// errorSM is error_sm: the connection is dropped and, unless it was
// closed, the state becomes error_reconnect when reconnect_after is set,
// else error. It returns setState's verdict.
func (nc *nbConn) errorSM(L lua.State, code boxerr.Code, msg string) bool {
	if nc.cc != nil {
		nc.cc.Close()
		nc.cc = nil
	}
	if nc.state == nbClosed {
		return true
	}
	if nc.reconnectTimeout(L) > 0 {
		return nc.setStateMsg(L, nbErrorReconnect, code, msg)
	}
	return nc.setStateMsg(L, nbError, code, msg)
}

// stop is the transport's stop(): the state becomes closed unless the
// connection already ended for good, and the worker is cancelled. An
// on_disconnect trigger that raises leaves its error on top of the
// stack and the worker running, as 2.6's stop does.
func (nc *nbConn) stop(L lua.State) bool {
	if nc.state != nbError && nc.state != nbClosed {
		if !nc.setStateMsg(L, nbClosed, boxerr.ER_NO_CONNECTION, "Connection closed") {
			return false
		}
	}
	nc.stopWorker()
	return true
}

// stopWorker ends the worker: it closes the connection and cancels the
// worker fiber, which ends once it notices.
func (nc *nbConn) stopWorker() {
	if w := nc.worker; w != nil && !nc.stopped {
		nc.stopped = true
		nc.cancel()
		if nc.cc != nil {
			nc.cc.Close()
			nc.cc = nil
		}
		if w != nc.rt.Sched.Current() {
			w.Cancel()
		}
	}
}

// workerAlive is 2.6's worker_fiber ~= nil.
func (nc *nbConn) workerAlive() bool { return nc.worker != nil && !nc.stopped }

// run is the worker fiber: connect, run the protocol (authentication,
// schema, replies) until the connection ends, and reconnect while
// reconnect_after asks for it.
func (nc *nbConn) run(f *fiber.Fiber) {
	rt := nc.rt
	fc := rt.NewFiberCtx(f, nc.sess)
	L := fc.L
	defer func() {
		nc.worker = nil
		// Waiters re-check: is_ready() is true once the worker is gone.
		nc.cond.Broadcast()
		for _, fut := range nc.futures {
			fut.cond.Broadcast()
		}
		rt.ReleaseFiberCtx(fc)
		f.Local = nil
	}()
	for {
		var cc *client.Conn
		var err error
		timeout := nc.connectTimeout(L)
		f.Block(func() {
			ctx, cancel := context.WithTimeout(nc.ctx, timeout)
			defer cancel()
			addr := nc.address
			if nc.network == "unix" {
				addr = "unix/:" + addr
			}
			cc, err = client.Dial(ctx, addr, client.Options{User: nc.user, Password: nc.password})
		})
		if nc.state == nbClosed || nc.stopped {
			if cc != nil {
				cc.Close()
			}
			return
		}
		if err != nil {
			msg := connectErrorMessage(err)
			if nc.reconnectTimeout(L) == 0 {
				nc.setStateMsg(L, nbError, boxerr.ER_NO_CONNECTION, msg)
				return
			}
			nc.setStateMsg(L, nbErrorReconnect, boxerr.ER_NO_CONNECTION, msg)
		} else {
			if !nc.protocol(L, f, cc) {
				// pcall(protocol_sm) failed: a trigger, an on_push
				// callback or the schema install raised.
				if nc.state != nbError && nc.state != nbClosed {
					if !nc.setState(L, nbError, true, boxerr.ER_UNKNOWN, L.GetTop()) {
						// 2.6's worker dies of this second error.
						rt.Log.Log(f.Who(), say.Error, L.ErrorString(-1))
						L.SetTop(0)
						nc.dropConn(cc)
						return
					}
				}
				L.SetTop(0)
			}
			nc.dropConn(cc)
		}
		if nc.state != nbErrorReconnect || nc.stopped {
			return
		}
		f.Sleep(nc.reconnectTimeout(L))
		if nc.state != nbErrorReconnect || nc.stopped || nc.reconnectTimeout(L) == 0 {
			return
		}
	}
}

// dropConn closes cc and forgets it if it is still the live connection.
func (nc *nbConn) dropConn(cc *client.Conn) {
	if nc.cc == cc {
		nc.cc = nil
	}
	cc.Close()
}

// protocol is protocol_sm over an established (and authenticated)
// connection: greeting fields, auth and fetch_schema states, the schema,
// active, then the replies until the connection ends. It returns false,
// with the error value on top of the stack, when Lua code it runs
// raises.
func (nc *nbConn) protocol(L lua.State, f *fiber.Fiber, cc *client.Conn) bool {
	nc.cc = cc
	nc.wantSchema = 0 // a version seen on an earlier connection: the schema is loaded now
	g := cc.Greeting()
	nc.pushRemote(L)
	if L.IsTable(-1) {
		L.PushString("Binary")
		L.RawSetField(-2, "protocol")
		L.PushString(g.UUID)
		L.RawSetField(-2, "peer_uuid")
		L.PushNumber(float64(g.VersionID))
		L.RawSetField(-2, "peer_version_id")
	}
	L.Pop(1)
	nc.setState(L, nbAuth, false, 0, 0)
	nc.setState(L, nbFetchSchema, false, 0, 0)
	if !nc.fetchSchema(L, f, cc) {
		return false
	}
	if nc.cc != cc {
		return true
	}
	if !nc.setState(L, nbActive, false, 0, 0) {
		return false
	}
	return nc.serve(L, f, cc)
}

// serve is iproto_sm: while cc is up the worker waits without the baton
// for the socket to close or for events from the client, dispatches the
// events under the baton, and reloads the schema when a reply showed a
// new version (2.6's worker does that for every reply it reads).
func (nc *nbConn) serve(L lua.State, f *fiber.Fiber, cc *client.Conn) bool {
	for nc.cc == cc {
		closed := false
		f.Block(func() {
			select {
			case <-cc.Closed():
				closed = true
			case <-nc.inboxWake:
			}
		})
		if !nc.dispatch(L) {
			return false
		}
		if nc.cc != cc {
			return true
		}
		if closed {
			return nc.errorSM(L, boxerr.ER_NO_CONNECTION, closeReason(cc))
		}
		if v := nc.wantSchema; v != 0 && v != nc.schemaVersion {
			nc.wantSchema = 0
			if nc.state == nbActive {
				nc.setState(L, nbFetchSchema, false, 0, 0)
			}
			if !nc.fetchSchema(L, f, cc) {
				return false
			}
			if nc.cc != cc {
				return true
			}
			if nc.state == nbFetchSchema && !nc.setState(L, nbActive, false, 0, 0) {
				return false
			}
		} else if nc.state == nbFetchSchema {
			// The version a reply showed is loaded already: nothing to
			// fetch, the connection is active again.
			if !nc.setState(L, nbActive, false, 0, 0) {
				return false
			}
		}
	}
	return true
}

// waitState is wait_state: it waits until ok(state) holds or the state
// is final (error, closed), at most timeout, and reports whether ok
// holds. A cancelled fiber raises when its wait times out, as 2.6's
// cond:wait makes it.
func (nc *nbConn) waitState(L lua.State, ok func(string) bool, timeout time.Duration) bool {
	f := nc.rt.ctx().F
	sched := nc.rt.Sched
	deadline := fiber.Infinite
	if timeout != fiber.Infinite {
		deadline = sched.Clock() + timeout
		if deadline < 0 {
			deadline = fiber.Infinite
		}
	}
	for !ok(nc.state) && nc.state != nbError && nc.state != nbClosed {
		left := fiber.Infinite
		if deadline != fiber.Infinite {
			left = max(0, deadline-sched.Clock())
		}
		// As 2.6's cond:wait: a cancellation only wakes the waiter, a
		// cancelled fiber raises when its wait times out.
		if err := nc.cond.Wait(f, left); err != nil {
			nc.rt.testCancel(L)
			break
		}
	}
	return ok(nc.state)
}

// lastError is the error a request gets on a connection that is not
// active: box.error.new{code = last_errno or NO_CONNECTION, reason =
// last_error}, so the message is empty when there was no failure yet.
func (nc *nbConn) lastError() *boxerr.Error {
	code := nc.errCode
	if !nc.errSet {
		code = boxerr.ER_NO_CONNECTION
	}
	return &boxerr.Error{Code: code, Type: "ClientError", Message: nc.errMsg}
}

// transportError turns a failure of the client into the code and message
// 2.6 reports for it.
func transportError(err error) (boxerr.Code, string) {
	var be *boxerr.Error
	if errors.As(err, &be) {
		return be.Code, be.Message
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return boxerr.ER_NO_CONNECTION, ce.Message
	}
	return boxerr.ER_NO_CONNECTION, ioErrorMessage(err)
}

// connectErrorMessage is the error a failed connection attempt leaves in
// conn.error: strerror of the socket error, "Connection timed out", the
// server's message when authentication fails, "Invalid greeting".
func connectErrorMessage(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	msg := err.Error()
	if i := strings.Index(msg, " speaks \""); i >= 0 && strings.HasSuffix(msg, "\", not IPROTO") {
		// The client refuses a non-binary greeting, as 2.6's handshake
		// callback does; it names the protocol in its message.
		proto := msg[i+len(" speaks \"") : len(msg)-len("\", not IPROTO")]
		return "Unsupported protocol: " + proto
	}
	if strings.Contains(msg, "reading greeting") && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return "Invalid greeting"
	}
	if strings.Contains(msg, "greeting") && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			return "Invalid greeting"
		}
	}
	return ioErrorMessage(err)
}

// ioErrorMessage renders a socket error as 2.6 does: "Peer closed" for
// EOF, else the C library's strerror text.
func ioErrorMessage(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Peer closed"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "Connection timed out"
	case errors.Is(err, context.Canceled), errors.Is(err, net.ErrClosed):
		return "Connection closed"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strerror(errno)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "Invalid argument"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// strerror is glibc's text for errno. Go's table has the same words with
// a lower-case first letter.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// closeReason is why cc closed: "Peer closed" when the server hung up.
func closeReason(cc *client.Conn) string {
	_, err := cc.Do(context.Background(), client.TypePing, nil)
	if err == nil {
		return "Connection closed"
	}
	return ioErrorMessage(err)
}
