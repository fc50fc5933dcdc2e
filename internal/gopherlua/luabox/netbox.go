package luabox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/say"
)

// net.box is Tarantool 2.6's connector (src/box/lua/net_box.lua), here
// written in Go over the public client package. A connection is a Lua
// table (the "remote") whose fields state, error, peer_uuid,
// peer_version_id, schema_version and space are kept up to date by Go,
// so scripts read them as plain fields, as in Tarantool.
//
// Concurrency: every request runs on the calling fiber. It encodes its
// body under the baton, gives the baton up while the client waits for the
// reply (fiber.Block), and decodes the reply under the baton again, so a
// slow call blocks only its own fiber. A worker fiber per connection
// ("host:port (net.box)", as 2.6 names it) connects, loads the schema,
// waits without the baton for the socket to close and reconnects when
// reconnect_after is set. Asynchronous requests (is_async) and requests
// that see their pushes (on_push) are futures instead: their replies and
// pushes are posted by the client's goroutine to an inbox that the worker
// dispatches under the baton (netbox_future.go). All connection state
// below, except that inbox, is touched only under the baton.

// Connection states, as 2.6's transport state machine names them.
const (
	nbInitial        = "initial"
	nbAuth           = "auth"
	nbFetchSchema    = "fetch_schema"
	nbActive         = "active"
	nbError          = "error"
	nbErrorReconnect = "error_reconnect"
	nbClosed         = "closed"
)

// nbDefaultConnectTimeout is 2.6's DEFAULT_CONNECT_TIMEOUT.
const nbDefaultConnectTimeout = 10 * time.Second

// System views the schema is loaded from.
const (
	nbVSpaceID     = 281
	nbVIndexID     = 289
	nbVCollationID = 277
)

// Positions 2.6 prefixes to the Lua errors (not box errors) its Lua code
// raises with error(): scripts print them, so they are part of the
// observable behaviour.
const (
	nbCallArgsWhere = "builtin/box/net_box.lua:1115: "
	nbEvalArgsWhere = "builtin/box/net_box.lua:1122: "
	nbSpaceArgWhere = "builtin/box/schema.lua:1291: "
	nbIndexArgWhere = "builtin/box/schema.lua:1310: "
)

// nbTransportType names the userdata kept in remote._transport.
const nbTransportType = "net.box.transport"

// nbConn is one net.box connection.
type nbConn struct {
	rt  *Runtime
	obj *lua.LTable // the remote

	network, address string // what the client dials
	name             string // "host:port", for the worker's name and log lines
	user, password   string
	connectTimeout   time.Duration
	reconnectAfter   time.Duration // 0: no reconnect

	state   string
	errCode boxerr.Code // of the last failure (last_errno)
	errSet  bool        // errCode is set: a failure state, whose code may be ER_UNKNOWN (0)
	errMsg  lua.LValue  // last_error: a string, or nil
	cond    fiber.Cond  // broadcast on every state change

	cc       *client.Conn // the live connection, or nil
	worker   *fiber.Fiber
	ctx      context.Context // cancelled by close
	cancel   context.CancelFunc
	lastWarn string // the error last logged while reconnecting

	schemaVersion uint32
	formats       map[uint32]*tupleFormat // field names by space id
	spaceMT       *lua.LTable
	indexMT       *lua.LTable

	// Requests whose outcome goes through the worker (netbox_future.go).
	shared      *nbShared
	futures     map[uint64]*nbFuture // pending, by request id
	nextFuture  uint64
	dispatching bool
	seenVersion uint32    // schema version of the last dispatched reply
	workerCtx   *FiberCtx // the worker's Lua context, once on_push needs one

	// The inbox is the only state shared with the client's goroutines.
	inboxMu   sync.Mutex
	inbox     []nbEvent
	inboxWake chan struct{} // one token: the inbox has events
}

