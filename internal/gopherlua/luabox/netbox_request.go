package luabox

import (
	"context"
	"errors"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// perform is 2.6's remote:_request for one synchronous request: wait (up
// to opts.timeout) for the connection to become active, send body as a
// request of type typ, wait for the reply without the baton, and raise
// the remote error, ER_TIMEOUT or the connection's error. A reply that
// shows a new schema version reloads the schema before perform returns,
// so conn.space reflects DDL the request made.
func (nc *nbConn) perform(L *lua.LState, opts lua.LValue, typ uint32, body []byte) client.Response {
	rt := nc.rt
	f := rt.ctx(L).F
	sched := rt.Sched
	deadline := fiber.Infinite
	if t, ok := opts.(*lua.LTable); ok {
		if v, ok := toNumber(t.RawGetString("timeout")); ok {
			deadline = sched.Clock() + secondsOrZero(v)
		}
	}
	left := func() time.Duration {
		if deadline == fiber.Infinite {
			return fiber.Infinite
		}
		return max(0, deadline-sched.Clock())
	}
	isActive := func(s string) bool { return s == nbActive }
	if nc.state != nbActive {
		nc.waitState(L, isActive, left())
	}
	if nc.state != nbActive && nc.state != nbFetchSchema {
		rt.raise(L, nc.lastError())
	}
	if t, ok := opts.(*lua.LTable); ok && lua.LVAsBool(L.GetField(t, "on_push")) {
		return nc.performPushes(L, f, t, typ, body, left, isActive)
	}
	cc := nc.cc
	var resp client.Response
	var err error
	wait := left()
	f.Block(func() {
		ctx := context.Background()
		if wait != fiber.Infinite {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, wait)
			defer cancel()
		}
		resp, err = cc.Do(ctx, typ, body)
	})
	if resp.SchemaVersion != 0 && resp.SchemaVersion != nc.schemaVersion && nc.cc == cc {
		nc.reload(L, f)
	}
	if err != nil {
		if errors.Is(err, client.ErrClosed) && nc.cc == cc {
			// The first to see the connection drop moves the state on,
			// as 2.6's worker does before it wakes the waiting requests.
			nc.fail(boxerr.ER_NO_CONNECTION, ioErrorMessage(err))
		}
		rt.raise(L, nc.requestError(err))
	}
	if nc.state == nbFetchSchema {
		nc.waitState(L, isActive, left())
	}
	return resp
}

// performPushes is perform for a request given opts.on_push: it goes
// through a future, whose pushes the worker hands to on_push(on_push_ctx,
// message), and waits for it as 2.6's wait_result does.
func (nc *nbConn) performPushes(L *lua.LState, f *fiber.Fiber, opts *lua.LTable, typ uint32, body []byte,
	left func() time.Duration, isActive func(string) bool) client.Response {
	rt := nc.rt
	fut := &nbFuture{nc: nc, onPush: L.GetField(opts, "on_push"), onPushCtx: L.GetField(opts, "on_push_ctx")}
	if err := nc.startFuture(fut, typ, body); err != nil {
		rt.raise(L, err)
	}
	if wait := left(); !fut.isReady() && (wait == 0 || rt.nbWaitFuture(L, fut, wait, false)) {
		rt.raiseCode(L, boxerr.ER_TIMEOUT)
	}
	if fut.id != 0 {
		rt.raiseCode(L, boxerr.ER_NO_CONNECTION) // the worker is gone
	}
	if fut.err != nil {
		rt.raise(L, fut.err)
	}
	if v := fut.resp.SchemaVersion; v != 0 && v != nc.schemaVersion {
		nc.reload(L, f)
	}
	if nc.state == nbFetchSchema {
		nc.waitState(L, isActive, left())
	}
	return fut.resp
}

