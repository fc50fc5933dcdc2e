package luabox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// IPROTO request types used by the space methods.
const (
	reqSelect  = 1
	reqInsert  = 2
	reqReplace = 3
	reqUpdate  = 4
	reqDelete  = 5
	reqUpsert  = 9
)

// spaceState is what the runtime keeps per space id besides the Lua
// object: the tuple format for field names and the Lua triggers.
type spaceState struct {
	obj           *lua.LTable
	format        *tupleFormat
	onReplace     []lua.LValue
	beforeReplace []lua.LValue
}

func (rt *Runtime) openSpaces(boxT *lua.LTable) {
	L := rt.L
	rt.spaceMethods = L.NewTable()
	rt.indexMethods = L.NewTable()
	// Methods that exist on both spaces (acting on the primary index) and
	// indexes; isSpace tells which kind of object self is.
	shared := map[string]func(L *lua.LState, isSpace bool) int{
		"update": rt.indexUpdate,
		"delete": rt.indexDelete,
		"get":    rt.indexGet,
		"select": rt.indexSelect,
		"pairs":  rt.indexPairs,
		"count":  rt.indexCount,
		"len":    rt.indexLen,
		"bsize":  rt.indexBsize,
		"min":    func(L *lua.LState, isSpace bool) int { return rt.indexMinMax(L, isSpace, false) },
		"max":    func(L *lua.LState, isSpace bool) int { return rt.indexMinMax(L, isSpace, true) },
	}
	for name, fn := range shared {
		fn := fn
		rt.spaceMethods.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return fn(L, true) }))
		rt.indexMethods.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return fn(L, false) }))
	}
	spaceOnly := map[string]lua.LGFunction{
		"insert":         func(L *lua.LState) int { return rt.spaceWrite(L, reqInsert) },
		"replace":        func(L *lua.LState) int { return rt.spaceWrite(L, reqReplace) },
		"put":            func(L *lua.LState) int { return rt.spaceWrite(L, reqReplace) },
		"upsert":         rt.spaceUpsert,
		"truncate":       rt.spaceTruncate,
		"on_replace":     func(L *lua.LState) int { return rt.spaceTrigger(L, false) },
		"before_replace": func(L *lua.LState) int { return rt.spaceTrigger(L, true) },
	}
	for k, f := range spaceOnly {
		rt.spaceMethods.RawSetString(k, L.NewFunction(f))
	}
	rt.indexMethods.RawSetString("random", L.NewFunction(rt.indexRandom))
	rt.spaceMT = L.NewTable()
	rt.spaceMT.RawSetString("__index", rt.spaceMethods)
	rt.indexMT = L.NewTable()
	rt.indexMT.RawSetString("__index", rt.indexMethods)
	internal := boxT.RawGetString("internal").(*lua.LTable)
	internal.RawSetString("space_mt_index", rt.spaceMethods)
	internal.RawSetString("index_mt_index", rt.indexMethods)
	rt.spaceTable = L.NewTable()
	boxT.RawSetString("space", rt.spaceTable)
	idx := L.NewTable()
	for _, it := range []string{"EQ", "REQ", "ALL", "LT", "LE", "GE", "GT", "BITS_ALL_SET", "BITS_ANY_SET", "BITS_ALL_NOT_SET", "OVERLAPS", "NEIGHBOR"} {
		t, _ := memtx.ParseIterType(it)
		idx.RawSetString(it, lua.LNumber(t))
	}
	boxT.RawSetString("index", idx)
}

