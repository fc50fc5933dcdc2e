package luabox

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/say"
)

// fiberNameMax is Tarantool's FIBER_NAME_MAX: names keep at most 255
// bytes.
const fiberNameMax = 256

// MaxLuaFibers bounds the fibers Lua code may create (fiber.new,
// fiber.create) and exist at once. A fiber that waits inside Lua (sleep,
// channel, a WAL write, net.box) keeps its C frames, and so an OS thread,
// until it resumes: the bound keeps the process below the thread limit
// New sets (debug.SetMaxThreads), which Go enforces by crashing. Fibers
// that serve requests are bounded by the connections instead.
var MaxLuaFibers = 20000

// luaFiber is the Lua side of a fiber, kept in fiber.Fiber.Ext: its
// fiber.storage table and the outcome a joiner collects, as registry
// references. The fiber's object (userdata) lives in a weak table by
// fiber id (rt.fiberObjectsRef), so fiber.self() == fiber.self() while
// anyone holds the object, and a dead fiber's object goes when the last
// holder drops it.
type luaFiber struct {
	storageRef int
	resultsRef int // a table {n = count, ...} of what the function returned
	errRef     int // the error object it died with, if it failed
}

// errCancelled is the FiberIsCancelled error a cancelled fiber raises at
// its next cancellation point.
func errCancelled() *boxerr.Error {
	return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "FiberIsCancelled", Message: "fiber is cancelled"}
}

