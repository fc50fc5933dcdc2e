package luabox

import (
	"errors"
	"fmt"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
)

// Futures: 2.6's asynchronous requests (opts.is_async) and the pushes of
// box.session.push (IPROTO_CHUNK).
//
// A request that has to see its pushes, or that is asynchronous, is sent
// with client.Conn.Start. The client's reader goroutine must not touch
// Lua, so its callbacks only post events (a push's bytes, the final
// reply) to the connection's inbox and ring inboxWake. The connection's
// worker fiber, which otherwise waits without the baton for the socket
// to close, wakes up, takes the baton and dispatches the inbox in arrival
// order: it appends pushes to the future's messages (or calls the
// synchronous request's on_push in the worker fiber, as 2.6 does), marks
// finished futures ready, and broadcasts the future's cond. Every field
// of a future is therefore touched only under the baton.
//
// Invariants: a future is pending (id != 0) exactly while it is in
// nbConn.futures; it becomes ready once, by its reply, by discard, or by
// the connection failing (set_state fails every pending future, after
// dispatching the events that arrived before the failure, in request id
// order as 2.6's requests table iterates); events for a future that is
// no longer pending are dropped.

// nbFutureType names the userdata kept in a future's _request field.
const nbFutureType = "net.box.future"

// Positions 2.6 prefixes to the Lua errors of the future methods and of
// an async request given on_push.
const (
	nbPairsWhere      = "builtin/box/net_box.lua:391: "
	nbWaitResultWhere = "builtin/box/net_box.lua:408: "
	nbAsyncPushWhere  = "builtin/box/net_box.lua:1167: "
)

// nbDecoder says how a request's final reply becomes its result, as
// 2.6's method_decoder table.
type nbDecoder uint8

const (
	nbDecodeNil    nbDecoder = iota // ping, upsert: nil
	nbDecodeData                    // call, eval: a table of the values
	nbDecodeTuple                   // insert, replace, delete, update: the tuple or nil
	nbDecodeSelect                  // select: a table of tuples
	nbDecodeGet                     // get, min, max: one tuple, MORE_THAN_ONE_TUPLE for more
	nbDecodeCount                   // count: the first value
)

// nbFuture is one request in flight (2.6's request object).
type nbFuture struct {
	nc     *nbConn
	id     uint64 // 0 once ready
	decode nbDecoder
	format *tupleFormat // of the space, for tuple results

	// The outcome once ready: the reply, or err (set by discard, a
	// connection failure, an error reply). value caches the decoded
	// result and errValue the error object, so repeated result() calls
	// return the same objects.
	resp     client.Response
	err      *boxerr.Error
	decoded  bool
	value    lua.LValue
	errValue lua.LValue

	// Pushes: an async request collects them in messages (2.6 passes
	// table.insert and {} as on_push and on_push_ctx), created at the
	// first push; a synchronous one with on_push calls
	// onPush(onPushCtx, message).
	async     bool
	messages  *lua.LTable
	onPush    lua.LValue
	onPushCtx lua.LValue

	cond fiber.Cond // broadcast on every push and when ready
}

// nbEvent is what the client's goroutines post for the worker.
type nbEvent struct {
	fut   *nbFuture
	final bool
	push  []byte
	resp  client.Response
	err   error
}

// post queues ev for dispatch and wakes the worker. It runs on client
// goroutines, without the baton.
func (nc *nbConn) post(ev nbEvent) {
	nc.inboxMu.Lock()
	nc.inbox = append(nc.inbox, ev)
	nc.inboxMu.Unlock()
	select {
	case nc.inboxWake <- struct{}{}:
	default:
	}
}

// startFuture sends a request whose outcome fut collects. Like 2.6's
// perform_async_request it does not wait for the connection: unless it is
// active or fetching the schema, it returns the connection's last error.
func (nc *nbConn) startFuture(fut *nbFuture, typ uint32, body []byte) *boxerr.Error {
	if nc.state != nbActive && nc.state != nbFetchSchema || nc.cc == nil {
		return nc.lastError()
	}
	nc.nextFuture++
	fut.id = nc.nextFuture
	nc.futures[fut.id] = fut
	err := nc.cc.Start(typ, body, client.RequestOptions{OnPush: func(data []byte) {
		nc.post(nbEvent{fut: fut, push: data})
	}}, func(resp client.Response, err error) {
		nc.post(nbEvent{fut: fut, final: true, resp: resp, err: err})
	})
	if err != nil && nc.cc != nil {
		// The connection closed under us: the first to see it moves the
		// state on, which fails the future with the connection's error,
		// as 2.6 fails the requests it had queued.
		nc.fail(boxerr.ER_NO_CONNECTION, ioErrorMessage(err))
	}
	return nil
}

