package luabox

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/gopherlua/luamod"
	"github.com/spindledb/spindle/internal/say"
)

//go:embed boot/*.lua
var bootFS embed.FS

//go:embed lua
var libFS embed.FS

// Host is what the server provides to the Lua runtime.
type Host interface {
	// ApplyCfg is called by box.cfg with the options the call sets (already
	// type-checked) and the whole resulting configuration. first reports the
	// first successful call, which must bring box up (recovery or bootstrap,
	// listener). It runs on the calling fiber with the baton held and may
	// yield. After the first call returns, Runtime.Box must be set.
	ApplyCfg(first bool, changed, all map[string]any) error
	// Info returns the state box.info reports.
	Info() Info
	// Snapshot makes a checkpoint (box.snapshot()); it runs on the
	// calling fiber with the baton held and may yield.
	Snapshot() error
	// Exit ends the process with code (os.exit), closing files first.
	Exit(code int)
	// GC returns the garbage collector's state (box.info.gc()).
	GC() GCInfo
	// BackupStart pins checkpoint idx (0 the newest) and the xlogs after
	// it until BackupStop, and returns the files to copy
	// (box.backup.start).
	BackupStart(idx int) ([]string, error)
	// BackupStop releases the pinned checkpoint (box.backup.stop); it
	// runs on the calling fiber with the baton held and may yield.
	BackupStop()
}

// GCInfo is box.info.gc(): the checkpoints kept, oldest first, and the
// consumers holding xlogs back.
type GCInfo struct {
	// VClock is the oldest vclock whose rows are still kept.
	VClock                 map[uint32]int64
	Signature              int64
	CheckpointIsInProgress bool
	Checkpoints            []GCCheckpoint
	Consumers              []GCConsumer
}

// GCCheckpoint is one checkpoint in GCInfo.
type GCCheckpoint struct {
	VClock    map[uint32]int64
	Signature int64
	// References name what holds the checkpoint ("backup").
	References []string
}

// GCConsumer is one consumer in GCInfo.
type GCConsumer struct {
	Name      string // "replica <uuid>"
	VClock    map[uint32]int64
	Signature int64
}

// Info is the instance state shown by box.info.
type Info struct {
	Version     string
	ID          uint32 // 0 when not registered
	Anon        bool   // an anonymous replica: box.info.id is 0, not nil
	RO          bool
	UUID        string
	ClusterUUID string
	Listen      string
	Status      string
	VClock      map[uint32]int64
	LSN         int64
	Signature   int64
	Uptime      int64
	PID         int
	Replication []map[string]any // one table per registered instance, by id
	// ReplicationAnon has one table per anonymous replica following this
	// instance (box.info.replication_anon()).
	ReplicationAnon []map[string]any
}

// Runtime is the Lua application server around box.
type Runtime struct {
	L     *lua.LState
	Sched *fiber.Scheduler
	Log   *say.Logger
	Host  Host
	// Box is nil until the first box.cfg has brought the core up.
	Box *box.Box

	fibers map[*lua.LState]*FiberCtx
	pool   []*lua.LState

	spaceMT, indexMT, tupleMT, errorMT *lua.LTable
	spaceMethods, indexMethods         *lua.LTable
	tupleMethods                       *lua.LTable
	boxTable, spaceTable               *lua.LTable
	spaceStates                        map[uint32]*spaceState
	seenSchema                         uint64
	// seq is box.sequence's state (also in the Lua registry, under
	// sequenceRegistryKey), kept here for Refresh's check on every batch.
	seq  *sequenceState
	null lua.LValue
	// mapMT is {__serialize = 'map'}, Tarantool's map hint
	// (luaL_setmaphint): a vclock prints as {1: 4}, not as an array.
	mapMT           *lua.LTable
	infoGCT         *lua.LTable // box.info.gc, callable; made on first use
	scriptName      string
	evalCache       map[string]*lua.FunctionProto
	storages        map[uint64]*lua.LTable // box.session.storage by session id
	transports      map[uint64]Transport   // client sessions' connections by session id
	tupleScratch    []byte                 // encoding buffer of space:insert/replace (spaceWrite)
	sessionTriggers map[string]*lua.LTable // box.session.on_connect and the like
}

// FiberCtx is the per-fiber state of a Lua fiber.
type FiberCtx struct {
	F    *fiber.Fiber
	L    *lua.LState
	Sess *box.Session
	Txn  *box.Txn
	// Storage is box.session.storage of the fiber's session.
	Storage *lua.LTable
	// Transport, when set, is the connection of the fiber's session
	// (consoles set it; client sessions are found by session id).
	Transport Transport
	// Sync is the sync of the request the fiber serves (box.session.sync),
	// 0 outside requests.
	Sync uint64
	// LastError is the fiber's last raised box error (box.error.last()).
	LastError *boxerr.Error
	// abortTxn is the fiber's yield trigger while a transaction is open
	// (bound once per context).
	abortTxn func()
	// suUID holds the session's own user while box.session.su(user, fn)
	// runs fn as another (effective) user; nil otherwise.
	suUID *uint32
}

