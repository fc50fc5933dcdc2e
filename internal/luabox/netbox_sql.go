package luabox

import (
	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// SQL requests: execute, prepare and unprepare send 2.6's IPROTO_EXECUTE
// and IPROTO_PREPARE and decode their replies as net_box.c does. Spindle
// itself has no SQL (its server refuses these requests); they serve
// scripts that talk to Tarantool instances.

// Keys of the SQL column metadata and of SQL_INFO (iproto_constants.h,
// sql_info_key).
const (
	nbFieldName            = 0
	nbFieldType            = 1
	nbFieldColl            = 2
	nbFieldIsNullable      = 3
	nbFieldIsAutoincrement = 4
	nbFieldSpan            = 5

	nbSQLInfoRowCount         = 0
	nbSQLInfoAutoincrementIDs = 1
)

// sqlQuery encodes the statement of execute and prepare: a number is a
// prepared statement's id, anything else the SQL text.
func sqlQuery(bb *nbBody, L lua.State, idx int) {
	if L.Type(idx) == lua.TypeNumber {
		bb.uint(proto.KeyStmtID, uint64(uint32(int64(L.ToNumber(idx)))))
		return
	}
	bb.str(proto.KeySQLText, luaStringOrEmpty(L, idx))
}

// execute is execute(query, parameters, sql_opts, netbox_opts).
func (m *nbModule) execute(L lua.State) int {
	nc := m.conn(L, "execute")
	L.SetTop(5)
	if !L.IsNilOrNull(4) {
		return m.rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "execute", "options")
	}
	emptyIfNil(L, 3)
	emptyIfNil(L, 4)
	return m.request(L, nc, 5, nbReq{typ: proto.Execute, decode: nbDecodeExecute,
		encode: func(L lua.State) []byte {
			bb := newNBBody(3)
			sqlQuery(bb, L, 2)
			bb.raw(proto.KeySQLBind, m.encodeTuple(L, 3))
			bb.raw(proto.KeyOptions, m.encodeTuple(L, 4))
			return bb.b
		}})
}

// prepare is prepare(query, parameters, sql_opts, netbox_opts).
func (m *nbModule) prepare(L lua.State) int {
	nc := m.conn(L, "prepare")
	L.SetTop(5)
	if L.Type(2) != lua.TypeString {
		return m.rt.raiseCode(L, boxerr.ER_SQL_PREPARE, "expected string as SQL statement")
	}
	if !L.IsNilOrNull(4) {
		return m.rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "prepare", "options")
	}
	return m.request(L, nc, 5, nbReq{typ: proto.Prepare, decode: nbDecodePrepare,
		encode: func(L lua.State) []byte {
			bb := newNBBody(1)
			sqlQuery(bb, L, 2)
			return bb.b
		}})
}

// unprepare is unprepare(stmt_id, parameters, sql_opts, netbox_opts): a
// PREPARE request with the statement's id.
func (m *nbModule) unprepare(L lua.State) int {
	nc := m.conn(L, "unprepare")
	L.SetTop(5)
	if L.Type(2) != lua.TypeNumber {
		// 2.6 calls box.error with a string, which box.error refuses.
		L.RaiseString("builtin/box/net_box.lua:1281: box.error(): bad arguments")
	}
	if !L.IsNilOrNull(4) {
		return m.rt.raiseCode(L, boxerr.ER_UNSUPPORTED, "unprepare", "options")
	}
	return m.request(L, nc, 5, nbReq{typ: proto.Prepare, decode: nbDecodeNil,
		encode: func(L lua.State) []byte {
			bb := newNBBody(1)
			sqlQuery(bb, L, 2)
			return bb.b
		}})
}

// emptyIfNil replaces nil at idx with {} (`x or {}`).
func emptyIfNil(L lua.State, idx int) {
	if !L.ToBool(idx) {
		L.CreateTable(0, 0)
		L.Replace(idx)
	}
}

