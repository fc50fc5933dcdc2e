package luamod

import "github.com/spindledb/spindle/internal/lua"

func init() { addModule("msgpackffi", 0, preloadMsgpackffi) }

// preloadMsgpackffi registers msgpackffi (lua/msgpackffi.lua), given the
// buffer helpers for its C MessagePack checker.
func preloadMsgpackffi(L lua.State, _ *Options) {
	registerLua(L, "msgpackffi", "msgpackffi.lua", func(L lua.State) { L.PushBufferHelpers() })
}
