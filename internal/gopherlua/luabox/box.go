package luabox

import (
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/proto"
)

// openBox builds the global box table with everything that exists before
// box.cfg is called.
func (rt *Runtime) openBox() {
	L := rt.L
	boxT := L.NewTable()
	rt.boxTable = boxT
	L.SetGlobal("box", boxT)
	internal := L.NewTable()
	boxT.RawSetString("internal", internal)
	boxT.RawSetString("schema", L.NewTable())
	boxT.RawSetString("NULL", rt.null)
	rt.openError(boxT)
	rt.openTuple(boxT)
	rt.openSpaces(boxT)
	rt.openSession(boxT)
	rt.openSlab(boxT)
	rt.openInfo(boxT)
	rt.openSequence(boxT)

	internal.RawSetString("password_hash", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(PasswordHash(L.CheckString(1))))
		return 1
	}))
	internal.RawSetString("cfg_apply", L.NewFunction(rt.cfgApply))
	internal.RawSetString("schema_version", L.NewFunction(func(L *lua.LState) int {
		if rt.Box == nil {
			L.Push(lua.LNumber(0))
		} else {
			L.Push(lua.LNumber(rt.Box.SchemaVersion()))
		}
		return 1
	}))

	fns := map[string]lua.LGFunction{
		"begin":     rt.txnBegin,
		"commit":    rt.txnCommit,
		"rollback":  rt.txnRollback,
		"is_in_txn": func(L *lua.LState) int { L.Push(lua.LBool(rt.ctx(L).Txn != nil)); return 1 },
		"atomic":    rt.txnAtomic,
	}
	for k, f := range fns {
		boxT.RawSetString(k, L.NewFunction(f))
	}
	boxT.RawSetString("snapshot", L.NewFunction(func(L *lua.LState) int {
		rt.requireBox(L)
		if err := rt.Host.Snapshot(); err != nil {
			return rt.raise(L, err)
		}
		L.Push(lua.LString("ok"))
		return 1
	}))
	backup := L.NewTable()
	backup.RawSetString("start", L.NewFunction(rt.backupStart))
	backup.RawSetString("stop", L.NewFunction(func(L *lua.LState) int {
		rt.requireBox(L)
		rt.Host.BackupStop()
		return 0
	}))
	boxT.RawSetString("backup", backup)
	ctl := L.NewTable()
	ctl.RawSetString("wait_rw", L.NewFunction(func(L *lua.LState) int { return rt.waitRO(L, false) }))
	ctl.RawSetString("wait_ro", L.NewFunction(func(L *lua.LState) int { return rt.waitRO(L, true) }))
	boxT.RawSetString("ctl", ctl)
}

// PasswordHash is the base64 of SHA1(SHA1(password)), as _user stores it.
func PasswordHash(password string) string {
	return proto.PasswordHash2Base64(password)
}

// waitRO blocks until the instance is read-only (ro) or writable (!ro),
// for at most the timeout argument.
func (rt *Runtime) waitRO(L *lua.LState, ro bool) int {
	timeout := time.Duration(float64(L.OptNumber(1, 1e9)) * float64(time.Second))
	deadline := time.Now().Add(timeout)
	f := rt.ctx(L).F
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

func (rt *Runtime) txnBegin(L *lua.LState) int {
	b := rt.requireBox(L)
	fc := rt.ctx(L)
	if fc.Txn != nil {
		return rt.raiseCode(L, boxerr.ER_ACTIVE_TRANSACTION)
	}
	fc.Txn = b.Begin(rt.session(L))
	fc.F.OnYield(fc.abortTxn)
	return 0
}

func (rt *Runtime) txnCommit(L *lua.LState) int {
	b := rt.requireBox(L)
	fc := rt.ctx(L)
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

func (rt *Runtime) txnRollback(L *lua.LState) int {
	b := rt.requireBox(L)
	fc := rt.ctx(L)
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
func (rt *Runtime) txnAtomic(L *lua.LState) int {
	fn := L.CheckAny(1)
	rt.txnBegin(L)
	res, err := rt.protect(fn, stackArgs(L, 2))
	if err != nil {
		rt.txnRollback(L)
		L.Error(errorValue(err), 0)
		return 0
	}
	rt.txnCommit(L)
	return pushAll(L, res)
}

// openSession builds box.session.
func (rt *Runtime) openSession(boxT *lua.LTable) {
	L := rt.L
	s := L.NewTable()
	fns := map[string]lua.LGFunction{
		"id": func(L *lua.LState) int {
			if sess := rt.session(L); sess != nil {
				L.Push(lua.LNumber(sess.ID))
			} else {
				L.Push(lua.LNumber(0))
			}
			return 1
		},
		"uid":  func(L *lua.LState) int { return rt.sessionUID(L, false) },
		"euid": func(L *lua.LState) int { return rt.sessionUID(L, true) },
		"user": func(L *lua.LState) int {
			uid := rt.uidOf(L, false)
			name := "admin"
			if rt.Box != nil {
				if u := rt.Box.User(uid); u != nil {
					name = u.Name
				}
			}
			L.Push(lua.LString(name))
			return 1
		},
		"su": rt.sessionSu,
	}
	for k, f := range rt.sessionTransportFuncs() {
		fns[k] = f
	}
	for k, f := range fns {
		s.RawSetString(k, L.NewFunction(f))
	}
	// box.session.storage is a table of the current session's own.
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if L.CheckString(2) != "storage" {
			L.Push(lua.LNil)
			return 1
		}
		var id uint64
		if sess := rt.session(L); sess != nil {
			id = sess.ID
		}
		st := rt.storages[id]
		if st == nil {
			st = L.NewTable()
			rt.storages[id] = st
		}
		L.Push(st)
		return 1
	}))
	L.SetMetatable(s, mt)
	rt.sessionTriggers = map[string]*lua.LTable{}
	for _, name := range []string{"on_connect", "on_disconnect", "on_auth"} {
		list := L.NewTable()
		rt.sessionTriggers[name] = list
		s.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			return rt.triggerList(L, list)
		}))
	}
	boxT.RawSetString("session", s)
}