// Refresh brings box.space up to date with the catalog after a schema
// change. Space objects keep their identity across changes, as in
// Tarantool, so `local s = box.space.x` stays usable after create_index.
func (rt *Runtime) Refresh() {
	defer rt.refreshSequences()
	b := rt.Box
	if b == nil || b.SchemaVersion() == rt.seenSchema {
		return
	}
	rt.seenSchema = b.SchemaVersion()
	L := rt.L
	live := make(map[uint32]bool)
	// Clear and refill box.space: names may have changed.
	var keys []lua.LValue
	rt.spaceTable.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		rt.spaceTable.RawSet(k, lua.LNil)
	}
	for _, sp := range b.Spaces() {
		live[sp.ID] = true
		st := rt.spaceStates[sp.ID]
		if st == nil {
			st = &spaceState{obj: L.NewTable()}
			L.SetMetatable(st.obj, rt.spaceMT)
			rt.spaceStates[sp.ID] = st
		}
		st.format = newTupleFormat(sp.Format())
		o := st.obj
		o.RawSetString("id", lua.LNumber(sp.ID))
		o.RawSetString("name", lua.LString(sp.Name))
		o.RawSetString("engine", lua.LString(sp.Engine))
		o.RawSetString("field_count", lua.LNumber(sp.FieldCount))
		o.RawSetString("temporary", lua.LBool(sp.Temporary))
		o.RawSetString("is_local", lua.LBool(sp.IsLocal))
		o.RawSetString("enabled", lua.LBool(sp.Primary() != nil))
		o.RawSetString("is_sync", lua.LFalse)
		indexes := L.NewTable()
		for _, ix := range sp.Indexes() {
			io := rt.indexObject(L, sp, ix)
			indexes.RawSetInt(int(ix.Def().ID), io)
			indexes.RawSetString(ix.Def().Name, io)
		}
		o.RawSetString("index", indexes)
		rt.spaceTable.RawSetInt(int(sp.ID), o)
		rt.spaceTable.RawSetString(sp.Name, o)
	}
	for id := range rt.spaceStates {
		if !live[id] {
			delete(rt.spaceStates, id)
		}
	}
}

func (rt *Runtime) indexObject(L *lua.LState, sp *box.Space, ix *memtx.Index) *lua.LTable {
	def := ix.Def()
	o := L.NewTable()
	L.SetMetatable(o, rt.indexMT)
	o.RawSetString("id", lua.LNumber(def.ID))
	o.RawSetString("name", lua.LString(def.Name))
	o.RawSetString("space_id", lua.LNumber(sp.ID))
	o.RawSetString("unique", lua.LBool(def.Unique))
	typ := "TREE"
	if def.Type == memtx.IndexHash {
		typ = "HASH"
	}
	o.RawSetString("type", lua.LString(typ))
	parts := L.NewTable()
	for _, p := range def.Key.Parts {
		pt := L.NewTable()
		pt.RawSetString("fieldno", lua.LNumber(p.FieldNo+1))
		pt.RawSetString("type", lua.LString(p.Type.String()))
		pt.RawSetString("is_nullable", lua.LBool(p.IsNullable))
		if p.Collation != "" {
			pt.RawSetString("collation", lua.LString(p.Collation))
		}
		parts.Append(pt)
	}
	o.RawSetString("parts", parts)
	return o
}

// selfIDs reads the space id (and index id) from a space or index object
// passed as self.
func (rt *Runtime) selfIDs(L *lua.LState, isSpace bool) (spaceID, indexID uint32) {
	self, ok := L.Get(1).(*lua.LTable)
	if !ok {
		if isSpace {
			L.RaiseError("Use space:method(...) instead of space.method(...)")
		}
		L.RaiseError("Use index:method(...) instead of index.method(...)")
	}
	if isSpace {
		id, ok := self.RawGetString("id").(lua.LNumber)
		if !ok {
			L.RaiseError("Use space:method(...) instead of space.method(...)")
		}
		return uint32(id), 0
	}
	sid, ok1 := self.RawGetString("space_id").(lua.LNumber)
	iid, ok2 := self.RawGetString("id").(lua.LNumber)
	if !ok1 || !ok2 {
		L.RaiseError("Use index:method(...) instead of index.method(...)")
	}
	return uint32(sid), uint32(iid)
}

// lookupIndex finds the live space and index behind self.
func (rt *Runtime) lookupIndex(L *lua.LState, isSpace bool) (*box.Space, *memtx.Index) {
	b := rt.requireBox(L)
	sid, iid := rt.selfIDs(L, isSpace)
	sp := b.Space(sid)
	if sp == nil {
		rt.raiseCode(L, boxerr.ER_NO_SUCH_SPACE, itoa(sid))
	}
	ix := sp.Index(iid)
	if ix == nil {
		rt.raiseCode(L, boxerr.ER_NO_SUCH_INDEX_ID, iid, sp.Name)
	}
	return sp, ix
}

func (rt *Runtime) formatOf(id uint32) *tupleFormat {
	if st := rt.spaceStates[id]; st != nil {
		return st.format
	}
	return nil
}

