package luabox

import (
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/proto"
)

// openBox builds the global box table with everything that exists before
// box.cfg is called.
func (rt *Runtime) openBox() {
	L := rt.L
	L.CreateTable(0, 32)
	L.PushValue(-1)
	rt.boxRef = L.Ref()
	L.PushValue(-1)
	L.SetGlobal("box")
	boxT := L.GetTop()
	L.NewTable()
	L.RawSetField(boxT, "internal")
	L.NewTable()
	L.RawSetField(boxT, "schema")
	L.PushNull()
	L.RawSetField(boxT, "NULL")
	rt.openError()
	rt.openTuple()
	rt.openSpaces()
	rt.openIterators()
	rt.openSession()
	rt.openSlab()
	rt.openInfo()
	rt.openSequence()
	rt.openFunc()
	rt.openStat()
	rt.openKeyDef()
	rt.openMerger()
	rt.openPopen()

	L.RawGetField(boxT, "internal")
	L.SetFuncs(-1, map[string]lua.Function{
		"password_hash": func(L lua.State) int {
			L.PushString(PasswordHash(L.CheckString(1)))
			return 1
		},
		"cfg_apply": rt.cfgApply,
		"schema_version": func(L lua.State) int {
			if rt.Box == nil {
				L.PushNumber(0)
			} else {
				L.PushNumber(float64(rt.Box.SchemaVersion()))
			}
			return 1
		},
	})
	L.Pop(1)

	L.SetFuncs(boxT, map[string]lua.Function{
		"begin":     rt.txnBegin,
		"commit":    rt.txnCommit,
		"rollback":  rt.txnRollback,
		"is_in_txn": func(L lua.State) int { L.PushBool(rt.ctx().Txn != nil); return 1 },
		"atomic":    rt.txnAtomic,
		// SQL is not implemented: box.execute and friends refuse, as the
		// IPROTO EXECUTE and PREPARE requests do.
		"execute":   rt.sqlUnsupported,
		"prepare":   rt.sqlUnsupported,
		"unprepare": rt.sqlUnsupported,
		"snapshot": func(L lua.State) int {
			rt.requireBox(L)
			if err := rt.Host.Snapshot(); err != nil {
				return rt.raise(L, err)
			}
			L.PushString("ok")
			return 1
		},
	})
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"start": rt.backupStart,
		"stop": func(L lua.State) int {
			rt.requireBox(L)
			rt.Host.BackupStop()
			return 0
		},
	})
	L.RawSetField(boxT, "backup")
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"wait_rw": func(L lua.State) int { return rt.waitRO(L, false) },
		"wait_ro": func(L lua.State) int { return rt.waitRO(L, true) },
	})
	L.RawSetField(boxT, "ctl")
	L.SetTop(boxT - 1)
}

func (rt *Runtime) sqlUnsupported(L lua.State) int {
	return rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "Spindle", "SQL")
}

// PasswordHash is the base64 of SHA1(SHA1(password)), as _user stores it.
func PasswordHash(password string) string {
	return proto.PasswordHash2Base64(password)
}

// waitRO blocks until the instance is read-only (ro) or writable (!ro),
// for at most the timeout argument.
func (rt *Runtime) waitRO(L lua.State, ro bool) int {
	timeout := time.Duration(L.OptNumber(1, 1e9) * float64(time.Second))
	deadline := time.Now().Add(timeout)
	f := rt.ctx().F
	for {
		if rt.Box != nil && rt.Host.Info().RO == ro {
			return 0
		}
		if time.Now().After(deadline) {
			return rt.raiseCode(L, boxerr.ER_TIMEOUT)
		}
		f.Sleep(10 * time.Millisecond)
	}
}

func (rt *Runtime) txnBegin(L lua.State) int {
	b := rt.requireBox(L)
	fc := rt.ctx()
	if fc.Txn != nil {
		return rt.raiseCode(L, boxerr.ER_ACTIVE_TRANSACTION)
	}
	fc.Txn = b.Begin(rt.session())
	fc.F.OnYield(fc.abortTxn)
	return 0
}

func (rt *Runtime) txnCommit(L lua.State) int {
	b := rt.requireBox(L)
	fc := rt.ctx()
	if fc.Txn == nil {
		return 0
	}
	txn := fc.Txn
	fc.Txn = nil
	fc.F.OnYield(nil) // the wait for the WAL is not a yield inside it
	if err := b.Commit(txn); err != nil {
		return rt.raise(L, err)
	}
	rt.Refresh()
	return 0
}