// decodeSQL is decode_execute and decode_prepare: it pushes the result
// of a SQL reply. execute gives the SQL_INFO table of a statement that
// changes data ({row_count, autoincrement_ids}), else {metadata, rows};
// prepare gives {stmt_id, param_count, params[, metadata]}.
func (m *nbModule) decodeSQL(L lua.State, resp client.Response, prepare bool) *boxerr.Error {
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	body := resp.Body
	if err := msgpack.Validate(body); err != nil || msgpack.TypeOf(body) != msgpack.Map {
		return bad
	}
	top := L.GetTop()
	var rows, meta, info, stmtID, bindMeta, bindCount int
	cnt, pos, _ := msgpack.ReadMapHeader(body)
	for i := uint32(0); i < cnt; i++ {
		key, n, kerr := msgpack.ReadUint(body[pos:])
		if kerr != nil {
			n, _ = msgpack.Skip(body[pos:])
		}
		pos += n
		vn, _ := msgpack.Skip(body[pos:])
		v := body[pos : pos+vn]
		pos += vn
		if kerr != nil {
			continue
		}
		var err *boxerr.Error
		switch uint8(key) {
		case proto.KeyData:
			err, rows = m.pushRows(L, v), L.GetTop()
		case proto.KeyMetadata:
			err, meta = pushSQLMetadata(L, v), L.GetTop()
		case proto.KeyBindMetadata:
			err, bindMeta = pushSQLMetadata(L, v), L.GetTop()
		case proto.KeySQLInfo:
			err, info = pushSQLInfo(L, v), L.GetTop()
		case proto.KeyStmtID, proto.KeyBindCount:
			u, _, rerr := msgpack.ReadUint(v)
			if rerr != nil {
				err = bad
				break
			}
			L.PushUint64(u)
			if key == proto.KeyStmtID {
				stmtID = L.GetTop()
			} else {
				bindCount = L.GetTop()
			}
		}
		if err != nil {
			L.SetTop(top)
			return err
		}
	}
	set := func(t, idx int, name string) {
		if idx != 0 {
			L.PushValue(idx)
			L.RawSetField(t, name)
		}
	}
	switch {
	case prepare:
		L.CreateTable(0, 4)
		t := L.GetTop()
		set(t, stmtID, "stmt_id")
		set(t, bindCount, "param_count")
		set(t, bindMeta, "params")
		set(t, meta, "metadata")
	case info != 0:
		L.PushValue(info)
	default:
		L.CreateTable(0, 2)
		t := L.GetTop()
		set(t, meta, "metadata")
		set(t, rows, "rows")
	}
	L.Replace(top + 1)
	L.SetTop(top + 1)
	return nil
}

// pushRows pushes the DATA of a SELECT as a table of tuples.
func (m *nbModule) pushRows(L lua.State, v []byte) *boxerr.Error {
	resp := client.Response{Body: append([]byte{0x81, proto.KeyData}, v...)}
	return m.decodeValue(L, nbDecodeSelect, resp, 0)
}

// pushSQLMetadata pushes column metadata: a table per column with name
// and type, and collation, is_nullable, is_autoincrement and span when
// the server sends them (a span sent as nil is the name).
func pushSQLMetadata(L lua.State, v []byte) *boxerr.Error {
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	cnt, pos, err := msgpack.ReadArrayHeader(v)
	if err != nil {
		return bad
	}
	top := L.GetTop()
	L.CreateTable(int(min(cnt, 1024)), 0)
	for i := uint32(0); i < cnt; i++ {
		fields, n, err := msgpack.ReadMapHeader(v[pos:])
		if err != nil {
			L.SetTop(top)
			return bad
		}
		pos += n
		L.CreateTable(0, int(min(fields, 8)))
		col := L.GetTop()
		spanIsName := false
		for j := uint32(0); j < fields; j++ {
			key, n, err := msgpack.ReadUint(v[pos:])
			if err != nil {
				L.SetTop(top)
				return bad
			}
			pos += n
			vn, _ := msgpack.Skip(v[pos:])
			val := v[pos : pos+vn]
			pos += vn
			name := ""
			switch key {
			case nbFieldName:
				name = "name"
			case nbFieldType:
				name = "type"
			case nbFieldColl:
				name = "collation"
			case nbFieldIsNullable:
				name = "is_nullable"
			case nbFieldIsAutoincrement:
				name = "is_autoincrement"
			case nbFieldSpan:
				name = "span"
				if msgpack.TypeOf(val) == msgpack.Nil {
					spanIsName = true
					continue
				}
			default:
				continue
			}
			if _, err := L.PushMsgpack(val, nil); err != nil {
				L.SetTop(top)
				return bad
			}
			L.RawSetField(col, name)
		}
		if spanIsName {
			L.RawGetField(col, "name")
			L.RawSetField(col, "span")
		}
		L.RawSetI(top+1, int(i)+1)
	}
	return nil
}

// pushSQLInfo pushes SQL_INFO as {row_count = n, autoincrement_ids =
// {...}}.
func pushSQLInfo(L lua.State, v []byte) *boxerr.Error {
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	cnt, pos, err := msgpack.ReadMapHeader(v)
	if err != nil {
		return bad
	}
	top := L.GetTop()
	L.CreateTable(0, 2)
	for i := uint32(0); i < cnt; i++ {
		key, n, err := msgpack.ReadUint(v[pos:])
		if err != nil {
			L.SetTop(top)
			return bad
		}
		pos += n
		vn, _ := msgpack.Skip(v[pos:])
		val := v[pos : pos+vn]
		pos += vn
		switch key {
		case nbSQLInfoRowCount:
			if _, err := L.PushMsgpack(val, nil); err != nil {
				L.SetTop(top)
				return bad
			}
			L.RawSetField(top+1, "row_count")
		case nbSQLInfoAutoincrementIDs:
			ids, n, err := msgpack.ReadArrayHeader(val)
			if err != nil {
				L.SetTop(top)
				return bad
			}
			L.CreateTable(int(min(ids, 1024)), 0)
			for j := uint32(0); j < ids; j++ {
				rest, err := L.PushMsgpack(val[n:], nil)
				if err != nil {
					L.SetTop(top)
					return bad
				}
				n = len(val) - len(rest)
				L.RawSetI(-2, int(j)+1)
			}
			L.RawSetField(top+1, "autoincrement_ids")
		}
	}
	return nil
}
