package luamod

import (
	"embed"
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
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
	// NewError pushes the Lua value scripts see for e (box.error objects
	// in the server); nil pushes DefaultErrorObject's table.
	NewError func(L lua.State, e *boxerr.Error)
	// Version is _TARANTOOL and require('tarantool').version: the version
	// box.info.version reports (the server's FullVersion); empty means
	// that of this build of Spindle.
	Version string
	// Block runs fn as a blocking call of the running fiber: without the
	// baton, so that other fibers run meanwhile (socket waits, name
	// resolution, HTTP requests). woken is closed when the fiber is woken
	// or cancelled before fn returns, or already was: a wait for I/O then
	// ends early, as Tarantool's coio_wait does. fn touches no Lua state.
	// Nil (a Lua state without fibers) runs fn directly with a nil
	// channel, which never closes.
	Block func(fn func(woken <-chan struct{}))
	// Cancelled reports whether the running fiber was cancelled, for
	// waits that a wakeup alone does not end; nil means never.
	Cancelled func() bool
}

// cancelled reports opts.Cancelled(), false without it.
func (opts *Options) cancelled() bool {
	return opts.Cancelled != nil && opts.Cancelled()
}

// block runs fn through opts.Block, or directly without one.
func (opts *Options) block(fn func(woken <-chan struct{})) {
	if opts.Block == nil {
		fn(nil)
		return
	}
	opts.Block(fn)
}

// module is one preloadable module. order sorts modules whose preload
// has side effects others rely on (ext decoders before anything decodes).
type module struct {
	name    string
	order   int
	preload func(L lua.State, opts *Options)
}

var modules []module

// addModule registers a module file's preload; module files call it from
// init.
func addModule(name string, order int, preload func(L lua.State, opts *Options)) {
	modules = append(modules, module{name: name, order: order, preload: preload})
}

// Preload registers every module as a preload of L so that require('json')
// and the rest work, and installs what the C serializers need (MessagePack
// extension decoders, the UUID and decimal ctypes).
func Preload(L lua.State, opts Options) {
	ms := append([]module(nil), modules...)
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].order != ms[j].order {
			return ms[i].order < ms[j].order
		}
		return ms[i].name < ms[j].name
	})
	for _, m := range ms {
		m.preload(L, &opts)
	}
}

// register makes loader the preload of name (package.preload[name]).
func register(L lua.State, name string, loader lua.Function) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.GetGlobal("package")
	L.RawGetField(-1, "preload")
	L.PushFunction(loader)
	L.RawSetField(-2, name)
}

//go:embed lua/*.lua
var luaFS embed.FS

// registerLua makes the embedded lua/<file> the preload of name. The chunk
// is named "@builtin/<file>" as Tarantool names its own modules, so error
// positions read "builtin/fio.lua:NN: ...". The chunk receives the
// module name and, when given, the value pushed by extra (a table of Go
// helpers) as its varargs.
func registerLua(L lua.State, name, file string, extra func(L lua.State)) {
	src, err := luaFS.ReadFile("lua/" + file)
	if err != nil {
		panic("luamod: missing embedded " + file)
	}
	register(L, name, func(L lua.State) int {
		if err := L.Load(string(src), "@builtin/"+file); err != nil {
			L.RaiseString(err.Error())
		}
		L.PushString(name)
		n := 1
		if extra != nil {
			extra(L)
			n++
		}
		L.Call(n, 1)
		return 1
	})
}

// raise raises msg as luaL_error does from a C function: prefixed with
// the position of the Lua code that called the function, if any.
func raise(L lua.State, msg string) {
	L.Errorf("%s", msg)
}

// raiseAt raises msg prefixed with a Tarantool builtin position
// ("builtin/digest.lua:218: ") so pcall messages match Tarantool's,
// whose modules are partly written in Lua.
func raiseAt(L lua.State, where, msg string) {
	L.RaiseString(where + ": " + msg)
}
