package box

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"strings"
)

const (
	indexFieldOpts = 4
	// partsMax bounds field numbers in key parts (BOX_INDEX_FIELD_MAX).
	fieldNoMax = 1<<31 - 1
)

// checkIndexTuple is index_def_check_tuple: six fields of fixed types.
func checkIndexTuple(t *memtx.Tuple) error {
	want := []msgpack.Type{msgpack.Uint, msgpack.Uint, msgpack.Str, msgpack.Str, msgpack.Map, msgpack.Array}
	ok := t.Len() == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = msgpack.TypeOf(t.Field(i)) == want[i]
	}
	if ok {
		return nil
	}
	got := ""
	for i := 0; i < t.Len(); i++ {
		if i > 0 {
			got += ", "
		}
		got += mpTypeName(msgpack.TypeOf(t.Field(i)))
	}
	return boxerr.New(boxerr.ER_WRONG_INDEX_RECORD, got,
		"space id (unsigned), index id (unsigned), name (string), type (string), options (map), parts (array)")
}

// mpTypeName is mp_type_strs.
func mpTypeName(t msgpack.Type) string {
	switch t {
	case msgpack.Nil:
		return "nil"
	case msgpack.Uint:
		return "unsigned"
	case msgpack.Int:
		return "integer"
	case msgpack.Str:
		return "string"
	case msgpack.Bin:
		return "varbinary"
	case msgpack.Array:
		return "array"
	case msgpack.Map:
		return "map"
	case msgpack.Bool:
		return "boolean"
	case msgpack.Float:
		return "float"
	case msgpack.Double:
		return "double"
	case msgpack.Ext:
		return "extension"
	}
	return "unknown"
}

// parseIndexDef is index_def_new_from_tuple plus the memtx checks of
// memtx_space_check_index_def.
func (b *Box) parseIndexDef(t *memtx.Tuple, sp *Space) (*memtx.IndexDef, error) {
	if err := checkIndexTuple(t); err != nil {
		return nil, err
	}
	iid, _ := fieldU32(t, 1, "iid")
	name, _ := fieldStr(t, 2, "name")
	typ, _ := fieldStr(t, 3, "type")
	def := &memtx.IndexDef{ID: iid, Name: name, Unique: true}
	if err := parseIndexOpts(t.Field(indexFieldOpts), def); err != nil {
		return nil, err
	}
	if len(name) > nameMax {
		return nil, boxerr.New(boxerr.ER_MODIFY_INDEX, name[:nameMax], sp.Name, "index name is too long")
	}
	if err := checkIdentifier(name); err != nil {
		return nil, err
	}
	parts, err := b.parseParts(t.Field(5))
	if err != nil {
		return nil, err
	}
	def.Key.Parts = parts
	modErr := func(msg string) error { return boxerr.New(boxerr.ER_MODIFY_INDEX, name, sp.Name, msg) }
	switch strings.ToLower(typ) { // 2.6 stores the type as given and matches it case-insensitively
	case "tree":
		def.Type = memtx.IndexTree
	case "hash":
		def.Type = memtx.IndexHash
	default:
		return nil, boxerr.New(boxerr.ER_INDEX_TYPE, name, sp.Name)
	}
	// index_def_is_valid
	if iid > indexIDMax {
		return nil, modErr("index id too big")
	}
	if iid == 0 && !def.Unique {
		return nil, modErr("primary key must be unique")
	}
	if len(parts) == 0 {
		return nil, modErr("part count must be positive")
	}
	if len(parts) > indexPartMax {
		return nil, modErr("too many key parts")
	}
	for i := range parts {
		for j := 0; j < i; j++ {
			if parts[i].FieldNo == parts[j].FieldNo {
				return nil, modErr("same key part is indexed twice")
			}
		}
	}
	// memtx_space_check_index_def
	for _, p := range parts {
		if p.IsNullable {
			if iid == 0 {
				return nil, boxerr.New(boxerr.ER_NULLABLE_PRIMARY, sp.Name)
			}
			if def.Type != memtx.IndexTree {
				return nil, boxerr.New(boxerr.ER_UNSUPPORTED, "HASH", "nullable parts")
			}
		}
		if p.Type == memtx.FieldAny || p.Type == memtx.FieldArray || p.Type == memtx.FieldMap {
			return nil, modErr("field type '" + p.Type.String() + "' is not supported")
		}
	}
	if def.Type == memtx.IndexHash && !def.Unique {
		return nil, modErr("HASH index must be unique")
	}
	if iid == 0 && sp.sequence != nil {
		if err := checkIndexSequence(def, sp.sequence.fieldNo, sp.sequence.path, sp.Name); err != nil {
			return nil, err
		}
	}
	// Agreement of key parts with the space format is checked by memtx
	// (ER_FORMAT_MISMATCH_INDEX_PART) when the index is built.
	return def, nil
}

