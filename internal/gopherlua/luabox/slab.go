package luabox

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// slabStep is the granularity in which 2.6's memtx arena takes memory
// from its quota (SLAB_SIZE, 16 MiB).
const slabStep = 16 << 20

// openSlab builds box.slab. Spindle keeps tuples in the Go heap, not in
// slabs, so the figures are the memtx_memory accounting box enforces:
// items_used is the bytes of every stored tuple plus its header and
// primary index entry, the arena grows in 16 MiB steps as 2.6's does, and
// quota_size is memtx_memory. There are no slab size classes: stats()
// is empty.
func (rt *Runtime) openSlab(boxT *lua.LTable) {
	L := rt.L
	slab := L.NewTable()
	slab.RawSetString("info", L.NewFunction(func(L *lua.LState) int {
		var quota, used int64
		if rt.Box != nil {
			quota, used = rt.Box.MemtxMemory()
		}
		arena := (used + slabStep - 1) / slabStep * slabStep
		if quota > 0 && arena > quota {
			arena = quota
		}
		t := L.NewTable()
		t.RawSetString("items_size", lua.LNumber(used))
		t.RawSetString("items_used", lua.LNumber(used))
		t.RawSetString("items_used_ratio", lua.LString(ratio(used, used, 2)))
		t.RawSetString("arena_size", lua.LNumber(arena))
		t.RawSetString("arena_used", lua.LNumber(used))
		t.RawSetString("arena_used_ratio", lua.LString(ratio(used, arena, 1)))
		t.RawSetString("quota_size", lua.LNumber(quota))
		t.RawSetString("quota_used", lua.LNumber(arena))
		t.RawSetString("quota_used_ratio", lua.LString(ratio(arena, quota, 2)))
		L.Push(t)
		return 1
	}))
	slab.RawSetString("stats", L.NewFunction(func(L *lua.LState) int {
		L.Push(L.NewTable())
		return 1
	}))
	slab.RawSetString("check", L.NewFunction(func(L *lua.LState) int { return 0 }))
	boxT.RawSetString("slab", slab)
}

// ratio formats a/b as lbox_slab_info does ("12.50%"); 0/0 is 0%.
func ratio(a, b int64, decimals int) string {
	r := 0.0
	if b > 0 {
		r = 100 * float64(a) / float64(b)
	}
	return fmt.Sprintf("%.*f%%", decimals, r)
}
