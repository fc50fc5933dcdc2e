package luabox

import (
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/say"
)

// fiberNameMax is Tarantool's FIBER_NAME_MAX: names keep at most 255
// bytes.
const fiberNameMax = 256

// luaFiber is the Lua side of a fiber, kept in fiber.Fiber.Ext: its one
// userdata (so fiber.self() == fiber.self()), its fiber.storage table and
// the outcome a joiner collects.
type luaFiber struct {
	ud      *lua.LUserData
	storage *lua.LTable
	results []lua.LValue // what the function returned
	err     lua.LValue   // the error object it died with, if it failed
}

// Type names of the module's userdata; their metatables live in the Lua
// registry under these names, as luaL_newmetatable keeps them.
const (
	fiberTypeName = "fiber"
	chanTypeName  = "fiber.channel"
	condTypeName  = "fiber.cond"
)

// luaRaise throws msg without a position prefix, as luaL_error does from
// a C function.
func luaRaise(L *lua.LState, msg string) {
	L.Error(lua.LString(msg), 0)
}

// typeError throws the message of a failed luaL_checkudata.
func typeError(L *lua.LState, n int, want string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	luaRaise(L, "bad argument #"+itoa(uint32(n))+" to '?' ("+want+" expected, got "+got+")")
}

// errCancelled is the FiberIsCancelled error a cancelled fiber raises at
// its next cancellation point.
func errCancelled() *boxerr.Error {
	return &boxerr.Error{Type: "FiberIsCancelled", Message: "fiber is cancelled"}
}

// testCancel raises FiberIsCancelled when the running fiber was cancelled
// (luaL_testcancel).
func (rt *Runtime) testCancel(L *lua.LState) {
	if rt.ctx(L).F.IsCancelled() {
		L.Error(rt.newError(L, errCancelled()), 0)
	}
}

// seconds converts a Lua timeout to a duration; huge values mean no
// limit.
func seconds(x float64) time.Duration {
	if x <= 0 || math.IsNaN(x) {
		return 0
	}
	if x*1e9 >= float64(fiber.Infinite) {
		return fiber.Infinite
	}
	return time.Duration(x * 1e9)
}

// luaFiberOf returns f's Lua side, creating it on first use.
func (rt *Runtime) luaFiberOf(f *fiber.Fiber) *luaFiber {
	if lf, ok := f.Ext.(*luaFiber); ok {
		return lf
	}
	ud := rt.L.NewUserData()
	ud.Value = f
	ud.Metatable = rt.L.GetTypeMetatable(fiberTypeName)
	lf := &luaFiber{ud: ud}
	f.Ext = lf
	return lf
}

// fiberArg is lbox_checkfiber: a fiber object or a fiber id, which must
// name a fiber still registered.
func (rt *Runtime) fiberArg(L *lua.LState, n int) *fiber.Fiber {
	var f *fiber.Fiber
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		f = rt.Sched.Lookup(int64(v))
	case *lua.LUserData:
		ff, ok := v.Value.(*fiber.Fiber)
		if !ok {
			typeError(L, n, "fiber")
		}
		if ff.Registered() {
			f = ff
		}
	default:
		typeError(L, n, "fiber")
	}
	if f == nil {
		luaRaise(L, "the fiber is dead")
	}
	return f
}

// fiberUD is luaL_checkudata(L, n, "fiber"): no liveness check.
func fiberUD(L *lua.LState, n int) *fiber.Fiber {
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if f, ok := ud.Value.(*fiber.Fiber); ok {
			return f
		}
	}
	typeError(L, n, "fiber")
	return nil
}