// dispatch delivers the posted events under the baton, in order.
func (nc *nbConn) dispatch() {
	if nc.dispatching {
		return
	}
	nc.dispatching = true
	defer func() { nc.dispatching = false }()
	for {
		nc.inboxMu.Lock()
		evs := nc.inbox
		nc.inbox = nil
		nc.inboxMu.Unlock()
		if len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			fut := ev.fut
			if fut.id == 0 {
				continue // discarded or failed meanwhile
			}
			if !ev.final {
				nc.deliverPush(fut, ev.push)
				continue
			}
			if errors.Is(ev.err, client.ErrClosed) {
				// Left pending: the state change that follows a lost
				// connection fails it with the connection's error.
				continue
			}
			if v := ev.resp.SchemaVersion; v != 0 {
				nc.seenVersion = v
			}
			var err *boxerr.Error
			if ev.err != nil {
				err = nc.requestError(ev.err)
			}
			nc.finish(fut, ev.resp, err)
		}
	}
}

// finish makes fut ready with its reply or error.
func (nc *nbConn) finish(fut *nbFuture, resp client.Response, err *boxerr.Error) {
	delete(nc.futures, fut.id)
	fut.id = 0
	fut.resp, fut.err = resp, err
	fut.cond.Broadcast()
}

// failFutures is set_state's loop over the requests in flight: each
// fails with the state's error.
func (nc *nbConn) failFutures(code boxerr.Code, msg lua.LValue) {
	nc.dispatch()
	if len(nc.futures) == 0 {
		return
	}
	ids := make([]uint64, 0, len(nc.futures))
	for id := range nc.futures {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	text, _ := msg.(lua.LString)
	for _, id := range ids {
		nc.finish(nc.futures[id], client.Response{}, &boxerr.Error{Code: code, Type: "ClientError", Message: string(text)})
	}
}

// deliverPush hands one pushed value to its request: the messages of an
// async future, or the on_push callback of a synchronous request, which
// runs in the dispatching (worker) fiber; an error raised there breaks
// the connection, as it breaks 2.6's worker.
func (nc *nbConn) deliverPush(fut *nbFuture, data []byte) {
	rt := nc.rt
	// msgpack nil decodes to box.NULL, so every push counts in messages.
	msg, _, err := luaconv.Decode(rt.L, data)
	if err != nil || msg == lua.LNil {
		msg = luaconv.NULL(rt.L)
	}
	if fut.async {
		if fut.messages == nil {
			fut.messages = rt.L.CreateTable(4, 0)
		}
		fut.messages.RawSetInt(fut.messages.Len()+1, msg)
		fut.cond.Broadcast()
		return
	}
	if fut.onPush == nil {
		return
	}
	if cur := rt.Sched.Current(); cur != nil && cur == nc.worker && cur.Local == nil {
		// The worker runs Lua only for on_push: give it a context then.
		nc.workerCtx = rt.NewFiberCtx(cur, nil)
	}
	if _, err := rt.protect(fut.onPush, []lua.LValue{fut.onPushCtx, msg}); err != nil {
		text := rt.tostring(rt.L, errorValue(err))
		if nc.cc != nil {
			nc.cc.Close()
			nc.cc = nil
		}
		if nc.state != nbClosed && nc.state != nbError {
			nc.setState(nbError, boxerr.ER_UNKNOWN, lua.LString(text))
		}
		return
	}
	fut.cond.Broadcast()
}

// pushCount is the number of pushes an async future has collected.
func (fut *nbFuture) pushCount() int {
	if fut.messages == nil {
		return 0
	}
	return fut.messages.Len()
}

// isReady is request:is_ready(): the request finished, or the worker is
// gone.
func (fut *nbFuture) isReady() bool { return fut.id == 0 || fut.nc.worker == nil }

// result is request:result(): the result, or nil and an error.
func (rt *Runtime) nbFutureResult(L *lua.LState, fut *nbFuture) (lua.LValue, lua.LValue) {
	if fut.id != 0 {
		if fut.nc.worker == nil {
			return lua.LNil, rt.newError(L, boxerr.New(boxerr.ER_NO_CONNECTION))
		}
		return lua.LNil, rt.newError(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: "Response is not ready"})
	}
	if fut.err == nil && !fut.decoded {
		fut.value, fut.err = rt.nbDecodeResult(L, fut)
		fut.decoded = true
	}
	if fut.err != nil {
		if fut.errValue == nil {
			fut.errValue = rt.newError(L, fut.err)
		}
		return lua.LNil, fut.errValue
	}
	return fut.value, nil
}

