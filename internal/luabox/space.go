package luabox

import (
	"strings"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
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
	objRef        int // the space object (a table), stable across schema changes
	format        *tupleFormat
	onReplace     []int // trigger functions: registry refs, run first to last
	beforeReplace []int
}

func (rt *Runtime) openSpaces() {
	L := rt.L
	L.CreateTable(0, 24)
	spaceMethods := L.GetTop()
	L.CreateTable(0, 16)
	indexMethods := L.GetTop()
	// Methods that exist on both spaces (acting on the primary index) and
	// indexes; isSpace tells which kind of object self is.
	shared := map[string]func(L lua.State, isSpace bool) int{
		"update": rt.indexUpdate,
		"delete": rt.indexDelete,
		"get":    rt.indexGet,
		"select": rt.indexSelect,
		"pairs":  rt.indexPairs,
		"count":  rt.indexCount,
		"len":    rt.indexLen,
		"bsize":  rt.indexBsize,
		"min":    func(L lua.State, isSpace bool) int { return rt.indexMinMax(L, isSpace, false) },
		"max":    func(L lua.State, isSpace bool) int { return rt.indexMinMax(L, isSpace, true) },
	}
	for name, fn := range shared {
		fn := fn
		L.PushFunction(func(L lua.State) int { return fn(L, true) })
		L.RawSetField(spaceMethods, name)
		L.PushFunction(func(L lua.State) int { return fn(L, false) })
		L.RawSetField(indexMethods, name)
	}
	L.SetFuncs(spaceMethods, map[string]lua.Function{
		"insert":         func(L lua.State) int { return rt.spaceWrite(L, reqInsert) },
		"replace":        func(L lua.State) int { return rt.spaceWrite(L, reqReplace) },
		"put":            func(L lua.State) int { return rt.spaceWrite(L, reqReplace) },
		"upsert":         rt.spaceUpsert,
		"truncate":       rt.spaceTruncate,
		"on_replace":     func(L lua.State) int { return rt.spaceTrigger(L, false) },
		"before_replace": func(L lua.State) int { return rt.spaceTrigger(L, true) },
	})
	L.PushFunction(rt.indexRandom)
	L.RawSetField(indexMethods, "random")

	L.CreateTable(0, 1)
	L.PushValue(spaceMethods)
	L.RawSetField(-2, "__index")
	rt.spaceMTRef = L.Ref()
	L.CreateTable(0, 1)
	L.PushValue(indexMethods)
	L.RawSetField(-2, "__index")
	rt.indexMTRef = L.Ref()

	L.PushRef(rt.boxRef)
	boxT := L.GetTop()
	L.RawGetField(boxT, "internal")
	L.PushValue(spaceMethods)
	L.RawSetField(-2, "space_mt_index")
	L.PushValue(indexMethods)
	L.RawSetField(-2, "index_mt_index")
	L.Pop(1)
	L.NewTable()
	L.PushValue(-1)
	rt.spaceTableRef = L.Ref()
	L.RawSetField(boxT, "space")
	L.NewTable()
	for _, it := range []string{"EQ", "REQ", "ALL", "LT", "LE", "GE", "GT", "BITS_ALL_SET", "BITS_ANY_SET", "BITS_ALL_NOT_SET", "OVERLAPS", "NEIGHBOR"} {
		t, _ := memtx.ParseIterType(it)
		L.PushNumber(float64(t))
		L.RawSetField(-2, it)
	}
	L.RawSetField(boxT, "index")
	L.SetTop(spaceMethods - 1)
}

