package luabox

import (
	"errors"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/proto"
)

// Positions of 2.6's errors for a buffer given to the index methods that
// decode their reply themselves.
const (
	nbGetBufferWhere   = "builtin/box/net_box.lua:1527: "
	nbMinBufferWhere   = "builtin/box/net_box.lua:1538: "
	nbMaxBufferWhere   = "builtin/box/net_box.lua:1549: "
	nbCountBufferWhere = "builtin/box/net_box.lua:1560: "
)

// fetchSchema is iproto_schema_sm: it loads _vspace, _vindex and (from
// peers of 2.2.1 on) _vcollation, installs them in conn.space and runs
// the on_schema_reload triggers. A failure of the connection goes
// through errorSM (nc.cc is then no longer cc); it returns false, with
// the error on top of the stack, when the install or a trigger raises.
func (nc *nbConn) fetchSchema(L lua.State, f *fiber.Fiber, cc *client.Conn) bool {
	version, raw, err := nc.loadSchema(f, cc)
	if nc.cc != cc {
		return true // closed meanwhile
	}
	if err != nil {
		// Replies that came before the failure reach their requests
		// first, as 2.6's schema state machine dispatches every reply it
		// reads.
		if !nc.dispatch(L) {
			return false
		}
		code, msg := transportError(err)
		return nc.errorSM(L, code, msg)
	}
	top := L.GetTop()
	L.PushRef(nc.m.luaRef)
	L.RawGetField(-1, "install_schema")
	L.Remove(-2)
	nc.pushRemote(L)
	if !L.IsTable(-1) {
		L.SetTop(top)
		return true // collected: the connection is being closed
	}
	L.PushNumber(float64(version))
	for i, r := range raw {
		if r == nil {
			if i < 2 {
				L.CreateTable(0, 0) // a reply without DATA: no rows
			} else {
				L.PushNil()
			}
			continue
		}
		if _, err := L.PushMsgpack(r, nil); err != nil {
			L.SetTop(top)
			L.PushString(err.Error())
			return false
		}
	}
	L.PushRef(nc.spaceMTRef)
	L.PushRef(nc.indexMTRef)
	if !L.PCallValue(7, 0) {
		return false
	}
	nc.schemaVersion = version
	return nc.runTriggers(L, nbOnSchemaReload)
}

// loadSchema fetches the schema views without the baton, retrying while
// DDL changes the schema version between the replies. raw holds their
// DATA (nil for _vcollation when the peer has none).
func (nc *nbConn) loadSchema(f *fiber.Fiber, cc *client.Conn) (uint32, [3][]byte, error) {
	withColl := cc.Greeting().VersionID >= 2<<16|2<<8|1
	for attempt := 0; ; attempt++ {
		var raw [3][]byte
		var version uint32
		var err error
		f.Block(func() {
			for i, id := range []uint32{nbVSpaceID, nbVIndexID, nbVCollationID} {
				if i == 2 && !withColl {
					break
				}
				body := nbSelectBody(id, 0, 2 /* ALL */, 0, 0xFFFFFFFF, []byte{0x90})
				var resp client.Response
				resp, err = cc.Do(nc.ctx, client.TypeSelect, body)
				if err != nil {
					var ce *client.Error
					if i == 2 && errors.As(err, &ce) && ce.Code == uint32(boxerr.ER_NO_SUCH_SPACE) {
						withColl, err = false, nil
						break
					}
					return
				}
				if i == 0 {
					version = resp.SchemaVersion
				} else if resp.SchemaVersion != version {
					version = 0
				}
				if raw[i], err = dataOf(resp); err != nil {
					return
				}
				if raw[i] == nil && i == 2 {
					raw[i] = []byte{0x90}
				}
			}
		})
		if err != nil {
			var ce *client.Error
			if errors.As(err, &ce) {
				// A refused schema query fails the connection (2.6's
				// error_sm(E_NO_CONNECTION, message)).
				return 0, raw, &boxerr.Error{Code: boxerr.ER_NO_CONNECTION, Type: "ClientError", Message: ce.Message}
			}
			return 0, raw, err
		}
		if nc.cc != cc {
			return 0, raw, nil
		}
		if version == 0 && attempt < 100 {
			continue
		}
		return version, raw, nil
	}
}

