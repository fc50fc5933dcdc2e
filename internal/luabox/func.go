package luabox

import (
	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// funcState is what the runtime keeps of the function catalog: the
// box.func table and the compiled bodies of persistent Lua functions.
type funcState struct {
	tableRef int    // box.func
	seen     uint64 // the box's FuncVersion box.func reflects
	// objects are the box.func objects by function id: a function keeps
	// its object while it exists, as 2.6's lbox_func_new updates the
	// object in place.
	objects map[uint32]int
	bodies  map[uint32]funcBody
}

// funcBody is a compiled persistent function: the function a body
// defines (a registry ref), and what it was compiled from.
type funcBody struct {
	body      string
	sandboxed bool
	ref       int
}

// sandboxExports are the globals a sandboxed persistent function sees
// (2.6's default_sandbox_exports); tables among them are deep copies.
var sandboxExports = []string{"assert", "error", "ipairs", "math", "next", "pairs", "pcall", "print",
	"select", "string", "table", "tonumber", "tostring", "type", "unpack", "xpcall", "utf8"}

// openFunc builds box.func (filled once box is up) and the internal
// functions behind box.schema.func.call and box.schema.func.reload.
func (rt *Runtime) openFunc() {
	L := rt.L
	rt.funcs = funcState{objects: map[uint32]int{}, bodies: map[uint32]funcBody{}}
	L.PushRef(rt.boxRef)
	L.NewTable()
	L.PushValue(-1)
	rt.funcs.tableRef = L.Ref()
	L.RawSetField(-2, "func")
	L.RawGetField(-1, "internal")
	L.SetFuncs(-1, map[string]lua.Function{
		"func_call": rt.funcCall,
		// Spindle loads no C modules, so none can be reloaded.
		"module_reload": func(L lua.State) int {
			return rt.raiseCode(L, boxerr.ER_NO_SUCH_MODULE, L.CheckString(1))
		},
	})
	L.Pop(2)
}

// refreshFuncs brings box.func up to date with the catalog: an object per
// function exported to Lua, under its id and its name, with 2.6's fields
// and the methods box.schema.func.bless gives.
func (rt *Runtime) refreshFuncs() {
	b := rt.Box
	if b == nil {
		return
	}
	if b.FuncLoader == nil {
		b.FuncLoader = rt.loadFuncBody
	}
	if b.FuncVersion() == rt.funcs.seen {
		return
	}
	rt.funcs.seen = b.FuncVersion()
	L := rt.L
	top := L.GetTop()
	defer L.SetTop(top)
	L.PushRef(rt.funcs.tableRef)
	t := L.GetTop()
	// Names may have changed: clear the table, then fill it.
	L.NewTable()
	keys, n := L.GetTop(), 0
	L.PushNil()
	for L.Next(t) {
		L.Pop(1)
		L.PushValue(-1)
		n++
		L.RawSetI(keys, n)
	}
	for i := 1; i <= n; i++ {
		L.RawGetI(keys, i)
		L.PushNil()
		L.RawSet(t)
	}
	live := map[uint32]bool{}
	for _, f := range b.Funcs() {
		if !f.ExportsLua {
			continue
		}
		live[f.ID] = true
		ref, ok := rt.funcs.objects[f.ID]
		if !ok {
			L.NewTable()
			ref = L.Ref()
			rt.funcs.objects[f.ID] = ref
		}
		L.PushRef(ref)
		o := L.GetTop()
		rt.fillFuncObject(L, o, f)
		if !ok {
			rt.blessFunc(L, o)
		}
		L.PushValue(o)
		L.RawSetI(t, int(f.ID))
		L.PushValue(o)
		L.RawSetField(t, f.Name)
		L.Pop(1)
	}
	for id, ref := range rt.funcs.objects {
		if !live[id] {
			L.Unref(ref)
			delete(rt.funcs.objects, id)
		}
	}
	for id, fb := range rt.funcs.bodies {
		if f := b.Func(id); f == nil || f.Body != fb.body || f.IsSandboxed != fb.sandboxed {
			L.Unref(fb.ref)
			delete(rt.funcs.bodies, id)
		}
	}
}

// fillFuncObject sets the fields of 2.6's function objects on the table
// at o: body, comment and is_sandboxed are nil for a function without a
// body.
func (rt *Runtime) fillFuncObject(L lua.State, o int, f *box.Func) {
	set := func(k string, push func()) {
		push()
		L.RawSetField(o, k)
	}
	set("id", func() { L.PushNumber(float64(f.ID)) })
	set("name", func() { L.PushString(f.Name) })
	set("setuid", func() { L.PushBool(f.Setuid) })
	set("language", func() { L.PushString(f.Language) })
	set("returns", func() { L.PushString(f.Returns) })
	set("aggregate", func() { L.PushString(f.Aggregate) })
	optional := func(s string) func() {
		return func() {
			if s == "" {
				L.PushNil()
			} else {
				L.PushString(s)
			}
		}
	}
	set("body", optional(f.Body))
	set("comment", optional(f.Comment))
	set("exports", func() {
		L.CreateTable(0, 2)
		L.PushBool(f.ExportsLua)
		L.RawSetField(-2, "lua")
		L.PushBool(f.ExportsSQL)
		L.RawSetField(-2, "sql")
	})
	set("is_deterministic", func() { L.PushBool(f.IsDeterministic) })
	set("is_multikey", func() { L.PushBool(f.IsMultikey) })
	set("is_sandboxed", func() {
		if f.Body == "" {
			L.PushNil()
		} else {
			L.PushBool(f.IsSandboxed)
		}
	})
}

// blessFunc calls box.schema.func.bless on the object at o, as 2.6
// blesses every new function object.
func (rt *Runtime) blessFunc(L lua.State, o int) {
	L.PushRef(rt.boxRef)
	L.RawGetField(-1, "schema")
	if L.IsTable(-1) {
		L.RawGetField(-1, "func")
		if L.IsTable(-1) {
			L.RawGetField(-1, "bless")
			if L.IsFunction(-1) {
				L.PushValue(o)
				if err := L.PCall(1, 0); err != nil {
					rt.Log.Log("main", 2, "box.schema.func.bless: "+err.Error())
				}
				L.Pop(3)
				return
			}
			L.Pop(1)
		}
		L.Pop(1)
	}
	L.Pop(2)
}

// funcCall is box.schema.func.call(name, ...) (func:call): the
// function's access is checked, a setuid function runs as its owner,
// and a Lua error becomes a LuajitError object, as 2.6's func_call.
func (rt *Runtime) funcCall(L lua.State) int {
	if L.GetTop() < 1 || !L.IsString(1) {
		L.Errorf("Use func:call(...)")
	}
	b := rt.requireBox(L)
	name, _ := L.ToString(1)
	f := b.FuncByName(name)
	if f == nil {
		return rt.raiseCode(L, boxerr.ER_NO_SUCH_FUNCTION, name)
	}
	fc := rt.ctx()
	if err := b.CheckFuncAccess(rt.session(), f); err != nil {
		return rt.raise(L, err)
	}
	nself, err := rt.pushFunc(L, f)
	if err != nil {
		return rt.raise(L, err)
	}
	// [name, args..., fn, (obj)] becomes [fn, (obj), args...].
	for i := 0; i <= nself; i++ {
		L.Insert(1)
	}
	L.Remove(2 + nself)
	restore, err := rt.setuid(fc, f)
	if err != nil {
		return rt.raise(L, err)
	}
	ok := L.PCallValue(L.GetTop()-1, lua.MultRet)
	restore()
	if !ok {
		if e := rt.toError(L, -1); e != nil {
			fc.LastError = e
			L.Raise()
		}
		return rt.raise(L, luajitError(L.ErrorString(-1)))
	}
	return L.GetTop()
}

// pushFunc pushes what calling f runs: the function its body defines,
// or the function the name of f designates (box_lua_find's resolution,
// which for "obj:method" pushes the method and obj: nself is 1 then). A
// C function is refused: Spindle loads no C modules.
func (rt *Runtime) pushFunc(L lua.State, f *box.Func) (nself int, err error) {
	switch {
	case f.Language == "C":
		return 0, boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "C stored functions")
	case f.Body != "":
		ref, err := rt.compiledBody(f)
		if err != nil {
			return 0, err
		}
		L.PushRef(ref)
		return 0, nil
	}
	nself, ok := rt.resolve(L, f.Name)
	if !ok {
		return 0, boxerr.New(boxerr.ER_NO_SUCH_PROC, f.Name).At("./src/box/lua/call.c", 116)
	}
	return nself, nil
}