// execute runs one DML request in the fiber's session and transaction.
func (rt *Runtime) execute(L *lua.LState, req *box.Request) *memtx.Tuple {
	b := rt.requireBox(L)
	fc := rt.ctx(L)
	t, err := b.Execute(rt.session(L), fc.Txn, req)
	rt.Refresh()
	if err != nil {
		rt.raise(L, err)
	}
	return t
}

func (rt *Runtime) spaceWrite(L *lua.LState, typ uint16) int {
	sid, _ := rt.selfIDs(L, true)
	// A table is encoded into the runtime's scratch buffer: box copies
	// what it keeps of a request (as it must for IPROTO packets, whose
	// memory is reused), so the bytes are free again when Execute
	// returns. The buffer is taken out while in use: a trigger that
	// writes during Execute encodes into a buffer of its own.
	scratch := rt.tupleScratch
	rt.tupleScratch = nil
	data, encoded := rt.tupleArg(L, 2, scratch[:0])
	t := rt.execute(L, &box.Request{Type: typ, SpaceID: sid, Tuple: data})
	if encoded && cap(data) <= 64<<10 {
		rt.tupleScratch = data[:0]
	}
	L.Push(rt.tupleValue(L, t, rt.formatOf(sid)))
	return 1
}

func (rt *Runtime) spaceUpsert(L *lua.LState) int {
	sid, _ := rt.selfIDs(L, true)
	data := rt.checkTupleArg(L, 2)
	ops, err := rt.encodeValue(L, L.Get(3))
	if err != nil {
		return rt.raise(L, err)
	}
	rt.execute(L, &box.Request{Type: reqUpsert, SpaceID: sid, Tuple: data, Ops: ops, IndexBase: 1})
	return 0
}

func (rt *Runtime) indexUpdate(L *lua.LState, isSpace bool) int {
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	ops, err := rt.encodeValue(L, L.Get(3))
	if err != nil {
		return rt.raise(L, err)
	}
	t := rt.execute(L, &box.Request{Type: reqUpdate, SpaceID: sid, IndexID: iid, Key: key, Tuple: ops, IndexBase: 1})
	return rt.pushTupleOrNothing(L, t, sid)
}

func (rt *Runtime) indexDelete(L *lua.LState, isSpace bool) int {
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	t := rt.execute(L, &box.Request{Type: reqDelete, SpaceID: sid, IndexID: iid, Key: key})
	return rt.pushTupleOrNothing(L, t, sid)
}

// checkRead checks the session's read access to sp.
func (rt *Runtime) checkRead(L *lua.LState, sp *box.Space) {
	if err := rt.Box.CheckAccess(rt.session(L), "space", sp.ID, box.AccessRead); err != nil {
		rt.raise(L, err)
	}
}

func (rt *Runtime) indexGet(L *lua.LState, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	var t *memtx.Tuple
	var err error
	if sp.IsView() {
		t, err = rt.viewFirst(L, sp, ix, memtx.IterEQ, key)
	} else {
		t, err = ix.Get(key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	return rt.pushTupleOrNothing(L, t, sp.ID)
}

// iterOpts parses the (opts) argument of select/pairs/count: a table
// {iterator=, limit=, offset=}, an iterator name or an iterator number.
func (rt *Runtime) iterOpts(L *lua.LState, n int, key []byte) (it memtx.IterType, offset, limit uint32) {
	it, limit = memtx.IterEQ, 0xFFFFFFFF
	var itv lua.LValue = lua.LNil
	switch o := L.Get(n).(type) {
	case *lua.LTable:
		itv = o.RawGetString("iterator")
		if v, ok := o.RawGetString("limit").(lua.LNumber); ok {
			limit = uint32(v)
		}
		if v, ok := o.RawGetString("offset").(lua.LNumber); ok {
			offset = uint32(v)
		}
	case lua.LString, lua.LNumber:
		itv = o
	}
	switch v := itv.(type) {
	case lua.LString:
		t, ok := memtx.ParseIterType(strings.ToUpper(string(v)))
		if !ok {
			rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, string(v))
		}
		it = t
	case lua.LNumber:
		it = memtx.IterType(v)
	default:
		if len(key) <= 1 { // empty key: EQ means everything, as ALL
			it = memtx.IterALL
		}
	}
	return it, offset, limit
}

func (rt *Runtime) indexSelect(L *lua.LState, isSpace bool) int {
	b := rt.requireBox(L)
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	it, offset, limit := rt.iterOpts(L, 3, key)
	res, err := b.Select(rt.session(L), &box.Request{Type: reqSelect, SpaceID: sid, IndexID: iid,
		Key: key, Iterator: it, Offset: offset, Limit: limit})
	if err != nil {
		return rt.raise(L, err)
	}
	f := rt.formatOf(sid)
	tbl := L.CreateTable(len(res), 0)
	for i, t := range res {
		tbl.RawSetInt(i+1, rt.tupleValue(L, t, f))
	}
	L.Push(tbl)
	return 1
}

func (rt *Runtime) indexPairs(L *lua.LState, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	typ, _, _ := rt.iterOpts(L, 3, key)
	var it memtx.Iterator
	var err error
	if sp.IsView() {
		it, err = rt.viewIterator(L, sp, ix, typ, key)
	} else {
		it, err = ix.Iterator(typ, key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	f := rt.formatOf(sp.ID)
	n := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		t := it.Next()
		if t == nil {
			L.Push(lua.LNil)
			return 1
		}
		n++
		L.Push(lua.LNumber(n))
		L.Push(rt.tupleValue(L, t, f))
		return 2
	}))
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	return 3
}