// triggerList implements the on_connect-style setters: (fn) adds,
// (nil, old) removes, (fn, old) replaces, () lists.
func (rt *Runtime) triggerList(L *lua.LState, list *lua.LTable) int {
	fn, old := L.Get(1), L.Get(2)
	if fn == lua.LNil && old == lua.LNil {
		t := L.NewTable()
		list.ForEach(func(_, v lua.LValue) { t.Append(v) })
		L.Push(t)
		return 1
	}
	if old != lua.LNil {
		for i := 1; i <= list.Len(); i++ {
			if list.RawGetInt(i) == old {
				list.Remove(i)
				break
			}
		}
	}
	if fn != lua.LNil {
		list.Append(fn)
	}
	L.Push(fn)
	return 1
}

// SessionEvent runs the box.session triggers of event ("on_connect",
// "on_disconnect", "on_auth") in the fiber of fc with args. The first
// error stops the run and is returned (on_connect's error closes the
// connection, as in Tarantool).
func (rt *Runtime) SessionEvent(fc *FiberCtx, event string, args ...lua.LValue) error {
	list := rt.sessionTriggers[event]
	if list == nil || list.Len() == 0 {
		return nil
	}
	fns := make([]lua.LValue, 0, list.Len())
	list.ForEach(func(_, v lua.LValue) { fns = append(fns, v) })
	for _, fn := range fns {
		if _, err := rt.protect(fn, args); err != nil {
			return rt.ErrorOf(err)
		}
	}
	return nil
}

// DropSession forgets a closed session's box.session.storage and
// transport.
func (rt *Runtime) DropSession(id uint64) {
	delete(rt.storages, id)
	delete(rt.transports, id)
}

func (rt *Runtime) sessionUID(L *lua.LState, effective bool) int {
	L.Push(lua.LNumber(rt.uidOf(L, effective)))
	return 1
}

// uidOf is the session's user (box.session.uid) or, with effective, the
// user privileges are checked against (box.session.euid); they differ
// inside box.session.su(user, fn).
func (rt *Runtime) uidOf(L *lua.LState, effective bool) uint32 {
	sess := rt.session(L)
	if sess == nil {
		return box.AdminID
	}
	if fc := rt.ctx(L); !effective && fc.suUID != nil {
		return *fc.suUID
	}
	return sess.UserID()
}