// compiledBody returns the registry ref of the function f's body
// defines, compiling it on first use.
func (rt *Runtime) compiledBody(f *box.Func) (int, error) {
	if fb, ok := rt.funcs.bodies[f.ID]; ok && fb.body == f.Body && fb.sandboxed == f.IsSandboxed {
		return fb.ref, nil
	}
	L := rt.L
	top := L.GetTop()
	defer L.SetTop(top)
	if err := rt.compileBody(L, f); err != nil {
		return 0, err
	}
	if old, ok := rt.funcs.bodies[f.ID]; ok {
		L.Unref(old.ref)
	}
	ref := L.Ref()
	rt.funcs.bodies[f.ID] = funcBody{body: f.Body, sandboxed: f.IsSandboxed, ref: ref}
	return ref, nil
}

// loadFuncBody is the box's FuncLoader: the body of a function being
// created must compile to a function.
func (rt *Runtime) loadFuncBody(f *box.Func) error {
	var err error
	rt.WithThread(func(L lua.State) {
		err = rt.compileBody(L, f)
	})
	return err
}

// compileBody pushes the function f's body defines, as 2.6's
// func_persistent_lua_load: "return <body>" runs with an empty
// environment and must return a function, which then sees the globals,
// or a sandbox of sandboxExports when f is sandboxed.
func (rt *Runtime) compileBody(L lua.State, f *box.Func) error {
	loadErr := func(msg string) error {
		return boxerr.New(boxerr.ER_LOAD_FUNCTION, f.Name, msg)
	}
	if err := L.Load("return "+f.Body, "return "+f.Body); err != nil {
		return loadErr(err.Error())
	}
	L.NewTable()
	L.SetFenv(-2)
	if err := L.PCall(0, 1); err != nil {
		return loadErr(err.Error())
	}
	if !L.IsFunction(-1) {
		L.Pop(1)
		return loadErr("given body doesn't define a function")
	}
	if f.IsSandboxed {
		if err := rt.pushSandbox(L); err != nil {
			L.Pop(1)
			return loadErr("can't prepare a Lua sandbox")
		}
	} else {
		L.PushValue(lua.GlobalsIndex)
	}
	L.SetFenv(-2)
	return nil
}

