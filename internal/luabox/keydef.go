package luabox

import (
	"fmt"
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/tupleupdate"
)

// keyDef is a key definition of the key_def module (2.6's struct
// key_def made by key_def.new): the parts tuples are compared and keys
// extracted by.
type keyDef struct {
	parts []keyDefPart
}

// keyDefPart is one part: a field (0-based; a fieldno below 1 wraps
// around, as 2.6's conversion to uint32_t does), an optional JSON path
// inside it, a type, nullability and a collation.
type keyDefPart struct {
	fieldNo  uint32
	typ      memtx.FieldType
	nullable bool
	// collID is the _collation id, 0 (2.6's COLL_NONE) for none;
	// collName its name and collBinary whether it compares bytes.
	collID     uint32
	collName   string
	collBinary bool
	path       string
	steps      []tupleupdate.PathStep
	cmp        *memtx.ValueComparator
}

// keyDefs are the key definitions Lua holds. An object is a reference to
// a block of C memory (lua.AllocBlock) whose address names its keyDef;
// the block goes with the last reference, as the key_def of 2.6 goes
// with its cdata.
type keyDefs struct {
	byBlock map[uintptr]*keyDef
	refCT   uint32
	ctor    int
}

// keyDefBlockSize is sizeof(struct key_def) as lua/key_def.lua declares
// it.
const keyDefBlockSize = 8

// keyDefUsage is key_def.new's usage message.
const keyDefUsage = "Bad params, use: key_def.new({{fieldno = fieldno, type = type" +
	"[, is_nullable = <boolean>][, path = <string>][, collation_id = <number>]" +
	"[, collation = <string>]}, ...}"

// openKeyDef makes the key_def module, loaded as 2.6 loads it: present
// in package.loaded from the start.
func (rt *Runtime) openKeyDef() {
	L := rt.L
	rt.keyDefs = keyDefs{byBlock: map[uintptr]*keyDef{}}
	L.NewTable()
	mod := L.GetTop()
	L.SetFuncs(mod, map[string]lua.Function{
		"new":              rt.keyDefNew,
		"extract_key":      rt.keyDefExtractKey,
		"compare":          rt.keyDefCompare,
		"compare_with_key": rt.keyDefCompareWithKey,
		"merge":            rt.keyDefMerge,
		"totable":          rt.keyDefToTable,
	})
	src, err := libFS.ReadFile("lua/key_def.lua")
	if err != nil {
		panic("luabox: missing embedded key_def.lua")
	}
	if err := L.Load(string(src), "@builtin/box/key_def.lua"); err != nil {
		panic("luabox: key_def.lua: " + err.Error())
	}
	L.NewTable()
	L.PushValue(mod)
	L.RawSetField(-2, "module")
	L.SetFuncs(-1, map[string]lua.Function{
		"setup": func(L lua.State) int {
			rt.keyDefs.refCT = L.CtypeOf(1)
			L.PushValue(2)
			rt.keyDefs.ctor = L.Ref()
			return 0
		},
		"gc": func(L lua.State) int {
			if L.CdataType(1) == rt.keyDefs.refCT {
				p := L.CdataPointee(1)
				if _, ok := rt.keyDefs.byBlock[p]; ok {
					delete(rt.keyDefs.byBlock, p)
					lua.FreeBlock(p)
				}
			}
			return 0
		},
	})
	if err := L.PCall(1, 0); err != nil {
		panic("luabox: key_def.lua: " + err.Error())
	}
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(mod)
	L.RawSetField(-2, "key_def")
	L.SetTop(mod - 1)
}

// pushKeyDef pushes a key_def object for kd.
func (rt *Runtime) pushKeyDef(L lua.State, kd *keyDef) {
	p := lua.AllocBlock(keyDefBlockSize)
	if p == 0 {
		rt.raise(L, boxerr.New(boxerr.ER_MEMORY_ISSUE, keyDefBlockSize, "malloc", "key_def"))
	}
	rt.keyDefs.byBlock[p] = kd
	L.PushRef(rt.keyDefs.ctor)
	L.PushLightUserdata(p)
	L.Call(1, 1)
}

// toKeyDef returns the key definition of the key_def object at idx, nil
// for other values.
func (rt *Runtime) toKeyDef(L lua.State, idx int) *keyDef {
	if rt.keyDefs.refCT == 0 || L.CdataType(idx) != rt.keyDefs.refCT {
		return nil
	}
	return rt.keyDefs.byBlock[L.CdataPointee(idx)]
}

