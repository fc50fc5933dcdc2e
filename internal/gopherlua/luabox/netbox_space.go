package luabox

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// installSchema is _install_schema: conn.space gets one object per row of
// _vspace, keyed by id and name, with the indexes of _vindex. A space
// object keeps its identity across reloads (its fields are updated in
// place), so `local s = conn.space.x` stays usable after DDL.
func (nc *nbConn) installSchema(version uint32, spacesRaw, indexesRaw, collRaw []byte) error {
	rt := nc.rt
	L := rt.L
	decode := func(raw []byte) (*lua.LTable, error) {
		v, _, err := luaconv.Decode(L, raw)
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		return t, nil
	}
	spaces, err := decode(spacesRaw)
	if err != nil {
		return err
	}
	indexes, err := decode(indexesRaw)
	if err != nil {
		return err
	}
	var colls *lua.LTable
	if collRaw != nil {
		if colls, err = decode(collRaw); err != nil {
			return err
		}
	}
	old, _ := nc.obj.RawGetString("space").(*lua.LTable)
	sl := L.NewTable()
	formats := make(map[uint32]*tupleFormat)
	for i := 1; i <= spaces.Len(); i++ {
		row, ok := spaces.RawGetInt(i).(*lua.LTable)
		if !ok {
			continue
		}
		id := row.RawGetInt(1)
		if !nbValidID(id) {
			continue
		}
		var s *lua.LTable
		if old != nil {
			s, _ = old.RawGet(id).(*lua.LTable)
		}
		if s == nil {
			s = L.NewTable()
			L.SetMetatable(s, nc.spaceMT)
		}
		format := row.RawGetInt(7)
		if format == lua.LNil {
			format = L.NewTable()
		}
		s.RawSetString("id", id)
		s.RawSetString("name", row.RawGetInt(3))
		s.RawSetString("engine", row.RawGetInt(4))
		s.RawSetString("field_count", row.RawGetInt(5))
		s.RawSetString("enabled", lua.LTrue)
		s.RawSetString("index", L.NewTable())
		s.RawSetString("temporary", lua.LFalse)
		s.RawSetString("is_sync", lua.LFalse)
		s.RawSetString("_format", format)
		s.RawSetString("connection", nc.obj)
		if row.Len() > 5 {
			switch o := row.RawGetInt(6).(type) {
			case *lua.LTable:
				s.RawSetString("temporary", lua.LBool(lua.LVAsBool(o.RawGetString("temporary"))))
				s.RawSetString("is_sync", lua.LBool(lua.LVAsBool(o.RawGetString("is_sync"))))
			case lua.LString:
				s.RawSetString("temporary", lua.LBool(strings.Contains(string(o), "temporary")))
			}
		}
		if n, ok := id.(lua.LNumber); ok {
			formats[uint32(n)] = nbTupleFormat(format)
		}
		sl.RawSet(id, s)
		sl.RawSet(row.RawGetInt(3), s)
	}
	for i := 1; i <= indexes.Len(); i++ {
		row, ok := indexes.RawGetInt(i).(*lua.LTable)
		if !ok {
			continue
		}
		idx := L.NewTable()
		idx.RawSetString("space", row.RawGetInt(1))
		idx.RawSetString("id", row.RawGetInt(2))
		idx.RawSetString("name", row.RawGetInt(3))
		idx.RawSetString("type", lua.LString(strings.ToUpper(lua.LVAsString(row.RawGetInt(4)))))
		parts := L.NewTable()
		idx.RawSetString("parts", parts)
		switch opts := row.RawGetInt(5).(type) {
		case lua.LNumber:
			// The 1.6 layout: unique flag, part count, then field, type
			// pairs.
			idx.RawSetString("unique", lua.LBool(opts == 1))
			n := int(lua.LVAsNumber(row.RawGetInt(6)))
			n = max(0, min(n, (row.Len()-6)/2)) // only the parts present
			for k := 0; k < n; k++ {
				pk := L.NewTable()
				pk.RawSetString("type", row.RawGetInt(7+k*2+1))
				pk.RawSetString("fieldno", lua.LNumber(lua.LVAsNumber(row.RawGetInt(7+k*2))+1))
				parts.RawSetInt(k+1, pk)
			}
		default:
			if pt, ok := row.RawGetInt(6).(*lua.LTable); ok {
				for k := 1; k <= pt.Len(); k++ {
					p, ok := pt.RawGetInt(k).(*lua.LTable)
					if !ok {
						continue
					}
					typ := p.RawGetInt(2)
					if typ == lua.LNil {
						typ = p.RawGetString("type")
					}
					field := p.RawGetInt(1)
					if field == lua.LNil {
						field = p.RawGetString("field")
					}
					nullable := p.RawGetString("is_nullable")
					if nullable == lua.LNil {
						nullable = lua.LFalse
					}
					pk := L.NewTable()
					pk.RawSetString("type", typ)
					pk.RawSetString("fieldno", lua.LNumber(lua.LVAsNumber(field)+1))
					pk.RawSetString("is_nullable", nullable)
					collID := p.RawGetString("collation")
					if colls == nil {
						pk.RawSetString("collation_id", collID)
					} else if n, ok := collID.(lua.LNumber); ok {
						pk.RawSetString("collation", nbCollationName(colls, n))
					}
					parts.RawSetInt(k, pk)
				}
			}
			unique := lua.LFalse
			if o, ok := opts.(*lua.LTable); ok && lua.LVAsBool(o.RawGetString("unique")) {
				unique = lua.LTrue
			}
			idx.RawSetString("unique", unique)
		}
		if s, ok := sl.RawGet(row.RawGetInt(1)).(*lua.LTable); ok {
			ix := s.RawGetString("index").(*lua.LTable)
			ix.RawSet(row.RawGetInt(2), idx)
			ix.RawSet(row.RawGetInt(3), idx)
			idx.RawSetString("space", s)
			L.SetMetatable(idx, nc.indexMT)
		}
	}
	nc.schemaVersion = version
	nc.formats = formats
	nc.obj.RawSetString("schema_version", lua.LNumber(version))
	nc.obj.RawSetString("space", sl)
	return nil
}