// parseIndexOpts is index_opts_decode for the options memtx uses; vinyl
// and rtree options are accepted and ignored.
func parseIndexOpts(m []byte, def *memtx.IndexDef) error {
	keyErr := func() error {
		return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, indexFieldOpts, "key must be a string")
	}
	return mapEntries(m, keyErr, func(k string, v []byte) error {
		bad := func(typ string) error {
			return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, indexFieldOpts, "'"+k+"' must be "+typ)
		}
		t := msgpack.TypeOf(v)
		switch k {
		case "unique":
			if t != msgpack.Bool {
				return bad("boolean")
			}
			def.Unique, _, _ = msgpack.ReadBool(v)
		case "dimension", "range_size", "page_size", "run_count_per_level", "lsn":
			if t != msgpack.Uint && t != msgpack.Int {
				return bad("integer")
			}
		case "run_size_ratio", "bloom_fpr":
			if t != msgpack.Uint && t != msgpack.Int && t != msgpack.Float && t != msgpack.Double {
				return bad("double")
			}
		case "distance":
			if t != msgpack.Str {
				return bad("enum")
			}
		case "func":
			return boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "functional indexes")
		case "sql":
		default:
			return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, indexFieldOpts, "unexpected option '"+k+"'")
		}
		return nil
	})
}

// parseParts is key_def_decode_parts: either [[fieldno, 'type'], ...]
// or [{field=, type=, is_nullable=, collation=}, ...].
func (b *Box) parseParts(raw []byte) ([]memtx.KeyPart, error) {
	n, pos, err := msgpack.ReadArrayHeader(raw)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "expected an array")
	}
	parts := make([]memtx.KeyPart, 0, min(n, 64))
	for i := uint32(0); i < n; i++ {
		sz, err := msgpack.Skip(raw[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "index parts")
		}
		item := raw[pos : pos+sz]
		pos += sz
		var p memtx.KeyPart
		if msgpack.TypeOf(item) == msgpack.Map {
			p, err = b.parseMapPart(item, int(i)+1)
		} else {
			p, err = parseArrayPart(item)
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func parseArrayPart(item []byte) (memtx.KeyPart, error) {
	var p memtx.KeyPart
	cnt, pos, err := msgpack.ReadArrayHeader(item)
	if err != nil {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "expected an array")
	}
	if cnt == 0 {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "expected a non-empty array")
	}
	if cnt < 2 {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "a field type is missing")
	}
	if msgpack.TypeOf(item[pos:]) != msgpack.Uint {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "field id must be an integer")
	}
	f, sz, err := msgpack.ReadUint(item[pos:])
	if err != nil || f > fieldNoMax {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "field id must be an integer")
	}
	pos += sz
	if msgpack.TypeOf(item[pos:]) != msgpack.Str {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "field type must be a string")
	}
	s, _, _ := msgpack.ReadString(item[pos:])
	typ, ok := memtx.ParseFieldType(s)
	if !ok {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_PARTS, "unknown field type")
	}
	p.FieldNo, p.Type = uint32(f), typ
	return p, nil
}

