package box

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Field numbers of a _space tuple (BOX_SPACE_FIELD_*).
const (
	spaceFieldOpts = 5
)

// spaceDef is a parsed _space tuple (space_def_new_from_tuple).
type spaceDef struct {
	id, owner  uint32
	name       string
	engine     string
	fieldCount uint32
	temporary  bool
	groupID    uint32
	isSync     bool
	isView     bool
	format     []memtx.FormatField
	opts       []byte
}

// sysviewSources maps a system view to the space it shows.
var sysviewSources = map[uint32]uint32{
	vcollationSpaceID: collationSpaceID,
	vspaceSpaceID:     spaceSpaceID,
	vsequenceSpaceID:  sequenceSpaceID,
	vindexSpaceID:     indexSpaceID,
	vfuncSpaceID:      funcSpaceID,
	vuserSpaceID:      userSpaceID,
	vprivSpaceID:      privSpaceID,
}

func parseSpaceDef(t *memtx.Tuple, errcode boxerr.Code) (*spaceDef, error) {
	d := &spaceDef{}
	var err error
	if d.name, err = fieldStr(t, 2, "name"); err != nil {
		return nil, err
	}
	if len(d.name) > nameMax {
		return nil, boxerr.New(errcode, d.name[:nameMax], "space name is too long")
	}
	if err := checkIdentifier(d.name); err != nil {
		return nil, err
	}
	if d.id, err = fieldU32(t, 0, "id"); err != nil {
		return nil, err
	}
	if d.id > spaceIDMax {
		return nil, boxerr.New(errcode, d.name, "space id is too big")
	}
	if d.id == 0 {
		return nil, boxerr.New(errcode, d.name, "space id 0 is reserved")
	}
	if d.owner, err = fieldU32(t, 1, "owner"); err != nil {
		return nil, err
	}
	if d.fieldCount, err = fieldU32(t, 4, "field_count"); err != nil {
		return nil, err
	}
	if d.engine, err = fieldStr(t, 3, "engine"); err != nil {
		return nil, err
	}
	if len(d.engine) > 16 {
		return nil, boxerr.New(errcode, d.name, "space engine name is too long")
	}
	if err := checkIdentifier(d.engine); err != nil {
		return nil, err
	}
	opts, err := fieldTyped(t, spaceFieldOpts, msgpack.Map, "map")
	if err != nil {
		return nil, err
	}
	format, err := fieldTyped(t, 6, msgpack.Array, "array")
	if err != nil {
		return nil, err
	}
	if d.format, err = parseFormat(format, d.name, errcode); err != nil {
		return nil, err
	}
	if d.fieldCount != 0 && d.fieldCount < uint32(len(d.format)) {
		return nil, boxerr.New(errcode, d.name, "exact_field_count must be either 0 or >= formatted field count")
	}
	d.opts = append([]byte(nil), opts...)
	if err := d.parseOpts(opts); err != nil {
		return nil, err
	}
	if d.groupID > 1 {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_GROUP, itoa(d.groupID))
	}
	if d.isView {
		// SQL views need the SQL engine, which Spindle does not have.
		return nil, boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "SQL views")
	}
	if d.isSync && d.groupID == 1 {
		return nil, boxerr.New(errcode, d.name, "local space can't be synchronous")
	}
	switch d.engine {
	case "memtx", "vinyl", "blackhole", "service":
	case "sysview":
		if _, ok := sysviewSources[d.id]; !ok {
			return nil, boxerr.New(boxerr.ER_UNSUPPORTED, "sysview", "space "+d.name)
		}
	default:
		return nil, boxerr.New(boxerr.ER_NO_SUCH_ENGINE, d.engine)
	}
	return d, nil
}

// parseOpts is space_opts_decode.
func (d *spaceDef) parseOpts(m []byte) error {
	keyErr := func() error {
		return boxerr.New(boxerr.ER_WRONG_SPACE_OPTIONS, spaceFieldOpts, "key must be a string")
	}
	return mapEntries(m, keyErr, func(k string, v []byte) error {
		bad := func(typ string) error {
			return boxerr.New(boxerr.ER_WRONG_SPACE_OPTIONS, spaceFieldOpts, "'"+k+"' must be "+typ)
		}
		switch k {
		case "group_id":
			u, _, err := msgpack.ReadUint(v)
			if err != nil || msgpack.TypeOf(v) != msgpack.Uint || u > 0xffffffff {
				return bad("unsigned")
			}
			d.groupID = uint32(u)
		case "temporary", "view", "is_sync":
			if msgpack.TypeOf(v) != msgpack.Bool {
				return bad("boolean")
			}
			b, _, _ := msgpack.ReadBool(v)
			switch k {
			case "temporary":
				d.temporary = b
			case "view":
				d.isView = b
			default:
				d.isSync = b
			}
		case "sql":
			if msgpack.TypeOf(v) != msgpack.Str {
				return bad("string")
			}
		case "checks": // legacy option, ignored as in 2.6
		default:
			return boxerr.New(boxerr.ER_WRONG_SPACE_OPTIONS, spaceFieldOpts, "unexpected option '"+k+"'")
		}
		return nil
	})
}