// nbValidID reports whether v is a space id Tarantool can have
// (BOX_SPACE_MAX is 2^31-1). Note that gopher-lua stores an integer key
// below 2^26 in a table's array part, padding it with nils up to the key.
func nbValidID(v lua.LValue) bool {
	n, ok := v.(lua.LNumber)
	return ok && n >= 0 && n <= 0x7FFFFFFF && n == lua.LNumber(int64(n))
}

// nbCollationName finds a collation's name in the rows of _vcollation.
func nbCollationName(colls *lua.LTable, id lua.LNumber) lua.LValue {
	for i := 1; i <= colls.Len(); i++ {
		if row, ok := colls.RawGetInt(i).(*lua.LTable); ok && row.RawGetInt(1) == id {
			return row.RawGetInt(2)
		}
	}
	return lua.LNil
}

// nbTupleFormat takes the field names of a decoded space format.
func nbTupleFormat(format lua.LValue) *tupleFormat {
	ft, ok := format.(*lua.LTable)
	if !ok || ft.Len() == 0 {
		return nil
	}
	f := &tupleFormat{index: make(map[string]int)}
	for i := 1; i <= ft.Len(); i++ {
		name := ""
		if e, ok := ft.RawGetInt(i).(*lua.LTable); ok {
			name = lua.LVAsString(e.RawGetString("name"))
		}
		f.names = append(f.names, name)
		if _, dup := f.index[name]; !dup && name != "" {
			f.index[name] = i - 1
		}
	}
	return f
}

// nbSpaceArg is check_space_arg: self must be a space object.
func nbSpaceArg(L *lua.LState, method string) *lua.LTable {
	if t, ok := L.Get(1).(*lua.LTable); ok && t.RawGetString("id") != lua.LNil {
		return t
	}
	L.Error(lua.LString(fmt.Sprintf("%sUse space:%s(...) instead of space.%s(...)", nbSpaceArgWhere, method, method)), 0)
	return nil
}

// nbIndexArg is check_index_arg: self must be an index object.
func nbIndexArg(L *lua.LState, method string) *lua.LTable {
	if t, ok := L.Get(1).(*lua.LTable); ok && t.RawGetString("id") != lua.LNil {
		return t
	}
	L.Error(lua.LString(fmt.Sprintf("%sUse index:%s(...) instead of index.%s(...)", nbIndexArgWhere, method, method)), 0)
	return nil
}

