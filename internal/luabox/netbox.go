package luabox

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/say"
)

// net.box is Tarantool 2.6's connector (src/box/lua/net_box.lua), written
// here in Go over the public client package, with the two parts 2.6
// writes as plain table manipulation (the schema install and
// net.box.self) in lua/netbox.lua. A connection is a Lua table (the
// "remote") whose fields state, error, protocol, peer_uuid,
// peer_version_id, schema_version and space are kept up to date by Go, so
// scripts read them as plain fields, as in Tarantool.
//
// Concurrency: as in 2.6, every request is a future (netbox_future.go):
// the calling fiber encodes the body under the baton and sends it with
// client.Conn.Start, and a synchronous request then waits for its future
// on a fiber.Cond (so a cancellation or a wakeup ends the wait, and a
// slow call blocks only its own fiber). The client's goroutines must not
// touch Lua: they post replies and pushes to the connection's inbox, and
// the worker fiber per connection ("host:port (net.box)", as 2.6 names
// it), which otherwise waits without the baton for the socket to close,
// dispatches them under the baton. The worker also connects, loads the
// schema, reloads it when a reply shows a new version, reconnects when
// reconnect_after is set, and runs the connection triggers (on_connect,
// on_disconnect, on_schema_reload) where 2.6's worker does. All
// connection state, except the inbox, is touched only under the baton.
//
// Lua values: Go keeps the space and index metatables and a future's
// values as registry references, and the remote only weakly (in a
// weak-valued table): the trigger lists live in the remote, as 2.6's
// remote._on_connect, so nothing Go holds keeps a connection alive. When
// Lua collects a remote, its _transport object's finalizer closes the
// connection, as 2.6's gc hook stops the transport, and releases the
// references.

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
	nbCallArgsWhere  = "builtin/box/net_box.lua:1115: "
	nbEvalArgsWhere  = "builtin/box/net_box.lua:1122: "
	nbOptsPairsWhere = "builtin/box/net_box.lua:944: "
	nbSpaceArgWhere  = "builtin/box/schema.lua:1291: "
	nbIndexArgWhere  = "builtin/box/schema.lua:1310: "
	nbTriggerWhere   = "builtin/internal.trigger.lua:"
)

// Connection triggers: the remote keeps their lists in the fields
// "_"+name.
const (
	nbOnConnect = iota
	nbOnDisconnect
	nbOnSchemaReload
	nbTriggerKinds
)

var nbTriggerNames = [nbTriggerKinds]string{"on_connect", "on_disconnect", "on_schema_reload"}

// nbModule is the net.box module of one runtime: what its connections
// share. Every Lua function of the module is a closure over it.
type nbModule struct {
	rt            *Runtime
	transportType *lua.ObjectType // remote._transport: a *nbConn
	futureType    *lua.ObjectType // future._request: a *nbFuture
	remoteMTRef   int             // {__index = methods, __serialize, __metatable = false}
	futureMTRef   int             // {__index = future methods}
	pairsNextRef  int             // future:pairs()'s iterator function
	pingRef       int             // pingRequest, which ping calls protected
	modRef        int             // the module table
	luaRef        int             // lua/netbox.lua's table: install_schema, copy, trigger_new, self
	remotesRef    int             // weak-valued {[nbConn.id] = remote}
	nextID        int
	timeoutWarned bool // conn:timeout()'s deprecation warning was logged
}