// openFiber registers the fiber module: fibers are goroutines holding the
// tx baton, each with its own Lua thread; scheduling, cancellation and
// join follow Tarantool 2.6 (see package fiber).
func (rt *Runtime) openFiber() {
	L := rt.L
	mod := L.NewTable()
	fiberMT := L.NewTypeMetatable(fiberTypeName)
	topEnabled := false
	for k, fn := range map[string]lua.LGFunction{
		"id":           rt.fiberID,
		"name":         rt.fiberName,
		"cancel":       rt.fiberCancel,
		"status":       rt.fiberStatus,
		"testcancel":   rt.fiberTestCancel,
		"join":         rt.fiberJoin,
		"set_joinable": rt.fiberSetJoinable,
		"wakeup":       rt.fiberWakeup,
	} {
		fiberMT.RawSetString(k, L.NewFunction(fn))
	}
	fiberMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		f := rt.fiberArg(L, 1)
		L.Push(lua.LString("fiber: " + itoa(uint32(f.ID()))))
		return 1
	}))
	fiberMT.RawSetString("__serialize", L.NewFunction(func(L *lua.LState) int {
		f := rt.fiberArg(L, 1)
		t := L.NewTable()
		t.RawSetString("id", lua.LNumber(f.ID()))
		t.RawSetString("name", lua.LString(f.Name()))
		t.RawSetString("status", lua.LString(rt.statusOf(f)))
		L.Push(t)
		return 1
	}))
	fiberMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() < 2 {
			return 0
		}
		if k, ok := L.Get(2).(lua.LString); ok && k == "storage" {
			// An __index metamethod fails with the position of the Lua
			// code that indexed, as LuaJIT reports it.
			ff := fiberUD(L, 1)
			if !ff.Registered() {
				luaRaise(L, L.Where(1)+" the fiber is dead")
			}
			f := ff
			lf := rt.luaFiberOf(f)
			if lf.storage == nil {
				lf.storage = L.NewTable()
			}
			L.Push(lf.storage)
			return 1
		}
		L.Push(fiberMT.RawGet(L.Get(2)))
		return 1
	}))

	for k, fn := range map[string]lua.LGFunction{
		"create":       func(L *lua.LState) int { return rt.fiberStart(L, true) },
		"new":          func(L *lua.LState) int { return rt.fiberStart(L, false) },
		"sleep":        rt.fiberSleep,
		"yield":        rt.fiberYield,
		"self":         func(L *lua.LState) int { L.Push(rt.luaFiberOf(rt.ctx(L).F).ud); return 1 },
		"id":           rt.fiberID,
		"find":         rt.fiberFind,
		"kill":         rt.fiberCancel,
		"cancel":       rt.fiberCancel,
		"wakeup":       rt.fiberWakeup,
		"join":         rt.fiberJoin,
		"set_joinable": rt.fiberSetJoinable,
		"testcancel":   rt.fiberTestCancel,
		"status":       rt.fiberStatus,
		"name":         rt.fiberName,
		"info":         rt.fiberInfo,
		"top": func(L *lua.LState) int {
			if !topEnabled {
				luaRaise(L, "fiber.top() is disabled. Enable it with fiber.top_enable() first")
			}
			return rt.fiberTop(L)
		},
		"top_enable":  func(L *lua.LState) int { topEnabled = true; return 0 },
		"top_disable": func(L *lua.LState) int { topEnabled = false; return 0 },
		"time": func(L *lua.LState) int {
			L.Push(lua.LNumber(float64(rt.Sched.Time().UnixNano()) / 1e9))
			return 1
		},
		"time64": func(L *lua.LState) int {
			L.Push(lua.LNumber(math.Floor(float64(rt.Sched.Time().UnixNano())/1e3 + 0.5)))
			return 1
		},
		"clock": func(L *lua.LState) int {
			L.Push(lua.LNumber(rt.Sched.Clock().Seconds()))
			return 1
		},
		"clock64": func(L *lua.LState) int {
			L.Push(lua.LNumber(math.Floor(float64(rt.Sched.Clock().Nanoseconds())/1e3 + 0.5)))
			return 1
		},
	} {
		mod.RawSetString(k, L.NewFunction(fn))
	}
	rt.openChannel(mod)
	rt.openCond(mod)
	L.PreloadModule("fiber", func(L *lua.LState) int {
		L.Push(mod)
		return 1
	})
}

