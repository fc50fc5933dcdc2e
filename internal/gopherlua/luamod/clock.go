package luamod

import (
	"syscall"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// PreloadClock registers the clock module. Every function returns a Lua
// number: Tarantool's *64 variants return int64 cdata nanoseconds, which
// gopher-lua cannot represent, so they return nanoseconds as a number
// (exact below 2^53 ns, i.e. for about 104 days of monotonic time and
// with microsecond rounding for wall-clock time).
func PreloadClock(L *lua.LState) {
	register(L, "clock", loadClock)
}

var processStart = time.Now()

func clockGettime(id int32) (int64, bool) {
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(id), uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return ts.Nano(), true
}

const (
	clockRealtime       = 0
	clockMonotonic      = 1
	clockProcessCPUTime = 2
	clockThreadCPUTime  = 3
)

func clockNanos(id int32) int64 {
	if ns, ok := clockGettime(id); ok {
		return ns
	}
	switch id {
	case clockRealtime:
		return time.Now().UnixNano()
	default:
		return int64(time.Since(processStart))
	}
}

func loadClock(L *lua.LState) int {
	mod := L.NewTable()
	seconds := func(id int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(float64(clockNanos(id)) / 1e9))
			return 1
		}
	}
	nanos := func(id int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(clockNanos(id)))
			return 1
		}
	}
	setFuncs(L, mod, map[string]lua.LGFunction{
		"time": seconds(clockRealtime), "realtime": seconds(clockRealtime),
		"monotonic": seconds(clockMonotonic), "proc": seconds(clockProcessCPUTime),
		"thread": seconds(clockThreadCPUTime),
		"time64": nanos(clockRealtime), "realtime64": nanos(clockRealtime),
		"monotonic64": nanos(clockMonotonic), "proc64": nanos(clockProcessCPUTime),
		"thread64": nanos(clockThreadCPUTime),
		"bench": func(L *lua.LState) int {
			fn := L.CheckFunction(1)
			args := make([]lua.LValue, 0, L.GetTop()-1)
			for i := 2; i <= L.GetTop(); i++ {
				args = append(args, L.Get(i))
			}
			start := clockNanos(clockProcessCPUTime)
			base := L.GetTop()
			L.Push(fn)
			for _, a := range args {
				L.Push(a)
			}
			L.Call(len(args), lua.MultRet)
			elapsed := float64(clockNanos(clockProcessCPUTime)-start) / 1e9
			res := L.NewTable()
			res.Append(lua.LNumber(elapsed))
			for i := base + 1; i <= L.GetTop(); i++ {
				res.Append(L.Get(i))
			}
			L.SetTop(base)
			L.Push(res)
			return 1
		},
	})
	L.Push(mod)
	return 1
}