func (rt *Runtime) indexCount(L *lua.LState, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	typ, _, _ := rt.iterOpts(L, 3, key)
	var n int
	var err error
	if sp.IsView() {
		var res []*memtx.Tuple
		res, err = rt.viewSelect(L, sp, ix, typ, key, 0xFFFFFFFF)
		n = len(res)
	} else {
		n, err = ix.Count(typ, key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

func (rt *Runtime) indexLen(L *lua.LState, isSpace bool) int {
	_, ix := rt.lookupIndex(L, isSpace)
	L.Push(lua.LNumber(ix.Len()))
	return 1
}

func (rt *Runtime) indexBsize(L *lua.LState, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	if isSpace {
		L.Push(lua.LNumber(sp.Bsize()))
	} else {
		L.Push(lua.LNumber(ix.Bsize()))
	}
	return 1
}

func (rt *Runtime) indexMinMax(L *lua.LState, isSpace, isMax bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	var t *memtx.Tuple
	var err error
	switch {
	case sp.IsView() && isMax:
		t, err = rt.viewFirst(L, sp, ix, memtx.IterLE, key)
	case sp.IsView():
		t, err = rt.viewFirst(L, sp, ix, memtx.IterGE, key)
	case isMax:
		t, err = ix.Max(key)
	default:
		t, err = ix.Min(key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	return rt.pushTupleOrNothing(L, t, sp.ID)
}

func (rt *Runtime) indexRandom(L *lua.LState) int {
	sp, ix := rt.lookupIndex(L, false)
	rt.checkRead(L, sp)
	return rt.pushTupleOrNothing(L, ix.Random(uint64(L.OptInt64(2, 0))), sp.ID)
}

// pushTupleOrNothing pushes t, or nothing at all when t is nil: 2.6's get,
// delete, update, min and max return no value for a missing tuple.
func (rt *Runtime) pushTupleOrNothing(L *lua.LState, t *memtx.Tuple, sid uint32) int {
	if t == nil {
		return 0
	}
	L.Push(rt.tupleValue(L, t, rt.formatOf(sid)))
	return 1
}

// spaceTruncate truncates through _truncate as Tarantool 2.6 does, so the
// operation is logged and replicated like any DDL.
func (rt *Runtime) spaceTruncate(L *lua.LState) int {
	sid, _ := rt.selfIDs(L, true)
	tuple := msgpack.AppendUint(msgpack.AppendArrayHeader(nil, 2), uint64(sid))
	tuple = msgpack.AppendUint(tuple, 1)
	ops := msgpack.AppendArrayHeader(nil, 1)
	ops = msgpack.AppendArrayHeader(ops, 3)
	ops = msgpack.AppendString(ops, "+")
	ops = msgpack.AppendUint(ops, 2)
	ops = msgpack.AppendUint(ops, 1)
	rt.execute(L, &box.Request{Type: reqUpsert, SpaceID: spaceTruncateID, Tuple: tuple, Ops: ops, IndexBase: 1})
	return 0
}

const spaceTruncateID = 330

// checkTupleArg encodes argument n (a table or a tuple) as a tuple.
func (rt *Runtime) checkTupleArg(L *lua.LState, n int) []byte {
	data, _ := rt.tupleArg(L, n, nil)
	return data
}

// tupleArg is checkTupleArg appending a table's encoding to buf; encoded
// tells whether the bytes are that encoding (else they are a tuple's own
// bytes, which must not be written to).
func (rt *Runtime) tupleArg(L *lua.LState, n int, buf []byte) (data []byte, encoded bool) {
	v := L.Get(n)
	switch x := v.(type) {
	case *lua.LTable:
		b, err := luaconv.Encode(buf, x)
		if err != nil {
			rt.raise(L, err)
		}
		if msgpack.TypeOf(b) != msgpack.Array {
			rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
		}
		return b, true
	case *lua.LUserData:
		if lt, ok := x.Value.(*luaTuple); ok {
			return lt.t.Data(), false
		}
	}
	rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
	return nil, false
}

// checkKeyArg encodes argument n as a key: nil is the empty key, a scalar
// is a one-part key, a table or tuple is taken as it is.
func (rt *Runtime) checkKeyArg(L *lua.LState, n int) []byte {
	v := L.Get(n)
	if luaconv.IsNULL(v) {
		return []byte{0x90} // box.NULL is no key, as nil
	}
	switch x := v.(type) {
	case *lua.LNilType:
		return []byte{0x90}
	case *lua.LTable:
		b, err := luaconv.Encode(nil, x)
		if err != nil {
			rt.raise(L, err)
		}
		if msgpack.TypeOf(b) != msgpack.Array {
			// A map key is an error in Tarantool too.
			rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
		}
		return b
	case *lua.LUserData:
		if lt, ok := x.Value.(*luaTuple); ok {
			return lt.t.Data()
		}
	}
	b, err := luaconv.Encode(msgpack.AppendArrayHeader(nil, 1), v)
	if err != nil {
		rt.raise(L, err)
	}
	return b
}

// encodeValue encodes any Lua value.
func (rt *Runtime) encodeValue(L *lua.LState, v lua.LValue) ([]byte, error) {
	return luaconv.Encode(nil, v)
}

// encodeArray encodes a Lua table that must become an array.
func (rt *Runtime) encodeArray(L *lua.LState, t *lua.LTable) ([]byte, error) {
	b, err := luaconv.Encode(nil, t)
	if err != nil {
		return nil, err
	}
	if msgpack.TypeOf(b) != msgpack.Array {
		return nil, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	return b, nil
}

// encodeArgs encodes stack values from..to as a msgpack array.
func (rt *Runtime) encodeArgs(L *lua.LState, from, to int) ([]byte, error) {
	n := max(to-from+1, 0)
	b := msgpack.AppendArrayHeader(nil, uint32(n))
	var err error
	for i := from; i <= to; i++ {
		if b, err = luaconv.Encode(b, L.Get(i)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// System views (_vspace, _vindex, ...) hold no tuples of their own: box
// reads them from their source spaces and filters by the session's
// privileges, so Lua reads of a view go through box.Select.

func (rt *Runtime) viewSelect(L *lua.LState, sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte, limit uint32) ([]*memtx.Tuple, error) {
	return rt.Box.Select(rt.session(L), &box.Request{Type: reqSelect, SpaceID: sp.ID, IndexID: ix.Def().ID,
		Key: key, Iterator: typ, Limit: limit})
}

func (rt *Runtime) viewFirst(L *lua.LState, sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte) (*memtx.Tuple, error) {
	res, err := rt.viewSelect(L, sp, ix, typ, key, 1)
	if err != nil || len(res) == 0 {
		return nil, err
	}
	return res[0], nil
}

// sliceIterator iterates a materialized result.
type sliceIterator struct{ ts []*memtx.Tuple }

func (it *sliceIterator) Next() *memtx.Tuple {
	if len(it.ts) == 0 {
		return nil
	}
	t := it.ts[0]
	it.ts = it.ts[1:]
	return t
}

func (rt *Runtime) viewIterator(L *lua.LState, sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte) (memtx.Iterator, error) {
	res, err := rt.viewSelect(L, sp, ix, typ, key, 0xFFFFFFFF)
	if err != nil {
		return nil, err
	}
	return &sliceIterator{res}, nil
}
