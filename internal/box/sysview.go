package box

import (
	"github.com/spindledb/spindle/internal/memtx"
)

// sysview marks a system view: a read-only space whose rows are the rows
// of source that the session user may see (sysview.c).
type sysview struct {
	source uint32
}

// viewFilter returns the row filter of a view for user uid, following
// 2.6's vspace/vuser/vpriv/vfunc/vsequence/vcollation filters.
func (b *Box) viewFilter(viewID uint32, src *Space, uid uint32) func(*memtx.Tuple) bool {
	uni := b.universal(uid)
	readSrc := b.effective(uid, objSpace, src.ID, false)&AccessRead != 0
	all := func(*memtx.Tuple) bool { return true }
	switch viewID {
	case vspaceSpaceID, vindexSpaceID:
		if uni&accessWRDA != 0 || b.entity(uid, objSpace)&accessWRDA != 0 || readSrc {
			return all
		}
		return func(t *memtx.Tuple) bool {
			id, err := fieldU32(t, 0, "id")
			if err != nil {
				return false
			}
			sp := b.spaces[id]
			if sp == nil {
				return false
			}
			return b.effective(uid, objSpace, id, false)&accessWRDA != 0 || sp.OwnerID == uid
		}
	case vuserSpaceID:
		if uni&accessWRDA != 0 || readSrc {
			return all
		}
		return func(t *memtx.Tuple) bool {
			id, err1 := fieldU32(t, 0, "id")
			owner, err2 := fieldU32(t, 1, "owner")
			if err1 != nil || err2 != nil {
				return false
			}
			return id == uid || owner == uid || id == PublicID
		}
	case vprivSpaceID:
		if uni&accessWRDA != 0 || readSrc {
			return all
		}
		return func(t *memtx.Tuple) bool {
			grantor, err1 := fieldU32(t, 0, "grantor")
			grantee, err2 := fieldU32(t, 1, "grantee")
			if err1 != nil || err2 != nil {
				return false
			}
			return grantor == uid || grantee == uid
		}
	case vfuncSpaceID:
		const want = accessWRDA | AccessExecute
		if uni&want != 0 || b.entity(uid, objFunction)&want != 0 || readSrc {
			return all
		}
		return func(t *memtx.Tuple) bool {
			name, err := fieldStr(t, 2, "name")
			if err != nil {
				return false
			}
			f := b.funcByName[name]
			if f == nil {
				return false
			}
			return f.OwnerID == uid || b.effective(uid, objFunction, f.ID, false)&want != 0
		}
	case vsequenceSpaceID:
		const want = accessWRDA | AccessExecute
		if uni&want != 0 || b.entity(uid, objSequence)&want != 0 || readSrc {
			return all
		}
		return func(t *memtx.Tuple) bool {
			id, err1 := fieldU32(t, 0, "id")
			owner, err2 := fieldU32(t, 1, "owner")
			if err1 != nil || err2 != nil {
				return false
			}
			return owner == uid || b.effective(uid, objSequence, id, false)&want != 0
		}
	}
	return all // _vcollation shows everything
}
