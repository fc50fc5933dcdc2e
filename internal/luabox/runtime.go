package luabox

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/luamod"
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
	VM    *lua.VM
	L     lua.State // the main thread: set-up only, never a fiber's
	Sched *fiber.Scheduler
	Log   *say.Logger
	Host  Host
	// Box is nil until the first box.cfg has brought the core up.
	Box *box.Box

	pool []threadRef // idle Lua threads

	// Registry references of the tables the Go side fills.
	boxRef, spaceTableRef         int
	spaceMTRef, indexMTRef        int
	tupleMethodsRef, tupleMTRef   int
	errs                          errorObjects // box.error objects
	funcs                         funcState    // box.func and persistent function bodies
	iters                         iterators    // index iterators Lua holds
	keyDefs                       keyDefs      // key_def objects
	mergers                       mergeSources // merger module's sources
	popenType                     *lua.ObjectType
	fiberType, chanType, condType *lua.ObjectType
	fiberObjectsRef               int // weak table: fiber id -> fiber object
	liveFibers                    int // fibers made by fiber.new/create, not yet finished

	spaceStates map[uint32]*spaceState
	seenSchema  uint64
	// seq is box.sequence's state, checked by Refresh after every batch.
	seq *sequenceState

	scriptName      string
	evalCache       map[string]int       // compiled EVAL chunks: registry refs
	storages        map[uint64]int       // box.session.storage by session id
	transports      map[uint64]Transport // client sessions' connections by session id
	tupleScratch    []byte               // encoding buffer of space:insert/replace (spaceWrite)
	sessionTriggers map[string]int       // box.session.on_connect and the like: list refs
	infoGCRef       int                  // box.info.gc, callable; made on first use
}

// threadRef is a Lua thread anchored in the registry.
type threadRef struct {
	L   lua.State
	ref int
}

// FiberCtx is the per-fiber state of a Lua fiber.
type FiberCtx struct {
	F *fiber.Fiber
	// L is the fiber's own Lua thread.
	L   lua.State
	ref int
	// Sess is the fiber's session (nil: the admin session once box is up).
	Sess *box.Session
	Txn  *box.Txn
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
	// Every fiber waiting inside Lua holds an OS thread (see the package
	// doc): allow threads for MaxLuaFibers of them, request fibers and
	// Go's own, instead of Go's default 10000.
	if n := MaxLuaFibers + 12000; debug.SetMaxThreads(n) > n {
		debug.SetMaxThreads(n + MaxLuaFibers)
	}
	vm, err := lua.NewVM()
	if err != nil {
		return nil, err
	}
	rt := &Runtime{VM: vm, L: vm.Main(), Sched: sched, Log: log, Host: host,
		spaceStates: make(map[uint32]*spaceState), storages: make(map[uint64]int),
		transports: make(map[uint64]Transport), evalCache: make(map[string]int)}
	L := rt.L
	vm.ErrorOf = rt.errorOfValue
	vm.Panic = func(msg string, stack []byte) {
		rt.Log.Log("main", say.Error, "internal error in a Lua function: "+msg+"\n"+string(stack))
	}
	luamod.Preload(L, luamod.Options{Logger: logAdapter{rt}, NewError: func(L lua.State, e *boxerr.Error) {
		rt.pushError(L, e)
	}, Block: rt.blockWoken, Cancelled: func() bool {
		f := rt.Sched.Current()
		return f != nil && f.IsCancelled()
	}})
	rt.openBox()
	rt.openFiber()
	rt.openNetBox()
	L.PushFunction(rt.luaPrint)
	L.SetGlobal("print")
	L.GetGlobal("os")
	// os.exit closes the WAL and logs cleanly before the process ends.
	L.PushFunction(func(L lua.State) int {
		code := 0
		switch L.Type(1) {
		case lua.TypeNumber:
			code = int(L.ToNumber(1))
		case lua.TypeBoolean:
			if !L.ToBool(1) {
				code = 1
			}
		}
		lua.FlushStdio()
		rt.Host.Exit(code)
		return 0
	})
	L.RawSetField(-2, "exit")
	L.Pop(1)
	if err := rt.runEmbedded(bootFS, "boot"); err != nil {
		return nil, err
	}
	if err := rt.runEmbedded(libFS, "lua"); err != nil {
		return nil, err
	}
	return rt, nil
}