// illegalParams raises 2.6's IllegalParams error (no code of its own:
// IPROTO reports ER_PROC_LUA).
func (rt *Runtime) illegalParams(L lua.State, format string, args ...any) {
	boxerr.Made()
	rt.raise(L, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "IllegalParams",
		Message: boxerr.Truncate(fmt.Sprintf(format, args...))})
}

// keyDefNew is key_def.new(parts).
func (rt *Runtime) keyDefNew(L lua.State) int {
	if L.GetTop() != 1 || !L.IsTable(1) {
		L.Errorf(keyDefUsage)
	}
	n := L.ObjLen(1)
	if n == 0 {
		rt.illegalParams(L, "Key definition can only be constructed by using at least 1 key_part")
	}
	kd := &keyDef{parts: make([]keyDefPart, n)}
	for i := range kd.parts {
		L.PushInt(i + 1)
		if err := L.GetTable(1); err != nil {
			L.RaiseString(err.Error())
		}
		rt.keyDefPart(L, &kd.parts[i])
		L.Pop(1)
	}
	// key_def_new resolves collation ids once every part is read.
	for i := range kd.parts {
		p := &kd.parts[i]
		if p.collID != 0 && p.collName == "" {
			name, ok := rt.collation(p.collID)
			if !ok {
				return rt.raiseCode(L, boxerr.ER_WRONG_INDEX_OPTIONS, i+1, "collation was not found by ID")
			}
			p.collName = name
		}
		if err := p.prepare(); err != nil {
			return rt.raise(L, err)
		}
	}
	rt.pushKeyDef(L, kd)
	return 1
}

// collation is the name of a collation id, from _collation.
func (rt *Runtime) collation(id uint32) (string, bool) {
	if rt.Box == nil {
		return "", false
	}
	return rt.Box.Collation(id)
}

// getPartField pushes part[k] (lua_gettable, metamethods honoured) of
// the part at idx; an error raises as 2.6's lua_gettable does.
func getPartField(L lua.State, idx int, k string) {
	if err := L.GetField(idx, k); err != nil {
		L.RaiseString(err.Error())
	}
}

// keyDefPart reads the part table on top into p, option by option in
// the order and with the errors of 2.6's luaT_key_def_set_part.
func (rt *Runtime) keyDefPart(L lua.State, p *keyDefPart) {
	top := L.GetTop()
	defer L.SetTop(top)
	getPartField(L, top, "fieldno")
	if L.IsNil(-1) {
		// 'field' is fieldno's alias, as create_index's parts have it.
		getPartField(L, top, "field")
		if L.IsNil(-1) {
			rt.illegalParams(L, "fieldno or field must not be nil")
		}
	} else {
		getPartField(L, top, "field")
		if !L.IsNil(-1) {
			rt.illegalParams(L, "Conflicting options: fieldno and field")
		}
		L.Pop(1)
	}
	// lua_tointeger, then one-based to zero-based in uint32_t.
	p.fieldNo = uint32(int64(L.ToNumber(-1)) - 1)
	L.SetTop(top)

	getPartField(L, top, "type")
	if L.IsNil(-1) {
		rt.illegalParams(L, "type must not be nil")
	}
	name, _ := L.ToString(-1)
	L.SetTop(top)
	typ, known := keyDefFieldType(name)
	switch {
	case !known && (strings.EqualFold(name, "decimal") || strings.EqualFold(name, "uuid")):
		rt.raise(L, boxerr.New(boxerr.ER_UNSUPPORTED, "key_def", "field type "+name))
	case !known:
		rt.illegalParams(L, "Unknown field type: %s", name)
	case typ == memtx.FieldAny || typ == memtx.FieldVarbinary || typ == memtx.FieldArray || typ == memtx.FieldMap:
		// Tuple comparators don't support these types.
		rt.illegalParams(L, "Unsupported field type: %s", name)
	}
	p.typ = typ

	getPartField(L, top, "is_nullable")
	p.nullable = !L.IsNil(-1) && L.ToBool(-1)
	L.SetTop(top)

	getPartField(L, top, "collation_id")
	if !L.IsNil(-1) {
		p.collID = uint32(int64(L.ToNumber(-1)))
	}
	L.SetTop(top)

	getPartField(L, top, "collation")
	if !L.IsNil(-1) {
		if p.collID != 0 {
			rt.illegalParams(L, "Conflicting options: collation_id and collation")
		}
		cname, _ := L.ToString(-1)
		id, ok := uint32(0), false
		if rt.Box != nil {
			id, ok = rt.Box.CollationByName(cname)
		}
		if !ok {
			rt.illegalParams(L, "Unknown collation: \"%s\"", cname)
		}
		p.collID, p.collName = id, cname
	}
	L.SetTop(top)

	getPartField(L, top, "path")
	if !L.IsNil(-1) {
		path, _ := L.ToString(-1)
		steps, multikey, ok := tupleupdate.ParsePath(path)
		if !ok {
			rt.illegalParams(L, "invalid path")
		}
		if multikey {
			rt.illegalParams(L, "multikey path is unsupported")
		}
		p.path, p.steps = path, steps
	}
}