// request is 2.6's remote:_request: with opts.is_async it sends the
// request and returns its future (a request that is also given on_push or
// on_push_ctx is a usage error); otherwise it is perform. dec and format
// say how a future decodes its result.
func (nc *nbConn) request(L *lua.LState, opts lua.LValue, typ uint32, body []byte, dec nbDecoder, format *tupleFormat) (client.Response, *lua.LTable) {
	if t, ok := opts.(*lua.LTable); ok && lua.LVAsBool(L.GetField(t, "is_async")) {
		if lua.LVAsBool(L.GetField(t, "on_push")) || lua.LVAsBool(L.GetField(t, "on_push_ctx")) {
			L.Error(lua.LString(nbAsyncPushWhere+"To handle pushes in an async request use future:pairs()"), 0)
		}
		fut := &nbFuture{nc: nc, decode: dec, format: format, async: true}
		if err := nc.startFuture(fut, typ, body); err != nil {
			nc.rt.raise(L, err)
		}
		return client.Response{}, nc.futureObject(L, fut)
	}
	return nc.perform(L, opts, typ, body), nil
}

// lastError is the error a request gets on a connection that is not
// active: the code and message of the failure that ended it (2.6 builds
// it with box.error.new{code = last_errno or NO_CONNECTION, reason =
// last_error}, so the message is empty when there was no failure yet).
func (nc *nbConn) lastError() *boxerr.Error {
	code := nc.errCode
	if !nc.errSet {
		code = boxerr.ER_NO_CONNECTION
	}
	msg, _ := nc.errMsg.(lua.LString)
	return &boxerr.Error{Code: code, Type: "ClientError", Message: string(msg)}
}

// requestError maps a failed request: the remote error as the server sent
// it, ER_TIMEOUT, or the error the connection failed with.
func (nc *nbConn) requestError(err error) *boxerr.Error {
	var ce *client.Error
	if errors.As(err, &ce) {
		typ := ce.Type
		if typ == "" {
			typ = "ClientError"
		}
		return &boxerr.Error{Code: boxerr.Code(ce.Code), Type: typ, Message: ce.Message, File: ce.File, Line: int(ce.Line)}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return boxerr.New(boxerr.ER_TIMEOUT)
	}
	if errors.Is(err, client.ErrClosed) {
		switch nc.state {
		case nbError, nbErrorReconnect, nbClosed:
			return nc.lastError()
		}
		return &boxerr.Error{Code: boxerr.ER_NO_CONNECTION, Type: "ClientError", Message: ioErrorMessage(err)}
	}
	return boxerr.From(err)
}

// dataOf returns the raw DATA array of a reply (an empty array when the
// reply has none).
func dataOf(resp client.Response) ([]byte, error) {
	raw, err := proto.DataOf(resp.Body)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return []byte{0x90}, nil
	}
	if msgpack.TypeOf(raw) != msgpack.Array {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	return raw, nil
}

