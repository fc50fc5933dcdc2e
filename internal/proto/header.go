package proto

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/xrow"
)

func errHeader() error { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet header") }
func errBody() error   { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body") }

// DecodeHeader decodes one packet (as returned by ReadPacket) into a row:
// its header fields and its Body, following xrow_header_decode with
// end_is_exact, which is how iproto and appliers read the network:
//
//   - the header must be a valid msgpack map with uint keys below KeyMax
//     whose values have the type iproto_key_type lists; anything else is
//     ER_INVALID_MSGPACK "packet header". Unused keys with a value of the
//     right type are skipped.
//   - TSN travels as lsn - tsn; the returned Row.TSN is absolute. A row
//     without TSN is a one-row transaction and IsCommit is set; otherwise
//     IsCommit is the FLAGS commit bit.
//   - the body, if any, must be exactly one valid msgpack value ending at
//     the end of the packet, else "packet body". NOP rows take no body, so
//     a NOP with trailing bytes is "packet body" too.
//
// On error the returned row holds the header fields decoded before the
// fault (like Tarantool's partially filled xrow_header), so a server can
// still answer with the request's sync.
//
// Row.Type is 16 bits wide while the wire allows 32: larger values keep
// their low 16 bits. 2.6.0 dispatches on the low 8 bits anyway (see
// DecodeRequest). The schema version is truncated to 32 bits as in
// Tarantool. Row.Body aliases b.
func DecodeHeader(b []byte) (row xrow.Row, err error) {
	if _, err := msgpack.Skip(b); err != nil || msgpack.TypeOf(b) != msgpack.Map {
		return row, errHeader()
	}
	cnt, pos, _ := msgpack.ReadMapHeader(b)
	hasTSN := false
	var tsnDelta uint64
	for i := uint32(0); i < cnt; i++ {
		if msgpack.TypeOf(b[pos:]) != msgpack.Uint {
			return row, errHeader()
		}
		key, n, _ := msgpack.ReadUint(b[pos:])
		pos += n
		if key >= KeyMax || keyType[key] != msgpack.TypeOf(b[pos:]) {
			return row, errHeader()
		}
		// The whole header passed Skip, so values of the checked type
		// decode without error.
		switch key {
		case KeyRequestType:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.Type, pos = uint16(v), pos+n
		case KeySync:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.Sync, pos = v, pos+n
		case KeyReplicaID:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.ReplicaID, pos = uint32(v), pos+n
		case KeyGroupID:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.GroupID, pos = uint32(v), pos+n
		case KeyLSN:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.LSN, pos = int64(v), pos+n
		case KeyTimestamp:
			v, n, _ := msgpack.ReadFloat(b[pos:])
			row.Timestamp, pos = v, pos+n
		case KeySchemaVersion:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.SchemaVersion, pos = uint64(uint32(v)), pos+n
		case KeyTSN:
			v, n, _ := msgpack.ReadUint(b[pos:])
			hasTSN, tsnDelta, pos = true, v, pos+n
		case KeyFlags:
			v, n, _ := msgpack.ReadUint(b[pos:])
			row.IsCommit, pos = v&FlagCommit != 0, pos+n
		default:
			n, _ := msgpack.Skip(b[pos:])
			pos += n
		}
	}
	if !hasTSN {
		row.IsCommit = true
	}
	row.TSN = row.LSN - int64(tsnDelta)
	if pos < len(b) && row.Type != Nop {
		n, err := msgpack.Skip(b[pos:])
		if err != nil {
			return row, errBody()
		}
		row.Body = b[pos : pos+n]
		pos += n
	}
	if pos < len(b) {
		return row, errBody()
	}
	return row, nil
}

// Sizes of the fixed reply header iproto_header_encode writes.
const (
	// ReplyHeaderSize is the length prefix (5 bytes) plus the header map
	// {0x00: 0xce u32 type, 0x01: 0xcf u64 sync, 0x05: 0xce u32 schema}.
	ReplyHeaderSize = 28
	// DataHeaderSize is the {0x30: 0xdd u32 count} prefix of a DATA body.
	DataHeaderSize = 7
)

// PutReplyHeader writes a reply header into out[:ReplyHeaderSize];
// bodyLen is the size of the body that follows it.
func PutReplyHeader(out []byte, typ uint32, sync uint64, schemaVersion uint32, bodyLen int) {
	_ = out[ReplyHeaderSize-1]
	out[0] = 0xce
	putU32(out[1:], uint32(ReplyHeaderSize-5+bodyLen))
	out[5] = 0x83
	out[6] = KeyRequestType
	out[7] = 0xce
	putU32(out[8:], typ)
	out[12] = KeySync
	out[13] = 0xcf
	putU32(out[14:], uint32(sync>>32))
	putU32(out[18:], uint32(sync))
	out[22] = KeySchemaVersion
	out[23] = 0xce
	putU32(out[24:], schemaVersion)
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// AppendRequest appends a framed request packet {0: typ, 1: sync} + body
// as a client sends it. body must be one encoded msgpack map, or nil for
// requests without a body (PING, VOTE). The length prefix uses the fixed
// 0xce form, which lets callers frame before they know sizes.
func AppendRequest(dst []byte, typ uint32, sync uint64, body []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xce, 0, 0, 0, 0)
	dst = msgpack.AppendMapHeader(dst, 2)
	dst = msgpack.AppendUint(dst, KeyRequestType)
	dst = msgpack.AppendUint(dst, uint64(typ))
	dst = msgpack.AppendUint(dst, KeySync)
	dst = msgpack.AppendUint(dst, sync)
	dst = append(dst, body...)
	putU32(dst[start+1:], uint32(len(dst)-start-5))
	return dst
}