// keyDefFieldType is 2.6's field_type_by_name: a type name in any case,
// or a prefix of the deprecated "num" and "str" (the empty name among
// them, which strncasecmp over no bytes matches), or "*". The Lua
// aliases "int" and "uint" that space formats take are not names here.
func keyDefFieldType(name string) (memtx.FieldType, bool) {
	if name != "int" && name != "uint" && name != "" && !strings.EqualFold(name, "num") &&
		!strings.EqualFold(name, "str") && name != "*" {
		if t, ok := memtx.ParseFieldType(name); ok {
			return t, true
		}
	}
	switch {
	case len(name) <= 3 && strings.EqualFold(name, "num"[:len(name)]):
		return memtx.FieldUnsigned, true
	case len(name) <= 3 && strings.EqualFold(name, "str"[:len(name)]):
		return memtx.FieldString, true
	case name == "*":
		return memtx.FieldAny, true
	}
	return 0, false
}

// prepare makes the part's comparator. Spindle compares strings under
// the binary collations and memtx's unicode and unicode_ci; the other
// collations of 2.6's _collation are refused.
func (p *keyDefPart) prepare() error {
	coll := p.collName
	switch coll {
	case "", "none", "binary":
		coll = ""
		p.collBinary = true
	}
	c, err := memtx.NewValueComparator(p.typ, coll)
	if err != nil {
		return boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "collation "+p.collName)
	}
	p.cmp = c
	return nil
}

// field returns the value of the part in the tuple data, nil when the
// field or the path's target is absent.
func (p *keyDefPart) field(fields [][]byte) []byte {
	if uint64(p.fieldNo) >= uint64(len(fields)) {
		return nil
	}
	f := fields[p.fieldNo]
	if len(p.steps) > 0 {
		f = tupleupdate.Follow(f, p.steps)
	}
	if msgpack.TypeOf(f) == msgpack.Nil {
		return nil
	}
	return f
}

// compare orders two values of the part, with 2.6's results: a string
// comparison under a binary collation returns memcmp's byte difference
// (glibc's), as tuple_compare passes it on.
func (p *keyDefPart) compare(a, b []byte) int {
	c := p.cmp.Compare(a, b)
	if c == 0 || !p.collBinary || msgpack.TypeOf(a) != msgpack.Str || msgpack.TypeOf(b) != msgpack.Str {
		return c
	}
	x, _, _ := msgpack.ReadStr(a)
	y, _, _ := msgpack.ReadStr(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			return int(x[i]) - int(y[i])
		}
	}
	return c
}

// keyDefTuple returns the fields of argument idx, a tuple or a table,
// after checking every part of kd against them (2.6's
// luaT_key_def_check_tuple).
func (rt *Runtime) keyDefTuple(L lua.State, kd *keyDef, idx int) [][]byte {
	data, ok := L.TupleData(idx)
	if !ok {
		if !L.IsTable(idx) {
			rt.illegalParams(L, "A tuple or a table expected, got %s", L.TypeName(idx))
		}
		var err error
		if data, err = rt.encodeArray(L, idx); err != nil {
			rt.raise(L, err)
		}
		if _, err := memtx.NewTuple(data); err != nil {
			rt.raise(L, err)
		}
	}
	fields := tupleFields(data)
	for i := range kd.parts {
		p := &kd.parts[i]
		f := p.field(fields)
		if f == nil {
			if p.nullable {
				continue
			}
			rt.raiseCode(L, boxerr.ER_FIELD_MISSING, fmt.Sprintf("[%d]%s", int32(p.fieldNo)+1, p.path))
		}
		if !p.typ.Accepts(f, p.nullable) {
			rt.raiseCode(L, boxerr.ER_KEY_PART_TYPE, i, p.typ.String())
		}
	}
	return fields
}

// keyDefExtractKey is key_def:extract_key(tuple): a tuple of the parts'
// values, nil for absent ones.
func (rt *Runtime) keyDefExtractKey(L lua.State) int {
	kd := rt.toKeyDef(L, 1)
	if L.GetTop() != 2 || kd == nil {
		L.Errorf("Usage: key_def:extract_key(tuple)")
	}
	fields := rt.keyDefTuple(L, kd, 2)
	out := msgpack.AppendArrayHeader(nil, uint32(len(kd.parts)))
	for i := range kd.parts {
		if f := kd.parts[i].field(fields); f != nil {
			out = append(out, f...)
		} else {
			out = msgpack.AppendNil(out)
		}
	}
	L.PushTuple(out, 0, 0)
	return 1
}