// parseFormat is space_format_decode: an array of maps {name=, type=,
// is_nullable=, ...}. Unknown keys are ignored, as 2.6 does.
func parseFormat(f []byte, spaceName string, errcode boxerr.Code) ([]memtx.FormatField, error) {
	n, pos, err := msgpack.ReadArrayHeader(f)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "space format")
	}
	out := make([]memtx.FormatField, 0, min(n, 1024))
	names := make(map[string]bool)
	for i := uint32(0); i < n; i++ {
		fieldno := int(i) + 1
		sz, err := msgpack.Skip(f[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "space format")
		}
		item := f[pos : pos+sz]
		pos += sz
		if msgpack.TypeOf(item) != msgpack.Map {
			return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+" is not map")
		}
		ff := memtx.FormatField{Type: memtx.FieldAny}
		hasName, typeOK := false, true
		nullableAction := ""
		keyErr := func() error {
			return boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+" format is not map with string keys")
		}
		err = mapEntries(item, keyErr, func(k string, v []byte) error {
			bad := func(typ string) error {
				return boxerr.New(boxerr.ER_WRONG_SPACE_FORMAT, fieldno, "'"+k+"' must be "+typ)
			}
			switch k {
			case "name":
				if msgpack.TypeOf(v) != msgpack.Str {
					return bad("string")
				}
				ff.Name, _, _ = msgpack.ReadString(v)
				hasName = true
			case "type":
				if msgpack.TypeOf(v) != msgpack.Str {
					return bad("enum")
				}
				s, _, _ := msgpack.ReadString(v)
				ff.Type, typeOK = memtx.ParseFieldType(s)
			case "is_nullable":
				if msgpack.TypeOf(v) != msgpack.Bool {
					return bad("boolean")
				}
				ff.IsNullable, _, _ = msgpack.ReadBool(v)
			case "nullable_action":
				if msgpack.TypeOf(v) != msgpack.Str {
					return bad("enum")
				}
				nullableAction, _, _ = msgpack.ReadString(v)
			case "collation":
				if msgpack.TypeOf(v) != msgpack.Uint {
					return bad("unsigned")
				}
			case "default":
				if msgpack.TypeOf(v) != msgpack.Str {
					return bad("string")
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !hasName {
			return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+" name is not specified")
		}
		if len(ff.Name) > nameMax {
			return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+" name is too long")
		}
		if err := checkIdentifier(ff.Name); err != nil {
			return nil, err
		}
		if !typeOK {
			return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+" has unknown field type")
		}
		switch nullableAction {
		case "":
		case "none", "rollback", "abort", "fail", "ignore", "replace", "default":
			if (nullableAction == "none") != ff.IsNullable {
				return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+
					" has conflicting nullability and nullable action properties")
			}
		default:
			return nil, boxerr.New(errcode, spaceName, "field "+itoa(uint32(fieldno))+
				" has unknown field on conflict nullable action")
		}
		if names[ff.Name] {
			return nil, boxerr.New(boxerr.ER_SPACE_FIELD_IS_DUPLICATE, ff.Name)
		}
		names[ff.Name] = true
		out = append(out, ff)
	}
	return out, nil
}

// newSpace builds an empty catalog space from its definition.
func (b *Box) newSpace(d *spaceDef) (*Space, error) {
	sp := &Space{Space: memtx.NewSpace(d.id, d.name)}
	d.apply(sp)
	if d.engine == "sysview" {
		sp.view = &sysview{source: sysviewSources[d.id]}
	}
	if err := sp.SetFormat(d.format, d.fieldCount); err != nil {
		return nil, err
	}
	return sp, nil
}

func (d *spaceDef) apply(sp *Space) {
	sp.Name = d.name
	sp.Engine = d.engine
	sp.OwnerID = d.owner
	sp.FieldCount = d.fieldCount
	sp.Temporary = d.temporary || d.engine == "service"
	sp.IsLocal = d.groupID == 1
	sp.IsSync = d.isSync
	sp.opts = d.opts
}

