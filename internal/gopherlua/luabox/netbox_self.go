package luabox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
)

// nbSelf builds net.box.self: the local instance behind the connection
// interface. call and eval run in the calling fiber; a failure rolls back
// the fiber's transaction and is re-raised as ER_PROC_LUA with the
// error's text, and tuples among the results become tables, as 2.6 does.
func (rt *Runtime) nbSelf() *lua.LTable {
	L := rt.L
	self := L.NewTable()
	ret := func(v lua.LValue) *lua.LFunction {
		return L.NewFunction(func(L *lua.LState) int {
			switch v {
			case nil:
				return 0
			case lua.LNil:
				L.Push(L.Get(1))
			default:
				L.Push(v)
			}
			return 1
		})
	}
	self.RawSetString("ping", ret(lua.LTrue))
	self.RawSetString("reload_schema", ret(nil))
	self.RawSetString("close", ret(nil))
	self.RawSetString("timeout", ret(lua.LNil))
	self.RawSetString("wait_connected", ret(lua.LTrue))
	self.RawSetString("is_connected", ret(lua.LTrue))
	self.RawSetString("call", L.NewFunction(rt.nbSelfCall))
	self.RawSetString("eval", L.NewFunction(rt.nbSelfEval))
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok && k == "space" {
			rt.Refresh()
			L.Push(rt.boxTable.RawGetString("space"))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	L.SetMetatable(self, mt)
	return self
}

// nbSelfRollback rolls back the fiber's open transaction, if any.
func (rt *Runtime) nbSelfRollback(L *lua.LState) {
	if rt.Box != nil {
		rt.txnRollback(L)
	}
}

// nbSelfArgs checks self and the args table of call/eval and returns the
// arguments as a list.
func (rt *Runtime) nbSelfArgs(L *lua.LState, method string, eval bool) []lua.LValue {
	if _, ok := L.Get(1).(*lua.LTable); !ok {
		rt.nbRemoteArgError(L, method)
	}
	t, _ := nbArgsTable(L, 3, eval).(*lua.LTable)
	args := make([]lua.LValue, 0, t.Len())
	for i := 1; i <= t.Len(); i++ {
		args = append(args, t.RawGetInt(i))
	}
	return args
}

func (rt *Runtime) nbSelfCall(L *lua.LState) int {
	args := rt.nbSelfArgs(L, "call", false)
	name := rt.tostring(L, L.Get(2))
	fn, obj, ok := rt.resolve(L, name)
	if !ok {
		rt.nbSelfRollback(L)
		return rt.raiseCode(L, boxerr.ER_NO_SUCH_PROC, name)
	}
	if obj != nil {
		args = append([]lua.LValue{obj}, args...)
	}
	return rt.nbSelfResults(L, fn, args)
}

func (rt *Runtime) nbSelfEval(L *lua.LState) int {
	args := rt.nbSelfArgs(L, "eval", true)
	expr := lua.LVAsString(L.Get(2))
	fn, err := L.Load(strings.NewReader(expr), luaChunkID(expr))
	if err != nil {
		// An expression is accepted as well as a chunk.
		ret := "return " + expr
		fn, err = L.Load(strings.NewReader(ret), luaChunkID(ret))
	}
	if err != nil {
		rt.nbSelfRollback(L)
		return rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError", Message: SyntaxMessage(err)})
	}
	return rt.nbSelfResults(L, fn, args)
}

// nbSelfResults calls fn(args...) protected and pushes its results.
func (rt *Runtime) nbSelfResults(L *lua.LState, fn lua.LValue, args []lua.LValue) int {
	res, err := rt.protect(fn, args)
	if err != nil {
		rt.nbSelfRollback(L)
		return rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "ClientError",
			Message: rt.tostring(L, errorValue(err))})
	}
	for _, v := range res {
		if ud, ok := v.(*lua.LUserData); ok {
			if lt, ok := ud.Value.(*luaTuple); ok {
				if d, _, err := luaconv.Decode(L, lt.t.Data()); err == nil {
					v = d
				}
			}
		}
		L.Push(v)
	}
	return len(res)
}

// luaChunkID is the name LuaJIT gives a chunk loaded from the string src
// (lj_debug_shortname): [string "src"], cut at the first control
// character and shortened with "..." to fit LUA_IDSIZE.
func luaChunkID(src string) string {
	const idsize = 60
	n := 0
	for n < len(src) && n < idsize-12 && src[n] >= ' ' {
		n++
	}
	if n < len(src) {
		if n > idsize-15 {
			n = idsize - 15
		}
		return `[string "` + src[:n] + `..."]`
	}
	return `[string "` + src + `"]`
}
