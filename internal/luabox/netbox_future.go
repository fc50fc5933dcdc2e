package luabox

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Futures: 2.6's requests in flight — asynchronous requests
// (opts.is_async), which scripts hold as future objects, synchronous
// requests, which are futures with no Lua object that their fiber waits
// for (2.6's perform_request), and the pushes of box.session.push
// (IPROTO_CHUNK) they receive.
//
// Every request is sent with client.Conn.Start. The client's reader
// goroutine must not touch Lua, so its callbacks only post events (a
// push's bytes, the final reply) to the connection's inbox and ring
// inboxWake. The connection's worker fiber, which otherwise waits
// without the baton for the socket to close, wakes up, takes the baton
// and dispatches the inbox in arrival order: it appends pushes to an
// async future's messages (or calls a synchronous request's on_push in
// the worker fiber, as 2.6 does), marks finished futures ready, and
// broadcasts the future's cond. Every field of a future is therefore
// touched only under the baton. A lost connection fails every pending
// future with its error, as 2.6's set_state fails every request.
//
// Invariants: a future is pending (id != 0) exactly while it is in
// nbConn.futures; it becomes ready once, by its reply, by discard, by
// the connection failing (set_state fails every pending future in request
// id order, after the worker dispatched the events that arrived before
// the failure), or by Lua collecting its object (2.6's requests table is
// weak); events for a future that is no longer pending are dropped.

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
	nbDecodeNil     nbDecoder = iota // ping, upsert: nil
	nbDecodeData                     // call, eval: a table of the values
	nbDecodeTuple                    // insert, replace, delete, update: the tuple or nil
	nbDecodeSelect                   // select, call_16: a table of tuples
	nbDecodeGet                      // get, min, max: one tuple, MORE_THAN_ONE_TUPLE for more
	nbDecodeCount                    // count: the first value
	nbDecodeExecute                  // execute: SQL_INFO, or metadata and rows
	nbDecodePrepare                  // prepare: the statement's id and metadata
)

// nbFuture is one request in flight (2.6's request object).
type nbFuture struct {
	nc     *nbConn
	id     uint64 // 0 once ready
	decode nbDecoder
	fmtRef int  // the tuple format of the reply's tuples (owned), 0 for none
	async  bool // an is_async future, which collects its pushes

	// The outcome once ready: the reply, or err (an error reply, discard,
	// a connection failure, a reply that does not decode). valueRef
	// caches the decoded result and errRef the error object, so repeated
	// result() calls return the same objects, as 2.6's do.
	resp     client.Response
	err      *boxerr.Error
	decoded  bool
	valueRef int
	errRef   int

	// Pushes: an async request collects them in messages (2.6 passes
	// table.insert and {} as on_push and on_push_ctx), created at the
	// first push; a synchronous one with on_push calls
	// on_push(on_push_ctx, message).
	messagesRef  int
	nmsg         int
	onPushRef    int
	onPushCtxRef int
	// bufferRef, when set, is opts.buffer: replies and pushes are copied
	// into it as raw MessagePack (without the {DATA = ...} wrapper with
	// skipHeader) and count as their length.
	bufferRef  int
	skipHeader bool

	cond fiber.Cond // broadcast on every push and when ready
}