func (b *Box) parseMapPart(item []byte, partNo int) (memtx.KeyPart, error) {
	p := memtx.KeyPart{Type: memtx.FieldAny}
	hasField, hasType := false, false
	action := ""
	keyErr := func() error {
		return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "key must be a string")
	}
	err := mapEntries(item, keyErr, func(k string, v []byte) error {
		bad := func(typ string) error {
			return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "'"+k+"' must be "+typ)
		}
		t := msgpack.TypeOf(v)
		switch k {
		case "field":
			u, _, err := msgpack.ReadUint(v)
			if t != msgpack.Uint || err != nil || u > fieldNoMax {
				return bad("unsigned")
			}
			p.FieldNo, hasField = uint32(u), true
		case "type":
			if t != msgpack.Str {
				return bad("enum")
			}
			s, _, _ := msgpack.ReadString(v)
			var ok bool
			if p.Type, ok = memtx.ParseFieldType(s); !ok {
				return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "index part: unknown field type")
			}
			hasType = true
		case "is_nullable":
			if t != msgpack.Bool {
				return bad("boolean")
			}
			p.IsNullable, _, _ = msgpack.ReadBool(v)
		case "collation":
			u, _, err := msgpack.ReadUint(v)
			if t != msgpack.Uint || err != nil || u > 0xffffffff {
				return bad("unsigned")
			}
			name, ok := b.collationName(uint32(u))
			if !ok {
				return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "collation was not found by ID")
			}
			p.Collation = name
		case "nullable_action", "sort_order":
			if t != msgpack.Str {
				return bad("enum")
			}
			if k == "nullable_action" {
				action, _, _ = msgpack.ReadString(v)
			}
		case "path":
			// An empty path is the field itself.
			if t == msgpack.Str {
				if path, _, _ := msgpack.ReadString(v); path == "" {
					return nil
				}
			}
			return boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "JSON path indexes")
		default:
			return boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "unexpected option '"+k+"'")
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	if !hasField || !hasType {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "index part: unknown field type")
	}
	if p.Collation != "" && p.Type != memtx.FieldString && p.Type != memtx.FieldScalar {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo, "collation is reasonable only for string and scalar parts")
	}
	if action != "" && (action == "none") != p.IsNullable {
		return p, boxerr.New(boxerr.ER_WRONG_INDEX_OPTIONS, partNo,
			"index part: conflicting nullability and nullable action properties")
	}
	return p, nil
}

// collationName maps a _collation id to the name memtx understands; the
// binary collation ("none"/"binary") is the empty name.
func (b *Box) collationName(id uint32) (string, bool) {
	sp := b.spaces[collationSpaceID]
	if sp == nil || sp.Primary() == nil {
		return "", false
	}
	t, _ := sp.Primary().Get(keyU32(id))
	if t == nil {
		return "", false
	}
	name, err := fieldStr(t, 1, "name")
	if err != nil {
		return "", false
	}
	if name == "none" || name == "binary" {
		return "", true
	}
	return name, true
}

// Collation returns the name of collation id as _collation has it
// ("none", "unicode", ...), false when there is no such collation.
func (b *Box) Collation(id uint32) (string, bool) {
	sp := b.spaces[collationSpaceID]
	if sp == nil || sp.Primary() == nil {
		return "", false
	}
	t, _ := sp.Primary().Get(keyU32(id))
	if t == nil {
		return "", false
	}
	name, err := fieldStr(t, 1, "name")
	return name, err == nil
}

// CollationByName returns the id of the collation named name in
// _collation, false when there is none.
func (b *Box) CollationByName(name string) (uint32, bool) {
	sp := b.spaces[collationSpaceID]
	if sp == nil {
		return 0, false
	}
	var id uint32
	found := false
	forEach(sp, func(t *memtx.Tuple) {
		if n, err := fieldStr(t, 1, "name"); !found && err == nil && n == name {
			if v, err := fieldU32(t, 0, "id"); err == nil {
				id, found = v, true
			}
		}
	})
	return id, found
}

func indexDefsEqual(a, b *memtx.IndexDef) bool {
	if a.ID != b.ID || a.Name != b.Name || a.Type != b.Type || a.Unique != b.Unique ||
		len(a.Key.Parts) != len(b.Key.Parts) {
		return false
	}
	for i := range a.Key.Parts {
		if a.Key.Parts[i] != b.Key.Parts[i] {
			return false
		}
	}
	return true
}

