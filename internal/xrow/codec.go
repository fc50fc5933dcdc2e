package xrow

import (
	"encoding/binary"
	"math"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Request types the codec itself must know (enum iproto_type). The full
// list lives in package proto.
const (
	typeSelect  = 1
	typeInsert  = 2
	typeReplace = 3
	typeUpdate  = 4
	typeDelete  = 5
	typeUpsert  = 9
	typeNop     = 12
)

// Header and body keys (enum iproto_key).
const (
	keyRequestType   = 0x00
	keySync          = 0x01
	keyReplicaID     = 0x02
	keyLSN           = 0x03
	keyTimestamp     = 0x04
	keySchemaVersion = 0x05
	keyGroupID       = 0x07
	keyTSN           = 0x08
	keyFlags         = 0x09

	keySpaceID   = 0x10
	keyIndexID   = 0x11
	keyLimit     = 0x12
	keyOffset    = 0x13
	keyIterator  = 0x14
	keyIndexBase = 0x15
	keyKey       = 0x20
	keyTuple     = 0x21
	keyOps       = 0x28
	keyTupleMeta = 0x2a

	// keyMax is IPROTO_KEY_MAX in 2.6.0: decoders reject keys at or above it.
	keyMax = 0x53
)

// FlagCommit marks the last row of a multi-row transaction (IPROTO_FLAGS).
const FlagCommit = 0x01

// HeaderLenMax bounds an encoded header (XROW_HEADER_LEN_MAX).
const HeaderLenMax = 52

// keyType is iproto_key_type: the MessagePack type each key's value must
// have. Keys 0x2c..0x52 are zero in Tarantool's table, i.e. MP_NIL.
var keyType = func() [keyMax]msgpack.Type {
	var t [keyMax]msgpack.Type
	for k := 0; k < keyMax; k++ {
		t[k] = msgpack.Nil
	}
	for k := 0x00; k <= 0x15; k++ {
		t[k] = msgpack.Uint
	}
	for k := 0x16; k <= 0x1f; k++ {
		t[k] = msgpack.Uint
	}
	t[keyTimestamp] = msgpack.Double
	t[0x20], t[0x21], t[0x22], t[0x23] = msgpack.Array, msgpack.Array, msgpack.Str, msgpack.Str
	t[0x24], t[0x25], t[0x26], t[0x27] = msgpack.Str, msgpack.Str, msgpack.Map, msgpack.Str
	t[0x28], t[0x29], t[0x2a], t[0x2b] = msgpack.Array, msgpack.Map, msgpack.Map, msgpack.Map
	return t
}()

func errHeader() error { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet header") }
func errBody() error   { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body") }

// EncodeHeader appends r's header map to dst, compact as
// xrow_header_encode writes it. forXlog omits Sync (rows in files never
// carry it); otherwise Sync is written when non-zero.
func EncodeHeader(dst []byte, r *Row, forXlog bool) []byte {
	start := len(dst)
	dst = append(dst, 0x80) // fixmap; at most 8 entries, patched below
	n := byte(1)
	dst = append(dst, keyRequestType)
	dst = msgpack.AppendUint(dst, uint64(r.Type))
	if r.Sync != 0 && !forXlog {
		dst = append(dst, keySync)
		dst = msgpack.AppendUint(dst, r.Sync)
		n++
	}
	if r.ReplicaID != 0 {
		dst = append(dst, keyReplicaID)
		dst = msgpack.AppendUint(dst, uint64(r.ReplicaID))
		n++
	}
	if r.GroupID != 0 {
		dst = append(dst, keyGroupID)
		dst = msgpack.AppendUint(dst, uint64(r.GroupID))
		n++
	}
	if r.LSN != 0 {
		dst = append(dst, keyLSN)
		dst = msgpack.AppendUint(dst, uint64(r.LSN))
		n++
	}
	if r.Timestamp != 0 {
		dst = append(dst, keyTimestamp)
		dst = msgpack.AppendFloat64(dst, r.Timestamp)
		n++
	}
	// TSN and FLAGS are omitted for one-row transactions (tsn == lsn,
	// commit) and for rows outside transactions (tsn == 0: snapshot rows,
	// heartbeats), which therefore decode as tsn = lsn, commit. The delta is
	// computed in uint64 so that a local row (lsn from vclock[0]) of a
	// global transaction wraps exactly as Tarantool's does.
	if r.TSN != 0 {
		if r.TSN != r.LSN || !r.IsCommit {
			dst = append(dst, keyTSN)
			dst = msgpack.AppendUint(dst, uint64(r.LSN)-uint64(r.TSN))
			n++
		}
		if r.IsCommit && r.TSN != r.LSN {
			dst = append(dst, keyFlags, FlagCommit)
			n++
		}
	}
	dst[start] = 0x80 | n
	return dst
}

// EncodeRow appends the header and, if present, the body. A NOP row must
// have no body: xlog readers never look for one.
func EncodeRow(dst []byte, r *Row, forXlog bool) []byte {
	dst = EncodeHeader(dst, r, forXlog)
	return append(dst, r.Body...)
}

// AppendPacket appends r as one IPROTO packet of the replication stream
// (xrow_to_iovec): a 0xce u32 length, the header with Sync, then the body.
func AppendPacket(dst []byte, r *Row) []byte {
	start := len(dst)
	dst = append(dst, 0xce, 0, 0, 0, 0)
	dst = EncodeRow(dst, r, false)
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-5))
	return dst
}

// fixint reads the positive fixint at b[pos:] - every key, and most
// values, Tarantool writes - and returns it with its size, 0 for anything
// else (readUint then reads it). It is split off so that it inlines:
// msgpack.ReadUint does not, and BenchmarkDecodeRow took 75-100 ns through
// it against 50-58 ns with the fixint reads inline.
func fixint(b []byte, pos int) (uint64, int) {
	if pos < len(b) && b[pos] <= 0x7f {
		return uint64(b[pos]), 1
	}
	return 0, 0
}

// readUint reads the unsigned integer at the start of b and returns it
// with its size, 0 when b does not start with one.
func readUint(b []byte) (uint64, int) {
	if msgpack.TypeOf(b) != msgpack.Uint {
		return 0, 0
	}
	v, n, err := msgpack.ReadUint(b)
	if err != nil {
		return 0, 0
	}
	return v, n
}

// DecodeHeader decodes the header map at the start of b into r, resetting
// every field of r (Body included), and returns its size.
func DecodeHeader(b []byte, r *Row) (int, error) {
	*r = Row{}
	// Every key and value is read with its bounds checked, so a malformed
	// header fails in the loop without a validating pass first.
	if msgpack.TypeOf(b) != msgpack.Map {
		return 0, errHeader()
	}
	size, pos, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return 0, errHeader()
	}
	hasTSN := false
	var tsnDelta uint64
	for i := uint32(0); i < size; i++ {
		key, n := fixint(b, pos)
		if n == 0 {
			if key, n = readUint(b[pos:]); n == 0 {
				return 0, errHeader()
			}
		}
		pos += n
		if key >= keyMax || keyType[key] != msgpack.TypeOf(b[pos:]) {
			return 0, errHeader()
		}
		if key == keyTimestamp {
			f, n, err := msgpack.ReadFloat(b[pos:])
			if err != nil {
				return 0, errHeader()
			}
			r.Timestamp = f
			pos += n
			continue
		}
		if keyType[key] != msgpack.Uint {
			n, err := msgpack.Skip(b[pos:])
			if err != nil {
				return 0, errHeader()
			}
			pos += n
			continue
		}
		v, n := fixint(b, pos)
		if n == 0 {
			if v, n = readUint(b[pos:]); n == 0 {
				return 0, errHeader()
			}
		}
		pos += n
		switch key {
		case keyRequestType:
			if v > math.MaxUint16 {
				return 0, errHeader()
			}
			r.Type = uint16(v)
		case keySync:
			r.Sync = v
		case keyReplicaID:
			if v > math.MaxUint32 {
				return 0, errHeader()
			}
			r.ReplicaID = uint32(v)
		case keyGroupID:
			if v > math.MaxUint32 {
				return 0, errHeader()
			}
			r.GroupID = uint32(v)
		case keyLSN:
			if v > math.MaxInt64 {
				return 0, errHeader()
			}
			r.LSN = int64(v)
		case keySchemaVersion:
			r.SchemaVersion = v
		case keyTSN:
			hasTSN = true
			tsnDelta = v
		case keyFlags:
			r.IsCommit = v&FlagCommit != 0
		}
	}
	if !hasTSN {
		// No TSN: a one-row transaction, whatever FLAGS said.
		r.IsCommit = true
	}
	r.TSN = int64(uint64(r.LSN) - tsnDelta)
	return pos, nil
}

// DecodeRow decodes one row at the start of b: the header and, unless the
// row is a NOP or b ends after the header, the body map that follows
// (xrow_header_decode with end_is_exact = false, as the xlog reader calls
// it). It returns the bytes consumed; r.Body aliases b.
func DecodeRow(b []byte, r *Row) (int, error) {
	pos, err := DecodeHeader(b, r)
	if err != nil {
		return 0, err
	}
	if pos < len(b) && r.Type != typeNop {
		n, err := msgpack.Skip(b[pos:])
		if err != nil {
			return 0, errBody()
		}
		r.Body = b[pos : pos+n : pos+n]
		pos += n
	}
	return pos, nil
}

// DecodePacket decodes a row that must fill b exactly: the payload of one
// IPROTO packet after its length prefix (end_is_exact = true).
func DecodePacket(b []byte, r *Row) error {
	n, err := DecodeRow(b, r)
	if err != nil {
		return err
	}
	if n != len(b) {
		return errBody()
	}
	return nil
}