// nbItems splits a msgpack array into its encoded elements.
func nbItems(raw []byte) ([][]byte, error) {
	cnt, pos, err := msgpack.ReadArrayHeader(raw)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	items := make([][]byte, 0, min(cnt, 1024))
	for i := uint32(0); i < cnt; i++ {
		n, err := msgpack.Skip(raw[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		items = append(items, raw[pos:pos+n])
		pos += n
	}
	return items, nil
}

// nbData decodes the DATA of a reply to Lua values, one per element,
// raising on a malformed reply.
func (rt *Runtime) nbData(L *lua.LState, resp client.Response) []lua.LValue {
	out, err := rt.nbDecodeData(L, resp)
	if err != nil {
		rt.raise(L, err)
	}
	return out
}

// nbReplyItems splits the DATA array of a reply into its items.
func nbReplyItems(resp client.Response) ([][]byte, error) {
	raw, err := dataOf(resp)
	if err != nil {
		return nil, err
	}
	return nbItems(raw)
}

// nbDecodeData is nbData returning the error.
func (rt *Runtime) nbDecodeData(L *lua.LState, resp client.Response) ([]lua.LValue, error) {
	items, err := nbReplyItems(resp)
	if err != nil {
		return nil, err
	}
	out := make([]lua.LValue, len(items))
	for i, it := range items {
		v, _, err := luaconv.Decode(L, it)
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		out[i] = v
	}
	return out, nil
}

// nbTuples decodes the DATA of a reply as box.tuple objects that name
// their fields by format, raising on a malformed reply.
func (rt *Runtime) nbTuples(L *lua.LState, resp client.Response, format *tupleFormat) []lua.LValue {
	out, err := rt.nbDecodeTuples(L, resp, format)
	if err != nil {
		rt.raise(L, err)
	}
	return out
}

// nbDecodeTuples is nbTuples returning the error.
func (rt *Runtime) nbDecodeTuples(L *lua.LState, resp client.Response, format *tupleFormat) ([]lua.LValue, error) {
	items, err := nbReplyItems(resp)
	if err != nil {
		return nil, err
	}
	out := make([]lua.LValue, len(items))
	for i, it := range items {
		// NewTuple copies, so a kept tuple does not pin the whole reply.
		t, err := memtx.NewTuple(it)
		if err != nil {
			return nil, err
		}
		out[i] = rt.tupleValue(L, t, format)
	}
	return out, nil
}

// nbBody builds request bodies: a map of a known number of integer keys.
type nbBody struct{ b []byte }

func newNBBody(n uint32) *nbBody {
	return &nbBody{b: msgpack.AppendMapHeader(make([]byte, 0, 64), n)}
}

func (bb *nbBody) uint(key uint8, v uint64) *nbBody {
	bb.b = msgpack.AppendUint(msgpack.AppendUint(bb.b, uint64(key)), v)
	return bb
}

func (bb *nbBody) str(key uint8, s string) *nbBody {
	bb.b = msgpack.AppendString(msgpack.AppendUint(bb.b, uint64(key)), s)
	return bb
}

func (bb *nbBody) raw(key uint8, v []byte) *nbBody {
	bb.b = append(msgpack.AppendUint(bb.b, uint64(key)), v...)
	return bb
}

// nbSelectBody is encode_select.
func nbSelectBody(space, index uint32, iter uint32, offset, limit uint32, key []byte) []byte {
	return newNBBody(6).
		uint(proto.KeySpaceID, uint64(space)).
		uint(proto.KeyIndexID, uint64(index)).
		uint(proto.KeyIterator, uint64(iter)).
		uint(proto.KeyOffset, uint64(offset)).
		uint(proto.KeyLimit, uint64(limit)).
		raw(proto.KeyKey, key).b
}

// nbEncodeTuple is luamp_encode_tuple: a tuple or a table that encodes as
// an array; anything else is ER_TUPLE_NOT_ARRAY.
func (rt *Runtime) nbEncodeTuple(L *lua.LState, v lua.LValue) []byte {
	if ud, ok := v.(*lua.LUserData); ok {
		if lt, ok := ud.Value.(*luaTuple); ok {
			return lt.t.Data()
		}
	}
	b, err := luaconv.EncodeL(L, nil, v)
	if err != nil {
		rt.raise(L, err)
	}
	if msgpack.TypeOf(b) != msgpack.Array {
		rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
	}
	return b
}

// nbEncodeKey is luamp_convert_key: nil (or NULL) is the empty key, an
// array or tuple is the key itself, anything else a one-part key.
func (rt *Runtime) nbEncodeKey(L *lua.LState, v lua.LValue) []byte {
	if luaconv.IsNil(v) {
		return []byte{0x90}
	}
	if ud, ok := v.(*lua.LUserData); ok {
		if lt, ok := ud.Value.(*luaTuple); ok {
			return lt.t.Data()
		}
	}
	b, err := luaconv.EncodeL(L, nil, v)
	if err != nil {
		rt.raise(L, err)
	}
	switch msgpack.TypeOf(b) {
	case msgpack.Array:
		return b
	case msgpack.Nil:
		return []byte{0x90}
	}
	return append(msgpack.AppendArrayHeader(nil, 1), b...)
}

// nbPing is ping(opts): true when the server answered (with is_async:
// when the request was sent, as 2.6 drops the future); it never raises
// for a connection problem.
func (rt *Runtime) nbPing(L *lua.LState) int {
	nc := rt.nbTransport(L, "ping")
	opts := L.Get(2)
	_, err := rt.protect(L.NewFunction(func(L *lua.LState) int {
		nc.request(L, opts, client.TypePing, nil, nbDecodeNil, nil)
		return 0
	}), nil)
	L.Push(lua.LBool(err == nil))
	return 1
}

// nbReloadSchema is reload_schema(): a ping, whose reply brings in a
// changed schema.
func (rt *Runtime) nbReloadSchema(L *lua.LState) int {
	nc := rt.nbTransport(L, "reload_schema")
	_, _ = rt.protect(L.NewFunction(func(L *lua.LState) int {
		nc.perform(L, lua.LNil, client.TypePing, nil)
		return 0
	}), nil)
	return 0
}

// nbArgsError raises the plain Lua error 2.6's check_call_args and
// check_eval_args raise for arguments not given as a table.
func nbArgsError(L *lua.LState, eval bool) {
	if eval {
		L.Error(lua.LString(nbEvalArgsWhere+"Use remote:eval(expression, {arg1, arg2, ...}, opts) instead of remote:eval(expression, arg1, arg2, ...)"), 0)
	}
	L.Error(lua.LString(nbCallArgsWhere+"Use remote:call(func_name, {arg1, arg2, ...}, opts) instead of remote:call(func_name, arg1, arg2, ...)"), 0)
}

// nbArgsTable returns the args argument of call/eval, or {} when nil.
func nbArgsTable(L *lua.LState, n int, eval bool) lua.LValue {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return L.NewTable()
	case *lua.LTable:
		return v
	}
	nbArgsError(L, eval)
	return nil
}

// nbVarargs packs the arguments from n on into a table, as {...}.
func nbVarargs(L *lua.LState, n int) *lua.LTable {
	t := L.NewTable()
	for i := n; i <= L.GetTop(); i++ {
		t.RawSetInt(i-n+1, L.Get(i))
	}
	return t
}

// nbCall is call(name, args, opts), returning the function's results,
// and the deprecated call_16(name, ...), returning a table of tuples.
func (rt *Runtime) nbCall(L *lua.LState, call16 bool) int {
	nc := rt.nbTransport(L, "call")
	name := rt.tostring(L, L.Get(2))
	var args, opts lua.LValue
	typ := uint32(client.TypeCall)
	if call16 {
		args, opts, typ = nbVarargs(L, 3), lua.LNil, client.TypeCall16
	} else {
		args, opts = nbArgsTable(L, 3, false), L.Get(4)
	}
	body := newNBBody(2).
		str(proto.KeyFunctionName, name).
		raw(proto.KeyTuple, rt.nbEncodeTuple(L, args)).b
	resp, fut := nc.request(L, opts, typ, body, nbDecodeData, nil)
	if fut != nil {
		L.Push(fut)
		return 1
	}
	if call16 {
		t := L.NewTable()
		for _, v := range rt.nbTuples(L, resp, nil) {
			t.Append(v)
		}
		L.Push(t)
		return 1
	}
	res := rt.nbData(L, resp)
	for _, v := range res {
		L.Push(v)
	}
	return len(res)
}

// nbEval is eval(expr, args, opts) and the deprecated eval_16(expr, ...).
func (rt *Runtime) nbEval(L *lua.LState, eval16 bool) int {
	nc := rt.nbTransport(L, "eval")
	expr := lua.LVAsString(L.Get(2))
	var args, opts lua.LValue
	if eval16 {
		args, opts = nbVarargs(L, 3), lua.LNil
	} else {
		args, opts = nbArgsTable(L, 3, true), L.Get(4)
	}
	body := newNBBody(2).
		str(proto.KeyExpr, expr).
		raw(proto.KeyTuple, rt.nbEncodeTuple(L, args)).b
	resp, fut := nc.request(L, opts, client.TypeEval, body, nbDecodeData, nil)
	if fut != nil {
		L.Push(fut)
		return 1
	}
	res := rt.nbData(L, resp)
	for _, v := range res {
		L.Push(v)
	}
	return len(res)
}