// nbPrimary is check_primary_index: the space's index 0.
func (rt *Runtime) nbPrimary(L *lua.LState, space *lua.LTable) *lua.LTable {
	if ix, ok := space.RawGetString("index").(*lua.LTable); ok {
		if pk, ok := ix.RawGet(lua.LNumber(0)).(*lua.LTable); ok {
			return pk
		}
	}
	rt.raiseCode(L, boxerr.ER_NO_SUCH_INDEX_ID, 0, lua.LVAsString(space.RawGetString("name")))
	return nil
}

func nbU32(v lua.LValue) uint32 { return uint32(int64(lua.LVAsNumber(v))) }

// nbSpaceMT builds the metatable of nc's space objects.
func (rt *Runtime) nbSpaceMT(nc *nbConn) *lua.LTable {
	L := rt.L
	methods := L.NewTable()
	write := func(method string, typ uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			s := nbSpaceArg(L, method)
			id := nbU32(s.RawGetString("id"))
			body := newNBBody(2).
				uint(proto.KeySpaceID, uint64(id)).
				raw(proto.KeyTuple, rt.nbEncodeTuple(L, L.Get(2))).b
			resp, fut := nc.request(L, L.Get(3), typ, body, nbDecodeTuple, nc.formats[id])
			if fut != nil {
				L.Push(fut)
				return 1
			}
			L.Push(nbFirst(rt.nbTuples(L, resp, nc.formats[id])))
			return 1
		}
	}
	viaPrimary := func(method string, impl func(L *lua.LState, nc *nbConn, idx *lua.LTable) int) lua.LGFunction {
		return func(L *lua.LState) int {
			s := nbSpaceArg(L, method)
			L.Replace(1, rt.nbPrimary(L, s))
			return impl(L, nc, L.Get(1).(*lua.LTable))
		}
	}
	for k, fn := range map[string]lua.LGFunction{
		"insert":  write("insert", client.TypeInsert),
		"replace": write("replace", client.TypeReplace),
		"select":  viaPrimary("select", rt.nbIndexSelect),
		"get":     viaPrimary("get", func(L *lua.LState, nc *nbConn, idx *lua.LTable) int { return rt.nbIndexGet(L, nc, idx, "get") }),
		"delete":  viaPrimary("delete", rt.nbIndexDelete),
		"update":  viaPrimary("update", rt.nbIndexUpdate),
		"upsert": func(L *lua.LState) int {
			s := nbSpaceArg(L, "upsert")
			tuple := rt.nbEncodeTuple(L, L.Get(2))
			ops := rt.nbEncodeTuple(L, L.Get(3))
			body := newNBBody(4).
				uint(proto.KeySpaceID, uint64(nbU32(s.RawGetString("id")))).
				uint(proto.KeyIndexBase, 1).
				raw(proto.KeyOps, ops).
				raw(proto.KeyTuple, tuple).b
			if _, fut := nc.request(L, L.Get(4), client.TypeUpsert, body, nbDecodeNil, nil); fut != nil {
				L.Push(fut)
				return 1
			}
			return 0
		},
		"format": func(L *lua.LState) int {
			if L.Get(2) == lua.LNil {
				L.Push(L.GetField(L.Get(1), "_format"))
				return 1
			}
			return rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "net.box", "setting space format")
		},
	} {
		methods.RawSetString(k, L.NewFunction(fn))
	}
	mt := L.NewTable()
	mt.RawSetString("__index", methods)
	mt.RawSetString("__metatable", lua.LFalse)
	return mt
}

// nbIndexMT builds the metatable of nc's index objects.
func (rt *Runtime) nbIndexMT(nc *nbConn) *lua.LTable {
	L := rt.L
	methods := L.NewTable()
	wrap := func(method string, impl func(L *lua.LState, nc *nbConn, idx *lua.LTable) int) lua.LGFunction {
		return func(L *lua.LState) int { return impl(L, nc, nbIndexArg(L, method)) }
	}
	for k, fn := range map[string]lua.LGFunction{
		"select": wrap("select", rt.nbIndexSelect),
		"get": wrap("get", func(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
			return rt.nbIndexGet(L, nc, idx, "get")
		}),
		"min": wrap("min", func(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
			return rt.nbIndexGet(L, nc, idx, "min")
		}),
		"max": wrap("max", func(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
			return rt.nbIndexGet(L, nc, idx, "max")
		}),
		"count":  wrap("count", rt.nbIndexCount),
		"delete": wrap("delete", rt.nbIndexDelete),
		"update": wrap("update", rt.nbIndexUpdate),
	} {
		methods.RawSetString(k, L.NewFunction(fn))
	}
	mt := L.NewTable()
	mt.RawSetString("__index", methods)
	mt.RawSetString("__metatable", lua.LFalse)
	return mt
}