// Refresh brings box.space up to date with the catalog after a schema
// change. Space objects keep their identity across changes, as in
// Tarantool, so `local s = box.space.x` stays usable after create_index.
func (rt *Runtime) Refresh() {
	defer rt.refreshSequences()
	defer rt.refreshFuncs()
	b := rt.Box
	if b == nil || b.SchemaVersion() == rt.seenSchema {
		return
	}
	rt.seenSchema = b.SchemaVersion()
	L := rt.L
	top := L.GetTop()
	defer L.SetTop(top)
	live := make(map[uint32]bool)
	// Clear and refill box.space: names may have changed.
	L.PushRef(rt.spaceTableRef)
	spaces := L.GetTop()
	L.NewTable()
	keys, nkeys := L.GetTop(), 0
	L.PushNil()
	for L.Next(spaces) {
		L.Pop(1)
		L.PushValue(-1)
		nkeys++
		L.RawSetI(keys, nkeys)
	}
	for i := 1; i <= nkeys; i++ {
		L.RawGetI(keys, i)
		L.PushNil()
		L.RawSet(spaces)
	}
	for _, sp := range b.Spaces() {
		live[sp.ID] = true
		st := rt.spaceStates[sp.ID]
		if st == nil {
			L.NewTable()
			L.PushRef(rt.spaceMTRef)
			L.SetMetatable(-2)
			st = &spaceState{objRef: L.Ref()}
			rt.spaceStates[sp.ID] = st
		}
		st.format.release(L)
		st.format = rt.newTupleFormat(sp.Format())
		L.PushRef(st.objRef)
		o := L.GetTop()
		L.PushNumber(float64(sp.ID))
		L.RawSetField(o, "id")
		L.PushString(sp.Name)
		L.RawSetField(o, "name")
		L.PushString(sp.Engine)
		L.RawSetField(o, "engine")
		L.PushNumber(float64(sp.FieldCount))
		L.RawSetField(o, "field_count")
		L.PushBool(sp.Temporary)
		L.RawSetField(o, "temporary")
		L.PushBool(sp.IsLocal)
		L.RawSetField(o, "is_local")
		L.PushBool(sp.Primary() != nil)
		L.RawSetField(o, "enabled")
		L.PushBool(false)
		L.RawSetField(o, "is_sync")
		L.NewTable()
		for _, ix := range sp.Indexes() {
			rt.pushIndexObject(L, sp, ix)
			L.PushValue(-1)
			L.RawSetI(-3, int(ix.Def().ID))
			L.RawSetField(-2, ix.Def().Name)
		}
		L.RawSetField(o, "index")
		L.PushValue(o)
		L.RawSetI(spaces, int(sp.ID))
		L.RawSetField(spaces, sp.Name)
	}
	for id, st := range rt.spaceStates {
		if !live[id] {
			st.format.release(L)
			L.Unref(st.objRef)
			for _, r := range st.onReplace {
				L.Unref(r)
			}
			for _, r := range st.beforeReplace {
				L.Unref(r)
			}
			delete(rt.spaceStates, id)
		}
	}
}

func (rt *Runtime) pushIndexObject(L lua.State, sp *box.Space, ix *memtx.Index) {
	def := ix.Def()
	L.CreateTable(0, 8)
	o := L.GetTop()
	L.PushRef(rt.indexMTRef)
	L.SetMetatable(o)
	L.PushNumber(float64(def.ID))
	L.RawSetField(o, "id")
	L.PushString(def.Name)
	L.RawSetField(o, "name")
	L.PushNumber(float64(sp.ID))
	L.RawSetField(o, "space_id")
	L.PushBool(def.Unique)
	L.RawSetField(o, "unique")
	typ := "TREE"
	if def.Type == memtx.IndexHash {
		typ = "HASH"
	}
	L.PushString(typ)
	L.RawSetField(o, "type")
	L.CreateTable(len(def.Key.Parts), 0)
	for i, p := range def.Key.Parts {
		L.CreateTable(0, 4)
		L.PushNumber(float64(p.FieldNo + 1))
		L.RawSetField(-2, "fieldno")
		L.PushString(p.Type.String())
		L.RawSetField(-2, "type")
		L.PushBool(p.IsNullable)
		L.RawSetField(-2, "is_nullable")
		if p.Collation != "" {
			L.PushString(p.Collation)
			L.RawSetField(-2, "collation")
		}
		L.RawSetI(-2, i+1)
	}
	L.RawSetField(o, "parts")
}