// snapshotDef captures the mutable definition of sp, for undo.
func snapshotDef(sp *Space) *spaceDef {
	return &spaceDef{id: sp.ID, owner: sp.OwnerID, name: sp.Name, engine: sp.Engine,
		fieldCount: sp.FieldCount, temporary: sp.Temporary && sp.Engine != "service",
		groupID: sp.groupID(), isSync: sp.IsSync, format: sp.Format(), opts: sp.opts}
}

// onReplaceSpace is the _space trigger (on_replace_dd_space).
func (b *Box) onReplaceSpace(txn *Txn, old, new *memtx.Tuple) error {
	ref := new
	if old != nil {
		ref = old
	}
	id, err := fieldU32(ref, 0, "id")
	if err != nil {
		return err
	}
	oldSpace := b.spaces[id]
	switch {
	case new != nil && oldSpace == nil: // create
		d, err := parseSpaceDef(new, boxerr.ER_CREATE_SPACE)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, d.name, d.id, d.owner, objSpace, AccessCreate); err != nil {
			return err
		}
		if other := b.spaceByName[d.name]; other != nil {
			return boxerr.New(boxerr.ER_SPACE_EXISTS, d.name)
		}
		sp, err := b.newSpace(d)
		if err != nil {
			return err
		}
		b.addSpace(sp)
		txn.ddl = true
		txn.onUndo(func() { b.removeSpace(sp) })
	case new == nil: // drop
		sp := oldSpace
		if sp == nil {
			return nil
		}
		if err := b.checkDDL(txn.session, sp.Name, sp.ID, sp.OwnerID, objSpace, AccessDrop); err != nil {
			return err
		}
		if len(sp.Indexes()) > 0 {
			return boxerr.New(boxerr.ER_DROP_SPACE, sp.Name, "the space has indexes")
		}
		if b.hasGrantsOn(objSpace, sp.ID) {
			return boxerr.New(boxerr.ER_DROP_SPACE, sp.Name, "the space has grants")
		}
		if ts := b.spaces[truncateSpaceID]; ts != nil && ts.Primary() != nil {
			if t, _ := ts.Primary().Get(keyU32(sp.ID)); t != nil {
				return boxerr.New(boxerr.ER_DROP_SPACE, sp.Name, "the space has truncate record")
			}
		}
		b.removeSpace(sp)
		txn.ddl = true
		txn.onUndo(func() { b.addSpace(sp) })
	default: // alter
		sp := oldSpace
		d, err := parseSpaceDef(new, boxerr.ER_ALTER_SPACE)
		if err != nil {
			return err
		}
		if err := b.checkDDL(txn.session, d.name, d.id, d.owner, objSpace, AccessAlter); err != nil {
			return err
		}
		if d.id != sp.ID {
			return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "space id is immutable")
		}
		if d.engine != sp.Engine {
			return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "can not change space engine")
		}
		if d.groupID != sp.groupID() {
			return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "replication group is immutable")
		}
		if other := b.spaceByName[d.name]; other != nil && other != sp {
			return boxerr.New(boxerr.ER_SPACE_EXISTS, d.name)
		}
		prev := snapshotDef(sp)
		if !formatsEqual(prev.format, d.format) || prev.fieldCount != d.fieldCount {
			if sp.Len() > 0 && !txn.isFirstStatement() {
				return boxerr.New(boxerr.ER_MULTISTATEMENT_TRANSACTION, "space format check")
			}
			if err := sp.SetFormat(d.format, d.fieldCount); err != nil {
				return err
			}
		}
		b.removeSpace(sp)
		d.apply(sp)
		b.addSpace(sp)
		txn.ddl = true
		txn.onUndo(func() {
			b.removeSpace(sp)
			if !formatsEqual(sp.Format(), prev.format) || sp.FieldCount != prev.fieldCount {
				if err := sp.SetFormat(prev.format, prev.fieldCount); err != nil {
					panic("box: cannot restore the format of space " + prev.name + ": " + err.Error())
				}
			}
			prev.apply(sp)
			b.addSpace(sp)
		})
	}
	return nil
}

func formatsEqual(a, b []memtx.FormatField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hasGrantsOn reports whether any _priv row names the object.
func (b *Box) hasGrantsOn(objType string, id uint32) bool {
	for _, gs := range b.grants {
		for _, g := range gs {
			if g.objType == objType && !g.isEntity && g.objID == id {
				return true
			}
		}
	}
	return false
}