func (rt *Runtime) txnRollback(L lua.State) int {
	b := rt.requireBox(L)
	fc := rt.ctx()
	if fc.Txn != nil {
		b.Rollback(fc.Txn)
		fc.Txn = nil
		fc.F.OnYield(nil)
		rt.Refresh()
	}
	return 0
}

// txnAtomic implements box.atomic(fn, ...): begin, call, commit; roll
// back and re-raise on error.
func (rt *Runtime) txnAtomic(L lua.State) int {
	L.CheckAny(1)
	rt.txnBegin(L)
	nargs := L.GetTop() - 1
	if !L.PCallValue(nargs, lua.MultRet) {
		rt.txnRollback(L)
		L.Raise()
	}
	rt.txnCommit(L)
	return L.GetTop()
}

// openSession builds box.session.
func (rt *Runtime) openSession() {
	L := rt.L
	L.CreateTable(0, 16)
	s := L.GetTop()
	L.SetFuncs(s, map[string]lua.Function{
		"id": func(L lua.State) int {
			if sess := rt.session(); sess != nil {
				L.PushNumber(float64(sess.ID))
			} else {
				L.PushNumber(0)
			}
			return 1
		},
		"uid":  func(L lua.State) int { L.PushNumber(float64(rt.uidOf(false))); return 1 },
		"euid": func(L lua.State) int { L.PushNumber(float64(rt.uidOf(true))); return 1 },
		"user": func(L lua.State) int {
			uid := rt.uidOf(false)
			name := "admin"
			if rt.Box != nil {
				if u := rt.Box.User(uid); u != nil {
					name = u.Name
				}
			}
			L.PushString(name)
			return 1
		},
		"su": rt.sessionSu,
	})
	L.SetFuncs(s, rt.sessionTransportFuncs())
	// box.session.storage is a table of the current session's own.
	L.CreateTable(0, 1)
	L.PushFunction(func(L lua.State) int {
		if k, _ := L.ToString(2); k != "storage" || L.Type(2) != lua.TypeString {
			L.PushNil()
			return 1
		}
		var id uint64
		if sess := rt.session(); sess != nil {
			id = sess.ID
		}
		ref, ok := rt.storages[id]
		if !ok {
			L.NewTable()
			ref = L.Ref()
			rt.storages[id] = ref
		}
		L.PushRef(ref)
		return 1
	})
	L.RawSetField(-2, "__index")
	L.SetMetatable(s)
	rt.sessionTriggers = map[string]int{}
	for _, name := range []string{"on_connect", "on_disconnect", "on_auth"} {
		L.NewTable()
		ref := L.Ref()
		rt.sessionTriggers[name] = ref
		L.PushFunction(func(L lua.State) int { return rt.triggerList(L, ref) })
		L.RawSetField(s, name)
	}
	L.PushRef(rt.boxRef)
	L.PushValue(s)
	L.RawSetField(-2, "session")
	L.SetTop(s - 1)
}

// triggerList implements the on_connect-style setters on the list (a Lua
// sequence) behind ref: (fn) adds, (nil, old) removes, (fn, old)
// replaces, () lists. As 2.6's trigger lists, a new trigger goes first:
// the list is newest first, and so is the order triggers run in.
func (rt *Runtime) triggerList(L lua.State, ref int) int {
	L.SetTop(2)
	L.PushRef(ref)
	list := 3
	n := L.ObjLen(list)
	if L.IsNil(1) && L.IsNil(2) {
		L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			L.RawGetI(list, i)
			L.RawSetI(-2, i)
		}
		return 1
	}
	if !L.IsNil(1) && !L.IsFunction(1) || !L.IsNil(2) && !L.IsFunction(2) {
		return rt.illegal(L, "trigger reset: incorrect arguments")
	}
	if !L.IsNil(2) {
		// (fn, old) replaces old in its place, (nil, old) removes it.
		found := 0
		for i := 1; i <= n && found == 0; i++ {
			L.RawGetI(list, i)
			if L.RawEqual(-1, 2) {
				found = i
			}
			L.Pop(1)
		}
		if found == 0 {
			return rt.illegal(L, "trigger reset: Trigger is not found")
		}
		if !L.IsNil(1) {
			L.PushValue(1)
			L.RawSetI(list, found)
		} else {
			for j := found; j < n; j++ {
				L.RawGetI(list, j+1)
				L.RawSetI(list, j)
			}
			L.PushNil()
			L.RawSetI(list, n)
		}
	} else {
		for j := n; j >= 1; j-- {
			L.RawGetI(list, j)
			L.RawSetI(list, j+1)
		}
		L.PushValue(1)
		L.RawSetI(list, 1)
	}
	L.PushValue(1)
	return 1
}

