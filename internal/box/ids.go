package box

// System space ids, as schema_def.h numbers them.
const (
	vinylDeferredDeleteID = 257
	schemaSpaceID         = 272 // _schema
	collationSpaceID      = 276 // _collation
	vcollationSpaceID     = 277 // _vcollation
	spaceSpaceID          = 280 // _space
	vspaceSpaceID         = 281 // _vspace
	sequenceSpaceID       = 284 // _sequence
	sequenceDataSpaceID   = 285 // _sequence_data
	vsequenceSpaceID      = 286 // _vsequence
	indexSpaceID          = 288 // _index
	vindexSpaceID         = 289 // _vindex
	funcSpaceID           = 296 // _func
	vfuncSpaceID          = 297 // _vfunc
	userSpaceID           = 304 // _user
	vuserSpaceID          = 305 // _vuser
	privSpaceID           = 312 // _priv
	vprivSpaceID          = 313 // _vpriv
	clusterSpaceID        = 320 // _cluster
	truncateSpaceID       = 330 // _truncate
	spaceSequenceSpaceID  = 340 // _space_sequence

	// systemIDMin < id < systemIDMax is a system space (space_is_system).
	systemIDMin = 256
	systemIDMax = 511
	// spaceIDMax is BOX_SPACE_MAX: the largest valid space id.
	spaceIDMax = 0x7fffffff
	// indexIDMax is BOX_INDEX_MAX - 1.
	indexIDMax = 127
	// indexPartMax is BOX_INDEX_PART_MAX: the most parts an index has
	// (which also keeps a search key's part count far below what a
	// memtx pivot can hold).
	indexPartMax = 255
	// nameMax is BOX_NAME_MAX.
	nameMax = 65000
	// vclockMax bounds replica ids: 1..31 are usable.
	vclockMax = 32
)

// Ids of the predefined users and roles (user_def.h).
const (
	GuestID       uint32 = 0
	AdminID       uint32 = 1
	PublicID      uint32 = 2
	ReplicationID uint32 = 3
	SuperID       uint32 = 31
	// userMax is BOX_USER_MAX: user ids are below it.
	userMax = 32
)

// Access is a set of privileges, with Tarantool's bit values.
type Access uint32

const (
	AccessRead      Access = 1
	AccessWrite     Access = 2
	AccessExecute   Access = 4
	AccessSession   Access = 8
	AccessUsage     Access = 16
	AccessCreate    Access = 32
	AccessDrop      Access = 64
	AccessAlter     Access = 128
	AccessReference Access = 256
	AccessTrigger   Access = 512
	AccessInsert    Access = 1024
	AccessUpdate    Access = 2048
	AccessDelete    Access = 4096
	AccessGrant     Access = 8192
	AccessRevoke    Access = 16384
	AccessAll       Access = 0xffffffff

	// accessWRDA is PRIV_WRDA: any of these on an object makes it
	// visible in the system views.
	accessWRDA = AccessWrite | AccessRead | AccessDrop | AccessAlter
)

var privNames = [...]string{"Read", "Write", "Execute", "Session", "Usage", "Create", "Drop",
	"Alter", "Reference", "Trigger", "Insert", "Update", "Delete", "Grant", "Revoke"}

// privName is 2.6's priv_name: the name of the lowest privilege in a.
func privName(a Access) string {
	for i := range privNames {
		if a&(1<<i) != 0 {
			return privNames[i]
		}
	}
	return "Any"
}

// Object types as _priv spells them (schema_object_name).
const (
	objUniverse  = "universe"
	objSpace     = "space"
	objFunction  = "function"
	objUser      = "user"
	objRole      = "role"
	objSequence  = "sequence"
	objCollation = "collation"
)

func knownObjectType(t string) bool {
	switch t {
	case objUniverse, objSpace, objFunction, objUser, objRole, objSequence, objCollation:
		return true
	}
	return false
}