// nbConn is one net.box connection (2.6's remote with its transport).
type nbConn struct {
	m  *nbModule
	rt *Runtime
	// id is the remote's key in the module's weak table of remotes.
	id                     int
	spaceMTRef, indexMTRef int
	// connected is 2.6's remote._is_connected: on_connect ran and
	// on_disconnect has not run since.
	connected bool

	network, address string // what the client dials
	hostPort         string // "host:port" as string.format('%s:%s') renders them
	logPrefix        string // the same with a nil host or port as ""
	user, password   string
	sess             *box.Session // the session of the fiber that connected

	// state is the transport's state. shown is the remote's state field,
	// which 2.6's _request and is_connected read: it follows state except
	// when a trigger raised during a change.
	state, shown string
	// last_errno and last_error of the state change that set them: errSet
	// tells whether there is an errno (ER_UNKNOWN is 0); errMsg is the
	// error's text as box.error.new's reason reads it ("" for a value
	// that is not a string or number) and errBox the box error when the
	// value was one (a trigger raised it).
	errSet  bool
	errCode boxerr.Code
	errMsg  string
	errBox  *boxerr.Error
	cond    fiber.Cond // broadcast on every state change

	cc       *client.Conn // the live connection, or nil
	worker   *fiber.Fiber // nil once it has ended
	stopped  bool         // close() stopped the worker (2.6 forgets worker_fiber at once)
	ctx      context.Context
	cancel   context.CancelFunc
	lastWarn string // the error last logged while reconnecting

	schemaVersion uint32
	wantSchema    uint32 // a reply showed this schema version: the worker reloads

	// Requests in flight (netbox_future.go), by id: the pending futures
	// and the synchronous requests waiting for their replies, so that a
	// lost connection fails them all with its error.
	futures    map[uint64]*nbFuture
	nextFuture uint64
	// deadlines are conn:timeout(t)'s per-fiber deadlines (fiber clock).
	deadlines map[*fiber.Fiber]time.Duration

	// The inbox is the only state shared with the client's goroutines.
	inboxMu   sync.Mutex
	inbox     []nbEvent
	inboxWake chan struct{} // one token: the inbox has events, or a reload is wanted
}

// openNetBox registers net.box (package.loaded['net.box'], as 2.6 loads
// it at start) and returns the module (tests reach its internals).
func (rt *Runtime) openNetBox() *nbModule {
	L := rt.L
	m := &nbModule{rt: rt}
	top := L.GetTop()
	defer L.SetTop(top)

	L.CreateTable(0, 1)
	L.PushBool(false)
	L.RawSetField(-2, "__metatable")
	m.transportType = L.NewObjectType("net.box.transport")
	m.transportType.Finalize = func(L lua.State, v any) { v.(*nbConn).collected(L) }
	m.openFuture()

	L.CreateTable(0, 0)
	L.CreateTable(0, 1)
	L.PushString("v")
	L.RawSetField(-2, "__mode")
	L.SetMetatable(-2)
	m.remotesRef = L.Ref()

	L.CreateTable(0, 24)
	methods := L.GetTop()
	L.SetFuncs(methods, m.remoteMethods())
	L.CreateTable(0, 3)
	L.PushValue(methods)
	L.RawSetField(-2, "__index")
	L.PushFunction(m.serialize)
	L.RawSetField(-2, "__serialize")
	L.PushBool(false)
	L.RawSetField(-2, "__metatable")
	m.remoteMTRef = L.Ref()
	L.PushFunction(m.pingRequest)
	m.pingRef = L.Ref()

	src, err := libFS.ReadFile("lua/netbox.lua")
	if err != nil {
		panic("luabox: missing lua/netbox.lua")
	}
	if err := L.Load(string(src), "@builtin/box/net_box.lua"); err != nil {
		panic("luabox: lua/netbox.lua: " + err.Error())
	}
	m.pushSelfHelpers(L)
	if err := L.PCall(1, 1); err != nil {
		panic("luabox: lua/netbox.lua: " + err.Error())
	}
	m.luaRef = L.Ref()

	L.CreateTable(0, 8)
	mod := L.GetTop()
	L.PushFunction(func(L lua.State) int { return m.connect(L, nil) })
	L.PushValue(-1)
	L.RawSetField(mod, "connect")
	L.RawSetField(mod, "new")
	L.PushFunction(m.moduleTimeout)
	L.RawSetField(mod, "timeout")
	L.PushFunction(func(L lua.State) int {
		return rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "net.box", "wrap() of a socket")
	})
	L.RawSetField(mod, "wrap")
	L.PushRef(m.luaRef)
	L.RawGetField(-1, "self")
	L.RawSetField(mod, "self")
	L.Pop(1)
	L.PushValue(mod)
	m.modRef = L.Ref()
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(mod)
	L.RawSetField(-2, "net.box")
	return m
}