// New creates the runtime: the Lua VM with Tarantool's modules and the box
// table as it is before box.cfg is called.
func New(sched *fiber.Scheduler, log *say.Logger, host Host) (*Runtime, error) {
	// Registries start small and grow: every fiber and protected call has
	// a thread of its own.
	L := lua.NewState(lua.Options{CallStackSize: 1024, MinimizeStackMemory: true,
		RegistrySize: 1024, RegistryGrowStep: 1024, RegistryMaxSize: 1024 * 1024 * 8})
	rt := &Runtime{L: L, Sched: sched, Log: log, Host: host,
		fibers: make(map[*lua.LState]*FiberCtx), spaceStates: make(map[uint32]*spaceState),
		storages: make(map[uint64]*lua.LTable), transports: make(map[uint64]Transport)}
	luamod.Preload(L, luamod.Options{Logger: logAdapter{rt}, NewError: func(L *lua.LState, e *boxerr.Error) lua.LValue {
		return rt.newError(L, e)
	}})
	rt.null = luaconv.NULL(L)
	rt.mapMT = L.NewTable()
	rt.mapMT.RawSetString("__serialize", lua.LString("map"))
	rt.openBox()
	rt.openFiber()
	rt.openPcall()
	rt.openNetBox()
	L.SetGlobal("print", L.NewFunction(rt.luaPrint))
	// os.getenv returns "" for a variable set to the empty string
	// (gopher-lua's returns nil), as Lua's does.
	L.GetGlobal("os").(*lua.LTable).RawSetString("getenv", L.NewFunction(func(L *lua.LState) int {
		if v, ok := os.LookupEnv(L.CheckString(1)); ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	// os.exit closes the WAL and logs cleanly before the process ends.
	L.GetGlobal("os").(*lua.LTable).RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
		code := 0
		switch v := L.Get(1).(type) {
		case lua.LNumber:
			code = int(v)
		case lua.LBool:
			if !v {
				code = 1
			}
		}
		rt.Host.Exit(code)
		return 0
	}))
	if err := rt.runEmbedded(bootFS, "boot"); err != nil {
		return nil, err
	}
	if err := rt.runEmbedded(libFS, "lua"); err != nil {
		return nil, err
	}
	return rt, nil
}

// runEmbedded runs the .lua files of dir: schema.lua first when present,
// then those its ORDER file lists (or all of them by name when there is no
// ORDER file).
func (rt *Runtime) runEmbedded(fs embed.FS, dir string) error {
	var names []string
	if order, err := fs.ReadFile(dir + "/ORDER"); err == nil {
		if _, err := fs.ReadFile(dir + "/schema.lua"); err == nil && !strings.Contains(string(order), "schema.lua") {
			names = append(names, "schema.lua")
		}
		names = append(names, strings.Fields(string(order))...)
	} else {
		ents, err := fs.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lua") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
	}
	for _, n := range names {
		src, err := fs.ReadFile(dir + "/" + n)
		if err != nil {
			return err
		}
		fn, err := rt.L.Load(strings.NewReader(string(src)), "@builtin/"+n)
		if err != nil {
			return fmt.Errorf("builtin %s: %w", n, err)
		}
		rt.L.Push(fn)
		if err := rt.L.PCall(0, 0, nil); err != nil {
			return fmt.Errorf("builtin %s: %w", n, err)
		}
	}
	return nil
}

// NewFiberCtx binds a Lua thread to f and sess. The thread comes from a
// pool; Release returns it.
func (rt *Runtime) NewFiberCtx(f *fiber.Fiber, sess *box.Session) *FiberCtx {
	L := rt.getThread()
	fc := &FiberCtx{F: f, L: L, Sess: sess}
	fc.abortTxn = func() {
		if fc.Txn != nil {
			fc.Txn.AbortByYield()
		}
	}
	rt.fibers[L] = fc
	f.Local = fc
	return fc
}

// ReleaseFiberCtx rolls back a transaction the fiber left open (as
// Tarantool does when a request fiber ends) and recycles the thread.
func (rt *Runtime) ReleaseFiberCtx(fc *FiberCtx) {
	if fc.Txn != nil && rt.Box != nil {
		rt.Box.Rollback(fc.Txn)
		fc.Txn = nil
	}
	fc.F.OnYield(nil)
	delete(rt.fibers, fc.L)
	rt.putThread(fc.L)
}

// ctx returns the fiber context of the running Lua thread.
func (rt *Runtime) ctx(L *lua.LState) *FiberCtx {
	if fc, ok := rt.fibers[L]; ok {
		return fc
	}
	// A coroutine created by Lua code inside a fiber: it belongs to the
	// fiber holding the baton.
	if f := rt.Sched.Current(); f != nil {
		if fc, ok := f.Local.(*FiberCtx); ok {
			return fc
		}
	}
	panic("luabox: Lua code running outside any fiber")
}