// testCancel raises FiberIsCancelled when the running fiber was cancelled
// (luaL_testcancel).
func (rt *Runtime) testCancel(L lua.State) {
	if rt.ctx().F.IsCancelled() {
		rt.pushError(L, errCancelled())
		L.Raise()
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
	lf := &luaFiber{}
	f.Ext = lf
	return lf
}

// pushFiber pushes f's object: the one Lua already holds, or a new one.
func (rt *Runtime) pushFiber(L lua.State, f *fiber.Fiber) {
	L.PushRef(rt.fiberObjectsRef)
	L.RawGetI(-1, int(f.ID()))
	if L.IsNil(-1) {
		L.Pop(1)
		L.PushObject(rt.fiberType, f)
		L.PushValue(-1)
		L.RawSetI(-3, int(f.ID()))
	}
	L.Remove(-2)
}

// releaseFiber drops the Lua side of a finished fiber (its storage and
// outcome); the object itself lives on while Lua holds it.
func (rt *Runtime) releaseFiber(L lua.State, f *fiber.Fiber) {
	lf, ok := f.Ext.(*luaFiber)
	if !ok {
		return
	}
	L.Unref(lf.storageRef)
	L.Unref(lf.resultsRef)
	L.Unref(lf.errRef)
	*lf = luaFiber{}
}

// EndRequest drops what Lua attached to the fiber f while it served a
// request (its fiber object and fiber.storage): a request's fiber.storage
// lives as long as the request, as in 2.6, whose request fibers return to
// a pool.
func (rt *Runtime) EndRequest(f *fiber.Fiber) {
	rt.releaseFiber(rt.L, f)
	f.Ext = nil
}

// fiberArg is lbox_checkfiber: a fiber object or a fiber id, which must
// name a fiber still registered.
func (rt *Runtime) fiberArg(L lua.State, n int) *fiber.Fiber {
	var f *fiber.Fiber
	switch L.Type(n) {
	case lua.TypeNumber:
		f = rt.Sched.Lookup(int64(L.ToNumber(n)))
	case lua.TypeUserdata:
		v, ok := L.ToObject(n, rt.fiberType)
		if !ok {
			L.TypeError(n, "fiber")
		}
		if ff := v.(*fiber.Fiber); ff.Registered() {
			f = ff
		}
	default:
		L.TypeError(n, "fiber")
	}
	if f == nil {
		L.Errorf("the fiber is dead")
	}
	return f
}

// fiberUD is luaL_checkudata(L, n, "fiber"): no liveness check.
func (rt *Runtime) fiberUD(L lua.State, n int) *fiber.Fiber {
	return L.CheckObject(n, rt.fiberType).(*fiber.Fiber)
}

// openFiber registers the fiber module: fibers are goroutines holding the
// tx baton, each with its own Lua thread; scheduling, cancellation and
// join follow Tarantool 2.6 (see package fiber).
func (rt *Runtime) openFiber() {
	L := rt.L
	L.CreateTable(0, 16)
	fiberMT := L.GetTop()
	L.SetFuncs(fiberMT, map[string]lua.Function{
		"id":           rt.fiberID,
		"name":         rt.fiberName,
		"cancel":       rt.fiberCancel,
		"status":       rt.fiberStatus,
		"testcancel":   rt.fiberTestCancel,
		"join":         rt.fiberJoin,
		"set_joinable": rt.fiberSetJoinable,
		"wakeup":       rt.fiberWakeup,
		"__tostring": func(L lua.State) int {
			f := rt.fiberArg(L, 1)
			L.PushString("fiber: " + strconv.FormatInt(f.ID(), 10))
			return 1
		},
		"__serialize": func(L lua.State) int {
			f := rt.fiberArg(L, 1)
			L.PushGo(map[string]any{"id": f.ID(), "name": f.Name(), "status": string(f.Status())})
			return 1
		},
	})
	L.PushFunction(func(L lua.State) int {
		if L.GetTop() < 2 {
			return 0
		}
		if k, _ := L.ToString(2); L.Type(2) == lua.TypeString && k == "storage" {
			// An __index metamethod fails with the position of the Lua
			// code that indexed, as LuaJIT reports it.
			f := rt.fiberUD(L, 1)
			if !f.Registered() {
				L.Errorf("the fiber is dead")
			}
			lf := rt.luaFiberOf(f)
			if lf.storageRef == 0 {
				L.NewTable()
				lf.storageRef = L.Ref()
			}
			L.PushRef(lf.storageRef)
			return 1
		}
		// Methods live in the metatable itself.
		rt.fiberType.PushMetatable(L)
		L.PushValue(2)
		L.RawGet(-2)
		return 1
	})
	L.RawSetField(fiberMT, "__index")
	L.PushValue(fiberMT)
	rt.fiberType = L.NewObjectType("fiber")
	L.NewTable()
	L.CreateTable(0, 1)
	L.PushString("v")
	L.RawSetField(-2, "__mode")
	L.SetMetatable(-2)
	rt.fiberObjectsRef = L.Ref()

	L.CreateTable(0, 32)
	mod := L.GetTop()
	topEnabled := false
	L.SetFuncs(mod, map[string]lua.Function{
		"create": func(L lua.State) int { return rt.fiberStart(L, true) },
		"new":    func(L lua.State) int { return rt.fiberStart(L, false) },
		"sleep":  rt.fiberSleep,
		"yield":  rt.fiberYield,
		"self": func(L lua.State) int {
			rt.pushFiber(L, rt.ctx().F)
			return 1
		},
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
		"top": func(L lua.State) int {
			if !topEnabled {
				L.Errorf("fiber.top() is disabled. Enable it with fiber.top_enable() first")
			}
			return rt.fiberTop(L)
		},
		"top_enable":  func(L lua.State) int { topEnabled = true; return 0 },
		"top_disable": func(L lua.State) int { topEnabled = false; return 0 },
		"time": func(L lua.State) int {
			L.PushNumber(float64(rt.Sched.Time().UnixNano()) / 1e9)
			return 1
		},
		"time64": func(L lua.State) int {
			L.PushInt64(int64(math.Floor(float64(rt.Sched.Time().UnixNano())/1e3 + 0.5)))
			return 1
		},
		"clock": func(L lua.State) int {
			L.PushNumber(rt.Sched.Clock().Seconds())
			return 1
		},
		"clock64": func(L lua.State) int {
			L.PushInt64(int64(math.Floor(float64(rt.Sched.Clock().Nanoseconds())/1e3 + 0.5)))
			return 1
		},
	})
	rt.openChannel(mod)
	rt.openCond(mod)
	// fiber is in package.loaded (require('fiber')) but no global, as in
	// 2.6.
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(mod)
	L.RawSetField(-2, "fiber")
	L.SetTop(fiberMT - 1)
}

// fiberStart implements fiber.create (run at once) and fiber.new (run
// when the creator yields). The new fiber inherits the creator's session.
func (rt *Runtime) fiberStart(L lua.State, now bool) int {
	if !L.IsFunction(1) && !L.IsTable(1) {
		if now {
			L.Errorf("fiber.create(function, ...): bad arguments")
		}
		L.Errorf("fiber.new(function, ...): bad arguments")
	}
	if rt.liveFibers >= MaxLuaFibers {
		rt.pushError(L, &boxerr.Error{Code: boxerr.ER_MEMORY_ISSUE, Type: "OutOfMemory",
			Message: fmt.Sprintf("Failed to allocate a fiber: %d Lua fibers exist, the most a process may have (each keeps an OS thread while it waits)", rt.liveFibers)})
		L.Raise()
	}
	// The function and its arguments wait in a table until the fiber
	// runs: the creator's stack is gone by then.
	nargs := L.GetTop()
	L.CreateTable(nargs, 1)
	L.Insert(1)
	for i := nargs; i >= 1; i-- {
		L.RawSetI(1, i)
	}
	L.PushNumber(float64(nargs))
	L.RawSetField(1, "n")
	callRef := L.Ref()
	parent := rt.ctx()
	rt.liveFibers++
	body := func(f *fiber.Fiber) {
		defer func() { rt.liveFibers-- }()
		rt.runFiber(f, parent.Sess, callRef)
	}
	var f *fiber.Fiber
	if now {
		f = rt.Sched.Start("lua", body)
	} else {
		f = rt.Sched.Go("lua", body)
	}
	rt.pushFiber(L, f)
	return 1
}

// runFiber runs a Lua fiber's function on a Lua thread of its own and
// records its outcome for join. A failure of a fiber nobody will join is
// logged, unless the fiber was cancelled (fiber_loop in 2.6).
func (rt *Runtime) runFiber(f *fiber.Fiber, sess *box.Session, callRef int) {
	fc := rt.NewFiberCtx(f, sess)
	defer rt.ReleaseFiberCtx(fc)
	th := fc.L
	lf := rt.luaFiberOf(f)
	defer func() {
		if !f.Joinable() {
			rt.releaseFiber(th, f)
		}
	}()
	th.PushRef(callRef)
	th.Unref(callRef)
	th.RawGetField(1, "n")
	n := int(th.ToNumber(-1))
	th.Pop(1)
	for i := 1; i <= n; i++ {
		th.RawGetI(1, i)
	}
	th.Remove(1)
	if th.PCallValue(n-1, lua.MultRet) {
		cnt := th.GetTop()
		th.CreateTable(cnt, 1)
		th.Insert(1)
		for i := cnt; i >= 1; i-- {
			th.RawSetI(1, i)
		}
		th.PushNumber(float64(cnt))
		th.RawSetField(1, "n")
		lf.resultsRef = th.Ref()
		return
	}
	e := rt.errorFromStack(th)
	rt.pushError(th, e)
	lf.errRef = th.Ref()
	th.SetTop(0)
	if f.Joinable() || f.IsCancelled() {
		return
	}
	rt.logFiberError(f, e)
}

// errorFromStack converts the error value on top into a box error.
func (rt *Runtime) errorFromStack(L lua.State) *boxerr.Error {
	if e := rt.toError(L, -1); e != nil {
		return e
	}
	return luajitError(L.ErrorString(-1))
}

// logFiberError writes the line 2.6's error_log writes for a fiber that
// died of e: the error's origin, then "ER_CODE: message" for client
// errors and "Type: message" otherwise.
func (rt *Runtime) logFiberError(f *fiber.Fiber, e *boxerr.Error) {
	origin := "utils.c:1005" // where 2.6 creates a LuajitError
	if e.File != "" {
		// say.c prints the base name of the file.
		origin = e.File[strings.LastIndexByte(e.File, '/')+1:] + ":" + itoa(uint32(e.Line))
	}
	msg := e.Type + ": " + e.Message
	switch e.Type {
	case "ClientError", "AccessDeniedError":
		msg = e.Code.Name() + ": " + e.Message
	case "CustomError":
		// CustomError::log passes its format as the argument of "%s".
		msg = "Custom type %s: " + e.Message
	}
	rt.Log.Log(f.Who()+" "+origin, say.Error, msg)
}

func (rt *Runtime) fiberSleep(L lua.State) int {
	ok := false
	var n float64
	switch L.Type(1) {
	case lua.TypeNumber:
		n, ok = L.ToNumber(1), true
	case lua.TypeString:
		s, _ := L.ToString(1)
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			n, ok = v, true
		}
	}
	if !ok || L.GetTop() != 1 {
		L.Errorf("fiber.sleep(delay): bad arguments")
	}
	rt.ctx().F.Sleep(seconds(n))
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberYield(L lua.State) int {
	rt.ctx().F.Yield()
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberID(L lua.State) int {
	if L.GetTop() == 0 {
		L.PushNumber(float64(rt.ctx().F.ID()))
		return 1
	}
	L.PushNumber(float64(rt.fiberUD(L, 1).ID()))
	return 1
}

func (rt *Runtime) fiberFind(L lua.State) int {
	if L.GetTop() != 1 {
		L.Errorf("fiber.find(id): bad arguments")
	}
	if f := rt.Sched.Lookup(int64(L.ToNumber(1))); f != nil {
		rt.pushFiber(L, f)
	} else {
		L.PushNil()
	}
	return 1
}

// fiberCancel implements fiber.cancel, fiber.kill and f:cancel: the
// target is cancelled, and a fiber cancelling itself raises at once.
func (rt *Runtime) fiberCancel(L lua.State) int {
	rt.fiberArg(L, 1).Cancel()
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberWakeup(L lua.State) int {
	rt.fiberArg(L, 1).Wakeup()
	return 0
}

func (rt *Runtime) fiberTestCancel(L lua.State) int {
	if L.GetTop() != 0 {
		L.Errorf("fiber.testcancel(): bad arguments")
	}
	rt.testCancel(L)
	return 0
}

func (rt *Runtime) fiberStatus(L lua.State) int {
	f := rt.ctx().F
	if L.GetTop() > 0 {
		f = rt.fiberUD(L, 1)
	}
	L.PushString(string(f.Status()))
	return 1
}

// fiberName implements fiber.name([f,] [name [, {truncate = bool}]]).
func (rt *Runtime) fiberName(L lua.State) int {
	f := rt.ctx().F
	nameIdx, optsIdx := 1, 2
	if L.Type(1) == lua.TypeUserdata {
		f = rt.fiberArg(L, 1)
		nameIdx, optsIdx = 2, 3
	}
	top := L.GetTop()
	if top != nameIdx && top != optsIdx {
		L.PushString(f.Name())
		return 1
	}
	name := L.CheckString(nameIdx)
	size := len(name) + 1
	if top == optsIdx && L.IsTable(optsIdx) {
		L.RawGetField(optsIdx, "truncate")
		if L.Type(-1) == lua.TypeBoolean && L.ToBool(-1) && size > fiberNameMax {
			size = fiberNameMax
		}
		L.Pop(1)
	}
	if size > fiberNameMax {
		L.Errorf("Fiber name is too long")
	}
	f.SetName(name[:size-1])
	return 0
}

func (rt *Runtime) fiberSetJoinable(L lua.State) int {
	if L.GetTop() != 2 {
		L.Errorf("fiber.set_joinable(id, yesno): bad arguments")
	}
	f := rt.fiberArg(L, 1)
	f.SetJoinable(L.ToBool(2))
	return 0
}

// fiberJoin waits for a joinable fiber and returns true and its results,
// or false and the error it died with.
func (rt *Runtime) fiberJoin(L lua.State) int {
	f := rt.fiberArg(L, 1)
	if !f.Joinable() {
		L.Errorf("the fiber is not joinable")
	}
	f.Join()
	lf := rt.luaFiberOf(f)
	defer rt.releaseFiber(L, f)
	if lf.errRef != 0 {
		L.PushBool(false)
		L.PushRef(lf.errRef)
		return 2
	}
	L.PushBool(true)
	if lf.resultsRef == 0 {
		return 1
	}
	L.PushRef(lf.resultsRef)
	t := L.GetTop()
	L.RawGetField(t, "n")
	n := int(L.ToNumber(-1))
	L.Pop(1)
	L.CheckStack(n + 1)
	for i := 1; i <= n; i++ {
		L.RawGetI(t, i)
	}
	L.Remove(t)
	return n + 1
}

// fiberInfo returns {[fid] = {name, fid, csw, time, memory = {used,
// total}}} for the registered fibers.
func (rt *Runtime) fiberInfo(L lua.State) int {
	// {backtrace = bool} or {bt = bool}, read as 2.6 does (lua_getfield).
	backtrace := true
	if L.IsTable(1) {
		for _, k := range []string{"backtrace", "bt"} {
			if err := L.GetField(1, k); err == nil && !L.IsNil(-1) {
				backtrace = L.ToBool(-1)
				L.Pop(1)
				break
			}
			L.Pop(1)
		}
	}
	L.NewTable()
	out := L.GetTop()
	for _, f := range rt.Sched.All() {
		t := map[string]any{
			"name":   f.Name(),
			"fid":    f.ID(),
			"csw":    f.CSW(),
			"time":   0,
			"memory": map[string]any{"used": 0, "total": fiberStackSize},
		}
		if backtrace {
			// The Lua frames of 2.6's backtrace ({L = ...}); its C
			// frames have no counterpart in a Go process.
			var frames []any
			if fc, ok := f.Local.(*FiberCtx); ok {
				for _, fr := range fc.L.Frames(maxBacktrace) {
					frames = append(frames, map[string]any{
						"L": fr.Name + " in " + fr.Source + " at line " + strconv.Itoa(fr.Line)})
				}
			}
			t["backtrace"] = append([]any{}, frames...)
		}
		L.PushGo(t)
		L.RawSetI(out, int(f.ID()))
	}
	L.CreateTable(0, 1)
	L.PushString("mapping")
	L.RawSetField(-2, "__serialize")
	L.SetMetatable(out)
	return 1
}

// fiberStackSize is the memory.total a fresh fiber of the reference
// 2.6.0 build reports (its stack and region).
const fiberStackSize = 516472

// maxBacktrace bounds the frames of a fiber.info backtrace.
const maxBacktrace = 64

func (rt *Runtime) fiberTop(L lua.State) int {
	entry := map[string]any{"average": 0, "instant": 0, "time": 0}
	cpu := map[string]any{"1/sched": entry}
	for _, f := range rt.Sched.All() {
		cpu[strconv.FormatInt(f.ID(), 10)+"/"+f.Name()] = entry
	}
	L.PushGo(map[string]any{"cpu_misses": 0, "cpu": cpu})
	return 1
}