// nbDecodeResult is method_decoder[method] applied to the final reply.
func (rt *Runtime) nbDecodeResult(L *lua.LState, fut *nbFuture) (lua.LValue, *boxerr.Error) {
	var vals []lua.LValue
	var err error
	switch fut.decode {
	case nbDecodeNil:
		return lua.LNil, nil
	case nbDecodeData, nbDecodeCount:
		vals, err = rt.nbDecodeData(L, fut.resp)
	default:
		vals, err = rt.nbDecodeTuples(L, fut.resp, fut.format)
	}
	if err != nil {
		return lua.LNil, boxerr.From(err)
	}
	switch fut.decode {
	case nbDecodeData, nbDecodeSelect:
		t := L.CreateTable(len(vals), 0)
		for _, v := range vals {
			t.Append(v)
		}
		return t, nil
	case nbDecodeGet:
		if len(vals) > 1 {
			return lua.LNil, &boxerr.Error{Code: boxerr.ER_MORE_THAN_ONE_TUPLE, Type: "ClientError"}
		}
	}
	return nbFirst(vals), nil
}

// nbWaitFuture waits, at most timeout, for fut to become ready or (with
// anyPush) for a new push, and reports whether the timeout expired
// first. Like a fiber.cond wait it yields at least once, even for a zero
// timeout, and raises when the fiber is cancelled.
func (rt *Runtime) nbWaitFuture(L *lua.LState, fut *nbFuture, timeout time.Duration, anyPush bool) bool {
	f := rt.ctx(L).F
	sched := rt.Sched
	pushes := fut.pushCount()
	deadline := fiber.Infinite
	if timeout != fiber.Infinite {
		deadline = sched.Clock() + timeout
	}
	for waited := false; ; waited = true {
		if fut.isReady() || anyPush && fut.pushCount() != pushes {
			return false
		}
		left := fiber.Infinite
		if deadline != fiber.Infinite {
			left = max(0, deadline-sched.Clock())
			if left == 0 && waited {
				return true
			}
		}
		fut.cond.Wait(f, left)
		rt.testCancel(L)
	}
}

// futureObject builds the Lua future of fut: a table, as in 2.6, whose
// methods come from its metatable.
func (nc *nbConn) futureObject(L *lua.LState, fut *nbFuture) *lua.LTable {
	obj := L.CreateTable(0, 1)
	ud := L.NewUserData()
	ud.Value = fut
	ud.Metatable = nc.shared.futureUDMT
	obj.RawSetString("_request", ud)
	L.SetMetatable(obj, nc.shared.futureMT)

	return obj
}

// nbFutureArg returns the future a method was called on; anything else
// (a call with '.') fails as indexing a nil self fails at line of 2.6's
// net_box.lua.
func nbFutureArg(L *lua.LState, line int, local string) *nbFuture {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetString("_request").(*lua.LUserData); ok {
			if fut, ok := ud.Value.(*nbFuture); ok {
				return fut
			}
		}
	}
	L.Error(lua.LString(fmt.Sprintf("builtin/box/net_box.lua:%d: attempt to index local '%s' (a nil value)", line, local)), 0)
	return nil
}

// nbTimeoutOpt checks the timeout of wait_result and pairs: nil or false
// is no limit, anything but a non-negative number is a usage error.
func nbTimeoutOpt(L *lua.LState, where, usage string) time.Duration {
	v := L.Get(2)
	if !lua.LVAsBool(v) {
		return fiber.Infinite
	}
	n, ok := v.(lua.LNumber)
	if !ok || n < 0 {
		L.Error(lua.LString(where+usage), 0)
	}
	return secondsOrZero(float64(n))
}

