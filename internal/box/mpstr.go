package box

import (
	"strconv"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/xrow"
)

// MsgpackString formats one MessagePack value as msgpuck's mp_snprint
// does for log lines and messages: [1, "a"], {"k": 2}, null, true.
// Bytes that are not valid MessagePack end the text with "<invalid>";
// the function never panics.
func MsgpackString(b []byte) string {
	out, _ := appendMsgpackString(nil, b, 0)
	return string(out)
}

// maxMsgpackDepth bounds the nesting the formatter follows (hostile
// input must not exhaust the stack).
const maxMsgpackDepth = 64

// appendMsgpackString appends the text of the value at the start of b and
// returns how many bytes it took (0 on invalid input).
func appendMsgpackString(out, b []byte, depth int) ([]byte, int) {
	if depth > maxMsgpackDepth {
		return append(out, "<invalid>"...), 0
	}
	switch msgpack.TypeOf(b) {
	case msgpack.Nil:
		if n, err := msgpack.ReadNil(b); err == nil {
			return append(out, "null"...), n
		}
	case msgpack.Bool:
		if v, n, err := msgpack.ReadBool(b); err == nil {
			return strconv.AppendBool(out, v), n
		}
	case msgpack.Uint:
		if v, n, err := msgpack.ReadUint(b); err == nil {
			return strconv.AppendUint(out, v, 10), n
		}
	case msgpack.Int:
		if v, n, err := msgpack.ReadInt(b); err == nil {
			return strconv.AppendInt(out, v, 10), n
		}
	case msgpack.Float, msgpack.Double:
		if v, n, err := msgpack.ReadFloat(b); err == nil {
			return strconv.AppendFloat(out, v, 'g', 6, 64), n
		}
	case msgpack.Str:
		if v, n, err := msgpack.ReadStr(b); err == nil {
			out = append(out, '"')
			return append(append(out, v...), '"'), n
		}
	case msgpack.Bin:
		if v, n, err := msgpack.ReadBin(b); err == nil {
			out = append(out, '"')
			return append(append(out, v...), '"'), n
		}
	case msgpack.Ext:
		if typ, data, n, err := msgpack.ReadExt(b); err == nil {
			// A decimal prints as its text (2.6's mp_snprint_decimal).
			if typ == decimal.MPDecimal {
				if d, err := decimal.Unpack(data); err == nil {
					return d.Append(out), n
				}
			}
			out = append(out, "(extension: type "...)
			out = strconv.AppendInt(out, int64(typ), 10)
			out = append(out, ", len "...)
			out = strconv.AppendInt(out, int64(len(data)), 10)
			return append(out, ')'), n
		}
	case msgpack.Array:
		cnt, n, err := msgpack.ReadArrayHeader(b)
		if err != nil {
			break
		}
		out = append(out, '[')
		for i := uint32(0); i < cnt; i++ {
			if i > 0 {
				out = append(out, ", "...)
			}
			var m int
			if out, m = appendMsgpackString(out, b[n:], depth+1); m == 0 {
				return out, 0
			}
			n += m
		}
		return append(out, ']'), n
	case msgpack.Map:
		cnt, n, err := msgpack.ReadMapHeader(b)
		if err != nil {
			break
		}
		out = append(out, '{')
		for i := uint32(0); i < cnt; i++ {
			if i > 0 {
				out = append(out, ", "...)
			}
			var m int
			if out, m = appendMsgpackString(out, b[n:], depth+1); m == 0 {
				return out, 0
			}
			n += m
			out = append(out, ": "...)
			if out, m = appendMsgpackString(out, b[n:], depth+1); m == 0 {
				return out, 0
			}
			n += m
		}
		return append(out, '}'), n
	}
	return append(out, "<invalid>"...), 0
}

// requestTypeName is iproto_type_name for the DML types.
func requestTypeName(t uint16) string {
	switch t {
	case reqSelect:
		return "SELECT"
	case reqInsert:
		return "INSERT"
	case reqReplace:
		return "REPLACE"
	case reqUpdate:
		return "UPDATE"
	case reqDelete:
		return "DELETE"
	case reqUpsert:
		return "UPSERT"
	case reqNop:
		return "NOP"
	}
	return "unknown"
}

// RowString is 2.6's request_str for a DML row, as the applier logs a row
// it failed to apply: {type: 'INSERT', replica_id: 1, lsn: 7, space_id:
// 512, index_id: 0, tuple: [1, "a"]}.
func RowString(row *xrow.Row) string {
	out := []byte("{type: '")
	out = append(out, requestTypeName(row.Type)...)
	out = append(out, "', replica_id: "...)
	out = strconv.AppendUint(out, uint64(row.ReplicaID), 10)
	out = append(out, ", lsn: "...)
	out = strconv.AppendInt(out, row.LSN, 10)
	r, err := xrow.DecodeDML(row, 0)
	if err != nil {
		return string(append(out, "}"...))
	}
	out = append(out, ", space_id: "...)
	out = strconv.AppendUint(out, uint64(r.SpaceID), 10)
	out = append(out, ", index_id: "...)
	out = strconv.AppendUint(out, uint64(r.IndexID), 10)
	for _, p := range []struct {
		name string
		v    []byte
	}{{"key", r.Key}, {"tuple", r.Tuple}, {"ops", r.Ops}} {
		if p.v != nil {
			out = append(out, ", "+p.name+": "...)
			out, _ = appendMsgpackString(out, p.v, 0)
		}
	}
	return string(append(out, '}'))
}
