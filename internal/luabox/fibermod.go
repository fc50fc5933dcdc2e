package luabox

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/fiber"
)

// openFiber registers the fiber module: fibers are goroutines holding the
// tx baton, each with its own Lua thread.
func (rt *Runtime) openFiber() {
	L := rt.L
	mod := L.NewTable()
	fmt := L.NewTable() // fiber object methods
	objMT := L.NewTable()
	objMT.RawSetString("__index", fmt)
	objMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		f := checkFiber(L, 1)
		L.Push(lua.LString("fiber: " + itoa(uint32(f.ID()))))
		return 1
	}))
	wrap := func(f *fiber.Fiber) lua.LValue {
		ud := L.NewUserData()
		ud.Value = f
		ud.Metatable = objMT
		return ud
	}
	start := func(L *lua.LState, run bool) int {
		fn := L.CheckFunction(1)
		args := make([]lua.LValue, 0, L.GetTop()-1)
		for i := 2; i <= L.GetTop(); i++ {
			args = append(args, L.Get(i))
		}
		parent := rt.ctx(L)
		f := rt.Sched.Go("lua", func(f *fiber.Fiber) {
			fc := rt.NewFiberCtx(f, parent.Sess)
			defer rt.ReleaseFiberCtx(fc)
			fc.L.Push(fn)
			for _, a := range args {
				fc.L.Push(a)
			}
			if err := fc.L.PCall(len(args), 0, nil); err != nil {
				e := rt.ErrorOf(err)
				rt.Log.Log(f.Who(), 2, e.Message)
			}
		})
		L.Push(wrap(f))
		if run {
			// fiber.create runs the new fiber at once.
			parent.F.Yield()
		}
		return 1
	}
	fns := map[string]lua.LGFunction{
		"create": func(L *lua.LState) int { return start(L, true) },
		"new":    func(L *lua.LState) int { return start(L, false) },
		"sleep": func(L *lua.LState) int {
			d := time.Duration(float64(L.OptNumber(1, 0)) * float64(time.Second))
			rt.ctx(L).F.Sleep(d)
			return 0
		},
		"yield": func(L *lua.LState) int { rt.ctx(L).F.Yield(); return 0 },
		"self":  func(L *lua.LState) int { L.Push(wrap(rt.ctx(L).F)); return 1 },
		"id":    func(L *lua.LState) int { L.Push(lua.LNumber(rt.ctx(L).F.ID())); return 1 },
		"name": func(L *lua.LState) int {
			f := rt.ctx(L).F
			if L.GetTop() >= 1 {
				f.SetName(L.CheckString(1))
			}
			L.Push(lua.LString(f.Name()))
			return 1
		},
		"time": func(L *lua.LState) int {
			L.Push(lua.LNumber(float64(time.Now().UnixNano()) / 1e9))
			return 1
		},
		"clock": func(L *lua.LState) int {
			L.Push(lua.LNumber(float64(time.Since(processStart).Nanoseconds()) / 1e9))
			return 1
		},
		"testcancel": func(L *lua.LState) int {
			if rt.ctx(L).F.IsCancelled() {
				L.RaiseError("fiber is cancelled")
			}
			return 0
		},
		"status": func(L *lua.LState) int {
			f := rt.ctx(L).F
			if L.GetTop() >= 1 {
				f = checkFiber(L, 1)
			}
			L.Push(lua.LString(f.Status()))
			return 1
		},
	}
	for k, f := range fns {
		mod.RawSetString(k, L.NewFunction(f))
	}
	methods := map[string]lua.LGFunction{
		"id":     func(L *lua.LState) int { L.Push(lua.LNumber(checkFiber(L, 1).ID())); return 1 },
		"status": func(L *lua.LState) int { L.Push(lua.LString(checkFiber(L, 1).Status())); return 1 },
		"name": func(L *lua.LState) int {
			f := checkFiber(L, 1)
			if L.GetTop() >= 2 {
				f.SetName(L.CheckString(2))
			}
			L.Push(lua.LString(f.Name()))
			return 1
		},
		"cancel": func(L *lua.LState) int { checkFiber(L, 1).Cancel(); return 0 },
		"wakeup": func(L *lua.LState) int { checkFiber(L, 1).Wakeup(); return 0 },
	}
	for k, f := range methods {
		fmt.RawSetString(k, L.NewFunction(f))
	}
	mod.RawSetString("kill", fmt.RawGetString("cancel"))
	L.PreloadModule("fiber", func(L *lua.LState) int {
		L.Push(mod)
		return 1
	})
}

var processStart = time.Now()

func checkFiber(L *lua.LState, n int) *fiber.Fiber {
	ud := L.CheckUserData(n)
	f, ok := ud.Value.(*fiber.Fiber)
	if !ok {
		L.ArgError(n, "fiber expected")
	}
	return f
}
