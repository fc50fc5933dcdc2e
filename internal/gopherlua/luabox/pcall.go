package luabox

import (
	"errors"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua closes every open upvalue of a Lua thread when an error is
// raised in it (LState.closeAllUpvalues), not only those of the frames
// the error unwinds (yuin/gopher-lua#448). Inside pcall that corrupts the
// caller's live locals: a closure that captured them afterwards updates a
// detached copy. Running each protected call at the bottom of a Lua
// thread of its own confines that closing to frames that really die, so
// pcall, xpcall, triggers, box.atomic and box.session.su all go through
// protect.

// getThread takes a Lua thread from the pool.
func (rt *Runtime) getThread() *lua.LState {
	if n := len(rt.pool); n > 0 {
		L := rt.pool[n-1]
		rt.pool = rt.pool[:n-1]
		return L
	}
	L, _ := rt.L.NewThread()
	return L
}

// putThread returns an idle thread to the pool.
func (rt *Runtime) putThread(L *lua.LState) {
	L.SetTop(0)
	if len(rt.pool) < 64 {
		rt.pool = append(rt.pool, L)
	}
}

// protect calls fn(args...) on a fresh thread and returns its results or
// the raised error (an *lua.ApiError).
func (rt *Runtime) protect(fn lua.LValue, args []lua.LValue) ([]lua.LValue, error) {
	th := rt.getThread()
	defer rt.putThread(th)
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	if err := th.PCall(len(args), lua.MultRet, nil); err != nil {
		return nil, err
	}
	n := th.GetTop()
	res := make([]lua.LValue, n)
	for i := 1; i <= n; i++ {
		res[i-1] = th.Get(i)
	}
	return res, nil
}

// errorValue is the Lua value a failed protected call raised.
func errorValue(err error) lua.LValue {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// stackArgs returns the values at from..top.
func stackArgs(L *lua.LState, from int) []lua.LValue {
	top := L.GetTop()
	if top < from {
		return nil
	}
	args := make([]lua.LValue, 0, top-from+1)
	for i := from; i <= top; i++ {
		args = append(args, L.Get(i))
	}
	return args
}

// openPcall replaces the base library's pcall and xpcall.
func (rt *Runtime) openPcall() {
	L := rt.L
	L.SetGlobal("pcall", L.NewFunction(func(L *lua.LState) int {
		fn := L.CheckAny(1)
		res, err := rt.protect(fn, stackArgs(L, 2))
		if err != nil {
			L.Push(lua.LFalse)
			L.Push(errorValue(err))
			return 2
		}
		L.Push(lua.LTrue)
		return pushAll(L, res) + 1
	}))
	// xpcall(f, handler): Lua 5.1 passes no arguments to f. The handler
	// runs after the failed frames are gone, so debug.traceback inside it
	// shows the handler's stack rather than the error's.
	L.SetGlobal("xpcall", L.NewFunction(func(L *lua.LState) int {
		fn := L.CheckAny(1)
		handler := L.CheckAny(2)
		res, err := rt.protect(fn, nil)
		if err != nil {
			hres, herr := rt.protect(handler, []lua.LValue{errorValue(err)})
			L.Push(lua.LFalse)
			switch {
			case herr != nil:
				L.Push(errorValue(herr))
			case len(hres) > 0:
				L.Push(hres[0])
			default:
				L.Push(lua.LNil)
			}
			return 2
		}
		L.Push(lua.LTrue)
		return pushAll(L, res) + 1
	}))
}

// pushAll pushes values and returns how many it pushed.
func pushAll(L *lua.LState, values []lua.LValue) int {
	for _, v := range values {
		L.Push(v)
	}
	return len(values)
}

// WithThread runs fn with an idle Lua thread of the runtime, for Go code
// that evaluates Lua on behalf of the running fiber (the console): an
// error raised there unwinds only fn's own frames.
func (rt *Runtime) WithThread(fn func(L *lua.LState)) {
	th := rt.getThread()
	defer rt.putThread(th)
	fn(th)
}
