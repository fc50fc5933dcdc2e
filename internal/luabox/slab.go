package luabox

import (
	"fmt"

	"github.com/spindledb/spindle/internal/lua"
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
func (rt *Runtime) openSlab() {
	L := rt.L
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"info": func(L lua.State) int {
			var quota, used int64
			if rt.Box != nil {
				quota, used = rt.Box.MemtxMemory()
			}
			arena := (used + slabStep - 1) / slabStep * slabStep
			if quota > 0 && arena > quota {
				arena = quota
			}
			L.PushGo(map[string]any{
				"items_size":       used,
				"items_used":       used,
				"items_used_ratio": ratio(used, used, 2),
				"arena_size":       arena,
				"arena_used":       used,
				"arena_used_ratio": ratio(used, arena, 1),
				"quota_size":       quota,
				"quota_used":       arena,
				"quota_used_ratio": ratio(arena, quota, 2),
			})
			return 1
		},
		"stats": func(L lua.State) int {
			L.NewTable()
			return 1
		},
		"check": func(L lua.State) int { return 0 },
	})
	L.PushRef(rt.boxRef)
	L.Insert(-2)
	L.RawSetField(-2, "slab")
	L.Pop(1)
}

// ratio formats a/b as lbox_slab_info does ("12.50%"); 0/0 is 0%.
func ratio(a, b int64, decimals int) string {
	r := 0.0
	if b > 0 {
		r = 100 * float64(a) / float64(b)
	}
	return fmt.Sprintf("%.*f%%", decimals, r)
}