// openNetBox registers require('net.box').
func (rt *Runtime) openNetBox() {
	L := rt.L
	transportMT := L.NewTypeMetatable(nbTransportType)
	transportMT.RawSetString("__metatable", lua.LFalse)

	shared := rt.openNetBoxFuture()
	methods := L.NewTable()
	for k, fn := range map[string]lua.LGFunction{
		"close":          rt.nbClose,
		"is_connected":   rt.nbIsConnected,
		"wait_connected": rt.nbWaitConnected,
		"wait_state":     rt.nbWaitState,
		"ping":           rt.nbPing,
		"reload_schema":  rt.nbReloadSchema,
		"call":           func(L *lua.LState) int { return rt.nbCall(L, false) },
		"call_16":        func(L *lua.LState) int { return rt.nbCall(L, true) },
		"eval":           func(L *lua.LState) int { return rt.nbEval(L, false) },
		"eval_16":        func(L *lua.LState) int { return rt.nbEval(L, true) },
	} {
		methods.RawSetString(k, L.NewFunction(fn))
	}
	remoteMT := L.NewTable()
	remoteMT.RawSetString("__index", methods)
	remoteMT.RawSetString("__serialize", L.NewFunction(rt.nbSerialize))
	remoteMT.RawSetString("__metatable", lua.LFalse)

	mod := L.NewTable()
	connect := L.NewFunction(func(L *lua.LState) int {
		return rt.nbConnect(L, shared, remoteMT, transportMT, 0)
	})
	mod.RawSetString("connect", connect)
	mod.RawSetString("new", connect)
	mod.RawSetString("timeout", L.NewFunction(func(L *lua.LState) int {
		return rt.nbModuleTimeout(L, mod, shared, remoteMT, transportMT)
	}))
	mod.RawSetString("self", rt.nbSelf())
	L.PreloadModule("net.box", func(L *lua.LState) int {
		L.Push(mod)
		return 1
	})
}

// nbModuleTimeout is net.box.timeout(t): a module whose connect waits at
// most t seconds for the connection.
func (rt *Runtime) nbModuleTimeout(L *lua.LState, mod *lua.LTable, shared *nbShared, remoteMT, transportMT *lua.LTable) int {
	tv := L.Get(1)
	if _, ok := tv.(*lua.LTable); ok {
		tv = L.Get(2)
	}
	if !lua.LVAsBool(tv) {
		L.Push(mod)
		return 1
	}
	timed := L.NewFunction(func(L *lua.LState) int {
		return rt.nbConnect(L, shared, remoteMT, transportMT, float64(lua.LVAsNumber(tv)))
	})
	t := L.NewTable()
	t.RawSetString("connect", timed)
	t.RawSetString("new", timed)
	mt := L.NewTable()
	mt.RawSetString("__index", mod)
	L.SetMetatable(t, mt)
	L.Push(t)
	return 1
}

// nbUsage is the error of connect() without a usable address.
func (rt *Runtime) nbUsage(L *lua.LState) {
	rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError",
		Message: "usage: connect(uri[, opts] | host, port[, opts])"})
}