// blockWoken runs fn as a blocking call of the running fiber (luamod's
// Options.Block), or directly when no fiber holds the baton.
func (rt *Runtime) blockWoken(fn func(woken <-chan struct{})) {
	if f := rt.Sched.Current(); f != nil {
		f.BlockWoken(fn)
		return
	}
	fn(nil)
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
		if err := rt.L.DoString(string(src), "@builtin/"+n); err != nil {
			return fmt.Errorf("builtin %s: %w", n, err)
		}
	}
	return nil
}

// getThread takes an idle Lua thread, or makes one.
func (rt *Runtime) getThread() threadRef {
	if n := len(rt.pool); n > 0 {
		t := rt.pool[n-1]
		rt.pool = rt.pool[:n-1]
		return t
	}
	T := rt.L.NewThread()
	return threadRef{L: T, ref: rt.L.Ref()}
}

// putThread returns a thread to the pool (or lets Lua collect it).
func (rt *Runtime) putThread(t threadRef) {
	t.L.SetTop(0)
	if len(rt.pool) < 64 {
		rt.pool = append(rt.pool, t)
		return
	}
	rt.L.Unref(t.ref)
}

// WithThread runs fn on an idle Lua thread of the runtime, for Go code
// that calls Lua on behalf of the running fiber from outside any Lua
// function (triggers fired by box, the console): the call cannot disturb
// the stack of whatever thread is running.
func (rt *Runtime) WithThread(fn func(L lua.State)) {
	t := rt.getThread()
	defer rt.putThread(t)
	fn(t.L)
}

// NewFiberCtx binds a Lua thread to f and sess; ReleaseFiberCtx returns
// it.
func (rt *Runtime) NewFiberCtx(f *fiber.Fiber, sess *box.Session) *FiberCtx {
	t := rt.getThread()
	fc := &FiberCtx{F: f, L: t.L, ref: t.ref, Sess: sess}
	fc.abortTxn = func() {
		if fc.Txn != nil {
			fc.Txn.AbortByYield()
		}
	}
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
	rt.putThread(threadRef{L: fc.L, ref: fc.ref})
}

// ctx returns the context of the running fiber: Lua code runs only on a
// fiber holding the baton, whatever thread or coroutine it is in.
func (rt *Runtime) ctx() *FiberCtx {
	if f := rt.Sched.Current(); f != nil {
		if fc, ok := f.Local.(*FiberCtx); ok {
			return fc
		}
	}
	panic("luabox: Lua code running outside any fiber")
}

// session returns the session of the running fiber.
func (rt *Runtime) session() *box.Session {
	fc := rt.ctx()
	if fc.Sess == nil && rt.Box != nil {
		fc.Sess = rt.Box.AdminSession()
	}
	return fc.Sess
}

