package luabox

import (
	"strings"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Call runs the global Lua function name (a dotted path, with an optional
// final ":method" that passes the object as self, as Tarantool resolves
// CALL names) with the msgpack array args. It returns the number of
// results and their msgpack encodings, concatenated; with call16 every
// result is shaped as a tuple, as IPROTO_CALL_16 does.
func (rt *Runtime) Call(fc *FiberCtx, name string, args []byte, call16 bool) (int, []byte, error) {
	rt.Refresh()
	if rt.Box != nil {
		rt.Box.Collect(box.StatCall)
	}
	L := fc.L
	base := L.GetTop()
	defer L.SetTop(base)
	// Access first, as box_process_call: a user without the right to
	// call a function learns nothing of whether it exists. A function
	// registered in _func runs its body if it has one, and as its owner
	// if it is setuid.
	var f *box.Func
	if rt.Box != nil {
		if err := rt.Box.CheckCall(fc.Sess, name); err != nil {
			return 0, nil, err
		}
		f = rt.Box.FuncByName(name)
	}
	var nself int
	if f != nil {
		var err error
		if nself, err = rt.pushFunc(L, f); err != nil {
			return 0, nil, err
		}
	} else {
		var ok bool
		if nself, ok = rt.resolve(L, name); !ok {
			return 0, nil, boxerr.New(boxerr.ER_NO_SUCH_PROC, name).At("./src/box/lua/call.c", 116)
		}
	}
	n, err := L.PushMsgpackArgs(args, nil)
	if err != nil {
		return 0, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	restore := func() {}
	if f != nil {
		if restore, err = rt.setuid(fc, f); err != nil {
			return 0, nil, err
		}
	}
	err = L.PCall(nself+n, lua.MultRet)
	restore()
	if err != nil {
		return 0, nil, rt.ErrorOf(err)
	}
	rt.Refresh()
	return rt.encodeResults(L, base, call16)
}

// Eval runs expr as a Lua chunk with args as its varargs.
func (rt *Runtime) Eval(fc *FiberCtx, expr string, args []byte) (int, []byte, error) {
	rt.Refresh()
	if rt.Box != nil {
		rt.Box.Collect(box.StatEval)
	}
	if rt.Box != nil {
		// EVAL needs execute on universe in Tarantool 2.6.
		if err := rt.Box.CheckAccess(fc.Sess, "universe", 0, box.AccessExecute); err != nil {
			return 0, nil, err
		}
	}
	L := fc.L
	base := L.GetTop()
	defer L.SetTop(base)
	if err := rt.pushEvalChunk(L, expr); err != nil {
		e := luajitError(err.Error())
		return 0, nil, e.At("./src/box/lua/call.c", 384) // execute_lua_eval's
	}
	n, err := L.PushMsgpackArgs(args, nil)
	if err != nil {
		return 0, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	if err := L.PCall(n, lua.MultRet); err != nil {
		return 0, nil, rt.ErrorOf(err)
	}
	rt.Refresh()
	return rt.encodeResults(L, base, false)
}

// resolve pushes the function a CALL name designates (box_lua_find): a
// dotted path of tables from the globals, then either a function or
// callable table, or "obj:method" which pushes the method and obj. It
// returns how many values besides the function it pushed (0 or 1).
func (rt *Runtime) resolve(L lua.State, name string) (nself int, ok bool) {
	path, method := name, ""
	if i := strings.IndexByte(name, ':'); i >= 0 && !strings.Contains(name[i+1:], ".") {
		path, method = name[:i], name[i+1:]
	}
	parts := strings.Split(path, ".")
	L.PushValue(lua.GlobalsIndex)
	for i, part := range parts {
		last := i == len(parts)-1
		if err := L.GetField(-1, part); err != nil {
			return 0, false
		}
		L.Remove(-2)
		if last && method == "" {
			break
		}
		if t := L.Type(-1); t != lua.TypeTable && !(last && (t == lua.TypeUserdata || t == lua.TypeCdata)) {
			return 0, false
		}
	}
	if method != "" {
		if err := L.GetField(-1, method); err != nil {
			return 0, false
		}
		if t := L.Type(-1); t != lua.TypeFunction && t != lua.TypeTable {
			return 0, false
		}
		L.Insert(-2) // method, obj
		return 1, true
	}
	if t := L.Type(-1); t != lua.TypeFunction && t != lua.TypeTable {
		return 0, false
	}
	return 0, true
}

// encodeResults encodes the values above base: their count and their
// encodings, concatenated.
func (rt *Runtime) encodeResults(L lua.State, base int, call16 bool) (int, []byte, error) {
	top := L.GetTop()
	count := top - base
	if count <= 0 {
		return 0, nil, nil
	}
	if !call16 {
		out, err := L.EncodeMulti(nil, base+1, nil)
		if err != nil {
			return 0, nil, boxerr.From(err)
		}
		_, hdr, _ := msgpack.ReadArrayHeader(out)
		return count, out[hdr:], nil
	}
	var out []byte
	n := 0
	for i := base + 1; i <= top; i++ {
		var k int
		var err error
		if out, k, err = rt.encodeCall16(L, out, i); err != nil {
			return 0, nil, boxerr.From(err)
		}
		n += k
	}
	return n, out, nil
}

// encodeCall16 shapes one CALL_16 result as tuples: a tuple stays a tuple,
// a table of tables gives one tuple per element, a table is one tuple, a
// scalar v becomes [v].
func (rt *Runtime) encodeCall16(L lua.State, out []byte, idx int) ([]byte, int, error) {
	if data, ok := L.TupleData(idx); ok {
		return append(out, data...), 1, nil
	}
	if !L.IsTable(idx) {
		b, err := L.Encode(msgpack.AppendArrayHeader(out, 1), idx, nil)
		return b, 1, err
	}
	L.RawGetI(idx, 1)
	_, firstIsTuple := L.TupleData(-1)
	tableOfTuples := L.IsTable(-1) || firstIsTuple
	L.Pop(1)
	if !tableOfTuples {
		b, err := L.Encode(out, idx, nil)
		return b, 1, err
	}
	n := 0
	cnt := L.ObjLen(idx)
	var err error
	for i := 1; i <= cnt; i++ {
		L.RawGetI(idx, i)
		switch data, isTuple := L.TupleData(-1); {
		case isTuple:
			out = append(out, data...)
		case L.IsTable(-1):
			out, err = L.Encode(out, -1, nil)
		default:
			out, err = L.Encode(msgpack.AppendArrayHeader(out, 1), -1, nil)
		}
		L.Pop(1)
		if err != nil {
			return nil, 0, err
		}
		n++
	}
	return out, n, nil
}

// evalCacheSize bounds the compiled EVAL expressions kept: clients send
// the same few expressions over and over, and compiling costs more than
// running them.
const evalCacheSize = 512

// pushEvalChunk pushes the compiled chunk of an EVAL expression (chunk
// name "=eval", as 2.6). A compiled chunk is a Lua function; calls of it
// share no state, so one may serve every EVAL of the same text.
func (rt *Runtime) pushEvalChunk(L lua.State, expr string) error {
	if ref, ok := rt.evalCache[expr]; ok {
		L.PushRef(ref)
		return nil
	}
	if err := L.Load(expr, "=eval"); err != nil {
		return err
	}
	if len(rt.evalCache) >= evalCacheSize {
		for _, ref := range rt.evalCache {
			L.Unref(ref)
		}
		rt.evalCache = make(map[string]int, evalCacheSize)
	}
	L.PushValue(-1)
	rt.evalCache[expr] = L.Ref()
	return nil
}