// pushSandbox pushes a new sandbox environment: the functions of
// sandboxExports, and deep copies (table.deepcopy) of its tables.
func (rt *Runtime) pushSandbox(L lua.State) error {
	L.CreateTable(0, len(sandboxExports))
	env := L.GetTop()
	L.GetGlobal("table")
	if !L.IsTable(-1) {
		L.SetTop(env - 1)
		return boxerr.New(boxerr.ER_NO_SUCH_PROC, "table.deepcopy")
	}
	L.RawGetField(-1, "deepcopy")
	deepcopy := L.GetTop()
	for _, name := range sandboxExports {
		L.GetGlobal(name)
		if L.IsTable(-1) {
			L.PushValue(deepcopy)
			L.Insert(-2)
			if err := L.PCall(1, 1); err != nil {
				L.SetTop(env - 1)
				return err
			}
		}
		L.RawSetField(env, name)
	}
	L.SetTop(env)
	return nil
}

// setuid makes the running fiber act as the owner of a setuid function
// (the session's own user stays box.session.uid()); restore undoes it.
func (rt *Runtime) setuid(fc *FiberCtx, f *box.Func) (restore func(), err error) {
	if !f.Setuid {
		return func() {}, nil
	}
	if rt.Box.User(f.OwnerID) == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_USER, itoa(f.OwnerID))
	}
	return rt.actAs(fc, f.OwnerID), nil
}

// actAs makes fc's fiber act as user uid until restore is called: its
// session becomes a copy of the session with uid's access, so the
// session's other fibers keep their user, as 2.6 changes the fiber's
// credentials only. box.session.uid() keeps naming the session's user.
func (rt *Runtime) actAs(fc *FiberCtx, uid uint32) (restore func()) {
	sess := rt.session()
	prevSess, prevSu := fc.Sess, fc.suUID
	if fc.suUID == nil {
		own := sess.UserID()
		fc.suUID = &own
	}
	fc.Sess = sess.As(uid)
	return func() {
		fc.Sess, fc.suUID = prevSess, prevSu
	}
}