// free releases a future's references (its Lua object was collected, or
// a synchronous request is done with it) and forgets it if it is still
// pending.
func (fut *nbFuture) free(L lua.State) {
	if fut.id != 0 {
		delete(fut.nc.futures, fut.id)
		fut.id = 0
	}
	for _, r := range []*int{&fut.fmtRef, &fut.valueRef, &fut.errRef, &fut.messagesRef,
		&fut.onPushRef, &fut.onPushCtxRef, &fut.bufferRef} {
		L.Unref(*r)
		*r = 0
	}
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

// register makes fut pending.
func (nc *nbConn) register(fut *nbFuture) {
	nc.nextFuture++
	fut.id = nc.nextFuture
	nc.futures[fut.id] = fut
}

// startFuture sends a request whose outcome fut collects through the
// worker (the caller checked that the connection is active or fetching
// the schema). When the connection closed under it, fut stays pending:
// the worker, which sees the connection close, fails it with the
// connection's error, as 2.6 fails the requests it had queued.
func (nc *nbConn) startFuture(fut *nbFuture, typ uint32, body []byte) {
	nc.register(fut)
	var opts client.RequestOptions
	// Pushes matter to an async request, to on_push and to a buffer;
	// other requests ignore them (2.6's on_push_sync_default).
	if fut.async || fut.onPushRef != 0 || fut.bufferRef != 0 {
		opts.OnPush = func(data []byte) { nc.post(nbEvent{fut: fut, push: data}) }
	}
	_ = nc.cc.Start(typ, body, opts, func(resp client.Response, err error) {
		nc.post(nbEvent{fut: fut, final: true, resp: resp, err: err})
	})
}

// dispatch delivers the posted events under the baton, in order, in the
// worker fiber. It returns false, with the error on top of L's stack,
// when an on_push callback or a copy into a buffer raises, which breaks
// the connection as it breaks 2.6's worker.
func (nc *nbConn) dispatch(L lua.State) bool {
	for {
		nc.inboxMu.Lock()
		evs := nc.inbox
		nc.inbox = nil
		nc.inboxMu.Unlock()
		if len(evs) == 0 {
			return true
		}
		for i, ev := range evs {
			fut := ev.fut
			if fut.id == 0 {
				continue // discarded, failed or collected meanwhile
			}
			if !ev.final {
				if !nc.deliverPush(L, fut, ev.push) {
					nc.requeue(evs[i+1:])
					return false
				}
				continue
			}
			if errors.Is(ev.err, client.ErrClosed) {
				// Left pending: the state change that follows a lost
				// connection fails it with the connection's error.
				continue
			}
			var err *boxerr.Error
			if ev.err != nil {
				err = requestError(ev.resp, ev.err)
			} else if fut.bufferRef != 0 {
				if !nc.copyToBuffer(L, fut, ev.resp.Body) {
					nc.requeue(evs[i+1:])
					return false
				}
				fut.decoded = true
				fut.valueRef = L.Ref()
			}
			nc.finish(fut, ev.resp, err)
			// A reply with a new schema version: as 2.6's iproto_sm, the
			// state becomes fetch_schema at once (a request that waits
			// for active after its reply sees the reload through) and the
			// worker reloads once the dispatch is over.
			if v := ev.resp.SchemaVersion; v != 0 && v != nc.schemaVersion && nc.cc != nil {
				nc.wantSchema = v
				if nc.state == nbActive {
					nc.setState(L, nbFetchSchema, false, 0, 0)
				}
			}
		}
	}
}

// requeue puts back the events a failed dispatch did not get to, for the
// failure's state change to drop or fail.
func (nc *nbConn) requeue(evs []nbEvent) {
	if len(evs) == 0 {
		return
	}
	nc.inboxMu.Lock()
	nc.inbox = append(append([]nbEvent(nil), evs...), nc.inbox...)
	nc.inboxMu.Unlock()
}

// finish makes fut ready with its reply or error.
func (nc *nbConn) finish(fut *nbFuture, resp client.Response, err *boxerr.Error) {
	delete(nc.futures, fut.id)
	fut.id = 0
	fut.resp, fut.err = resp, err
	fut.cond.Broadcast()
}

// failFutures is set_state's loop over the requests in flight: each
// fails with the state's errno and error.
func (nc *nbConn) failFutures() {
	if len(nc.futures) == 0 {
		return
	}
	ids := make([]uint64, 0, len(nc.futures))
	for id := range nc.futures {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if fut := nc.futures[id]; fut != nil {
			nc.finish(fut, client.Response{}, nc.failure())
		}
	}
}

// failure is the error of a request failed by the current state: the
// error object a trigger raised, or box.error.new{code = errno, reason =
// error}.
func (nc *nbConn) failure() *boxerr.Error {
	if nc.errBox != nil {
		return nc.errBox
	}
	return &boxerr.Error{Code: nc.errCode, Type: "ClientError", Message: nc.errMsg}
}

// deliverPush hands one pushed value to its request: the messages of an
// async future, or the on_push callback of a synchronous request, which
// runs in the dispatching (worker) fiber. With a buffer the push is
// copied there and the message is its length.
func (nc *nbConn) deliverPush(L lua.State, fut *nbFuture, data []byte) bool {
	top := L.GetTop()
	if fut.bufferRef != 0 {
		// The chunk's body as Tarantool (and Spindle) encode it: {DATA:
		// [value]} with a 32-bit array header.
		body := append([]byte{0x81, 0x30, 0xdd, 0, 0, 0, 1}, data...)
		if !nc.copyToBuffer(L, fut, body) {
			return false
		}
	} else if _, err := L.PushMsgpack(data, nil); err != nil {
		L.PushNull()
	}
	msg := L.GetTop()
	if fut.async {
		if fut.messagesRef == 0 {
			L.CreateTable(4, 0)
			fut.messagesRef = L.Ref()
		}
		L.PushRef(fut.messagesRef)
		L.PushValue(msg)
		fut.nmsg++
		L.RawSetI(-2, fut.nmsg)
		L.SetTop(top)
		fut.cond.Broadcast()
		return true
	}
	if fut.onPushRef == 0 {
		// A synchronous request with a buffer but no on_push: 2.6's
		// default on_push ignores the message.
		L.SetTop(top)
		fut.cond.Broadcast()
		return true
	}
	L.PushRef(fut.onPushRef)
	L.PushRef(fut.onPushCtxRef)
	if fut.onPushCtxRef == 0 {
		L.Pop(1)
		L.PushNil()
	}
	L.PushValue(msg)
	if !L.PCallValue(2, 0) {
		L.Remove(msg)
		return false
	}
	L.SetTop(top)
	fut.cond.Broadcast()
	return true
}

// copyToBuffer copies a reply body into fut's buffer (buffer:alloc and
// ffi.copy, as 2.6 does) and pushes the number of bytes copied; on an
// error it leaves the error value on top instead and returns false.
func (nc *nbConn) copyToBuffer(L lua.State, fut *nbFuture, body []byte) bool {
	if fut.skipHeader {
		// Skip the {[IPROTO_DATA] = ...} wrapper: the value of DATA.
		if cnt, pos, err := msgpack.ReadMapHeader(body); err == nil && cnt == 1 {
			if n, err := msgpack.Skip(body[pos:]); err == nil {
				body = body[pos+n:]
			}
		}
	}
	L.PushRef(nc.m.luaRef)
	L.RawGetField(-1, "copy")
	L.Remove(-2)
	L.PushRef(fut.bufferRef)
	L.PushBytes(body)
	return L.PCallValue(2, 1)
}

// pushCount is the number of pushes an async future has collected.
func (fut *nbFuture) pushCount() int { return fut.nmsg }

// isReady is request:is_ready(): the request finished, or the worker is
// gone.
func (fut *nbFuture) isReady() bool { return fut.id == 0 || !fut.nc.workerAlive() }

// result pushes request:result(): the result, or nil and an error.
func (m *nbModule) result(L lua.State, fut *nbFuture) int {
	if fut.id == 0 && fut.err == nil && !fut.decoded {
		if err := m.decodeValue(L, fut.decode, fut.resp, fut.fmtRef); err != nil {
			fut.err = err
		} else {
			fut.valueRef = L.Ref()
		}
		fut.decoded = true
	}
	switch {
	case fut.err != nil:
		if fut.errRef == 0 {
			m.rt.pushError(L, fut.err)
			fut.errRef = L.Ref()
		}
		L.PushNil()
		L.PushRef(fut.errRef)
		return 2
	case fut.id == 0:
		if fut.valueRef == 0 {
			L.PushNil()
		} else {
			L.PushRef(fut.valueRef)
		}
		return 1
	case !fut.nc.workerAlive():
		L.PushNil()
		m.rt.pushError(L, boxerr.New(boxerr.ER_NO_CONNECTION))
		return 2
	}
	L.PushNil()
	m.rt.pushError(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: "Response is not ready"})
	return 2
}