// nbShared holds what every connection of the module shares.
type nbShared struct {
	futureMT   *lua.LTable // a future's metatable: {__index = methods}
	futureUDMT *lua.LTable // of the userdata in a future's _request
	pairsNext  *lua.LFunction
}

// openNetBoxFuture creates the metatables and functions of futures.
func (rt *Runtime) openNetBoxFuture() *nbShared {
	L := rt.L
	sh := &nbShared{futureUDMT: L.NewTypeMetatable(nbFutureType)}
	sh.futureUDMT.RawSetString("__metatable", lua.LFalse)
	methods := L.NewTable()
	for k, fn := range map[string]lua.LGFunction{
		"is_ready": func(L *lua.LState) int {
			L.Push(lua.LBool(nbFutureArg(L, 301, "self").isReady()))
			return 1
		},
		"result": func(L *lua.LState) int {
			return rt.pushFutureResult(L, nbFutureArg(L, 310, "self"))
		},
		"wait_result": func(L *lua.LState) int {
			timeout := nbTimeoutOpt(L, nbWaitResultWhere, "Usage: future:wait_result(timeout)")
			fut := nbFutureArg(L, 413, "self")
			if !fut.isReady() && (timeout == 0 || rt.nbWaitFuture(L, fut, timeout, false)) {
				L.Push(lua.LNil)
				L.Push(rt.newError(L, boxerr.New(boxerr.ER_TIMEOUT)))
				return 2
			}
			return rt.pushFutureResult(L, fut)
		},
		"discard": func(L *lua.LState) int {
			fut := nbFutureArg(L, 433, "self")
			if fut.id != 0 {
				delete(fut.nc.futures, fut.id)
				fut.id = 0
				fut.err = &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: "Response is discarded"}
			}
			return 0
		},
		"pairs": func(L *lua.LState) int {
			// Like 2.6, self is first used by the iteration.
			nbTimeoutOpt(L, nbPairsWhere, "Usage: future:pairs(timeout)")
			it := L.NewTable()
			it.RawSetString("request", L.Get(1))
			it.RawSetString("timeout", L.Get(2))
			L.Push(sh.pairsNext)
			L.Push(it)
			L.Push(lua.LNumber(0))
			return 3
		},
	} {
		methods.RawSetString(k, L.NewFunction(fn))
	}
	sh.futureMT = L.NewTable()
	sh.futureMT.RawSetString("__index", methods)
	sh.pairsNext = L.NewFunction(rt.nbFutureNext)
	return sh
}

// nbFutureNext is request_iterator_next: the pushes in order, then the
// final result under the next index, then the end; an error (or a
// timeout waiting for the next message) yields box.NULL and the error.
func (rt *Runtime) nbFutureNext(L *lua.LState) int {
	it, _ := L.Get(1).(*lua.LTable)
	iv := L.Get(2)
	if it == nil || luaconv.IsNil(iv) {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	L.Replace(1, it.RawGetString("request"))
	fut := nbFutureArg(L, 350, "request")
	i := int(lua.LVAsNumber(iv)) + 1
	timeout := fiber.Infinite
	if n, ok := it.RawGetString("timeout").(lua.LNumber); ok {
		timeout = secondsOrZero(float64(n))
	}
	for {
		if i <= fut.pushCount() {
			L.Push(lua.LNumber(i))
			L.Push(fut.messages.RawGetInt(i))
			return 2
		}
		if fut.isReady() {
			if i > fut.pushCount()+1 {
				L.Push(lua.LNil)
				L.Push(lua.LNil)
				return 2
			}
			v, e := rt.nbFutureResult(L, fut)
			if e != nil {
				L.Push(luaconv.NULL(L))
				L.Push(e)
				return 2
			}
			L.Push(lua.LNumber(i))
			L.Push(v)
			return 2
		}
		if timeout == 0 || rt.nbWaitFuture(L, fut, timeout, true) {
			L.Push(luaconv.NULL(L))
			L.Push(rt.newError(L, boxerr.New(boxerr.ER_TIMEOUT)))
			return 2
		}
	}
}

// pushFutureResult returns a ready future's result to Lua, or nil and its
// error object.
func (rt *Runtime) pushFutureResult(L *lua.LState, fut *nbFuture) int {
	v, e := rt.nbFutureResult(L, fut)
	if e != nil {
		L.Push(lua.LNil)
		L.Push(e)
		return 2
	}
	L.Push(v)
	return 1
}