// nbConnect implements connect(uri[, opts]) and connect(host, port[,
// opts]) (also called as a method). waitFor > 0 is the wait of a
// net.box.timeout(t) module.
func (rt *Runtime) nbConnect(L *lua.LState, shared *nbShared, remoteMT, transportMT *lua.LTable, waitFor float64) int {
	base := 1
	if _, ok := L.Get(1).(*lua.LTable); ok {
		base = 2
	}
	hostArg, portArg, optsArg := L.Get(base), L.Get(base+1), L.Get(base+2)
	if _, ok := portArg.(*lua.LTable); ok {
		optsArg, portArg = portArg, lua.LNil
	}
	opts := L.NewTable()
	if t, ok := optsArg.(*lua.LTable); ok {
		t.ForEach(func(k, v lua.LValue) { opts.RawSet(k, v) })
	}
	host, port := hostArg, portArg
	if port == lua.LNil {
		u, ok := parseURI(rt.tostring(L, hostArg))
		if !ok || u.service == "" {
			rt.nbUsage(L)
		}
		host, port = lua.LNil, lua.LString(u.service)
		if u.host != "" {
			host = lua.LString(u.host)
		}
		if opts.RawGetString("user") == lua.LNil && opts.RawGetString("password") == lua.LNil {
			if u.login != "" {
				opts.RawSetString("user", lua.LString(u.login))
			}
			if u.hasPassword {
				opts.RawSetString("password", lua.LString(u.password))
			}
		}
	}
	if waitFor > 0 && opts.RawGetString("wait_connected") != lua.LFalse {
		opts.RawSetString("wait_connected", lua.LNumber(waitFor))
	}
	userV, passV := opts.RawGetString("user"), opts.RawGetString("password")
	opts.RawSetString("password", lua.LNil)
	if userV == lua.LNil && passV != lua.LNil {
		rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: "net.box: user is not defined"})
	}

	nc := &nbConn{rt: rt, state: nbInitial, errMsg: lua.LNil, formats: map[uint32]*tupleFormat{},
		connectTimeout: nbDefaultConnectTimeout, shared: shared, futures: map[uint64]*nbFuture{},
		inboxWake: make(chan struct{}, 1)}
	if userV != lua.LNil {
		nc.user = rt.tostring(L, userV)
		if passV != lua.LNil {
			nc.password = rt.tostring(L, passV)
		}
	}
	if v, ok := toNumber(opts.RawGetString("connect_timeout")); ok {
		nc.connectTimeout = seconds(v)
	}
	if v, ok := opts.RawGetString("reconnect_after").(lua.LNumber); ok && v > 0 {
		nc.reconnectAfter = seconds(float64(v))
	}
	hostS, portS := lua.LVAsString(host), lua.LVAsString(port)
	nc.name = fmt.Sprintf("%s:%s", luaFmtS(host), luaFmtS(port))
	switch {
	case hostS == "unix/":
		nc.network, nc.address = "unix", portS
	case hostS == "":
		nc.network, nc.address = "tcp", net.JoinHostPort("localhost", portS)
	default:
		nc.network, nc.address = "tcp", net.JoinHostPort(hostS, portS)
	}
	nc.ctx, nc.cancel = context.WithCancel(context.Background())

	obj := L.NewTable()
	obj.RawSetString("host", host)
	obj.RawSetString("port", port)
	obj.RawSetString("opts", opts)
	obj.RawSetString("state", lua.LString(nbInitial))
	ud := L.NewUserData()
	ud.Value = nc
	ud.Metatable = transportMT
	obj.RawSetString("_transport", ud)
	L.SetMetatable(obj, remoteMT)
	nc.obj = obj
	nc.spaceMT, nc.indexMT = rt.nbSpaceMT(nc), rt.nbIndexMT(nc)

	name := nc.name + " (net.box)"
	if len(name) > fiberNameMax-1 {
		name = name[:fiberNameMax-1]
	}
	// Like 2.6's fiber.create, the worker runs at once until it yields.
	nc.worker = rt.Sched.Start(name, nc.run)
	if wc := opts.RawGetString("wait_connected"); wc != lua.LFalse {
		timeout := fiber.Infinite
		if v, ok := toNumber(wc); ok {
			timeout = secondsOrZero(v)
		}
		nc.waitState(L, func(s string) bool { return s == nbActive }, timeout)
	}
	L.Push(obj)
	return 1
}

// luaFmtS renders v as string.format's %s does for the values connect
// stores in host and port.
func luaFmtS(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	if n, ok := v.(lua.LNumber); ok {
		return formatNumber(float64(n))
	}
	return lua.LVAsString(v)
}

// uri is what connect needs of Tarantool's uri.parse result.
type uri struct {
	login, password string
	hasPassword     bool
	host, service   string
}

var uriHostPort = regexp.MustCompile(`^(\[[^\]]*\]|[^:\[\]]*)(?::(.*))?$`)