// sessionSu implements box.session.su(user[, fn, ...]).
func (rt *Runtime) sessionSu(L *lua.LState) int {
	b := rt.requireBox(L)
	var u *box.User
	switch v := L.Get(1).(type) {
	case lua.LNumber:
		u = b.User(uint32(v))
		if u == nil {
			return rt.raiseCode(L, boxerr.ER_NO_SUCH_USER, v.String())
		}
	case lua.LString:
		u = b.UserByName(string(v))
		if u == nil {
			return rt.raiseCode(L, boxerr.ER_NO_SUCH_USER, string(v))
		}
	default:
		return rt.illegal(L, "Usage: box.session.su(user [, function, ...])")
	}
	sess := rt.session(L)
	if L.GetTop() < 2 {
		if err := b.SetUser(sess, u.ID); err != nil {
			return rt.raise(L, err)
		}
		return 0
	}
	// With a function, su changes only the effective user for its
	// duration: box.session.uid() keeps naming the session's own user.
	fc := rt.ctx(L)
	prev := sess.UserID()
	prevSu := fc.suUID
	if fc.suUID == nil {
		fc.suUID = &prev
	}
	if err := b.SetUser(sess, u.ID); err != nil {
		fc.suUID = prevSu
		return rt.raise(L, err)
	}
	res, err := rt.protect(L.Get(2), stackArgs(L, 3))
	b.SetUser(sess, prev)
	fc.suUID = prevSu
	if err != nil {
		L.Error(errorValue(err), 0)
		return 0
	}
	return pushAll(L, res)
}

// openInfo builds box.info: a table that computes its fields on access
// and returns the whole table when called.
func (rt *Runtime) openInfo(boxT *lua.LTable) {
	L := rt.L
	info := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.Push(rt.infoTable(L).RawGet(L.Get(2)))
		return 1
	}))
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		L.Push(rt.infoTable(L))
		return 1
	}))
	mt.RawSetString("__serialize", L.NewFunction(func(L *lua.LState) int {
		L.Push(rt.infoTable(L))
		return 1
	}))
	L.SetMetatable(info, mt)
	boxT.RawSetString("info", info)
}

func (rt *Runtime) infoTable(L *lua.LState) *lua.LTable {
	in := rt.Host.Info()
	t := L.NewTable()
	t.RawSetString("version", lua.LString(in.Version))
	if in.ID != 0 || in.Anon {
		t.RawSetString("id", lua.LNumber(in.ID))
	} else {
		t.RawSetString("id", rt.null)
	}
	t.RawSetString("ro", lua.LBool(in.RO))
	t.RawSetString("uuid", lua.LString(in.UUID))
	t.RawSetString("pid", lua.LNumber(in.PID))
	t.RawSetString("status", lua.LString(in.Status))
	t.RawSetString("lsn", lua.LNumber(in.LSN))
	t.RawSetString("signature", lua.LNumber(in.Signature))
	t.RawSetString("uptime", lua.LNumber(in.Uptime))
	t.RawSetString("package", lua.LString("Tarantool"))
	if in.Listen != "" {
		t.RawSetString("listen", lua.LString(in.Listen))
	}
	t.RawSetString("vclock", rt.vclockTable(L, in.VClock))
	cl := L.NewTable()
	cl.RawSetString("uuid", lua.LString(in.ClusterUUID))
	t.RawSetString("cluster", cl)
	repl := L.NewTable()
	for _, r := range in.Replication {
		v := rt.goToLua(L, r)
		if id, ok := r["id"].(uint32); ok {
			repl.RawSetInt(int(id), v)
		}
	}
	t.RawSetString("replication", repl)
	// replication_anon is {count = N}, callable for the list by uuid, so
	// that box.info does not print every anonymous replica (2.6).
	anon := L.NewTable()
	anon.RawSetString("count", lua.LNumber(len(in.ReplicationAnon)))
	anonMT := L.NewTable()
	list := in.ReplicationAnon
	anonMT.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		m := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__serialize", lua.LString("mapping"))
		L.SetMetatable(m, mt)
		for _, r := range list {
			if uuid, ok := r["uuid"].(string); ok {
				m.RawSetString(uuid, rt.goToLua(L, r))
			}
		}
		L.Push(m)
		return 1
	}))
	L.SetMetatable(anon, anonMT)
	t.RawSetString("replication_anon", anon)
	mem := L.NewFunction(func(L *lua.LState) int {
		m := L.NewTable()
		if rt.Box != nil {
			var data int
			for _, sp := range rt.Box.Spaces() {
				data += sp.Bsize()
			}
			m.RawSetString("data", lua.LNumber(data))
		}
		L.Push(m)
		return 1
	})
	t.RawSetString("memory", mem)
	// gc is a table called for the collector's state, as in 2.6; made
	// once, as it does not change.
	if rt.infoGCT == nil {
		rt.infoGCT = L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__call", L.NewFunction(rt.infoGC))
		L.SetMetatable(rt.infoGCT, mt)
	}
	t.RawSetString("gc", rt.infoGCT)
	return t
}

