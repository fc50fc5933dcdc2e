package box

import (
	"github.com/spindledb/spindle/internal/memtx"
)

// stubSpace describes a system space that exists before its _space row is
// read (schema_init's sc_space_new): just a name and a primary key, so that
// recovery can insert the system rows; their _space and _index rows then
// complete the definitions through the ordinary triggers.
type stubSpace struct {
	id    uint32
	name  string
	parts []memtx.KeyPart
}

var (
	pkString   = []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldString}}
	pkUnsigned = []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldUnsigned}}
	pkUU       = []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldUnsigned}, {FieldNo: 1, Type: memtx.FieldUnsigned}}
)

var stubSpaces = []stubSpace{
	{schemaSpaceID, "_schema", pkString},
	{collationSpaceID, "_collation", pkUnsigned},
	{spaceSpaceID, "_space", pkUnsigned},
	{truncateSpaceID, "_truncate", pkUnsigned},
	{sequenceSpaceID, "_sequence", pkUnsigned},
	{sequenceDataSpaceID, "_sequence_data", pkUnsigned},
	{spaceSequenceSpaceID, "_space_sequence", pkUnsigned},
	{userSpaceID, "_user", pkUnsigned},
	{funcSpaceID, "_func", pkUnsigned},
	{privSpaceID, "_priv", pkUnsigned},
	{clusterSpaceID, "_cluster", pkUnsigned},
	{328, "_trigger", pkString},
	{indexSpaceID, "_index", pkUU},
	{356, "_fk_constraint", []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldString}, {FieldNo: 1, Type: memtx.FieldUnsigned}}},
	{364, "_ck_constraint", []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldUnsigned}, {FieldNo: 1, Type: memtx.FieldString}}},
	{372, "_func_index", pkUU},
}

// initSchema is schema_init: the stub system spaces and the triggers on
// system spaces.
func (b *Box) initSchema() {
	for _, st := range stubSpaces {
		sp := &Space{Space: memtx.NewSpace(st.id, st.name), Engine: "memtx", OwnerID: AdminID}
		def := memtx.IndexDef{ID: 0, Name: "primary", Type: memtx.IndexTree, Unique: true,
			Key: memtx.KeyDef{Parts: st.parts}}
		if _, err := sp.CreateIndex(def); err != nil {
			panic("box: cannot create system space " + st.name + ": " + err.Error())
		}
		if st.id == sequenceDataSpaceID {
			sp.readView = b.sequenceDataView
		}
		b.addSpace(sp)
	}
	b.addSpace(&Space{Space: memtx.NewSpace(vinylDeferredDeleteID, "_vinyl_deferred_delete"),
		Engine: "blackhole", OwnerID: AdminID, IsLocal: true})
	b.sysTriggers = map[uint32]sysTrigger{
		schemaSpaceID:        b.onReplaceSchema,
		collationSpaceID:     b.onReplaceCollation,
		spaceSpaceID:         b.onReplaceSpace,
		indexSpaceID:         b.onReplaceIndex,
		truncateSpaceID:      b.onReplaceTruncate,
		userSpaceID:          b.onReplaceUser,
		funcSpaceID:          b.onReplaceFunc,
		privSpaceID:          b.onReplacePriv,
		clusterSpaceID:       b.onReplaceCluster,
		sequenceSpaceID:      b.onReplaceSequence,
		sequenceDataSpaceID:  b.onReplaceSequenceData,
		spaceSequenceSpaceID: b.onReplaceSpaceSequence,
	}
}