// nbIndexIDs returns the space and index ids of an index object.
func nbIndexIDs(idx *lua.LTable) (space, index uint32) {
	s, _ := idx.RawGetString("space").(*lua.LTable)
	if s != nil {
		space = nbU32(s.RawGetString("id"))
	}
	return space, nbU32(idx.RawGetString("id"))
}

// nbIterator is check_iterator_type: opts.iterator (a number or a name),
// opts itself when it is a name, else ALL for an empty key and EQ for
// any other.
func (rt *Runtime) nbIterator(L *lua.LState, opts lua.LValue, keyIsNil bool) uint32 {
	byName := func(name string) uint32 {
		it, ok := proto.ParseIterator(name)
		if !ok {
			rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, name)
		}
		return uint32(it)
	}
	switch o := opts.(type) {
	case *lua.LTable:
		switch it := L.GetField(o, "iterator").(type) {
		case *lua.LNilType:
		case lua.LNumber:
			return uint32(int64(it))
		case lua.LString:
			return byName(string(it))
		default:
			if it != lua.LFalse {
				rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, rt.tostring(L, it))
			}
		}
	case lua.LString:
		return byName(string(o))
	}
	if keyIsNil {
		return uint32(proto.IterAll)
	}
	return uint32(proto.IterEQ)
}

// nbOpt reads opts.name as a number (tonumber(opts and opts.name)).
func nbOpt(L *lua.LState, opts lua.LValue, name string, def uint32) uint32 {
	if t, ok := opts.(*lua.LTable); ok {
		if v, ok := toNumber(L.GetField(t, name)); ok {
			return uint32(int64(v))
		}
	}
	return def
}

// nbKeyIsNil is select's test for a key that selects everything: nil or
// an empty table.
func nbKeyIsNil(v lua.LValue) bool {
	if luaconv.IsNil(v) {
		return true
	}
	t, ok := v.(*lua.LTable)
	return ok && t.Len() == 0
}

// nbIndexSelect is index:select(key, opts): a table of tuples.
func (rt *Runtime) nbIndexSelect(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
	key, opts := L.Get(2), L.Get(3)
	iter := rt.nbIterator(L, opts, nbKeyIsNil(key))
	offset := nbOpt(L, opts, "offset", 0)
	limit := nbOpt(L, opts, "limit", 0xFFFFFFFF)
	sid, iid := nbIndexIDs(idx)
	body := nbSelectBody(sid, iid, iter, offset, limit, rt.nbEncodeKey(L, key))
	resp, fut := nc.request(L, opts, client.TypeSelect, body, nbDecodeSelect, nc.formats[sid])
	if fut != nil {
		L.Push(fut)
		return 1
	}
	t := L.NewTable()
	for _, v := range rt.nbTuples(L, resp, nc.formats[sid]) {
		t.Append(v)
	}
	L.Push(t)
	return 1
}

// nbIndexGet is index:get, min and max: one tuple or nothing; get fails
// with MORE_THAN_ONE_TUPLE (and, as in 2.6, an empty message) when the
// key matches several tuples.
func (rt *Runtime) nbIndexGet(L *lua.LState, nc *nbConn, idx *lua.LTable, method string) int {
	key, opts := L.Get(2), L.Get(3)
	iter, limit := proto.IterEQ, uint32(2)
	switch method {
	case "min":
		iter, limit = proto.IterGE, 1
	case "max":
		iter, limit = proto.IterLE, 1
	}
	sid, iid := nbIndexIDs(idx)
	body := nbSelectBody(sid, iid, uint32(iter), 0, limit, rt.nbEncodeKey(L, key))
	resp, fut := nc.request(L, opts, client.TypeSelect, body, nbDecodeGet, nc.formats[sid])
	if fut != nil {
		L.Push(fut)
		return 1
	}
	res := rt.nbTuples(L, resp, nc.formats[sid])
	if len(res) > 1 {
		return rt.raise(L, &boxerr.Error{Code: boxerr.ER_MORE_THAN_ONE_TUPLE, Type: "ClientError"})
	}
	if len(res) == 0 {
		return 0
	}
	L.Push(res[0])
	return 1
}