// parseURI parses the URI forms connect accepts: "port", "host:port",
// "login[:password]@host:port", "unix/:/path" and an optional
// "scheme://" prefix. A bare word is a port when it is all digits, else
// a host without a port (which connect rejects).
func parseURI(s string) (uri, bool) {
	var u uri
	if s == "" {
		return u, false
	}
	if i := strings.Index(s, "://"); i > 0 {
		s = s[i+3:]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		cred := s[:i]
		s = s[i+1:]
		u.login, u.password, u.hasPassword = strings.Cut(cred, ":")
	}
	if p, ok := strings.CutPrefix(s, "unix/:"); ok {
		u.host, u.service = "unix/", p
		return u, p != ""
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") {
		u.host, u.service = "unix/", s
		return u, true
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i] // a path after the address is not part of it
	}
	if isDigits(s) && u.login == "" {
		u.service = s
		return u, true
	}
	m := uriHostPort.FindStringSubmatch(s)
	if m == nil || m[1] == "" {
		return u, false
	}
	u.host = strings.TrimSuffix(strings.TrimPrefix(m[1], "["), "]")
	u.service = m[2]
	return u, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// toNumber is Lua's tonumber for numbers and numeric strings.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		return f, err == nil
	}
	return 0, false
}

// secondsOrZero converts a timeout; negative means none at all.
func secondsOrZero(x float64) time.Duration {
	if x <= 0 {
		return 0
	}
	return seconds(x)
}

// setState is set_state: it records the state and the error that caused
// it, mirrors them into the remote's fields and wakes everyone waiting
// for a state change.
func (nc *nbConn) setState(state string, code boxerr.Code, msg lua.LValue) {
	nc.state, nc.errCode, nc.errMsg = state, code, msg
	nc.errSet = code != 0 || state == nbError || state == nbErrorReconnect || state == nbClosed
	nc.obj.RawSetString("state", lua.LString(state))
	nc.obj.RawSetString("error", msg)
	if state == nbErrorReconnect {
		// Like 2.6, repeat the same error only in the verbose log.
		text := lua.LVAsString(msg)
		level := say.Warn
		if text == nc.lastWarn {
			level = say.Verbose
		}
		nc.lastWarn = text
		who := nc.rt.Sched.Current()
		if nc.worker != nil {
			who = nc.worker
		}
		nc.rt.Log.Log(who.Who(), level, nc.name+": "+text)
	}
	nc.cond.Broadcast()
	switch state {
	case nbError, nbErrorReconnect, nbClosed:
		nc.failFutures(code, msg)
	}
}

// fail is error_sm: the connection is dropped and the state becomes
// error_reconnect when reconnect_after is set, else error.
func (nc *nbConn) fail(code boxerr.Code, msg string) {
	if nc.cc != nil {
		nc.cc.Close()
		nc.cc = nil
	}
	if nc.state == nbClosed {
		return
	}
	if nc.reconnectAfter > 0 {
		nc.setState(nbErrorReconnect, code, lua.LString(msg))
	} else {
		nc.setState(nbError, code, lua.LString(msg))
	}
}

// stop is close(): the state becomes closed unless the connection already
// failed for good, and the worker ends.
func (nc *nbConn) stop() {
	if nc.state != nbError && nc.state != nbClosed {
		nc.setState(nbClosed, boxerr.ER_NO_CONNECTION, lua.LString("Connection closed"))
	}
	nc.cancel()
	if nc.cc != nil {
		nc.cc.Close()
		nc.cc = nil
	}
	if w := nc.worker; w != nil {
		w.Wakeup() // out of a reconnect pause
	}
}

