package luabox

import (
	"errors"
	"time"

	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
)

// openChannel adds fiber.channel(size): channel objects over
// fiber.Channel carrying Lua values (as registry references, released
// when a value is taken or the channel is collected). A failed put or
// get returns false or nil, and raises only when the fiber was
// cancelled, as in 2.6.
func (rt *Runtime) openChannel(mod int) {
	L := rt.L
	L.CreateTable(0, 16)
	mt := L.GetTop()
	methods := map[string]lua.Function{
		"put":         rt.chanPut,
		"get":         rt.chanGet,
		"close":       func(L lua.State) int { rt.checkChannel(L, 1, "channel:close()").Close(); return 0 },
		"is_full":     rt.chanBool("channel:is_full()", (*fiber.Channel).IsFull),
		"is_empty":    rt.chanBool("channel:is_empty()", (*fiber.Channel).IsEmpty),
		"is_closed":   rt.chanBool("channel:is_closed()", (*fiber.Channel).IsClosed),
		"has_readers": rt.chanBool("channel:has_readers()", (*fiber.Channel).HasReaders),
		"has_writers": rt.chanBool("channel:has_writers()", (*fiber.Channel).HasWriters),
		"count": func(L lua.State) int {
			L.PushNumber(float64(rt.checkChannel(L, 1, "channel:count()").Count()))
			return 1
		},
		"size": func(L lua.State) int {
			L.PushNumber(float64(rt.checkChannel(L, 1, "channel:size()").Size()))
			return 1
		},
		"__tostring": func(L lua.State) int {
			ch := rt.checkChannel(L, 1, "")
			if ch.IsClosed() {
				L.PushString("channel: closed")
			} else {
				L.PushString("channel: " + itoa(uint32(ch.Count())))
			}
			return 1
		},
	}
	L.NewTable()
	idx := L.GetTop()
	for k, fn := range methods {
		L.PushFunction(fn)
		L.PushValue(-1)
		L.RawSetField(mt, k)
		L.RawSetField(idx, k)
	}
	L.RawSetField(mt, "__index")
	rt.chanType = L.NewObjectType("fiber.channel")
	// Values still buffered when the channel is collected are released.
	rt.chanType.Finalize = func(L lua.State, v any) {
		ch := v.(*fiber.Channel)
		for _, x := range ch.Drain() {
			L.Unref(x.(int))
		}
	}
	L.PushFunction(func(L lua.State) int {
		size := 0
		switch L.Type(1) {
		case lua.TypeNone, lua.TypeNil:
		case lua.TypeNumber:
			if L.ToNumber(1) < 0 {
				L.Errorf("fiber.channel(size): negative size")
			}
			size = int(L.ToNumber(1))
		default:
			L.Errorf("fiber.channel(size): bad arguments")
		}
		ch := fiber.NewChannel(size)
		ch.Discard = func(v any) { rt.L.Unref(v.(int)) }
		L.PushObject(rt.chanType, ch)
		return 1
	})
	L.RawSetField(mod, "channel")
}

func (rt *Runtime) chanBool(usage string, fn func(*fiber.Channel) bool) lua.Function {
	return func(L lua.State) int {
		L.PushBool(fn(rt.checkChannel(L, 1, usage)))
		return 1
	}
}

// checkChannel is luaT_checkfiberchannel.
func (rt *Runtime) checkChannel(L lua.State, n int, usage string) *fiber.Channel {
	if n > L.GetTop() {
		L.Errorf("usage: %s", usage)
	}
	return L.CheckObject(n, rt.chanType).(*fiber.Channel)
}

// timeoutArg reads an optional non-negative timeout at n; anything else
// raises "usage: ...".
func timeoutArg(L lua.State, n int, usage string) time.Duration {
	switch L.Type(n) {
	case lua.TypeNone, lua.TypeNil:
		return fiber.Infinite
	case lua.TypeNumber:
		v := L.ToNumber(n)
		if v < 0 {
			L.Errorf("usage: %s", usage)
		}
		return seconds(v)
	}
	L.Errorf("usage: %s", usage)
	return 0
}

// failedWait raises FiberIsCancelled for a wait that failed because the
// fiber was cancelled (luaL_testcancel after a failed put or get).
func (rt *Runtime) failedWait(L lua.State, err error) {
	if errors.Is(err, fiber.ErrCancelled) || rt.ctx().F.IsCancelled() {
		rt.testCancel(L)
	}
}

func (rt *Runtime) chanPut(L lua.State) int {
	const usage = "channel:put(var [, timeout])"
	ch := rt.checkChannel(L, 1, usage)
	if L.GetTop() < 2 {
		L.Errorf("usage: %s", usage)
	}
	timeout := timeoutArg(L, 3, usage)
	L.PushValue(2)
	ref := L.Ref()
	err := ch.Put(rt.ctx().F, ref, timeout)
	if err != nil {
		L.Unref(ref)
		rt.failedWait(L, err)
	}
	L.PushBool(err == nil)
	return 1
}

func (rt *Runtime) chanGet(L lua.State) int {
	const usage = "channel:get([timeout])"
	ch := rt.checkChannel(L, 1, usage)
	timeout := timeoutArg(L, 2, usage)
	v, err := ch.Get(rt.ctx().F, timeout)
	if err != nil {
		rt.failedWait(L, err)
		L.PushNil()
		return 1
	}
	ref := v.(int)
	L.PushRef(ref)
	L.Unref(ref)
	return 1
}

// openCond adds fiber.cond(): wait([timeout]) returns true when signalled
// (or woken) and false on timeout; a cancelled fiber whose wait timed out
// raises.
func (rt *Runtime) openCond(mod int) {
	L := rt.L
	L.CreateTable(0, 8)
	mt := L.GetTop()
	L.NewTable()
	idx := L.GetTop()
	for k, fn := range map[string]lua.Function{
		"signal":    func(L lua.State) int { rt.checkCond(L, 1, "cond:signal()").Signal(); return 0 },
		"broadcast": func(L lua.State) int { rt.checkCond(L, 1, "cond:broadcast()").Broadcast(); return 0 },
		"wait": func(L lua.State) int {
			const usage = "cond:wait([timeout])"
			c := rt.checkCond(L, 1, usage)
			timeout := fiber.Infinite
			if !L.IsNoneOrNil(2) {
				if L.Type(2) != lua.TypeNumber || L.ToNumber(2) < 0 {
					L.Errorf("usage: %s", usage)
				}
				timeout = seconds(L.ToNumber(2))
			}
			err := c.Wait(rt.ctx().F, timeout)
			if err != nil {
				rt.testCancel(L)
			}
			L.PushBool(err == nil)
			return 1
		},
		"__tostring": func(L lua.State) int {
			rt.checkCond(L, 1, "")
			L.PushString("cond")
			return 1
		},
	} {
		L.PushFunction(fn)
		L.PushValue(-1)
		L.RawSetField(mt, k)
		L.RawSetField(idx, k)
	}
	L.RawSetField(mt, "__index")
	rt.condType = L.NewObjectType("fiber.cond")
	L.PushFunction(func(L lua.State) int {
		L.PushObject(rt.condType, &fiber.Cond{})
		return 1
	})
	L.RawSetField(mod, "cond")
}

func (rt *Runtime) checkCond(L lua.State, n int, usage string) *fiber.Cond {
	if n > L.GetTop() {
		L.Errorf("usage: %s", usage)
	}
	return L.CheckObject(n, rt.condType).(*fiber.Cond)
}