// spaceMetatable makes nc's space metatable (2.6's space_metatable):
// methods that close over the connection.
func (m *nbModule) spaceMetatable(L lua.State, nc *nbConn) {
	write := func(method string, typ uint32) lua.Function {
		return func(L lua.State) int {
			m.checkSpaceArg(L, method)
			L.SetTop(3)
			m.field(L, 1, "_format_cdata")
			m.field(L, 1, "id")
			return m.request(L, nc, 3, nbReq{typ: typ, decode: nbDecodeTuple, fmtIdx: 4,
				encode: func(L lua.State) []byte {
					return newNBBody(2).
						uint(proto.KeySpaceID, uint64(luaUint32(L, 5))).
						raw(proto.KeyTuple, m.encodeTuple(L, 2)).b
				}})
		}
	}
	viaPrimary := func(method string, impl func(L lua.State, nc *nbConn) int) lua.Function {
		return func(L lua.State) int {
			m.checkSpaceArg(L, method)
			m.primary(L)
			L.Replace(1)
			return impl(L, nc)
		}
	}
	L.CreateTable(0, 2)
	L.CreateTable(0, 8)
	L.SetFuncs(-1, map[string]lua.Function{
		"insert":  write("insert", client.TypeInsert),
		"replace": write("replace", client.TypeReplace),
		"select":  viaPrimary("select", m.indexSelect),
		"get": viaPrimary("get", func(L lua.State, nc *nbConn) int {
			return m.indexGet(L, nc, "get")
		}),
		"delete": viaPrimary("delete", m.indexDelete),
		"update": viaPrimary("update", m.indexUpdate),
		"upsert": func(L lua.State) int {
			m.checkSpaceArg(L, "upsert")
			L.SetTop(4)
			m.field(L, 1, "id")
			n := m.request(L, nc, 4, nbReq{typ: client.TypeUpsert, decode: nbDecodeNil,
				encode: func(L lua.State) []byte {
					ops := m.encodeTuple(L, 3)
					tuple := m.encodeTuple(L, 2)
					return newNBBody(4).
						uint(proto.KeySpaceID, uint64(luaUint32(L, 5))).
						uint(proto.KeyIndexBase, 1).
						raw(proto.KeyOps, ops).
						raw(proto.KeyTuple, tuple).b
				}})
			return nothingOrData(L, n)
		},
		"format": func(L lua.State) int {
			if L.IsNoneOrNil(2) {
				m.field(L, 1, "_format")
				return 1
			}
			return m.rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "net.box", "setting space format")
		},
	})
	L.RawSetField(-2, "__index")
	L.PushBool(false)
	L.RawSetField(-2, "__metatable")
	nc.spaceMTRef = L.Ref()
}

// indexMetatable makes nc's index metatable (2.6's index_metatable).
func (m *nbModule) indexMetatable(L lua.State, nc *nbConn) {
	wrap := func(method string, impl func(L lua.State, nc *nbConn) int) lua.Function {
		return func(L lua.State) int {
			m.checkIndexArg(L, method)
			return impl(L, nc)
		}
	}
	L.CreateTable(0, 2)
	L.CreateTable(0, 8)
	L.SetFuncs(-1, map[string]lua.Function{
		"select": wrap("select", m.indexSelect),
		"get": wrap("get", func(L lua.State, nc *nbConn) int {
			return m.indexGet(L, nc, "get")
		}),
		"min": wrap("min", func(L lua.State, nc *nbConn) int {
			return m.indexGet(L, nc, "min")
		}),
		"max": wrap("max", func(L lua.State, nc *nbConn) int {
			return m.indexGet(L, nc, "max")
		}),
		"count":  wrap("count", m.indexCount),
		"delete": wrap("delete", m.indexDelete),
		"update": wrap("update", m.indexUpdate),
	})
	L.RawSetField(-2, "__index")
	L.PushBool(false)
	L.RawSetField(-2, "__metatable")
	nc.indexMTRef = L.Ref()
}

// field pushes t[name] for the table at idx, with metamethods, raising
// what they raise.
func (m *nbModule) field(L lua.State, idx int, name string) {
	if err := L.GetField(idx, name); err != nil {
		m.raiseErr(L, err)
	}
}

// checkSpaceArg is check_space_arg: self must be a table with an id.
func (m *nbModule) checkSpaceArg(L lua.State, method string) {
	if L.IsTable(1) {
		m.field(L, 1, "id")
		ok := !L.IsNil(-1)
		L.Pop(1)
		if ok {
			return
		}
	}
	L.RaiseString(nbSpaceArgWhere + "Use space:" + method + "(...) instead of space." + method + "(...)")
}