// waitFuture waits, at most timeout, for fut to become ready or (with
// anyPush) for a new push, and reports whether the timeout expired
// first. Like a fiber.cond wait it yields at least once, even for a zero
// timeout; a cancelled fiber raises when its wait times out.
func (m *nbModule) waitFuture(L lua.State, fut *nbFuture, timeout time.Duration, anyPush bool) bool {
	f := m.rt.ctx().F
	sched := m.rt.Sched
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
		// As 2.6's cond:wait, a cancellation only wakes the waiter; a
		// cancelled fiber raises when its wait times out.
		if err := fut.cond.Wait(f, left); err != nil {
			m.rt.testCancel(L)
		}
	}
}

// pushFuture pushes the Lua future of fut: a table, as in 2.6, whose
// methods come from its metatable and whose _request field holds fut.
func (m *nbModule) pushFuture(L lua.State, fut *nbFuture) {
	L.CreateTable(0, 1)
	L.PushObject(m.futureType, fut)
	L.RawSetField(-2, "_request")
	L.PushRef(m.futureMTRef)
	L.SetMetatable(-2)
}

// futureArg returns the future a method was called on (the table at
// idx); anything else (a call with '.') fails as indexing a nil self
// fails at that line of 2.6's net_box.lua.
func (m *nbModule) futureArg(L lua.State, idx, line int, local string) *nbFuture {
	if L.IsTable(idx) {
		L.RawGetField(idx, "_request")
		v, ok := L.ToObject(-1, m.futureType)
		L.Pop(1)
		if ok {
			return v.(*nbFuture)
		}
	}
	L.RaiseString(fmt.Sprintf("builtin/box/net_box.lua:%d: attempt to index local '%s' (a nil value)", line, local))
	return nil
}

