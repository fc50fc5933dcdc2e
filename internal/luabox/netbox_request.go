package luabox

import (
	"context"
	"errors"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// nbReq is one request as remote:_request receives it.
type nbReq struct {
	typ uint32
	// encode builds the body. It runs after the state check, as 2.6
	// encodes in perform_async_request, and raises on a bad argument.
	encode func(L lua.State) []byte
	decode nbDecoder
	// fmtIdx is the stack index of the format table of the reply's
	// tuples (the space's), 0 for none.
	fmtIdx int
	// unpack: the result is a table whose values a synchronous call or
	// eval returns one by one (unpack(res)); with strict a result that is
	// not a table is an error (eval_16's unpack) instead of the value.
	unpack, strict bool
}

// nbOpts are the options _request reads.
type nbOpts struct {
	bufferIdx, onPushIdx, onPushCtxIdx int // stack indexes, 0 when absent
	skipHeader, async                  bool
	deadline                           time.Duration // fiber clock; fiber.Infinite for none
}

// raiseErr raises an error a protected Lua operation returned: a box
// error as its object, a Lua error as its message (what an __index or
// __serialize metamethod raised, or indexing a value that is no table).
func (m *nbModule) raiseErr(L lua.State, err error) {
	var le *lua.Error
	if errors.As(err, &le) {
		L.RaiseString(le.Message)
	}
	m.rt.raise(L, err)
}

// opt pushes opts[name] (with metamethods, as 2.6 indexes opts) and
// returns its index, or 0 (popping it) when it is nil or false.
func (m *nbModule) opt(L lua.State, optsIdx int, name string) int {
	if err := L.GetField(optsIdx, name); err != nil {
		m.raiseErr(L, err)
	}
	if !L.ToBool(-1) {
		L.Pop(1)
		return 0
	}
	return L.GetTop()
}

// readOpts reads the options of a request: opts at optsIdx (nil or
// false for none) and the fiber's conn:timeout() deadline.
func (m *nbModule) readOpts(L lua.State, nc *nbConn, optsIdx int) nbOpts {
	o := nbOpts{deadline: fiber.Infinite}
	if d, ok := nc.deadlines[m.rt.ctx().F]; ok {
		o.deadline = d
	}
	if optsIdx == 0 || !L.ToBool(optsIdx) {
		return o
	}
	o.bufferIdx = m.opt(L, optsIdx, "buffer")
	if i := m.opt(L, optsIdx, "skip_header"); i != 0 {
		o.skipHeader = true
		L.Pop(1)
	}
	if i := m.opt(L, optsIdx, "is_async"); i != 0 {
		o.async = true
		L.Pop(1)
	}
	if i := m.opt(L, optsIdx, "timeout"); i != 0 {
		v, ok := luaToNumber(L, i)
		if !ok {
			L.RaiseString("builtin/box/net_box.lua:1180: attempt to perform arithmetic on field 'timeout' (a " + L.TypeName(i) + " value)")
		}
		o.deadline = m.rt.Sched.Clock() + secondsOrZero(v)
		L.Pop(1)
	}
	o.onPushIdx = m.opt(L, optsIdx, "on_push")
	o.onPushCtxIdx = m.opt(L, optsIdx, "on_push_ctx")
	return o
}

// left is what remains of the request's deadline.
func (m *nbModule) left(o nbOpts) time.Duration {
	if o.deadline == fiber.Infinite {
		return fiber.Infinite
	}
	return max(0, o.deadline-m.rt.Sched.Clock())
}

// refOf returns a new registry reference to the value at idx, 0 for
// idx 0.
func refOf(L lua.State, idx int) int {
	if idx == 0 {
		return 0
	}
	L.PushValue(idx)
	return L.Ref()
}

// request is 2.6's remote:_request: with opts.is_async it sends the
// request and pushes its future (a request that is also given on_push or
// on_push_ctx is a usage error); otherwise it waits for the connection
// (up to the timeout), sends the request as a future with no Lua object
// and waits for it in the calling fiber as 2.6's perform_request does (a
// wait that a cancellation or wakeup ends, as a fiber.cond wait), waits
// for a schema reload its reply caused, and pushes the result. It
// returns the number of values pushed.
func (m *nbModule) request(L lua.State, nc *nbConn, optsIdx int, req nbReq) int {
	rt := m.rt
	o := m.readOpts(L, nc, optsIdx)
	if o.async {
		if o.onPushIdx != 0 || o.onPushCtxIdx != 0 {
			L.RaiseString(nbAsyncPushWhere + "To handle pushes in an async request use future:pairs()")
		}
		if nc.state != nbActive && nc.state != nbFetchSchema {
			return rt.raise(L, nc.lastError())
		}
		body := req.encode(L)
		fut := &nbFuture{nc: nc, decode: req.decode, async: true, fmtRef: refOf(L, req.fmtIdx),
			bufferRef: refOf(L, o.bufferIdx), skipHeader: o.skipHeader}
		nc.startFuture(fut, req.typ, body)
		m.pushFuture(L, fut)
		return 1
	}
	if nc.shown != nbActive {
		nc.waitState(L, func(s string) bool { return s == nbActive }, m.left(o))
	}
	if nc.state != nbActive && nc.state != nbFetchSchema {
		return rt.raise(L, nc.lastError())
	}
	body := req.encode(L)
	fut := &nbFuture{nc: nc, decode: req.decode, fmtRef: refOf(L, req.fmtIdx),
		onPushRef: refOf(L, o.onPushIdx), onPushCtxRef: refOf(L, o.onPushCtxIdx),
		bufferRef: refOf(L, o.bufferIdx), skipHeader: o.skipHeader}
	defer fut.free(L)
	// perform_request: an async request and a wait for its result.
	nc.startFuture(fut, req.typ, body)
	if wait := m.left(o); !fut.isReady() && (wait == 0 || m.waitFuture(L, fut, wait, false)) {
		return rt.raiseCode(L, boxerr.ER_TIMEOUT)
	}
	if fut.id != 0 {
		return rt.raiseCode(L, boxerr.ER_NO_CONNECTION) // the worker is gone
	}
	if fut.err != nil {
		return rt.raise(L, fut.err)
	}
	if nc.shown == nbFetchSchema {
		nc.waitState(L, func(s string) bool { return s == nbActive }, m.left(o))
	}
	if fut.decoded { // a buffer's byte count
		L.PushRef(fut.valueRef)
		return 1
	}
	if req.unpack && req.decode == nbDecodeData {
		raw, err := dataOf(fut.resp)
		if err != nil {
			return rt.raise(L, err)
		}
		if raw == nil {
			if req.strict {
				L.RaiseString("builtin/box/net_box.lua:1244: bad argument #1 to 'unpack' (table expected, got nil)")
			}
			L.PushNil() // res is nil: call returns it as it is
			return 1
		}
		top := L.GetTop()
		n, err := L.PushMsgpackArgs(raw, nil)
		if err != nil {
			L.SetTop(top)
			return rt.raise(L, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body"))
		}
		return n
	}
	if err := m.decodeValue(L, req.decode, fut.resp, fut.fmtRef); err != nil {
		return rt.raise(L, err)
	}
	return 1
}

// requestError maps a failed request: the remote error as the server sent
// it (resp is its reply), or ER_TIMEOUT.
func requestError(resp client.Response, err error) *boxerr.Error {
	var ce *client.Error
	if errors.As(err, &ce) {
		e, stack := proto.DecodeError(resp.Type, resp.Body)
		if len(stack) == 0 {
			// No MP_ERROR: box.error.new{code = errno, reason = ERROR_24}.
			return &boxerr.Error{Code: boxerr.Code(ce.Code), Type: "ClientError", Message: ce.Message}
		}
		// DecodeError gives a custom error its custom_type and the
		// stack's other entries as causes, as 2.6's error_unpack does.
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return boxerr.New(boxerr.ER_TIMEOUT)
	}
	code, msg := transportError(err)
	return &boxerr.Error{Code: code, Type: "ClientError", Message: msg}
}

// dataOf returns the raw DATA of a reply, nil when the reply has none.
func dataOf(resp client.Response) ([]byte, error) {
	raw, err := proto.DataOf(resp.Body)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	return raw, nil
}

// replyItems splits the DATA array of a reply into its encoded elements
// (none when the reply has no DATA).
func replyItems(resp client.Response) ([][]byte, error) {
	raw, err := dataOf(resp)
	if err != nil || raw == nil {
		return nil, err
	}
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	cnt, pos, err := msgpack.ReadArrayHeader(raw)
	if err != nil {
		return nil, bad
	}
	items := make([][]byte, 0, min(cnt, 1024))
	for i := uint32(0); i < cnt; i++ {
		n, err := msgpack.Skip(raw[pos:])
		if err != nil {
			return nil, bad
		}
		items = append(items, raw[pos:pos+n])
		pos += n
	}
	return items, nil
}

// pushReplyTuple pushes one element of a reply's DATA as a box.tuple
// with the format table fmtRef.
func pushReplyTuple(L lua.State, item []byte, fmtRef int) error {
	if msgpack.TypeOf(item) != msgpack.Array {
		return boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	L.PushTuple(item, 0, fmtRef)
	return nil
}

// decodeValue is method_decoder[method] applied to a final reply: it
// pushes the result, or pushes nothing and returns the error.
func (m *nbModule) decodeValue(L lua.State, dec nbDecoder, resp client.Response, fmtRef int) *boxerr.Error {
	switch dec {
	case nbDecodeNil:
		L.PushNil()
		return nil
	case nbDecodeExecute, nbDecodePrepare:
		return m.decodeSQL(L, resp, dec == nbDecodePrepare)
	}
	if dec == nbDecodeData {
		raw, err := dataOf(resp)
		if err != nil {
			return boxerr.From(err)
		}
		if raw == nil {
			L.PushNil()
			return nil
		}
		if _, err := L.PushMsgpack(raw, nil); err != nil {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		return nil
	}
	items, err := replyItems(resp)
	if err != nil {
		return boxerr.From(err)
	}
	switch dec {
	case nbDecodeCount:
		if len(items) == 0 {
			L.PushNil()
		} else if _, err := L.PushMsgpack(items[0], nil); err != nil {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		return nil
	case nbDecodeSelect:
		top := L.GetTop()
		L.CreateTable(len(items), 0)
		for i, it := range items {
			if err := pushReplyTuple(L, it, fmtRef); err != nil {
				L.SetTop(top)
				return boxerr.From(err)
			}
			L.RawSetI(-2, i+1)
		}
		return nil
	case nbDecodeGet:
		if len(items) > 1 {
			return &boxerr.Error{Code: boxerr.ER_MORE_THAN_ONE_TUPLE, Type: "ClientError"}
		}
	}
	if len(items) == 0 {
		L.PushNil()
		return nil
	}
	if err := pushReplyTuple(L, items[0], fmtRef); err != nil {
		return boxerr.From(err)
	}
	return nil
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

// nbEncodeWhere is where 2.6's encoders run (perform_async_request):
// the position of the Lua errors they raise.
const nbEncodeWhere = "builtin/box/net_box.lua:549: "

// encodeError raises an error of the MessagePack encoder: a box error
// (a __serialize that raised one) as it is, a Lua error (an unsupported
// type) with 2.6's position.
func (m *nbModule) encodeError(L lua.State, err error) {
	var le *lua.Error
	if errors.As(err, &le) {
		L.RaiseString(nbEncodeWhere + le.Message)
	}
	m.rt.raise(L, err)
}

// encodeTuple is luamp_encode_tuple: a tuple, or a value that encodes as
// an array; anything else is ER_TUPLE_NOT_ARRAY.
func (m *nbModule) encodeTuple(L lua.State, idx int) []byte {
	if data, ok := L.TupleData(idx); ok {
		return data
	}
	b, err := L.Encode(nil, idx, nil)
	if err != nil {
		m.encodeError(L, err)
	}
	if msgpack.TypeOf(b) != msgpack.Array {
		m.rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
	}
	return b
}

// encodeKey is luamp_convert_key: a tuple or an array is the key itself,
// nil (or box.NULL) the empty key, anything else a one-part key.
func (m *nbModule) encodeKey(L lua.State, idx int) []byte {
	if data, ok := L.TupleData(idx); ok {
		return data
	}
	if L.IsNoneOrNil(idx) {
		return []byte{0x90}
	}
	b, err := L.Encode(nil, idx, nil)
	if err != nil {
		m.encodeError(L, err)
	}
	switch msgpack.TypeOf(b) {
	case msgpack.Array:
		return b
	case msgpack.Nil:
		return []byte{0x90}
	}
	return append(msgpack.AppendArrayHeader(nil, 1), b...)
}

// luaUint32 is a request field read as 2.6's encoders read them
// (lua_tonumber, then a C conversion to uint32_t).
func luaUint32(L lua.State, idx int) uint32 {
	if u, i, sign := L.Integer(idx); sign != 0 {
		if sign > 0 {
			return uint32(u)
		}
		return uint32(i)
	}
	return uint32(int64(L.ToNumber(idx)))
}

// ping is ping(opts): true when the server answered (with is_async: when
// the request was sent); it never raises for a connection problem, as
// 2.6 wraps it in pcall.
func (m *nbModule) ping(L lua.State) int {
	m.conn(L, "ping")
	L.SetTop(2)
	L.PushRef(m.pingRef)
	L.Insert(1)
	L.PushBool(L.PCallValue(2, 0))
	return 1
}

// pingRequest is self:_request('ping', opts), which ping runs protected.
func (m *nbModule) pingRequest(L lua.State) int {
	return m.request(L, m.conn(L, "ping"), 2, nbReq{typ: client.TypePing, decode: nbDecodeNil,
		encode: func(lua.State) []byte { return nil }})
}

// reloadSchema is reload_schema(): a ping, whose reply brings in a
// changed schema.
func (m *nbModule) reloadSchema(L lua.State) int {
	m.conn(L, "reload_schema")
	L.SetTop(1)
	L.PushNil()
	m.ping(L)
	return 0
}

// argsError raises the plain Lua error 2.6's check_call_args and
// check_eval_args raise for arguments not given as a table.
func argsError(L lua.State, eval bool) {
	if eval {
		L.RaiseString(nbEvalArgsWhere + "Use remote:eval(expression, {arg1, arg2, ...}, opts) instead of remote:eval(expression, arg1, arg2, ...)")
	}
	L.RaiseString(nbCallArgsWhere + "Use remote:call(func_name, {arg1, arg2, ...}, opts) instead of remote:call(func_name, arg1, arg2, ...)")
}

// varargs packs the arguments from n on into a table at n ({...}).
func varargs(L lua.State, n int) {
	cnt := max(L.GetTop()-n+1, 0)
	L.CreateTable(cnt, 0)
	for i := cnt; i >= 1; i-- {
		L.Insert(-2)
		L.RawSetI(-2, i)
	}
	if cnt == 0 {
		L.SetTop(n - 1)
		L.CreateTable(0, 0)
	}
}

// argsTable checks the args of call and eval (nil becomes {}) at idx.
func argsTable(L lua.State, idx int, eval bool) {
	switch L.Type(idx) {
	case lua.TypeNil, lua.TypeNone:
		L.CreateTable(0, 0)
		L.Replace(idx)
	case lua.TypeTable:
	default:
		argsError(L, eval)
	}
}

// callBody encodes a CALL or EVAL body: the name or expression and the
// arguments at argsIdx.
func (m *nbModule) callBody(key uint8, name string, argsIdx int) func(L lua.State) []byte {
	return func(L lua.State) []byte {
		return newNBBody(2).str(key, name).raw(proto.KeyTuple, m.encodeTuple(L, argsIdx)).b
	}
}

// call is call(name, args, opts), returning the function's results, and
// the deprecated call_16(name, ...), returning a table of tuples.
func (m *nbModule) call(L lua.State, call16 bool) int {
	nc := m.conn(L, "call")
	if call16 {
		L.CheckStack(4)
		name := m.rt.tostring(L, 2)
		if L.GetTop() < 2 {
			L.SetTop(2)
		}
		varargs(L, 3)
		return m.request(L, nc, 0, nbReq{typ: client.TypeCall16, decode: nbDecodeSelect,
			encode: m.callBody(proto.KeyFunctionName, name, 3)})
	}
	L.SetTop(4)
	argsTable(L, 3, false)
	name := m.rt.tostring(L, 2)
	return m.request(L, nc, 4, nbReq{typ: client.TypeCall, decode: nbDecodeData, unpack: true,
		encode: m.callBody(proto.KeyFunctionName, name, 3)})
}

// eval is eval(expr, args, opts) and the deprecated eval_16(expr, ...).
func (m *nbModule) eval(L lua.State, eval16 bool) int {
	nc := m.conn(L, "eval")
	if eval16 {
		if L.GetTop() < 2 {
			L.SetTop(2)
		}
		expr := luaStringOrEmpty(L, 2)
		varargs(L, 3)
		return m.request(L, nc, 0, nbReq{typ: client.TypeEval, decode: nbDecodeData, unpack: true, strict: true,
			encode: m.callBody(proto.KeyExpr, expr, 3)})
	}
	L.SetTop(4)
	argsTable(L, 3, true)
	expr := luaStringOrEmpty(L, 2)
	return m.request(L, nc, 4, nbReq{typ: client.TypeEval, decode: nbDecodeData, unpack: true,
		encode: m.callBody(proto.KeyExpr, expr, 3)})
}

// luaStringOrEmpty is lua_tolstring for the encoders: a string or a
// number's text, "" for anything else.
func luaStringOrEmpty(L lua.State, idx int) string {
	switch L.Type(idx) {
	case lua.TypeString, lua.TypeNumber:
		L.PushValue(idx)
		s, _ := L.ToString(-1)
		L.Pop(1)
		return s
	}
	return ""
}