// onReplaceIndex is the _index trigger (on_replace_dd_index).
func (b *Box) onReplaceIndex(txn *Txn, old, new *memtx.Tuple) error {
	ref := new
	if old != nil {
		ref = old
	}
	id, err := fieldU32(ref, 0, "id")
	if err != nil {
		return err
	}
	iid, err := fieldU32(ref, 1, "iid")
	if err != nil {
		return err
	}
	sp := b.spaces[id]
	if sp == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(id))
	}
	priv := AccessCreate
	switch {
	case old != nil && new != nil:
		priv = AccessAlter
	case new == nil:
		priv = AccessDrop
	}
	if err := b.checkDDL(txn.session, sp.Name, sp.ID, sp.OwnerID, objSpace, priv); err != nil {
		return err
	}
	oldIndex := sp.Index(iid)
	if iid == 0 && new == nil {
		if sp.IsSystem() {
			return boxerr.New(boxerr.ER_LAST_DROP, sp.Name)
		}
		if len(sp.Indexes()) > 1 {
			return boxerr.New(boxerr.ER_DROP_PRIMARY_KEY, sp.Name)
		}
		if sp.sequence != nil {
			return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "can not drop primary key while space sequence exists")
		}
	}
	if iid != 0 && sp.Primary() == nil {
		return boxerr.New(boxerr.ER_ALTER_SPACE, sp.Name, "can not add a secondary key before primary")
	}
	switch {
	case oldIndex != nil && new == nil: // drop
		oldDef := *oldIndex.Def()
		var saved []*memtx.Tuple
		if iid == 0 {
			forEach(sp, func(t *memtx.Tuple) { saved = append(saved, t) })
		}
		if err := sp.DropIndex(iid); err != nil {
			return err
		}
		txn.ddl = true
		txn.onUndo(func() {
			if _, err := sp.CreateIndex(oldDef); err != nil {
				panic("box: cannot restore index " + oldDef.Name + ": " + err.Error())
			}
			for _, t := range saved {
				if _, err := sp.Replace(nil, t, memtx.DupInsert); err != nil {
					panic("box: cannot restore tuples of space " + sp.Name + ": " + err.Error())
				}
			}
		})
	case oldIndex == nil && new != nil: // create
		def, err := b.parseIndexDef(new, sp)
		if err != nil {
			return err
		}
		if other := sp.IndexByName(def.Name); other != nil {
			return boxerr.New(boxerr.ER_INDEX_EXISTS_IN_SPACE, def.Name, sp.Name)
		}
		if sp.Len() > 0 && !txn.isFirstStatement() {
			return boxerr.New(boxerr.ER_MULTISTATEMENT_TRANSACTION, "index build")
		}
		if _, err := sp.CreateIndex(*def); err != nil {
			return err
		}
		txn.ddl = true
		txn.onUndo(func() {
			if err := sp.DropIndex(iid); err != nil {
				panic("box: cannot undo index creation: " + err.Error())
			}
		})
	case oldIndex != nil && new != nil: // alter
		def, err := b.parseIndexDef(new, sp)
		if err != nil {
			return err
		}
		oldDef := *oldIndex.Def()
		if indexDefsEqual(def, &oldDef) {
			return nil
		}
		if other := sp.IndexByName(def.Name); other != nil && other != oldIndex {
			return boxerr.New(boxerr.ER_INDEX_EXISTS_IN_SPACE, def.Name, sp.Name)
		}
		if sp.Len() > 0 && !txn.isFirstStatement() {
			return boxerr.New(boxerr.ER_MULTISTATEMENT_TRANSACTION, "index build")
		}
		if _, err := sp.AlterIndex(*def); err != nil {
			return err
		}
		txn.ddl = true
		txn.onUndo(func() {
			if _, err := sp.AlterIndex(oldDef); err != nil {
				panic("box: cannot restore index " + oldDef.Name + ": " + err.Error())
			}
		})
	}
	return nil
}