// SessionEvent runs the box.session triggers of event ("on_connect",
// "on_disconnect", "on_auth") in the fiber of fc, with the values args
// pushes (it returns their count). The first error stops the run and is
// returned (on_connect's error closes the connection, as in Tarantool).
func (rt *Runtime) SessionEvent(fc *FiberCtx, event string, args func(L lua.State) int) error {
	ref, ok := rt.sessionTriggers[event]
	if !ok {
		return nil
	}
	L := fc.L
	top := L.GetTop()
	defer L.SetTop(top)
	L.PushRef(ref)
	list := L.GetTop()
	n := L.ObjLen(list)
	if n == 0 {
		return nil
	}
	// The list may change while triggers run: take a copy.
	L.CreateTable(n, 0)
	fns := L.GetTop()
	for i := 1; i <= n; i++ {
		L.RawGetI(list, i)
		L.RawSetI(fns, i)
	}
	for i := 1; i <= n; i++ {
		L.RawGetI(fns, i)
		nargs := 0
		if args != nil {
			nargs = args(L)
		}
		if err := L.PCall(nargs, 0); err != nil {
			return rt.ErrorOf(err)
		}
	}
	return nil
}

// DropSession forgets a closed session's box.session.storage and
// transport.
func (rt *Runtime) DropSession(id uint64) {
	if ref, ok := rt.storages[id]; ok {
		rt.L.Unref(ref)
		delete(rt.storages, id)
	}
	delete(rt.transports, id)
}

// uidOf is the session's user (box.session.uid) or, with effective, the
// user privileges are checked against (box.session.euid); they differ
// inside box.session.su(user, fn).
func (rt *Runtime) uidOf(effective bool) uint32 {
	sess := rt.session()
	if sess == nil {
		return box.AdminID
	}
	if fc := rt.ctx(); !effective && fc.suUID != nil {
		return *fc.suUID
	}
	return sess.UserID()
}

// sessionSu implements box.session.su(user[, fn, ...]).
func (rt *Runtime) sessionSu(L lua.State) int {
	b := rt.requireBox(L)
	var u *box.User
	switch L.Type(1) {
	case lua.TypeNumber:
		u = b.User(uint32(L.ToNumber(1)))
		if u == nil {
			s, _ := L.ToStringMeta(1)
			return rt.raiseCode(L, boxerr.ER_NO_SUCH_USER, s)
		}
	case lua.TypeString:
		name, _ := L.ToString(1)
		u = b.UserByName(name)
		if u == nil {
			return rt.raiseCode(L, boxerr.ER_NO_SUCH_USER, name)
		}
	default:
		return rt.illegal(L, "Usage: box.session.su(user [, function, ...])")
	}
	sess := rt.session()
	if L.GetTop() < 2 {
		if err := b.SetUser(sess, u.ID); err != nil {
			return rt.raise(L, err)
		}
		return 0
	}
	// With a function, su changes only the effective user of the fiber
	// for its duration: box.session.uid() keeps naming the session's own
	// user, and the session's other fibers keep theirs.
	restore := rt.actAs(rt.ctx(), u.ID)
	L.Remove(1)
	ok := L.PCallValue(L.GetTop()-1, lua.MultRet)
	restore()
	if !ok {
		L.Raise()
	}
	return L.GetTop()
}

// openInfo builds box.info: a table that computes its fields on access
// and returns the whole table when called.
func (rt *Runtime) openInfo() {
	L := rt.L
	L.NewTable()
	L.CreateTable(0, 3)
	L.PushFunction(func(L lua.State) int {
		rt.pushInfo(L)
		L.PushValue(2)
		L.RawGet(-2)
		return 1
	})
	L.RawSetField(-2, "__index")
	L.PushFunction(func(L lua.State) int {
		rt.pushInfo(L)
		return 1
	})
	L.PushValue(-1)
	L.RawSetField(-3, "__call")
	L.RawSetField(-2, "__serialize")
	L.SetMetatable(-2)
	L.PushRef(rt.boxRef)
	L.Insert(-2)
	L.RawSetField(-2, "info")
	L.Pop(1)
}