// remoteMethods are the methods of a connection (2.6's remote_methods).
func (m *nbModule) remoteMethods() map[string]lua.Function {
	return map[string]lua.Function{
		"close":          m.close,
		"is_connected":   m.isConnected,
		"wait_connected": m.waitConnected,
		"wait_state":     m.waitStateMethod,
		"ping":           m.ping,
		"reload_schema":  m.reloadSchema,
		"timeout":        m.timeoutMethod,
		"call":           func(L lua.State) int { return m.call(L, false) },
		"call_16":        func(L lua.State) int { return m.call(L, true) },
		"eval":           func(L lua.State) int { return m.eval(L, false) },
		"eval_16":        func(L lua.State) int { return m.eval(L, true) },
		"on_connect":     func(L lua.State) int { return m.trigger(L, nbOnConnect) },
		"on_disconnect":  func(L lua.State) int { return m.trigger(L, nbOnDisconnect) },
		"on_schema_reload": func(L lua.State) int {
			return m.trigger(L, nbOnSchemaReload)
		},
		"execute":   m.execute,
		"prepare":   m.prepare,
		"unprepare": m.unprepare,
	}
}

// moduleTimeout is net.box.timeout(t): a module whose connect waits at
// most t seconds for the connection (unless wait_connected is false).
func (m *nbModule) moduleTimeout(L lua.State) int {
	tv := 1
	if L.IsTable(1) {
		tv = 2
	}
	if !L.ToBool(tv) {
		L.PushRef(m.modRef)
		return 1
	}
	// t as plain Go data: the connect closure must not hold a Lua value.
	wait := L.ToGo(tv)
	timed := func(L lua.State) int { return m.connect(L, wait) }
	L.CreateTable(0, 2)
	L.PushFunction(timed)
	L.PushValue(-1)
	L.RawSetField(-3, "connect")
	L.RawSetField(-2, "new")
	L.CreateTable(0, 1)
	L.PushRef(m.modRef)
	L.RawSetField(-2, "__index")
	L.SetMetatable(-2)
	return 1
}