// run is the worker fiber: connect, load the schema, wait for the
// connection to end, and reconnect while reconnect_after asks for it.
func (nc *nbConn) run(f *fiber.Fiber) {
	defer func() {
		nc.worker = nil
		if fc := nc.workerCtx; fc != nil {
			nc.workerCtx = nil
			nc.rt.ReleaseFiberCtx(fc)
			f.Local = nil
		}
	}()
	for {
		var cc *client.Conn
		var err error
		f.Block(func() {
			ctx, cancel := context.WithTimeout(nc.ctx, nc.connectTimeout)
			defer cancel()
			addr := nc.address
			if nc.network == "unix" {
				addr = "unix/:" + addr
			}
			cc, err = client.Dial(ctx, addr, client.Options{User: nc.user, Password: nc.password})
		})
		if nc.state == nbClosed {
			if cc != nil {
				cc.Close()
			}
			return
		}
		if err != nil {
			nc.fail(boxerr.ER_NO_CONNECTION, connectErrorMessage(err))
		} else {
			nc.cc = cc
			g := cc.Greeting()
			nc.obj.RawSetString("protocol", lua.LString("Binary"))
			nc.obj.RawSetString("peer_uuid", lua.LString(g.UUID))
			nc.obj.RawSetString("peer_version_id", lua.LNumber(g.VersionID))
			nc.setState(nbAuth, 0, lua.LNil)
			nc.setState(nbFetchSchema, 0, lua.LNil)
			if err := nc.loadSchema(f, cc); err != nil {
				if nc.cc == cc {
					code, msg := nc.transportError(err)
					nc.fail(code, msg)
				}
			} else if nc.cc == cc && nc.state == nbFetchSchema {
				nc.setState(nbActive, 0, lua.LNil)
			}
			if nc.cc == cc {
				nc.serve(f, cc)
				if nc.cc == cc && nc.state != nbClosed {
					nc.fail(boxerr.ER_NO_CONNECTION, closeReason(cc))
				}
			}
		}
		if nc.state != nbErrorReconnect {
			return
		}
		f.Sleep(nc.reconnectAfter)
		if nc.state != nbErrorReconnect {
			return
		}
	}
}

// serve is the worker's life while cc is up: it waits without the baton
// for the socket to close or for events from the client, dispatches the
// events under the baton, and reloads the schema when a dispatched reply
// showed a new version (2.6's worker does that for every reply it reads).
func (nc *nbConn) serve(f *fiber.Fiber, cc *client.Conn) {
	for nc.cc == cc {
		closed := false
		f.Block(func() {
			select {
			case <-cc.Closed():
				closed = true
			case <-nc.inboxWake:
			}
		})
		nc.dispatch()
		if closed {
			return
		}
		if v := nc.seenVersion; v != 0 && v != nc.schemaVersion && nc.cc == cc {
			nc.seenVersion = 0
			nc.reload(nc.rt.L, f)
		}
	}
}

// loadSchema fetches _vspace, _vindex and (from peers of 2.2.1 on)
// _vcollation without the baton, retrying while DDL changes the schema
// version between the replies, then installs the result.
func (nc *nbConn) loadSchema(f *fiber.Fiber, cc *client.Conn) error {
	withColl := cc.Greeting().VersionID >= 2<<16|2<<8|1
	for attempt := 0; ; attempt++ {
		var raw [3][]byte
		var version uint32
		var err error
		f.Block(func() {
			ids := []uint32{nbVSpaceID, nbVIndexID, nbVCollationID}
			for i, id := range ids {
				if i == 2 && !withColl {
					break
				}
				body := nbSelectBody(id, 0, 2 /* ALL */, 0, 0xFFFFFFFF, []byte{0x90})
				var resp client.Response
				resp, err = cc.Do(nc.ctx, client.TypeSelect, body)
				if err != nil {
					var ce *client.Error
					if i == 2 && errors.As(err, &ce) && ce.Code == uint32(boxerr.ER_NO_SUCH_SPACE) {
						withColl, err = false, nil
						break
					}
					return
				}
				if i == 0 {
					version = resp.SchemaVersion
				} else if resp.SchemaVersion != version {
					version = 0
				}
				if raw[i], err = dataOf(resp); err != nil {
					return
				}
			}
		})
		if err != nil {
			var ce *client.Error
			if errors.As(err, &ce) {
				// A refused schema query fails the connection (2.6's
				// error_sm(E_NO_CONNECTION, message)).
				return &boxerr.Error{Code: boxerr.ER_NO_CONNECTION, Type: "ClientError", Message: ce.Message}
			}
			return err
		}
		if nc.cc != cc {
			return nil // closed meanwhile
		}
		if version == 0 && attempt < 100 {
			continue
		}
		return nc.installSchema(version, raw[0], raw[1], raw[2])
	}
}

// reload refreshes the schema on the calling fiber after a reply showed a
// new schema version (2.6 does it in the worker while the request that
// saw the change waits for the state to return to active).
func (nc *nbConn) reload(L *lua.LState, f *fiber.Fiber) {
	if nc.state != nbActive || nc.cc == nil {
		return
	}
	cc := nc.cc
	nc.setState(nbFetchSchema, 0, lua.LNil)
	err := nc.loadSchema(f, cc)
	if nc.cc != cc || nc.state != nbFetchSchema {
		return
	}
	if err != nil {
		code, msg := nc.transportError(err)
		nc.fail(code, msg)
		return
	}
	nc.setState(nbActive, 0, lua.LNil)
}

