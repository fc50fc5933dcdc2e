package luabox

import (
	"unsafe"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
)

// spaceTrigger implements space:on_replace and space:before_replace:
// (fn) adds, (nil, old) removes, (fn, old) replaces, () lists.
func (rt *Runtime) spaceTrigger(L lua.State, before bool) int {
	sp, _ := rt.lookupIndex(L, true)
	st := rt.spaceStates[sp.ID]
	if st == nil {
		L.Errorf("space is not ready")
	}
	list := &st.onReplace
	if before {
		list = &st.beforeReplace
	}
	L.SetTop(3)
	if L.IsNil(2) && L.IsNil(3) {
		L.CreateTable(len(*list), 0)
		for i, ref := range *list {
			L.PushRef(ref)
			L.RawSetI(-2, i+1)
		}
		return 1
	}
	if !L.IsNil(2) && !L.IsFunction(2) || !L.IsNil(3) && !L.IsFunction(3) {
		return rt.illegal(L, "trigger reset: incorrect arguments")
	}
	if !L.IsNil(3) {
		found := false
		for i, ref := range *list {
			L.PushRef(ref)
			same := L.RawEqual(-1, 3)
			L.Pop(1)
			if !same {
				continue
			}
			found = true
			L.Unref(ref)
			if L.IsNil(2) {
				*list = append((*list)[:i], (*list)[i+1:]...)
			} else {
				L.PushValue(2)
				(*list)[i] = L.Ref()
			}
			break
		}
		if !found {
			return rt.illegal(L, "trigger reset: Trigger is not found")
		}
	} else {
		// Tarantool runs the most recently set trigger first.
		L.PushValue(2)
		*list = append([]int{L.Ref()}, *list...)
	}
	rt.installTriggers(sp, st)
	L.PushValue(2)
	return 1
}

// installTriggers points the core's trigger hooks of sp at the Lua lists.
func (rt *Runtime) installTriggers(sp *box.Space, st *spaceState) {
	sid := sp.ID
	sp.OnReplace = nil
	sp.BeforeReplace = nil
	if len(st.onReplace) > 0 {
		sp.OnReplace = []box.Trigger{func(old, new *memtx.Tuple) error {
			for _, ref := range append([]int(nil), st.onReplace...) {
				if _, err := rt.callTrigger(sid, ref, old, new); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	if len(st.beforeReplace) > 0 {
		sp.BeforeReplace = []box.BeforeTrigger{func(old, new *memtx.Tuple) (*memtx.Tuple, error) {
			cur := new
			for _, ref := range append([]int(nil), st.beforeReplace...) {
				res, err := rt.callTrigger(sid, ref, old, cur)
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

// callTrigger runs a Lua trigger with (old, new, space_name) on a thread
// of its own: box fires triggers from inside a statement, whatever Lua
// thread (if any) made it.
func (rt *Runtime) callTrigger(sid uint32, ref int, old, new *memtx.Tuple) (triggerResult, error) {
	if f := rt.Sched.Current(); f == nil {
		return triggerResult{}, boxerr.New(boxerr.ER_PROC_LUA, "trigger called outside a fiber")
	} else if _, ok := f.Local.(*FiberCtx); !ok {
		return triggerResult{}, boxerr.New(boxerr.ER_PROC_LUA, "trigger called outside a fiber")
	}
	var res triggerResult
	var err error
	rt.WithThread(func(L lua.State) {
		format := rt.formatOf(sid)
		name := ""
		if sp := rt.Box.Space(sid); sp != nil {
			name = sp.Name
		}
		L.PushRef(ref)
		rt.pushTuple(L, old, format)
		rt.pushTuple(L, new, format)
		L.PushString(name)
		if e := L.PCall(3, lua.MultRet); e != nil {
			err = rt.ErrorOf(e)
			return
		}
		if L.GetTop() == 0 {
			return
		}
		res.returned = true
		switch L.Type(1) {
		case lua.TypeNil:
		case lua.TypeTable:
			var data []byte
			if data, err = rt.encodeArray(L, 1); err == nil {
				res.tuple, err = memtx.NewTuple(data)
			}
		default:
			if data, ok := L.TupleData(1); ok {
				// The tuple the trigger got (returned as is), or another
				// one: a copy of its bytes, since Lua owns the userdata's.
				switch id := L.TupleIdent(1); {
				case new != nil && id == uint64(uintptr(unsafe.Pointer(new))):
					res.tuple = new
				case old != nil && id == uint64(uintptr(unsafe.Pointer(old))):
					res.tuple = old
				default:
					res.tuple, err = memtx.NewTuple(append([]byte(nil), data...))
				}
			} else if !L.IsNull(1) {
				err = boxerr.New(boxerr.ER_BEFORE_REPLACE_RET)
			}
		}
	})
	return res, err
}