// fiberStart implements fiber.create (run at once) and fiber.new (run
// when the creator yields). The new fiber inherits the creator's session.
func (rt *Runtime) fiberStart(L *lua.LState, now bool) int {
	if L.GetTop() < 1 || L.Get(1).Type() != lua.LTFunction {
		if now {
			luaRaise(L, "fiber.create(function, ...): bad arguments")
		}
		luaRaise(L, "fiber.new(function, ...): bad arguments")
	}
	fn := L.Get(1)
	args := stackArgs(L, 2)
	parent := rt.ctx(L)
	body := func(f *fiber.Fiber) { rt.runFiber(f, parent.Sess, fn, args) }
	var f *fiber.Fiber
	if now {
		// The new fiber's Lua object must exist before it runs: it may
		// call fiber.self() and the creator returns the same object.
		f = rt.Sched.Start("lua", func(f *fiber.Fiber) { rt.luaFiberOf(f); body(f) })
	} else {
		f = rt.Sched.Go("lua", body)
	}
	L.Push(rt.luaFiberOf(f).ud)
	return 1
}

// runFiber runs a Lua fiber's function on a Lua thread of its own and
// records its outcome for join. A failure of a fiber nobody will join is
// logged, unless the fiber was cancelled (fiber_loop in 2.6).
func (rt *Runtime) runFiber(f *fiber.Fiber, sess *box.Session, fn lua.LValue, args []lua.LValue) {
	fc := rt.NewFiberCtx(f, sess)
	defer rt.ReleaseFiberCtx(fc)
	lf := rt.luaFiberOf(f)
	th := fc.L
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err := th.PCall(len(args), lua.MultRet, nil)
	if err == nil {
		n := th.GetTop()
		lf.results = make([]lua.LValue, n)
		for i := 1; i <= n; i++ {
			lf.results[i-1] = th.Get(i)
		}
		return
	}
	e := rt.ErrorOf(err)
	lf.err = rt.newError(th, e)
	if f.Joinable() || f.IsCancelled() {
		return
	}
	rt.logFiberError(f, e)
}

// logFiberError writes the line 2.6's error_log writes for a fiber that
// died of e: the error's origin, then "ER_CODE: message" for client
// errors and "Type: message" otherwise.
func (rt *Runtime) logFiberError(f *fiber.Fiber, e *boxerr.Error) {
	origin := "utils.c:1005" // where 2.6 creates a LuajitError
	if e.File != "" {
		origin = e.File + ":" + itoa(uint32(e.Line))
	}
	msg := e.Type + ": " + e.Message
	if e.Type == "ClientError" {
		msg = e.Code.Name() + ": " + e.Message
	}
	rt.Log.Log(f.Who()+" "+origin, say.Error, msg)
}