// nbIndexCount is index:count(key, opts), which 2.6 runs as a call of
// box.space.<space>.index.<index>:count on the server.
func (rt *Runtime) nbIndexCount(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
	key, opts := L.Get(2), L.Get(3)
	space, _ := idx.RawGetString("space").(*lua.LTable)
	var spaceName lua.LValue = lua.LNil
	if space != nil {
		spaceName = space.RawGetString("name")
	}
	fn := fmt.Sprintf("box.space.%s.index.%s:count", luaFmtS(spaceName), luaFmtS(idx.RawGetString("name")))
	// {key, opts} encodes as LuaJIT's table constructor leaves it: an
	// array up to the last non-nil value, so [nil, opts] keeps a nil key.
	vals := []lua.LValue{key, opts}
	for len(vals) > 0 && vals[len(vals)-1] == lua.LNil {
		vals = vals[:len(vals)-1]
	}
	args := msgpack.AppendArrayHeader(nil, uint32(len(vals)))
	for _, v := range vals {
		var err error
		if args, err = luaconv.EncodeL(L, args, v); err != nil {
			rt.raise(L, err)
		}
	}
	body := newNBBody(2).
		str(proto.KeyFunctionName, fn).
		raw(proto.KeyTuple, args).b
	resp, fut := nc.request(L, opts, client.TypeCall, body, nbDecodeCount, nil)
	if fut != nil {
		L.Push(fut)
		return 1
	}
	res := rt.nbData(L, resp)
	L.Push(nbFirst(res))
	return 1
}

// nbIndexDelete is index:delete(key, opts): the deleted tuple or nothing.
func (rt *Runtime) nbIndexDelete(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
	sid, iid := nbIndexIDs(idx)
	body := newNBBody(3).
		uint(proto.KeySpaceID, uint64(sid)).
		uint(proto.KeyIndexID, uint64(iid)).
		raw(proto.KeyKey, rt.nbEncodeKey(L, L.Get(2))).b
	resp, fut := nc.request(L, L.Get(3), client.TypeDelete, body, nbDecodeTuple, nc.formats[sid])
	if fut != nil {
		L.Push(fut)
		return 1
	}
	return nbPushSome(L, nbFirst(rt.nbTuples(L, resp, nc.formats[sid])))
}

// nbIndexUpdate is index:update(key, ops, opts): the new tuple or
// nothing. Field numbers in ops count from 1 (INDEX_BASE).
func (rt *Runtime) nbIndexUpdate(L *lua.LState, nc *nbConn, idx *lua.LTable) int {
	sid, iid := nbIndexIDs(idx)
	ops := rt.nbEncodeTuple(L, L.Get(3))
	key := rt.nbEncodeKey(L, L.Get(2))
	body := newNBBody(5).
		uint(proto.KeySpaceID, uint64(sid)).
		uint(proto.KeyIndexID, uint64(iid)).
		uint(proto.KeyIndexBase, 1).
		raw(proto.KeyTuple, ops).
		raw(proto.KeyKey, key).b
	resp, fut := nc.request(L, L.Get(4), client.TypeUpdate, body, nbDecodeTuple, nc.formats[sid])
	if fut != nil {
		L.Push(fut)
		return 1
	}
	return nbPushSome(L, nbFirst(rt.nbTuples(L, resp, nc.formats[sid])))
}

// nbFirst is the first value, or nil.
func nbFirst(vs []lua.LValue) lua.LValue {
	if len(vs) == 0 {
		return lua.LNil
	}
	return vs[0]
}

// nbPushSome is nothing_or_data: v, or no value at all for nil.
func nbPushSome(L *lua.LState, v lua.LValue) int {
	if v == lua.LNil {
		return 0
	}
	L.Push(v)
	return 1
}