// waitState is wait_state: it waits until ok(state) holds or the state
// is final (error, closed), at most timeout, and reports whether ok holds.
func (nc *nbConn) waitState(L *lua.LState, ok func(string) bool, timeout time.Duration) bool {
	f := nc.rt.ctx(L).F
	sched := nc.rt.Sched
	deadline := sched.Clock() + timeout
	if timeout == fiber.Infinite || deadline < 0 {
		deadline = fiber.Infinite
	}
	for !ok(nc.state) && nc.state != nbError && nc.state != nbClosed {
		left := fiber.Infinite
		if deadline != fiber.Infinite {
			left = max(0, deadline-sched.Clock())
		}
		err := nc.cond.Wait(f, left)
		nc.rt.testCancel(L)
		if err != nil {
			break
		}
	}
	return ok(nc.state)
}

// transportError turns a failure of the client into the code and message
// 2.6 reports for it.
func (nc *nbConn) transportError(err error) (boxerr.Code, string) {
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

// transport returns the connection behind a remote given as self, or
// raises 2.6's error for a method called with '.' instead of ':'.
func (rt *Runtime) nbTransport(L *lua.LState, method string) *nbConn {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetString("_transport").(*lua.LUserData); ok {
			if nc, ok := ud.Value.(*nbConn); ok {
				return nc
			}
		}
	}
	rt.nbRemoteArgError(L, method)
	return nil
}

// nbRemoteArgError is check_remote_arg's error.
func (rt *Runtime) nbRemoteArgError(L *lua.LState, method string) {
	rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError",
		Message: fmt.Sprintf("Use remote:%s(...) instead of remote.%s(...):", method, method)})
}

func (rt *Runtime) nbClose(L *lua.LState) int {
	rt.nbTransport(L, "close").stop()
	return 0
}

func (rt *Runtime) nbIsConnected(L *lua.LState) int {
	nc := rt.nbTransport(L, "is_connected")
	L.Push(lua.LBool(nc.state == nbActive || nc.state == nbFetchSchema))
	return 1
}

// nbTimeoutArg reads a wait_state-style timeout: nil waits forever.
func nbTimeoutArg(v lua.LValue) time.Duration {
	if f, ok := toNumber(v); ok {
		return secondsOrZero(f)
	}
	return fiber.Infinite
}

func (rt *Runtime) nbWaitConnected(L *lua.LState) int {
	nc := rt.nbTransport(L, "wait_connected")
	L.Push(lua.LBool(nc.waitState(L, func(s string) bool { return s == nbActive }, nbTimeoutArg(L.Get(2)))))
	return 1
}

// nbWaitState is wait_state(state, timeout): state is a name or a set
// {name = true, ...}.
func (rt *Runtime) nbWaitState(L *lua.LState) int {
	nc := rt.nbTransport(L, "wait_state")
	target := L.Get(2)
	ok := func(s string) bool {
		switch t := target.(type) {
		case lua.LString:
			return string(t) == s
		case *lua.LTable:
			return lua.LVAsBool(t.RawGetString(s))
		}
		return false
	}
	L.Push(lua.LBool(nc.waitState(L, ok, nbTimeoutArg(L.Get(3)))))
	return 1
}

// nbSerialize is the remote's __serialize: what the console shows.
func (rt *Runtime) nbSerialize(L *lua.LState) int {
	obj, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	t := L.NewTable()
	for _, k := range []string{"host", "port", "state", "error", "protocol", "schema_version", "peer_uuid", "peer_version_id"} {
		t.RawSetString(k, obj.RawGetString(k))
	}
	if o, ok := obj.RawGetString("opts").(*lua.LTable); ok {
		if k, _ := o.Next(lua.LNil); k != lua.LNil {
			t.RawSetString("opts", o)
		}
	}
	L.Push(t)
	return 1
}