// futureTimeout checks the timeout argument of wait_result and pairs:
// nil or false is no limit, anything but a non-negative number is a
// usage error.
func futureTimeout(L lua.State, idx int, where, usage string) time.Duration {
	if !L.ToBool(idx) {
		return fiber.Infinite
	}
	if L.Type(idx) != lua.TypeNumber || L.ToNumber(idx) < 0 {
		L.RaiseString(where + usage)
	}
	return secondsOrZero(L.ToNumber(idx))
}

// openFuture creates the types and metatables of futures.
func (m *nbModule) openFuture() {
	L := m.rt.L
	L.CreateTable(0, 1)
	L.PushBool(false)
	L.RawSetField(-2, "__metatable")
	m.futureType = L.NewObjectType("net.box.future")
	m.futureType.Finalize = func(L lua.State, v any) { v.(*nbFuture).free(L) }

	L.CreateTable(0, 1)
	L.CreateTable(0, 5)
	L.SetFuncs(-1, map[string]lua.Function{
		"is_ready": func(L lua.State) int {
			L.PushBool(m.futureArg(L, 1, 301, "self").isReady())
			return 1
		},
		"result": func(L lua.State) int {
			return m.result(L, m.futureArg(L, 1, 310, "self"))
		},
		"wait_result": func(L lua.State) int {
			timeout := futureTimeout(L, 2, nbWaitResultWhere, "Usage: future:wait_result(timeout)")
			fut := m.futureArg(L, 1, 413, "self")
			if !fut.isReady() && (timeout == 0 || m.waitFuture(L, fut, timeout, false)) {
				L.PushNil()
				m.rt.pushError(L, boxerr.New(boxerr.ER_TIMEOUT))
				return 2
			}
			return m.result(L, fut)
		},
		"discard": func(L lua.State) int {
			fut := m.futureArg(L, 1, 433, "self")
			if fut.id != 0 {
				delete(fut.nc.futures, fut.id)
				fut.id = 0
				fut.err = &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: "Response is discarded"}
			}
			return 0
		},
		"pairs": func(L lua.State) int {
			// Like 2.6, self is first used by the iteration.
			futureTimeout(L, 2, nbPairsWhere, "Usage: future:pairs(timeout)")
			L.CreateTable(0, 2)
			L.PushValue(1)
			L.RawSetField(-2, "request")
			L.PushValue(2)
			L.RawSetField(-2, "timeout")
			L.PushRef(m.pairsNextRef)
			L.Insert(-2)
			L.PushNumber(0)
			return 3
		},
	})
	L.RawSetField(-2, "__index")
	m.futureMTRef = L.Ref()
	L.PushFunction(m.futureNext)
	m.pairsNextRef = L.Ref()
}

// futureNext is request_iterator_next: the pushes in order, then the
// final result under the next index, then the end; an error (or a
// timeout waiting for the next message) yields box.NULL and the error.
func (m *nbModule) futureNext(L lua.State) int {
	L.SetTop(2)
	if !L.IsTable(1) || L.IsNilOrNull(2) {
		L.PushNil()
		L.PushNil()
		return 2
	}
	L.RawGetField(1, "request")
	fut := m.futureArg(L, 3, 350, "request")
	i := int(L.ToNumber(2)) + 1
	timeout := fiber.Infinite
	L.RawGetField(1, "timeout")
	if L.Type(-1) == lua.TypeNumber {
		timeout = secondsOrZero(L.ToNumber(-1))
	}
	L.Pop(1)
	for {
		if i <= fut.pushCount() {
			L.PushNumber(float64(i))
			L.PushRef(fut.messagesRef)
			L.RawGetI(-1, i)
			L.Remove(-2)
			return 2
		}
		if fut.isReady() {
			if i > fut.pushCount()+1 {
				L.PushNil()
				L.PushNil()
				return 2
			}
			base := L.GetTop()
			if m.result(L, fut) == 2 {
				L.Remove(base + 1)
				L.PushNull()
				L.Insert(base + 1)
				return 2
			}
			L.PushNumber(float64(i))
			L.Insert(base + 1)
			return 2
		}
		if timeout == 0 || m.waitFuture(L, fut, timeout, true) {
			L.PushNull()
			m.rt.pushError(L, boxerr.New(boxerr.ER_TIMEOUT))
			return 2
		}
	}
}