// connect implements connect(uri[, opts]) and connect(host, port[,
// opts]) (also called as a method: parse_connect_params and new_sm).
// waitFor, when not nil, is net.box.timeout(t)'s t.
func (m *nbModule) connect(L lua.State, waitFor any) int {
	rt := m.rt
	base := 1
	if L.IsTable(1) {
		base = 2
	}
	L.SetTop(base + 2)
	hostIdx, portIdx, optsIdx := base, base+1, base+2
	if L.IsTable(portIdx) {
		L.PushValue(portIdx)
		L.Replace(optsIdx)
		L.PushNil()
		L.Replace(portIdx)
	}
	// opts is copied (raw pairs), so the caller's table is never changed.
	L.CreateTable(0, 8)
	opts := L.GetTop()
	switch L.Type(optsIdx) {
	case lua.TypeNil:
	case lua.TypeTable:
		L.PushNil()
		for L.Next(optsIdx) {
			L.PushValue(-2)
			L.Insert(-2)
			L.RawSet(opts)
		}
	default:
		L.RaiseString(nbOptsPairsWhere + "bad argument #1 to 'for iterator' (table expected, got " + L.TypeName(optsIdx) + ")")
	}
	if L.IsNil(portIdx) {
		u, ok := parseURI(rt.tostring(L, hostIdx))
		if !ok || u.service == "" {
			return rt.raiseCode(L, boxerr.ER_PROC_LUA, "usage: connect(uri[, opts] | host, port[, opts])")
		}
		if u.host != "" {
			L.PushString(u.host)
		} else {
			L.PushNil()
		}
		L.Replace(hostIdx)
		L.PushString(u.service)
		L.Replace(portIdx)
		L.RawGetField(opts, "user")
		L.RawGetField(opts, "password")
		if L.IsNil(-1) && L.IsNil(-2) {
			if u.login != "" {
				L.PushString(u.login)
				L.RawSetField(opts, "user")
			}
			if u.hasPassword {
				L.PushString(u.password)
				L.RawSetField(opts, "password")
			}
		}
		L.Pop(2)
	}
	if waitFor != nil {
		L.RawGetField(opts, "wait_connected")
		if !(L.Type(-1) == lua.TypeBoolean && !L.ToBool(-1)) {
			L.PushGo(waitFor)
			L.RawSetField(opts, "wait_connected")
		}
		L.Pop(1)
	}

	nc := &nbConn{m: m, rt: rt, state: nbInitial, shown: nbInitial, futures: map[uint64]*nbFuture{},
		inboxWake: make(chan struct{}, 1), sess: rt.ctx().Sess}
	// new_sm: the password leaves opts; a password without a user is an
	// error, a user without a password has the empty one.
	L.RawGetField(opts, "user")
	userIdx := L.GetTop()
	L.RawGetField(opts, "password")
	passIdx := L.GetTop()
	L.PushNil()
	L.RawSetField(opts, "password")
	if L.IsNil(userIdx) && !L.IsNil(passIdx) {
		return rt.raiseCode(L, boxerr.ER_PROC_LUA, "net.box: user is not defined")
	}
	if !L.IsNil(userIdx) {
		nc.user = rt.tostring(L, userIdx)
		if !L.IsNil(passIdx) {
			nc.password = rt.tostring(L, passIdx)
		}
	}
	L.Pop(2)
	L.RawGetField(opts, "console")
	if L.ToBool(-1) {
		return rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "net.box", "console connections (use require('console').connect())")
	}
	L.Pop(1)

	nc.hostPort = rt.tostring(L, hostIdx) + ":" + rt.tostring(L, portIdx)
	nc.logPrefix = nbOrEmpty(rt, L, hostIdx) + ":" + nbOrEmpty(rt, L, portIdx)
	// Copies: ToString would turn a number port into a string in place.
	host, port := luaStringOrEmpty(L, hostIdx), luaStringOrEmpty(L, portIdx)
	switch {
	case host == "unix/":
		nc.network, nc.address = "unix", port
	case host == "":
		nc.network, nc.address = "tcp", net.JoinHostPort("localhost", port)
	default:
		nc.network, nc.address = "tcp", net.JoinHostPort(host, port)
	}
	nc.ctx, nc.cancel = context.WithCancel(context.Background())

	L.CreateTable(0, 16)
	obj := L.GetTop()
	L.PushValue(hostIdx)
	L.RawSetField(obj, "host")
	L.PushValue(portIdx)
	L.RawSetField(obj, "port")
	L.PushValue(opts)
	L.RawSetField(obj, "opts")
	L.PushString(nbInitial)
	L.RawSetField(obj, "state")
	L.PushObject(m.transportType, nc)
	L.RawSetField(obj, "_transport")
	L.PushRef(m.remoteMTRef)
	L.SetMetatable(obj)
	L.RawGetField(opts, "call_16")
	if L.ToBool(-1) {
		for _, name := range []string{"call", "eval"} {
			L.PushRef(m.remoteMTRef)
			L.RawGetField(-1, "__index")
			L.RawGetField(-1, name+"_16")
			L.RawSetField(obj, name)
			L.Pop(2)
		}
	}
	L.Pop(1)
	L.PushRef(m.luaRef)
	for _, name := range []string{"on_schema_reload", "on_disconnect", "on_connect"} {
		L.RawGetField(-1, "trigger_new")
		L.PushString(name)
		L.Call(1, 1)
		L.RawSetField(obj, "_"+name)
	}
	L.Pop(1)
	m.nextID++
	nc.id = m.nextID
	L.PushRef(m.remotesRef)
	L.PushValue(obj)
	L.RawSetI(-2, nc.id)
	L.Pop(1)
	m.spaceMetatable(L, nc)
	m.indexMetatable(L, nc)

	name := nc.hostPort + " (net.box)"
	if len(name) > fiberNameMax-1 {
		name = name[:fiberNameMax-1]
	}
	// Like 2.6's fiber.create, the worker runs at once until it yields.
	nc.worker = rt.Sched.Start(name, nc.run)
	L.RawGetField(opts, "wait_connected")
	if !(L.Type(-1) == lua.TypeBoolean && !L.ToBool(-1)) {
		timeout := fiber.Infinite
		if v, ok := luaToNumber(L, -1); ok {
			timeout = secondsOrZero(v)
		}
		nc.waitState(L, func(s string) bool { return s == nbActive }, timeout)
	}
	L.PushValue(obj)
	return 1
}