// selfIDs reads the space id (and index id) from a space or index object
// passed as self.
func (rt *Runtime) selfIDs(L lua.State, isSpace bool) (spaceID, indexID uint32) {
	misuse := "Use index:method(...) instead of index.method(...)"
	if isSpace {
		misuse = "Use space:method(...) instead of space.method(...)"
	}
	if !L.IsTable(1) {
		L.Errorf("%s", misuse)
	}
	if isSpace {
		L.RawGetField(1, "id")
		if L.Type(-1) != lua.TypeNumber {
			L.Errorf("%s", misuse)
		}
		id := uint32(L.ToNumber(-1))
		L.Pop(1)
		return id, 0
	}
	L.RawGetField(1, "space_id")
	L.RawGetField(1, "id")
	if L.Type(-1) != lua.TypeNumber || L.Type(-2) != lua.TypeNumber {
		L.Errorf("%s", misuse)
	}
	sid, iid := uint32(L.ToNumber(-2)), uint32(L.ToNumber(-1))
	L.Pop(2)
	return sid, iid
}

// lookupIndex finds the live space and index behind self.
func (rt *Runtime) lookupIndex(L lua.State, isSpace bool) (*box.Space, *memtx.Index) {
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
func (rt *Runtime) execute(L lua.State, req *box.Request) *memtx.Tuple {
	b := rt.requireBox(L)
	fc := rt.ctx()
	if fc.Sess == nil {
		fc.Sess = b.AdminSession()
	}
	t, err := b.Execute(fc.Sess, fc.Txn, req)
	rt.Refresh()
	if err != nil {
		rt.raise(L, err)
	}
	return t
}

func (rt *Runtime) spaceWrite(L lua.State, typ uint16) int {
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
	rt.pushTuple(L, t, rt.formatOf(sid))
	return 1
}

func (rt *Runtime) spaceUpsert(L lua.State) int {
	sid, _ := rt.selfIDs(L, true)
	data, _ := rt.tupleArg(L, 2, nil)
	ops, err := L.Encode(nil, 3, nil)
	if err != nil {
		return rt.raise(L, err)
	}
	rt.execute(L, &box.Request{Type: reqUpsert, SpaceID: sid, Tuple: data, Ops: ops, IndexBase: 1})
	return 0
}

func (rt *Runtime) indexUpdate(L lua.State, isSpace bool) int {
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	ops, err := L.Encode(nil, 3, nil)
	if err != nil {
		return rt.raise(L, err)
	}
	t := rt.execute(L, &box.Request{Type: reqUpdate, SpaceID: sid, IndexID: iid, Key: key, Tuple: ops, IndexBase: 1})
	return rt.pushTupleOrNothing(L, t, sid)
}

func (rt *Runtime) indexDelete(L lua.State, isSpace bool) int {
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	t := rt.execute(L, &box.Request{Type: reqDelete, SpaceID: sid, IndexID: iid, Key: key})
	return rt.pushTupleOrNothing(L, t, sid)
}

// checkRead checks the session's read access to sp.
func (rt *Runtime) checkRead(L lua.State, sp *box.Space) {
	if err := rt.Box.CheckAccess(rt.session(), "space", sp.ID, box.AccessRead); err != nil {
		rt.raise(L, err)
	}
}

func (rt *Runtime) indexGet(L lua.State, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.Box.Collect(reqSelect) // box_index_get counts a select
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	var t *memtx.Tuple
	var err error
	if sp.IsView() {
		t, err = rt.viewFirst(sp, ix, memtx.IterEQ, key)
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
func (rt *Runtime) iterOpts(L lua.State, n int, key []byte) (it memtx.IterType, offset, limit uint32) {
	it, limit = memtx.IterEQ, 0xFFFFFFFF
	itIdx := 0
	top := L.GetTop()
	defer L.SetTop(top)
	switch L.Type(n) {
	case lua.TypeTable:
		L.RawGetField(n, "iterator")
		itIdx = L.GetTop()
		L.RawGetField(n, "limit")
		if L.Type(-1) == lua.TypeNumber {
			limit = uint32(L.ToNumber(-1))
		}
		L.RawGetField(n, "offset")
		if L.Type(-1) == lua.TypeNumber {
			offset = uint32(L.ToNumber(-1))
		}
	case lua.TypeString, lua.TypeNumber:
		itIdx = n
	}
	switch {
	case itIdx != 0 && L.Type(itIdx) == lua.TypeString:
		s, _ := L.ToString(itIdx)
		t, ok := memtx.ParseIterType(strings.ToUpper(s))
		if !ok {
			rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, s)
		}
		it = t
	case itIdx != 0 && L.Type(itIdx) == lua.TypeNumber:
		it = memtx.IterType(L.ToNumber(itIdx))
	default:
		if len(key) <= 1 { // empty key: EQ means everything, as ALL
			it = memtx.IterALL
		}
	}
	return it, offset, limit
}

func (rt *Runtime) indexSelect(L lua.State, isSpace bool) int {
	b := rt.requireBox(L)
	sid, iid := rt.selfIDs(L, isSpace)
	key := rt.checkKeyArg(L, 2)
	it, offset, limit := rt.iterOpts(L, 3, key)
	res, err := b.Select(rt.session(), &box.Request{Type: reqSelect, SpaceID: sid, IndexID: iid,
		Key: key, Iterator: it, Offset: offset, Limit: limit})
	if err != nil {
		return rt.raise(L, err)
	}
	f := rt.formatOf(sid)
	L.CreateTable(len(res), 0)
	for i, t := range res {
		rt.pushTuple(L, t, f)
		L.RawSetI(-2, i+1)
	}
	return 1
}

func (rt *Runtime) indexPairs(L lua.State, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.Box.Collect(reqSelect) // box_index_iterator counts a select
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	typ, _, _ := rt.iterOpts(L, 3, key)
	var it memtx.Iterator
	var err error
	if sp.IsView() {
		it, err = rt.viewIterator(sp, ix, typ, key)
	} else {
		it, err = ix.Iterator(typ, key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	return rt.pushIterator(L, it, sp.ID, key)
}

func (rt *Runtime) indexCount(L lua.State, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	typ, _, _ := rt.iterOpts(L, 3, key)
	var n int
	var err error
	if sp.IsView() {
		var res []*memtx.Tuple
		res, err = rt.viewSelect(sp, ix, typ, key, 0xFFFFFFFF)
		n = len(res)
	} else {
		n, err = ix.Count(typ, key)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	L.PushNumber(float64(n))
	return 1
}

func (rt *Runtime) indexLen(L lua.State, isSpace bool) int {
	_, ix := rt.lookupIndex(L, isSpace)
	L.PushNumber(float64(ix.Len()))
	return 1
}

func (rt *Runtime) indexBsize(L lua.State, isSpace bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	if isSpace {
		L.PushNumber(float64(sp.Bsize()))
	} else {
		L.PushNumber(float64(ix.Bsize()))
	}
	return 1
}

func (rt *Runtime) indexMinMax(L lua.State, isSpace, isMax bool) int {
	sp, ix := rt.lookupIndex(L, isSpace)
	rt.checkRead(L, sp)
	key := rt.checkKeyArg(L, 2)
	var t *memtx.Tuple
	var err error
	switch {
	case sp.IsView() && isMax:
		t, err = rt.viewFirst(sp, ix, memtx.IterLE, key)
	case sp.IsView():
		t, err = rt.viewFirst(sp, ix, memtx.IterGE, key)
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

func (rt *Runtime) indexRandom(L lua.State) int {
	sp, ix := rt.lookupIndex(L, false)
	rt.checkRead(L, sp)
	seed, _ := L.ToInt64(2)
	return rt.pushTupleOrNothing(L, ix.Random(uint64(seed)), sp.ID)
}

// pushTupleOrNothing pushes t, or nothing at all when t is nil: 2.6's get,
// delete, update, min and max return no value for a missing tuple.
func (rt *Runtime) pushTupleOrNothing(L lua.State, t *memtx.Tuple, sid uint32) int {
	if t == nil {
		return 0
	}
	rt.pushTuple(L, t, rt.formatOf(sid))
	return 1
}

// spaceTruncate truncates through _truncate as Tarantool 2.6 does, so the
// operation is logged and replicated like any DDL.
func (rt *Runtime) spaceTruncate(L lua.State) int {
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

// tupleArg encodes argument n (a table or a tuple) as a tuple, appending
// a table's encoding to buf; encoded tells whether the bytes are that
// encoding (else they are a view of a tuple's own bytes, which must not
// be written to or kept).
func (rt *Runtime) tupleArg(L lua.State, n int, buf []byte) (data []byte, encoded bool) {
	switch L.Type(n) {
	case lua.TypeTable:
		b, err := L.Encode(buf, n, nil)
		if err != nil {
			rt.raise(L, err)
		}
		if msgpack.TypeOf(b) != msgpack.Array {
			rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
		}
		return b, true
	case lua.TypeUserdata:
		if data, ok := L.TupleData(n); ok {
			return data, false
		}
	}
	rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
	return nil, false
}

// checkKeyArg encodes argument n as a key: nil is the empty key, a scalar
// is a one-part key, a table or tuple is taken as it is.
func (rt *Runtime) checkKeyArg(L lua.State, n int) []byte {
	switch L.Type(n) {
	case lua.TypeNone, lua.TypeNil:
		return []byte{0x90}
	case lua.TypeTable:
		b, err := L.Encode(nil, n, nil)
		if err != nil {
			rt.raise(L, err)
		}
		if msgpack.TypeOf(b) != msgpack.Array {
			// A map key is an error in Tarantool too.
			rt.raiseCode(L, boxerr.ER_TUPLE_NOT_ARRAY)
		}
		return b
	case lua.TypeUserdata:
		if data, ok := L.TupleData(n); ok {
			return data
		}
	case lua.TypeCdata:
		if L.IsNull(n) {
			return []byte{0x90} // box.NULL is no key, as nil
		}
	}
	b, err := L.Encode(msgpack.AppendArrayHeader(nil, 1), n, nil)
	if err != nil {
		rt.raise(L, err)
	}
	return b
}

// encodeArray encodes the Lua table at idx, which must become an array.
func (rt *Runtime) encodeArray(L lua.State, idx int) ([]byte, error) {
	b, err := L.Encode(nil, idx, nil)
	if err != nil {
		return nil, err
	}
	if msgpack.TypeOf(b) != msgpack.Array {
		return nil, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	return b, nil
}

// encodeArgs encodes stack values from..to as a msgpack array.
func (rt *Runtime) encodeArgs(L lua.State, from, to int) ([]byte, error) {
	n := max(to-from+1, 0)
	b := msgpack.AppendArrayHeader(nil, uint32(n))
	var err error
	for i := from; i <= to; i++ {
		if b, err = L.Encode(b, i, nil); err != nil {
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

func (rt *Runtime) viewSelect(sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte, limit uint32) ([]*memtx.Tuple, error) {
	return rt.Box.Select(rt.session(), &box.Request{Type: reqSelect, SpaceID: sp.ID, IndexID: ix.Def().ID,
		Key: key, Iterator: typ, Limit: limit})
}

func (rt *Runtime) viewFirst(sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte) (*memtx.Tuple, error) {
	res, err := rt.viewSelect(sp, ix, typ, key, 1)
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

func (rt *Runtime) viewIterator(sp *box.Space, ix *memtx.Index, typ memtx.IterType, key []byte) (memtx.Iterator, error) {
	res, err := rt.viewSelect(sp, ix, typ, key, 0xFFFFFFFF)
	if err != nil {
		return nil, err
	}
	return &sliceIterator{res}, nil
}
