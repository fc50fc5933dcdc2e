package luamod

import (
	"github.com/spindledb/spindle/internal/boxerr"
	lua "github.com/yuin/gopher-lua"
)

// Logger receives log module output. Level is Tarantool's say level
// (LevelFatal..LevelDebug); msg is the formatted message without
// timestamp or level prefix. Log is called with the Lua state's baton
// held, so it must not call back into Lua.
type Logger interface {
	Log(level int, msg string)
}

// Options configures Preload.
type Options struct {
	// Logger receives log.info() and friends. Nil discards messages.
	Logger Logger
	// Environ returns the process environment as "KEY=value" strings for
	// os.environ(); nil means the real environment (os.Environ).
	Environ func() []string
	// NewError wraps the SystemError that fio returns beside nil/false
	// into the Lua value scripts see (box.error objects in the server);
	// nil uses DefaultErrorObject.
	NewError func(L *lua.LState, e *boxerr.Error) lua.LValue
}

// Preload registers every module as a preload of L (json, yaml, msgpack,
// digest, uuid, clock, errno, log, uri, fio), adds Tarantool's os extensions and
// installs the MessagePack extension decoders (UUID) in luaconv, so that
// require('json') etc. work and msgpack.decode handles UUIDs even before
// require('uuid').
func Preload(L *lua.LState, opts Options) {
	PreloadMsgpack(L)
	PreloadJSON(L)
	PreloadYAML(L)
	PreloadDigest(L)
	PreloadUUID(L)
	PreloadClock(L)
	PreloadErrno(L)
	PreloadLog(L, opts.Logger)
	PreloadURI(L)
	PreloadFio(L, opts.NewError)
	InstallOS(L, opts.Environ)
}

// raise raises msg as a Lua error without position information, as
// luaL_error does from a C function.
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(msg), 0)
}

// raiseAt raises msg prefixed with a Tarantool builtin position
// ("builtin/digest.lua:218: ") so pcall messages match Tarantool's,
// whose modules are partly written in Lua.
func raiseAt(L *lua.LState, where, msg string) {
	L.Error(lua.LString(where+": "+msg), 0)
}

// register makes loader the preload of name and returns nothing; it
// exists so every module registers the same way.
func register(L *lua.LState, name string, loader lua.LGFunction) {
	L.PreloadModule(name, loader)
}

// setFuncs sets Go functions in t.
func setFuncs(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
}