// nbOrEmpty is `v or ""` rendered with %s.
func nbOrEmpty(rt *Runtime, L lua.State, idx int) string {
	if !L.ToBool(idx) {
		return ""
	}
	return rt.tostring(L, idx)
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

// luaToNumber is Lua's tonumber for the value at idx: numbers and
// numeric strings (number cdata are not numbers to tonumber's callers
// here, as 2.6's arithmetic on them would give cdata).
func luaToNumber(L lua.State, idx int) (float64, bool) {
	switch L.Type(idx) {
	case lua.TypeNumber:
		return L.ToNumber(idx), true
	case lua.TypeString:
		s, _ := L.ToString(idx)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			if n, err2 := strconv.ParseInt(strings.TrimSpace(s), 0, 64); err2 == nil {
				return float64(n), true
			}
		}
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

// conn returns the connection behind a remote given as self, or raises
// 2.6's check_remote_arg error for a method called with '.' instead of
// ':'.
func (m *nbModule) conn(L lua.State, method string) *nbConn {
	if L.IsTable(1) {
		L.RawGetField(1, "_transport")
		v, ok := L.ToObject(-1, m.transportType)
		L.Pop(1)
		if ok {
			return v.(*nbConn)
		}
	}
	m.rt.raiseCode(L, boxerr.ER_PROC_LUA, "Use remote:"+method+"(...) instead of remote."+method+"(...):")
	return nil
}

func (m *nbModule) close(L lua.State) int {
	if !m.conn(L, "close").stop(L) {
		L.Raise()
	}
	return 0
}

// isConnected reads the remote's state field, as 2.6 does.
func (m *nbModule) isConnected(L lua.State) int {
	m.conn(L, "is_connected")
	if err := L.GetField(1, "state"); err != nil {
		m.raiseErr(L, err)
	}
	isString := L.Type(-1) == lua.TypeString
	s, _ := L.ToString(-1)
	L.PushBool(isString && (s == nbActive || s == nbFetchSchema))
	return 1
}

// waitTimeout reads a wait_state-style timeout at idx: a number (or a
// numeric string), nil for no limit.
func waitTimeout(L lua.State, idx int) time.Duration {
	if v, ok := luaToNumber(L, idx); ok {
		return secondsOrZero(v)
	}
	return fiber.Infinite
}

func (m *nbModule) waitConnected(L lua.State) int {
	nc := m.conn(L, "wait_connected")
	L.PushBool(nc.waitState(L, func(s string) bool { return s == nbActive }, waitTimeout(L, 2)))
	return 1
}

// waitStateMethod is remote:wait_state(state, timeout): state is a name
// or a set {name = true, ...}; without a timeout the fiber's
// conn:timeout() deadline applies.
func (m *nbModule) waitStateMethod(L lua.State) int {
	nc := m.conn(L, "wait_state")
	L.SetTop(3)
	timeout := waitTimeout(L, 3)
	if L.IsNil(3) {
		timeout = nc.fiberDeadlineLeft()
	}
	var names map[string]bool
	target := ""
	switch L.Type(2) {
	case lua.TypeString:
		target, _ = L.ToString(2)
	case lua.TypeTable:
		names = map[string]bool{}
		for _, s := range []string{nbInitial, nbAuth, nbFetchSchema, nbActive, nbError, nbErrorReconnect, nbClosed} {
			if err := L.GetField(2, s); err != nil {
				m.raiseErr(L, err)
			}
			names[s] = L.ToBool(-1)
			L.Pop(1)
		}
	}
	L.PushBool(nc.waitState(L, func(s string) bool { return s == target || names[s] }, timeout))
	return 1
}

// timeoutMethod is the deprecated conn:timeout(t): requests of the
// calling fiber made without a timeout of their own wait at most until t
// seconds from now, from now on ("broken by design", says 2.6).
func (m *nbModule) timeoutMethod(L lua.State) int {
	nc := m.conn(L, "timeout")
	if !m.timeoutWarned {
		m.timeoutWarned = true
		m.rt.Log.Log(m.rt.ctx().F.Who(), say.Warn, "netbox:timeout(timeout) is deprecated since 1.7.4, "+
			"please use space:<request>(..., {timeout = t}) instead.")
	}
	f := m.rt.ctx().F
	if nc.deadlines == nil {
		nc.deadlines = map[*fiber.Fiber]time.Duration{}
	}
	for g := range nc.deadlines {
		if !g.Registered() {
			delete(nc.deadlines, g)
		}
	}
	if v, ok := luaToNumber(L, 2); ok && L.ToBool(2) {
		nc.deadlines[f] = m.rt.Sched.Clock() + time.Duration(v*float64(time.Second))
	} else {
		delete(nc.deadlines, f)
	}
	L.PushValue(1)
	return 1
}

// fiberDeadlineLeft is what is left of the running fiber's conn:timeout()
// deadline, Infinite without one.
func (nc *nbConn) fiberDeadlineLeft() time.Duration {
	d, ok := nc.deadlines[nc.rt.ctx().F]
	if !ok {
		return fiber.Infinite
	}
	return max(0, d-nc.rt.Sched.Clock())
}

// trigger is on_connect, on_disconnect and on_schema_reload:
// self._on_<name>(...), the remote's trigger list (lua/netbox.lua), with
// 2.6's setter forms and errors.
func (m *nbModule) trigger(L lua.State, kind int) int {
	m.conn(L, nbTriggerNames[kind])
	nargs := L.GetTop() - 1
	m.field(L, 1, "_"+nbTriggerNames[kind])
	L.Insert(2)
	L.Call(nargs, lua.MultRet)
	return L.GetTop() - 1
}

// serialize is the remote's __serialize (remote_serialize): what the
// console shows.
func (m *nbModule) serialize(L lua.State) int {
	if !L.IsTable(1) {
		L.PushNil()
		return 1
	}
	L.CreateTable(0, 9)
	t := L.GetTop()
	for _, k := range []string{"host", "port", "state", "error", "protocol", "schema_version", "peer_uuid", "peer_version_id"} {
		if err := L.GetField(1, k); err != nil {
			m.raiseErr(L, err)
		}
		L.RawSetField(t, k)
	}
	if err := L.GetField(1, "opts"); err != nil {
		m.raiseErr(L, err)
	}
	if L.IsTable(-1) {
		L.PushNil()
		if L.Next(-2) {
			L.Pop(2)
			L.RawSetField(t, "opts")
			return 1
		}
	}
	L.Pop(1)
	return 1
}
