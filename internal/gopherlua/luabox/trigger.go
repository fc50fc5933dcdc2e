package luabox

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
)

// spaceTrigger implements space:on_replace and space:before_replace:
// (fn) adds, (nil, old) removes, (fn, old) replaces, () lists.
func (rt *Runtime) spaceTrigger(L *lua.LState, before bool) int {
	sp, _ := rt.lookupIndex(L, true)
	st := rt.spaceStates[sp.ID]
	if st == nil {
		L.RaiseError("space is not ready")
	}
	list := &st.onReplace
	if before {
		list = &st.beforeReplace
	}
	fn, old := L.Get(2), L.Get(3)
	if fn == lua.LNil && old == lua.LNil {
		t := L.NewTable()
		for _, f := range *list {
			t.Append(f)
		}
		L.Push(t)
		return 1
	}
	if fn != lua.LNil && fn.Type() != lua.LTFunction || old != lua.LNil && old.Type() != lua.LTFunction {
		return rt.illegal(L, "trigger reset: incorrect arguments")
	}
	if old != lua.LNil {
		found := false
		for i, f := range *list {
			if f == old {
				found = true
				if fn == lua.LNil {
					*list = append((*list)[:i], (*list)[i+1:]...)
				} else {
					(*list)[i] = fn
				}
				break
			}
		}
		if !found {
			return rt.illegal(L, "trigger reset: Trigger is not found")
		}
	} else {
		// Tarantool runs the most recently set trigger first.
		*list = append([]lua.LValue{fn}, *list...)
	}
	rt.installTriggers(sp, st)
	L.Push(fn)
	return 1
}

// installTriggers points the core's trigger hooks of sp at the Lua lists.
func (rt *Runtime) installTriggers(sp *box.Space, st *spaceState) {
	sid := sp.ID
	sp.OnReplace = nil
	sp.BeforeReplace = nil
	if len(st.onReplace) > 0 {
		sp.OnReplace = []box.Trigger{func(old, new *memtx.Tuple) error {
			for _, fn := range append([]lua.LValue(nil), st.onReplace...) {
				if _, err := rt.callTrigger(sid, fn, old, new); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	if len(st.beforeReplace) > 0 {
		sp.BeforeReplace = []box.BeforeTrigger{func(old, new *memtx.Tuple) (*memtx.Tuple, error) {
			cur := new
			for _, fn := range append([]lua.LValue(nil), st.beforeReplace...) {
				res, err := rt.callTrigger(sid, fn, old, cur)
				if err != nil {
					return nil, err
				}
				if res.returned {
					cur = res.tuple
				}
			}
			return cur, nil
		}}
	}
}

type triggerResult struct {
	returned bool // the function returned a value
	tuple    *memtx.Tuple
}

// callTrigger runs a Lua trigger on the current fiber's thread with
// (old, new, space_name).
func (rt *Runtime) callTrigger(sid uint32, fn lua.LValue, old, new *memtx.Tuple) (triggerResult, error) {
	f := rt.Sched.Current()
	fc, _ := f.Local.(*FiberCtx)
	if fc == nil {
		return triggerResult{}, boxerr.New(boxerr.ER_PROC_LUA, "trigger called outside a fiber")
	}
	L := fc.L
	format := rt.formatOf(sid)
	name := ""
	if sp := rt.Box.Space(sid); sp != nil {
		name = sp.Name
	}
	out, err := rt.protect(fn, []lua.LValue{rt.tupleValue(L, old, format), rt.tupleValue(L, new, format), lua.LString(name)})
	if err != nil {
		return triggerResult{}, rt.ErrorOf(err)
	}
	var res triggerResult
	if len(out) > 0 {
		res.returned = true
		v := out[0]
		switch x := v.(type) {
		case *lua.LNilType:
		case *lua.LUserData:
			if lt, ok := x.Value.(*luaTuple); ok {
				res.tuple = lt.t
			} else if !luaconvIsNull(v) {
				return res, boxerr.New(boxerr.ER_BEFORE_REPLACE_RET)
			}
		case *lua.LTable:
			data, err := rt.encodeArray(L, x)
			if err == nil {
				res.tuple, err = memtx.NewTuple(data)
			}
			if err != nil {
				return res, err
			}
		default:
			return res, boxerr.New(boxerr.ER_BEFORE_REPLACE_RET)
		}
	}
	return res, nil
}