func (rt *Runtime) fiberSleep(L *lua.LState) int {
	n, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			if v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				n, ok = lua.LNumber(v), true
			}
		}
	}
	if !ok || L.GetTop() != 1 {
		luaRaise(L, "fiber.sleep(delay): bad arguments")
	}
	f := rt.ctx(L).F
	f.Sleep(seconds(float64(n)))
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberYield(L *lua.LState) int {
	rt.ctx(L).F.Yield()
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberID(L *lua.LState) int {
	if L.GetTop() == 0 {
		L.Push(lua.LNumber(rt.ctx(L).F.ID()))
		return 1
	}
	L.Push(lua.LNumber(fiberUD(L, 1).ID()))
	return 1
}

func (rt *Runtime) fiberFind(L *lua.LState) int {
	if L.GetTop() != 1 {
		luaRaise(L, "fiber.find(id): bad arguments")
	}
	id := L.ToNumber(1)
	if f := rt.Sched.Lookup(int64(id)); f != nil {
		L.Push(rt.luaFiberOf(f).ud)
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// fiberCancel implements fiber.cancel, fiber.kill and f:cancel: the
// target is cancelled, and a fiber cancelling itself raises at once.
func (rt *Runtime) fiberCancel(L *lua.LState) int {
	rt.fiberArg(L, 1).Cancel()
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberWakeup(L *lua.LState) int {
	rt.fiberArg(L, 1).Wakeup()
	return 0
}

func (rt *Runtime) fiberTestCancel(L *lua.LState) int {
	if L.GetTop() != 0 {
		luaRaise(L, "fiber.testcancel(): bad arguments")
	}
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) statusOf(f *fiber.Fiber) fiber.Status { return f.Status() }

func (rt *Runtime) fiberStatus(L *lua.LState) int {
	f := rt.ctx(L).F
	if L.GetTop() > 0 {
		f = fiberUD(L, 1)
	}
	L.Push(lua.LString(rt.statusOf(f)))
	return 1
}

// fiberName implements fiber.name([f,] [name [, {truncate = bool}]]).
func (rt *Runtime) fiberName(L *lua.LState) int {
	f := rt.ctx(L).F
	nameIdx, optsIdx := 1, 2
	if L.Get(1).Type() == lua.LTUserData {
		f = rt.fiberArg(L, 1)
		nameIdx, optsIdx = 2, 3
	}
	top := L.GetTop()
	if top != nameIdx && top != optsIdx {
		L.Push(lua.LString(f.Name()))
		return 1
	}
	name := L.CheckString(nameIdx)
	size := len(name) + 1
	if top == optsIdx {
		if opts, ok := L.Get(optsIdx).(*lua.LTable); ok {
			if opts.RawGetString("truncate") == lua.LTrue && size > fiberNameMax {
				size = fiberNameMax
			}
		}
	}
	if size > fiberNameMax {
		luaRaise(L, "Fiber name is too long")
	}
	f.SetName(name[:size-1])
	return 0
}

func (rt *Runtime) fiberSetJoinable(L *lua.LState) int {
	if L.GetTop() != 2 {
		luaRaise(L, "fiber.set_joinable(id, yesno): bad arguments")
	}
	f := rt.fiberArg(L, 1)
	f.SetJoinable(lua.LVAsBool(L.Get(2)))
	return 0
}

// fiberJoin waits for a joinable fiber and returns true and its results,
// or false and the error it died with.
func (rt *Runtime) fiberJoin(L *lua.LState) int {
	f := rt.fiberArg(L, 1)
	if !f.Joinable() {
		luaRaise(L, "the fiber is not joinable")
	}
	f.Join()
	lf := rt.luaFiberOf(f)
	if lf.err != nil {
		L.Push(lua.LFalse)
		L.Push(lf.err)
		lf.err = nil
		return 2
	}
	L.Push(lua.LTrue)
	for _, v := range lf.results {
		L.Push(v)
	}
	n := len(lf.results)
	lf.results = nil
	return n + 1
}

// fiberInfo returns {[fid] = {name, fid, csw, time, memory = {used,
// total}}} for the registered fibers.
func (rt *Runtime) fiberInfo(L *lua.LState) int {
	out := L.NewTable()
	for _, f := range rt.Sched.All() {
		t := L.NewTable()
		t.RawSetString("name", lua.LString(f.Name()))
		t.RawSetString("fid", lua.LNumber(f.ID()))
		t.RawSetString("csw", lua.LNumber(f.CSW()))
		t.RawSetString("time", lua.LNumber(0))
		mem := L.NewTable()
		mem.RawSetString("used", lua.LNumber(0))
		mem.RawSetString("total", lua.LNumber(fiberStackSize))
		t.RawSetString("memory", mem)
		if bt := lua.LVAsBool(L.GetField(L.Get(1), "backtrace")); L.Get(1).Type() != lua.LTTable || bt {
			t.RawSetString("backtrace", L.NewTable())
		}
		out.RawSetInt(int(f.ID()), t)
	}
	mt := L.NewTable()
	mt.RawSetString("__serialize", lua.LString("mapping"))
	L.SetMetatable(out, mt)
	L.Push(out)
	return 1
}

// fiberStackSize is the memory.total a fresh 2.6 fiber reports (its
// stack plus struct fiber).
const fiberStackSize = 524288 + 952

func (rt *Runtime) fiberTop(L *lua.LState) int {
	out := L.NewTable()
	out.RawSetString("cpu_misses", lua.LNumber(0))
	cpu := L.NewTable()
	entry := func() *lua.LTable {
		e := L.NewTable()
		e.RawSetString("average", lua.LNumber(0))
		e.RawSetString("instant", lua.LNumber(0))
		e.RawSetString("time", lua.LNumber(0))
		return e
	}
	cpu.RawSetString("1/sched", entry())
	for _, f := range rt.Sched.All() {
		cpu.RawSetString(itoa(uint32(f.ID()))+"/"+f.Name(), entry())
	}
	out.RawSetString("cpu", cpu)
	L.Push(out)
	return 1
}