// keyDefCompare is key_def:compare(tuple_a, tuple_b).
func (rt *Runtime) keyDefCompare(L lua.State) int {
	kd := rt.toKeyDef(L, 1)
	if L.GetTop() != 3 || kd == nil {
		L.Errorf("Usage: key_def:compare(tuple_a, tuple_b)")
	}
	a := rt.keyDefTuple(L, kd, 2)
	b := rt.keyDefTuple(L, kd, 3)
	L.PushNumber(float64(kd.compareFields(a, b)))
	return 1
}

// compareFields orders two tuples' fields by the parts.
func (kd *keyDef) compareFields(a, b [][]byte) int {
	for i := range kd.parts {
		p := &kd.parts[i]
		if c := p.compare(p.field(a), p.field(b)); c != 0 {
			return c
		}
	}
	return 0
}

// keyDefCompareWithKey is key_def:compare_with_key(tuple, key): the
// tuple against a key of at most as many parts, each checked against its
// part's type (nil allowed in nullable parts).
func (rt *Runtime) keyDefCompareWithKey(L lua.State) int {
	kd := rt.toKeyDef(L, 1)
	if L.GetTop() != 3 || kd == nil {
		L.Errorf("Usage: key_def:compare_with_key(tuple, key)")
	}
	fields := rt.keyDefTuple(L, kd, 2)
	key, ok := L.TupleData(3)
	if !ok {
		var err error
		if key, err = L.Encode(nil, 3, nil); err != nil {
			return rt.raise(L, err)
		}
	}
	if msgpack.TypeOf(key) != msgpack.Array {
		return rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
	}
	parts := tupleFields(key)
	// 2.6 reads only as many key parts as the key_def has.
	if len(parts) > len(kd.parts) {
		parts = parts[:len(kd.parts)]
	}
	for i, v := range parts {
		p := &kd.parts[i]
		if !p.typ.Accepts(v, p.nullable) {
			return rt.raiseCode(L, boxerr.ER_KEY_PART_TYPE, i, p.typ.String())
		}
	}
	res := 0
	for i, v := range parts {
		p := &kd.parts[i]
		if msgpack.TypeOf(v) == msgpack.Nil {
			v = nil
		}
		if c := p.compare(p.field(fields), v); c != 0 {
			res = c
			break
		}
	}
	L.PushNumber(float64(res))
	return 1
}

// keyDefMerge is key_def:merge(other): the parts of the first, then
// those of the second it lacks (key_def_merge): a part of the same field
// and path is left out unless the first's collation may leave equal
// keys a later one can order (not binary, not the same).
func (rt *Runtime) keyDefMerge(L lua.State) int {
	a, b := rt.toKeyDef(L, 1), rt.toKeyDef(L, 2)
	if L.GetTop() != 2 || a == nil || b == nil {
		L.Errorf("Usage: key_def:merge(second_key_def)")
	}
	m := &keyDef{parts: append([]keyDefPart(nil), a.parts...)}
next:
	for _, p := range b.parts {
		for _, q := range a.parts {
			if q.fieldNo == p.fieldNo && samePath(q.steps, p.steps) {
				if q.collBinary || q.collID == p.collID {
					continue next
				}
				break
			}
		}
		m.parts = append(m.parts, p)
	}
	rt.pushKeyDef(L, m)
	return 1
}

// samePath is json_path_cmp's equality.
func samePath(a, b []tupleupdate.PathStep) bool {
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

// keyDefToTable is key_def:totable() (also what serializers show): the
// parts as key_def.new takes them.
func (rt *Runtime) keyDefToTable(L lua.State) int {
	kd := rt.toKeyDef(L, 1)
	if L.GetTop() != 1 || kd == nil {
		L.Errorf("Usage: key_def:totable()")
	}
	L.CreateTable(len(kd.parts), 0)
	for i, p := range kd.parts {
		L.CreateTable(0, 5)
		L.PushString(p.typ.String())
		L.RawSetField(-2, "type")
		L.PushNumber(float64(p.fieldNo + 1)) // uint32_t arithmetic, as 2.6
		L.RawSetField(-2, "fieldno")
		if p.path != "" {
			L.PushString(p.path)
			L.RawSetField(-2, "path")
		}
		L.PushBool(p.nullable)
		L.RawSetField(-2, "is_nullable")
		if p.collID != 0 {
			L.PushString(p.collName)
			L.RawSetField(-2, "collation")
		}
		L.RawSetI(-2, i+1)
	}
	return 1
}
