package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("msgpack", 0, preloadMsgpack) }

// preloadMsgpack registers the msgpack module, written in C: see
// lua.MsgpackModule.
func preloadMsgpack(L lua.State, _ *Options) {
	registerC(L, "msgpack", lua.MsgpackModule)
}

// registerC makes the C function loader the preload of name: C loaders
// build their module without a Go frame on the stack.
func registerC(L lua.State, name string, loader lua.CFunction) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.GetGlobal("package")
	L.RawGetField(-1, "preload")
	L.PushCFunction(loader, 0)
	L.RawSetField(-2, name)
}