// checkIndexArg is check_index_arg: self must be a table with an id.
func (m *nbModule) checkIndexArg(L lua.State, method string) {
	if L.IsTable(1) {
		m.field(L, 1, "id")
		ok := !L.IsNil(-1)
		L.Pop(1)
		if ok {
			return
		}
	}
	L.RaiseString(nbIndexArgWhere + "Use index:" + method + "(...) instead of index." + method + "(...)")
}

// primary is check_primary_index: it pushes space.index[0] of the space
// at 1, or raises NO_SUCH_INDEX_ID.
func (m *nbModule) primary(L lua.State) {
	m.field(L, 1, "index")
	if L.IsTable(-1) {
		L.PushNumber(0)
		if err := L.GetTable(-2); err != nil {
			m.raiseErr(L, err)
		}
		L.Remove(-2)
		if !L.IsNil(-1) {
			return
		}
	}
	L.Pop(1)
	m.field(L, 1, "name")
	name := m.rt.tostring(L, -1)
	m.rt.raiseCode(L, boxerr.ER_NO_SUCH_INDEX_ID, 0, name)
}

// indexIDs pushes, for the index at 1, its space's format table, its
// space's id and its own id (self.space._format_cdata, self.space.id,
// self.id) and returns their indexes.
func (m *nbModule) indexIDs(L lua.State) (fmtIdx, spaceIdx, indexIdx int) {
	m.field(L, 1, "space")
	sp := L.GetTop()
	if !L.IsTable(sp) {
		L.RaiseString("builtin/box/net_box.lua: attempt to index field 'space' (a " + L.TypeName(sp) + " value)")
	}
	m.field(L, sp, "_format_cdata")
	m.field(L, sp, "id")
	L.Remove(sp)
	m.field(L, 1, "id")
	top := L.GetTop()
	return top - 2, top - 1, top
}

// nothingOrData is nothing_or_data for a request that pushed n values:
// one nil becomes no value at all.
func nothingOrData(L lua.State, n int) int {
	if n == 1 && L.IsNil(-1) {
		L.Pop(1)
		return 0
	}
	return n
}

// iteratorType is check_iterator_type: opts.iterator (a number or a
// name), opts itself when it is a name, else ALL for a nil or empty key
// and EQ for any other.
func (m *nbModule) iteratorType(L lua.State, optsIdx int, keyIsNil bool) uint32 {
	byName := func(idx int) uint32 {
		name, _ := L.ToString(idx)
		it, ok := proto.ParseIterator(name)
		if !ok {
			m.rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, name)
		}
		return uint32(it)
	}
	if L.ToBool(optsIdx) {
		m.field(L, optsIdx, "iterator")
		defer L.Pop(1)
		switch L.Type(-1) {
		case lua.TypeNil:
		case lua.TypeNumber:
			return uint32(int64(L.ToNumber(-1)))
		case lua.TypeString:
			return byName(L.GetTop())
		default:
			if L.ToBool(-1) {
				m.rt.raiseCode(L, boxerr.ER_ITERATOR_TYPE, m.rt.tostring(L, -1))
			}
		}
		if L.Type(optsIdx) == lua.TypeString {
			return byName(optsIdx)
		}
	}
	if keyIsNil {
		return uint32(proto.IterAll)
	}
	return uint32(proto.IterEQ)
}

// optNumber is tonumber(opts and opts.name) or def.
func (m *nbModule) optNumber(L lua.State, optsIdx int, name string, def uint32) uint32 {
	if !L.ToBool(optsIdx) {
		return def
	}
	m.field(L, optsIdx, name)
	defer L.Pop(1)
	if v, ok := luaToNumber(L, -1); ok {
		return uint32(int64(v))
	}
	return def
}

// indexSelect is index:select(key, opts): a table of tuples.
func (m *nbModule) indexSelect(L lua.State, nc *nbConn) int {
	L.SetTop(3)
	keyIsNil := L.IsNilOrNull(2) || L.IsTable(2) && L.ObjLen(2) == 0
	iter := m.iteratorType(L, 3, keyIsNil)
	offset := m.optNumber(L, 3, "offset", 0)
	limit := m.optNumber(L, 3, "limit", 0xFFFFFFFF)
	fmtIdx, sp, ix := m.indexIDs(L)
	n := m.request(L, nc, 3, nbReq{typ: client.TypeSelect, decode: nbDecodeSelect, fmtIdx: fmtIdx,
		encode: func(L lua.State) []byte {
			return nbSelectBody(luaUint32(L, sp), luaUint32(L, ix), iter, offset, limit, m.encodeKey(L, 2))
		}})
	L.SetTop(L.GetTop() - n + 1) // (remote:_request(...)): one value
	return 1
}