// RunScript runs an instance file on fc's thread with arg set as
// tarantool does (arg[0] = script, arg[1..] = args).
func (rt *Runtime) RunScript(fc *FiberCtx, path string, args []string) error {
	rt.scriptName = filepath.Base(path)
	L := fc.L
	L.CreateTable(len(args), 2)
	L.PushString(os.Args[0])
	L.RawSetI(-2, -1)
	L.PushString(path)
	L.RawSetI(-2, 0)
	for i, a := range args {
		L.PushString(a)
		L.RawSetI(-2, i+1)
	}
	L.SetGlobal("arg")
	// Modules next to the script are found by require, as in Tarantool.
	dir := filepath.Dir(path)
	L.GetGlobal("package")
	L.RawGetField(-1, "path")
	pp, _ := L.ToString(-1)
	L.Pop(1)
	L.PushString(dir + "/?.lua;" + dir + "/?/init.lua;" + pp)
	L.RawSetField(-2, "path")
	L.Pop(1)
	src, err := os.ReadFile(path)
	if err != nil {
		return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError",
			Message: fmt.Sprintf("cannot open %s", path)}
	}
	// A first line starting with # (a shebang) is skipped, as luaL_loadfile
	// does; keeping the newline keeps line numbers.
	if len(src) > 0 && src[0] == '#' {
		if i := strings.IndexByte(string(src), '\n'); i >= 0 {
			src = src[i:]
		} else {
			src = nil
		}
	}
	if err := L.Load(string(src), "@"+path); err != nil {
		return err
	}
	for _, a := range args {
		L.PushString(a)
	}
	return L.PCall(len(args), 0)
}

// RunString runs Lua source (spindle -e, a script on stdin) on fc's
// thread. name is the chunk name as messages show it ("stdin",
// "(command line)"); a name starting with '=' or '@' is taken as LuaJIT's
// chunk name.
func (rt *Runtime) RunString(fc *FiberCtx, src, name string) error {
	if !strings.HasPrefix(name, "=") && !strings.HasPrefix(name, "@") {
		name = "=" + name
	}
	return fc.L.DoString(src, name)
}

// ScriptName is the base name of the instance file, used as the main
// fiber's name in log lines.
func (rt *Runtime) ScriptName() string { return rt.scriptName }

// errorOfValue is the VM's ErrorOf hook: a box.error object on top of the
// stack becomes its *boxerr.Error.
func (rt *Runtime) errorOfValue(L lua.State) error {
	if e := rt.toError(L, -1); e != nil {
		return e
	}
	return nil
}

// ErrorOf converts an error returned by PCall into a box error: a raised
// box.error object is its error, anything else a LuajitError with the
// Lua message, as 2.6's luaT_toerror makes.
func (rt *Runtime) ErrorOf(err error) *boxerr.Error {
	var le *lua.Error
	if errors.As(err, &le) {
		return luajitError(le.Message)
	}
	return boxerr.From(err)
}

// raise throws err as a box.error object into Lua.
func (rt *Runtime) raise(L lua.State, err error) int {
	be := boxerr.From(err)
	rt.ctx().LastError = be
	rt.pushError(L, be)
	L.Raise()
	return 0
}

// raiseCode throws a ClientError with code and the code's message.
func (rt *Runtime) raiseCode(L lua.State, code boxerr.Code, args ...any) int {
	return rt.raise(L, boxerr.New(code, args...))
}

// illegal throws ER_ILLEGAL_PARAMS "Illegal parameters, <msg>".
func (rt *Runtime) illegal(L lua.State, format string, args ...any) int {
	return rt.raiseCode(L, boxerr.ER_ILLEGAL_PARAMS, fmt.Sprintf(format, args...))
}

// requireBox raises the error Tarantool gives for box calls made before
// box.cfg.
func (rt *Runtime) requireBox(L lua.State) *box.Box {
	if rt.Box == nil {
		L.Errorf("Please call box.cfg{} first")
	}
	return rt.Box
}

// luaPrint writes through Go's stdout, so that print and the server's
// own output keep their order.
func (rt *Runtime) luaPrint(L lua.State) int {
	top := L.GetTop()
	var b strings.Builder
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(rt.tostring(L, i))
	}
	b.WriteByte('\n')
	lua.FlushStdio()
	os.Stdout.WriteString(b.String())
	return 0
}

// tostring applies Lua's tostring (honouring __tostring) to the value at
// idx, raising what tostring raises.
func (rt *Runtime) tostring(L lua.State, idx int) string {
	s, err := L.ToStringMeta(idx)
	if err != nil {
		L.RaiseString(err.Error())
	}
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
