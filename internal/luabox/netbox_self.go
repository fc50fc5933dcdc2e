package luabox

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// pushSelfHelpers pushes the table of Go helpers lua/netbox.lua's
// net.box.self calls.
func (m *nbModule) pushSelfHelpers(L lua.State) {
	rt := m.rt
	L.CreateTable(0, 8)
	L.SetFuncs(-1, map[string]lua.Function{
		// check_remote_arg: self must be a table.
		"check_remote_arg": func(L lua.State) int {
			if !L.IsTable(1) {
				method, _ := L.ToString(2)
				return rt.raiseCode(L, boxerr.ER_PROC_LUA, "Use remote:"+method+"(...) instead of remote."+method+"(...):")
			}
			return 0
		},
		"check_call_args": func(L lua.State) int {
			if !L.IsNoneOrNil(1) && !L.IsTable(1) {
				argsError(L, false)
			}
			return 0
		},
		"check_eval_args": func(L lua.State) int {
			if !L.IsNoneOrNil(1) && !L.IsTable(1) {
				argsError(L, true)
			}
			return 0
		},
		// loadproc is box.internal.call_loadproc: the function a CALL
		// name designates, and the object of "obj:method".
		"loadproc": func(L lua.State) int {
			name := L.CheckString(1)
			base := L.GetTop()
			nself, ok := rt.resolve(L, name)
			if !ok {
				return rt.raiseCode(L, boxerr.ER_NO_SUCH_PROC, name)
			}
			if nself == 0 {
				return 1
			}
			// resolve pushed the method, then the object.
			return L.GetTop() - base
		},
		// rollback rolls back the fiber's transaction, if box is up (2.6
		// calls box.rollback only once box.cfg made it exist).
		"rollback": func(L lua.State) int {
			if rt.Box != nil {
				rt.txnRollback(L)
			}
			return 0
		},
		// is_cdata reports what 2.6 sees as cdata among results: cdata
		// proper (64-bit integers, box.NULL) and tuples.
		"is_cdata": func(L lua.State) int {
			_, isTuple := L.TupleData(1)
			L.PushBool(L.Type(1) == lua.TypeCdata || isTuple)
			return 1
		},
		// box_space is box.space after a Refresh: DDL made by another
		// session may not be reflected in it yet.
		"box_space": func(L lua.State) int {
			rt.Refresh()
			L.PushRef(rt.boxRef)
			L.RawGetField(-1, "space")
			return 1
		},
		// through_msgpack is msgpack.decode(msgpack.encode(v)).
		"through_msgpack": func(L lua.State) int {
			L.SetTop(1)
			b, err := L.Encode(nil, 1, nil)
			if err != nil {
				m.raiseErr(L, err)
			}
			if _, err := L.PushMsgpack(b, nil); err != nil {
				m.raiseErr(L, err)
			}
			return 1
		},
	})
}