// vclockTable pushes a vclock as lbox_pushvclock does: {id = lsn} for
// the non-zero components, with the map hint.
func (rt *Runtime) vclockTable(L *lua.LState, m map[uint32]int64) *lua.LTable {
	t := L.NewTable()
	for id, lsn := range m {
		if lsn != 0 {
			t.RawSetInt(int(id), lua.LNumber(lsn))
		}
	}
	L.SetMetatable(t, rt.mapMT)
	return t
}

// infoGC is box.info.gc(). Fields go in in the order 2.6 prints them.
func (rt *Runtime) infoGC(L *lua.LState) int {
	g := rt.Host.GC()
	t := L.NewTable()
	t.RawSetString("signature", lua.LNumber(g.Signature))
	t.RawSetString("checkpoint_is_in_progress", lua.LBool(g.CheckpointIsInProgress))
	cps := L.NewTable()
	for _, c := range g.Checkpoints {
		ct := L.NewTable()
		refs := L.NewTable()
		for _, r := range c.References {
			refs.Append(lua.LString(r))
		}
		ct.RawSetString("references", refs)
		ct.RawSetString("vclock", rt.vclockTable(L, c.VClock))
		ct.RawSetString("signature", lua.LNumber(c.Signature))
		cps.Append(ct)
	}
	t.RawSetString("checkpoints", cps)
	t.RawSetString("vclock", rt.vclockTable(L, g.VClock))
	cons := L.NewTable()
	for _, c := range g.Consumers {
		ct := L.NewTable()
		ct.RawSetString("name", lua.LString(c.Name))
		ct.RawSetString("vclock", rt.vclockTable(L, c.VClock))
		ct.RawSetString("signature", lua.LNumber(c.Signature))
		cons.Append(ct)
	}
	t.RawSetString("consumers", cons)
	L.Push(t)
	return 1
}

// backupStart is box.backup.start([checkpoint_idx]).
func (rt *Runtime) backupStart(L *lua.LState) int {
	rt.requireBox(L)
	idx := 0
	if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
		n, ok := toNumber(L.Get(1)) // luaL_optinteger
		if !ok {
			typeError(L, 1, "number")
		}
		idx = int(n)
	}
	if idx < 0 {
		luaRaise(L, "invalid checkpoint index")
	}
	files, err := rt.Host.BackupStart(idx)
	if err != nil {
		return rt.raise(L, err)
	}
	t := L.NewTable()
	for _, f := range files {
		t.Append(lua.LString(f))
	}
	L.Push(t)
	return 1
}

// goToLua converts plain Go values (as built by the host) to Lua.
func (rt *Runtime) goToLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case uint32:
		return lua.LNumber(x)
	case uint64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case map[string]any:
		// Keys go in in sorted order so that printed tables are stable.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t := L.NewTable()
		for _, k := range keys {
			t.RawSetString(k, rt.goToLua(L, x[k]))
		}
		return t
	case map[uint32]int64:
		return rt.vclockTable(L, x)
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(rt.goToLua(L, e))
		}
		return t
	case []string:
		t := L.NewTable()
		for _, e := range x {
			t.Append(lua.LString(e))
		}
		return t
	}
	return lua.LNil
}

// luaToGo converts a Lua value from box.cfg to plain Go values: string,
// float64, bool, []any, map[string]any.
func luaToGo(v lua.LValue) any { return luaToGoDepth(v, 0) }

// maxGoDepth bounds the nesting luaToGo follows: a table that contains
// itself must not recurse until the stack overflows. Deeper levels become
// nil, which every consumer rejects as a value of the wrong type.
const maxGoDepth = 32

func luaToGoDepth(v lua.LValue, depth int) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return float64(x)
	case lua.LBool:
		return bool(x)
	case *lua.LTable:
		if depth >= maxGoDepth {
			return nil
		}
		if x.Len() > 0 || isEmptyTable(x) {
			arr := make([]any, 0, x.Len())
			for i := 1; i <= x.Len(); i++ {
				arr = append(arr, luaToGoDepth(x.RawGetInt(i), depth+1))
			}
			return arr
		}
		m := map[string]any{}
		x.ForEach(func(k, e lua.LValue) { m[lua.LVAsString(k)] = luaToGoDepth(e, depth+1) })
		return m
	}
	return nil
}

func isEmptyTable(t *lua.LTable) bool {
	k, _ := t.Next(lua.LNil)
	return k == lua.LNil
}

func luaconvIsNull(v lua.LValue) bool { return luaconv.IsNULL(v) }

// TupleValue pushes a tuple of space sid to Lua (for the server's CALL
// path and tests).
func (rt *Runtime) TupleValue(L *lua.LState, t *memtx.Tuple, sid uint32) lua.LValue {
	return rt.tupleValue(L, t, rt.formatOf(sid))
}