// indexGet is index:get, min and max: one tuple or nothing; get fails
// with MORE_THAN_ONE_TUPLE (and, as in 2.6, an empty message) when the
// key matches several tuples.
func (m *nbModule) indexGet(L lua.State, nc *nbConn, method string) int {
	L.SetTop(3)
	iter, limit, where := proto.IterEQ, uint32(2), nbGetBufferWhere
	switch method {
	case "min":
		iter, limit, where = proto.IterGE, 1, nbMinBufferWhere
	case "max":
		iter, limit, where = proto.IterLE, 1, nbMaxBufferWhere
	}
	m.refuseBuffer(L, where, method)
	fmtIdx, sp, ix := m.indexIDs(L)
	return nothingOrData(L, m.request(L, nc, 3, nbReq{typ: client.TypeSelect, decode: nbDecodeGet, fmtIdx: fmtIdx,
		encode: func(L lua.State) []byte {
			return nbSelectBody(luaUint32(L, sp), luaUint32(L, ix), uint32(iter), 0, limit, m.encodeKey(L, 2))
		}}))
}

// refuseBuffer raises 2.6's error for opts.buffer given to get, min, max
// or count.
func (m *nbModule) refuseBuffer(L lua.State, where, method string) {
	if L.ToBool(3) {
		m.field(L, 3, "buffer")
		if L.ToBool(-1) {
			L.RaiseString(where + "index:" + method + "() doesn't support `buffer` argument")
		}
		L.Pop(1)
	}
}

// indexCount is index:count(key, opts), which 2.6 runs as a call of
// box.space.<space>.index.<index>:count with {key, opts} on the server.
func (m *nbModule) indexCount(L lua.State, nc *nbConn) int {
	L.SetTop(3)
	m.refuseBuffer(L, nbCountBufferWhere, "count")
	m.field(L, 1, "space")
	if !L.IsTable(-1) {
		L.RaiseString("builtin/box/net_box.lua: attempt to index field 'space' (a " + L.TypeName(-1) + " value)")
	}
	m.field(L, -1, "name")
	spaceName := m.rt.tostring(L, -1)
	L.Pop(2)
	m.field(L, 1, "name")
	name := "box.space." + spaceName + ".index." + m.rt.tostring(L, -1) + ":count"
	L.Pop(1)
	L.CreateTable(2, 0)
	L.PushValue(2)
	L.RawSetI(-2, 1)
	L.PushValue(3)
	L.RawSetI(-2, 2)
	args := L.GetTop()
	return m.request(L, nc, 3, nbReq{typ: client.TypeCall, decode: nbDecodeCount,
		encode: m.callBody(proto.KeyFunctionName, name, args)})
}

// indexDelete is index:delete(key, opts): the deleted tuple or nothing.
func (m *nbModule) indexDelete(L lua.State, nc *nbConn) int {
	L.SetTop(3)
	fmtIdx, sp, ix := m.indexIDs(L)
	return nothingOrData(L, m.request(L, nc, 3, nbReq{typ: client.TypeDelete, decode: nbDecodeTuple, fmtIdx: fmtIdx,
		encode: func(L lua.State) []byte {
			return newNBBody(3).
				uint(proto.KeySpaceID, uint64(luaUint32(L, sp))).
				uint(proto.KeyIndexID, uint64(luaUint32(L, ix))).
				raw(proto.KeyKey, m.encodeKey(L, 2)).b
		}}))
}

// indexUpdate is index:update(key, ops, opts): the new tuple or nothing.
// Field numbers in ops count from 1 (INDEX_BASE).
func (m *nbModule) indexUpdate(L lua.State, nc *nbConn) int {
	L.SetTop(4)
	fmtIdx, sp, ix := m.indexIDs(L)
	return nothingOrData(L, m.request(L, nc, 4, nbReq{typ: client.TypeUpdate, decode: nbDecodeTuple, fmtIdx: fmtIdx,
		encode: func(L lua.State) []byte {
			ops := m.encodeTuple(L, 3)
			key := m.encodeKey(L, 2)
			return newNBBody(5).
				uint(proto.KeySpaceID, uint64(luaUint32(L, sp))).
				uint(proto.KeyIndexID, uint64(luaUint32(L, ix))).
				uint(proto.KeyIndexBase, 1).
				raw(proto.KeyTuple, ops).
				raw(proto.KeyKey, key).b
		}}))
}