// session returns the session of the running fiber.
func (rt *Runtime) session(L *lua.LState) *box.Session {
	fc := rt.ctx(L)
	if fc.Sess == nil && rt.Box != nil {
		fc.Sess = rt.Box.AdminSession()
	}
	return fc.Sess
}

// RunScript runs an instance file on fc's thread with arg set as
// tarantool does (arg[0] = script, arg[1..] = args).
func (rt *Runtime) RunScript(fc *FiberCtx, path string, args []string) error {
	rt.scriptName = filepath.Base(path)
	argt := rt.L.NewTable()
	argt.RawSetInt(-1, lua.LString(os.Args[0]))
	argt.RawSetInt(0, lua.LString(path))
	for i, a := range args {
		argt.RawSetInt(i+1, lua.LString(a))
	}
	rt.L.SetGlobal("arg", argt)
	// Modules next to the script are found by require, as in Tarantool.
	dir := filepath.Dir(path)
	pkg := rt.L.GetGlobal("package").(*lua.LTable)
	pp := lua.LVAsString(pkg.RawGetString("path"))
	pkg.RawSetString("path", lua.LString(dir+"/?.lua;"+dir+"/?/init.lua;"+pp))
	fn, err := fc.L.LoadFile(path)
	if err != nil {
		return err
	}
	fc.L.Push(fn)
	for _, a := range args {
		fc.L.Push(lua.LString(a))
	}
	return fc.L.PCall(len(args), 0, nil)
}

// RunString runs Lua source (spindle -e) on fc's thread.
func (rt *Runtime) RunString(fc *FiberCtx, src, name string) error {
	fn, err := fc.L.Load(strings.NewReader(src), name)
	if err != nil {
		return err
	}
	fc.L.Push(fn)
	return fc.L.PCall(0, 0, nil)
}

// ScriptName is the base name of the instance file, used as the main
// fiber's name in log lines.
func (rt *Runtime) ScriptName() string { return rt.scriptName }

// ErrorOf converts an error returned by PCall into a box error: a raised
// box.error object keeps its code, anything else is ER_PROC_LUA with the
// Lua message.
func (rt *Runtime) ErrorOf(err error) *boxerr.Error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if ud, ok := ae.Object.(*lua.LUserData); ok {
			if be, ok := ud.Value.(*boxerr.Error); ok {
				return be
			}
		}
		msg := lua.LVAsString(ae.Object)
		if msg == "" {
			msg = ae.Object.String()
		}
		if ae.Type == lua.ApiErrorSyntax && !strings.Contains(msg, "\n") {
			msg = strings.TrimSpace(msg)
		}
		return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError", Message: msg}
	}
	return boxerr.From(err)
}

// raise throws err as a box.error object into Lua.
func (rt *Runtime) raise(L *lua.LState, err error) int {
	be := boxerr.From(err)
	rt.ctx(L).LastError = be
	L.Error(rt.newError(L, be), 0)
	return 0
}

// raiseCode throws a ClientError with code and the code's message.
func (rt *Runtime) raiseCode(L *lua.LState, code boxerr.Code, args ...any) int {
	return rt.raise(L, boxerr.New(code, args...))
}

// illegal throws ER_ILLEGAL_PARAMS "Illegal parameters, <msg>".
func (rt *Runtime) illegal(L *lua.LState, format string, args ...any) int {
	return rt.raiseCode(L, boxerr.ER_ILLEGAL_PARAMS, fmt.Sprintf(format, args...))
}

// requireBox raises the error Tarantool gives for box calls made before
// box.cfg.
func (rt *Runtime) requireBox(L *lua.LState) *box.Box {
	if rt.Box == nil {
		L.RaiseError("Please call box.cfg{} first")
	}
	return rt.Box
}

func (rt *Runtime) luaPrint(L *lua.LState) int {
	top := L.GetTop()
	var b strings.Builder
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(rt.tostring(L, L.Get(i)))
	}
	b.WriteByte('\n')
	os.Stdout.WriteString(b.String())
	return 0
}

// tostring applies Lua's tostring (honouring __tostring).
func (rt *Runtime) tostring(L *lua.LState, v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	fn := L.GetGlobal("tostring")
	L.Push(fn)
	L.Push(v)
	L.Call(1, 1)
	s := L.ToString(-1)
	L.Pop(1)
	return s
}

type logAdapter struct{ rt *Runtime }

func (a logAdapter) Log(level int, msg string) {
	who := "main"
	if f := a.rt.Sched.Current(); f != nil {
		who = f.Who()
	}
	a.rt.Log.Log(who, say.Level(level), msg)
}

// Rotate reopens the log file (log.rotate()).
func (a logAdapter) Rotate() error { return a.rt.Log.Rotate() }