func (rt *Runtime) pushInfo(L lua.State) {
	in := rt.Host.Info()
	L.CreateTable(0, 20)
	t := L.GetTop()
	set := func(k string, v any) {
		L.PushGo(v)
		L.RawSetField(t, k)
	}
	set("version", in.Version)
	if in.ID != 0 || in.Anon {
		set("id", in.ID)
	} else {
		L.PushNull()
		L.RawSetField(t, "id")
	}
	set("ro", in.RO)
	set("uuid", in.UUID)
	set("pid", in.PID)
	set("status", in.Status)
	set("lsn", in.LSN)
	set("signature", in.Signature)
	set("uptime", in.Uptime)
	set("package", "Tarantool")
	if in.Listen != "" {
		set("listen", in.Listen)
	}
	set("vclock", lua.VClock(in.VClock))
	set("cluster", map[string]any{"uuid": in.ClusterUUID})
	L.NewTable()
	for _, r := range in.Replication {
		if id, ok := r["id"].(uint32); ok {
			L.PushGo(r)
			L.RawSetI(-2, int(id))
		}
	}
	L.RawSetField(t, "replication")
	// replication_anon is {count = N}, callable for the list by uuid, so
	// that box.info does not print every anonymous replica (2.6).
	L.CreateTable(0, 1)
	L.PushNumber(float64(len(in.ReplicationAnon)))
	L.RawSetField(-2, "count")
	L.CreateTable(0, 1)
	list := in.ReplicationAnon
	L.PushFunction(func(L lua.State) int {
		L.NewTable()
		L.CreateTable(0, 1)
		L.PushString("mapping")
		L.RawSetField(-2, "__serialize")
		L.SetMetatable(-2)
		for _, r := range list {
			if uuid, ok := r["uuid"].(string); ok {
				L.PushGo(r)
				L.RawSetField(-2, uuid)
			}
		}
		return 1
	})
	L.RawSetField(-2, "__call")
	L.SetMetatable(-2)
	L.RawSetField(t, "replication_anon")
	L.PushFunction(func(L lua.State) int {
		rt.pushInfoMemory(L)
		return 1
	})
	L.RawSetField(t, "memory")
	// gc is a table called for the collector's state, as in 2.6; made
	// once, as it does not change.
	if rt.infoGCRef == 0 {
		L.NewTable()
		L.CreateTable(0, 1)
		L.PushFunction(rt.infoGC)
		L.RawSetField(-2, "__call")
		L.SetMetatable(-2)
		rt.infoGCRef = L.Ref()
	}
	L.PushRef(rt.infoGCRef)
	L.RawSetField(t, "gc")
}

// infoGC is box.info.gc().
func (rt *Runtime) infoGC(L lua.State) int {
	g := rt.Host.GC()
	L.CreateTable(0, 5)
	t := L.GetTop()
	L.PushInt64(g.Signature)
	L.RawSetField(t, "signature")
	L.PushBool(g.CheckpointIsInProgress)
	L.RawSetField(t, "checkpoint_is_in_progress")
	L.CreateTable(len(g.Checkpoints), 0)
	for i, c := range g.Checkpoints {
		L.CreateTable(0, 3)
		L.PushGo(c.References)
		L.RawSetField(-2, "references")
		L.PushGo(lua.VClock(c.VClock))
		L.RawSetField(-2, "vclock")
		L.PushInt64(c.Signature)
		L.RawSetField(-2, "signature")
		L.RawSetI(-2, i+1)
	}
	L.RawSetField(t, "checkpoints")
	L.PushGo(lua.VClock(g.VClock))
	L.RawSetField(t, "vclock")
	L.CreateTable(len(g.Consumers), 0)
	for i, c := range g.Consumers {
		L.CreateTable(0, 3)
		L.PushString(c.Name)
		L.RawSetField(-2, "name")
		L.PushGo(lua.VClock(c.VClock))
		L.RawSetField(-2, "vclock")
		L.PushInt64(c.Signature)
		L.RawSetField(-2, "signature")
		L.RawSetI(-2, i+1)
	}
	L.RawSetField(t, "consumers")
	return 1
}

// backupStart is box.backup.start([checkpoint_idx]).
func (rt *Runtime) backupStart(L lua.State) int {
	rt.requireBox(L)
	idx := 0
	if !L.IsNoneOrNil(1) {
		idx = L.CheckInt(1) // luaL_optinteger
	}
	if idx < 0 {
		L.Errorf("invalid checkpoint index")
	}
	files, err := rt.Host.BackupStart(idx)
	if err != nil {
		return rt.raise(L, err)
	}
	L.PushGo(files)
	return 1
}

// TupleValue pushes a tuple of space sid (for the server's CALL path and
// tests).
func (rt *Runtime) TupleValue(L lua.State, t interface{ Data() []byte }, sid uint32) {
	L.PushTuple(t.Data(), 0, rt.formatOf(sid).luaRef())
}
