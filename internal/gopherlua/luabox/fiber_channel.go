package luabox

import (
	"errors"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/fiber"
)

// openChannel adds fiber.channel(size): channel objects over
// fiber.Channel carrying Lua values. A failed put or get returns false or
// nil, and raises only when the fiber was cancelled, as in 2.6.
func (rt *Runtime) openChannel(mod *lua.LTable) {
	L := rt.L
	mt := L.NewTypeMetatable(chanTypeName)
	methods := map[string]lua.LGFunction{
		"put":         rt.chanPut,
		"get":         rt.chanGet,
		"close":       func(L *lua.LState) int { checkChannel(L, 1, "channel:close()").Close(); return 0 },
		"is_full":     chanBool("channel:is_full()", (*fiber.Channel).IsFull),
		"is_empty":    chanBool("channel:is_empty()", (*fiber.Channel).IsEmpty),
		"is_closed":   chanBool("channel:is_closed()", (*fiber.Channel).IsClosed),
		"has_readers": chanBool("channel:has_readers()", (*fiber.Channel).HasReaders),
		"has_writers": chanBool("channel:has_writers()", (*fiber.Channel).HasWriters),
		"count": func(L *lua.LState) int {
			L.Push(lua.LNumber(checkChannel(L, 1, "channel:count()").Count()))
			return 1
		},
		"size": func(L *lua.LState) int {
			L.Push(lua.LNumber(checkChannel(L, 1, "channel:size()").Size()))
			return 1
		},
		"__tostring": func(L *lua.LState) int {
			ch := checkChannel(L, 1, "")
			if ch.IsClosed() {
				L.Push(lua.LString("channel: closed"))
			} else {
				L.Push(lua.LString("channel: " + itoa(uint32(ch.Count()))))
			}
			return 1
		},
	}
	idx := L.NewTable()
	for k, fn := range methods {
		f := L.NewFunction(fn)
		mt.RawSetString(k, f)
		idx.RawSetString(k, f)
	}
	mt.RawSetString("__index", idx)
	mod.RawSetString("channel", L.NewFunction(func(L *lua.LState) int {
		size := 0
		switch v := L.Get(1).(type) {
		case *lua.LNilType:
		case lua.LNumber:
			if v < 0 {
				luaRaise(L, "fiber.channel(size): negative size")
			}
			size = int(v)
		default:
			luaRaise(L, "fiber.channel(size): bad arguments")
		}
		ud := L.NewUserData()
		ud.Value = fiber.NewChannel(size)
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
}

func chanBool(usage string, fn func(*fiber.Channel) bool) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LBool(fn(checkChannel(L, 1, usage))))
		return 1
	}
}

// checkChannel is luaT_checkfiberchannel.
func checkChannel(L *lua.LState, n int, usage string) *fiber.Channel {
	if n > L.GetTop() {
		luaRaise(L, "usage: "+usage)
	}
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if ch, ok := ud.Value.(*fiber.Channel); ok {
			return ch
		}
	}
	typeError(L, n, chanTypeName)
	return nil
}

// timeoutArg reads an optional non-negative timeout at n; anything else
// raises "usage: ...".
func timeoutArg(L *lua.LState, n int, usage string) time.Duration {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return fiber.Infinite
	case lua.LNumber:
		if v < 0 {
			luaRaise(L, "usage: "+usage)
		}
		return seconds(float64(v))
	}
	luaRaise(L, "usage: "+usage)
	return 0
}

// failedWait raises FiberIsCancelled for a wait that failed because the
// fiber was cancelled (luaL_testcancel after a failed put or get).
func (rt *Runtime) failedWait(L *lua.LState, err error) {
	if errors.Is(err, fiber.ErrCancelled) || rt.ctx(L).F.IsCancelled() {
		rt.testCancel(L)
	}
}

func (rt *Runtime) chanPut(L *lua.LState) int {
	const usage = "channel:put(var [, timeout])"
	ch := checkChannel(L, 1, usage)
	if L.GetTop() < 2 {
		luaRaise(L, "usage: "+usage)
	}
	timeout := timeoutArg(L, 3, usage)
	err := ch.Put(rt.ctx(L).F, L.Get(2), timeout)
	if err != nil {
		rt.failedWait(L, err)
	}
	L.Push(lua.LBool(err == nil))
	return 1
}

func (rt *Runtime) chanGet(L *lua.LState) int {
	const usage = "channel:get([timeout])"
	ch := checkChannel(L, 1, usage)
	timeout := timeoutArg(L, 2, usage)
	v, err := ch.Get(rt.ctx(L).F, timeout)
	if err != nil {
		rt.failedWait(L, err)
		L.Push(lua.LNil)
		return 1
	}
	L.Push(v.(lua.LValue))
	return 1
}

// openCond adds fiber.cond(): wait([timeout]) returns true when signalled
// (or woken) and false on timeout; a cancelled fiber whose wait timed out
// raises.
func (rt *Runtime) openCond(mod *lua.LTable) {
	L := rt.L
	mt := L.NewTypeMetatable(condTypeName)
	idx := L.NewTable()
	for k, fn := range map[string]lua.LGFunction{
		"signal":    func(L *lua.LState) int { checkCond(L, 1, "cond:signal()").Signal(); return 0 },
		"broadcast": func(L *lua.LState) int { checkCond(L, 1, "cond:broadcast()").Broadcast(); return 0 },
		"wait": func(L *lua.LState) int {
			const usage = "cond:wait([timeout])"
			c := checkCond(L, 1, usage)
			timeout := fiber.Infinite
			if v := L.Get(2); v != lua.LNil {
				n, ok := v.(lua.LNumber)
				if !ok || n < 0 {
					luaRaise(L, "usage: "+usage)
				}
				timeout = seconds(float64(n))
			}
			err := c.Wait(rt.ctx(L).F, timeout)
			if err != nil {
				rt.testCancel(L)
			}
			L.Push(lua.LBool(err == nil))
			return 1
		},
		"__tostring": func(L *lua.LState) int {
			checkCond(L, 1, "")
			L.Push(lua.LString("cond"))
			return 1
		},
	} {
		f := L.NewFunction(fn)
		mt.RawSetString(k, f)
		idx.RawSetString(k, f)
	}
	mt.RawSetString("__index", idx)
	mod.RawSetString("cond", L.NewFunction(func(L *lua.LState) int {
		ud := L.NewUserData()
		ud.Value = &fiber.Cond{}
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
}

func checkCond(L *lua.LState, n int, usage string) *fiber.Cond {
	if n > L.GetTop() {
		luaRaise(L, "usage: "+usage)
	}
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if c, ok := ud.Value.(*fiber.Cond); ok {
			return c
		}
	}
	typeError(L, n, condTypeName)
	return nil
}
