package xrow

import (
	"math/bits"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Request is a decoded DML body (Tarantool's struct request). Key, Tuple,
// Ops and TupleMeta are raw MessagePack values aliasing the row body; nil
// when absent. For UPDATE the operations travel in Tuple (IPROTO_TUPLE),
// for UPSERT in Ops; IndexBase is 1 when the request came from Lua.
type Request struct {
	Type      uint16
	SpaceID   uint32
	IndexID   uint32
	Offset    uint32
	Limit     uint32
	Iterator  uint32
	IndexBase uint32
	Key       []byte
	Tuple     []byte
	Ops       []byte
	TupleMeta []byte
}

// Bits of a required-key map: bit k stands for body key k.
func keyBit(k int) uint64 { return 1 << uint(k) }

// dmlBodyKeys is IPROTO_DML_BODY_BMAP: the keys a DML body decoder reads.
const dmlBodyKeys = 1<<keySpaceID | 1<<keyIndexID | 1<<keyLimit | 1<<keyOffset |
	1<<keyIterator | 1<<keyIndexBase | 1<<keyKey | 1<<keyTuple | 1<<keyOps | 1<<keyTupleMeta

// RequiredKeys returns the body keys a DML request of type typ must carry
// (dml_request_key_map): SELECT needs space, limit and key; INSERT and
// REPLACE space and tuple; UPDATE space, key and tuple; DELETE space and
// key; UPSERT space, ops and tuple; NOP nothing.
func RequiredKeys(typ uint16) uint64 {
	switch typ {
	case typeSelect:
		return keyBit(keySpaceID) | keyBit(keyLimit) | keyBit(keyKey)
	case typeInsert, typeReplace:
		return keyBit(keySpaceID) | keyBit(keyTuple)
	case typeUpdate:
		return keyBit(keySpaceID) | keyBit(keyKey) | keyBit(keyTuple)
	case typeDelete:
		return keyBit(keySpaceID) | keyBit(keyKey)
	case typeUpsert:
		return keyBit(keySpaceID) | keyBit(keyOps) | keyBit(keyTuple)
	}
	return 0
}

// keyNames is iproto_key_strs for the keys a DML decoder can report
// missing.
var keyNames = map[int]string{
	keySpaceID: "space id", keyIndexID: "index id", keyLimit: "limit",
	keyOffset: "offset", keyIterator: "iterator", keyIndexBase: "index base",
	keyKey: "key", keyTuple: "tuple", keyOps: "operations", keyTupleMeta: "tuple meta",
}

// AppendDMLBody appends req's body map as xrow_encode_dml writes it into
// the WAL: only non-zero ids and present values, in the order space id,
// index id, index base, key, ops, tuple meta, tuple. It appends nothing when
// every field is empty (Tarantool then writes no body).
func AppendDMLBody(dst []byte, req *Request) []byte {
	n := 0
	if req.SpaceID != 0 {
		n++
	}
	if req.IndexID != 0 {
		n++
	}
	if req.IndexBase != 0 {
		n++
	}
	for _, v := range [][]byte{req.Key, req.Ops, req.TupleMeta, req.Tuple} {
		if v != nil {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	dst = msgpack.AppendMapHeader(dst, uint32(n))
	if req.SpaceID != 0 {
		dst = append(dst, keySpaceID)
		dst = msgpack.AppendUint(dst, uint64(req.SpaceID))
	}
	if req.IndexID != 0 {
		dst = append(dst, keyIndexID)
		dst = msgpack.AppendUint(dst, uint64(req.IndexID))
	}
	if req.IndexBase != 0 {
		dst = append(dst, keyIndexBase)
		dst = msgpack.AppendUint(dst, uint64(req.IndexBase))
	}
	if req.Key != nil {
		dst = append(append(dst, keyKey), req.Key...)
	}
	if req.Ops != nil {
		dst = append(append(dst, keyOps), req.Ops...)
	}
	if req.TupleMeta != nil {
		dst = append(append(dst, keyTupleMeta), req.TupleMeta...)
	}
	if req.Tuple != nil {
		dst = append(append(dst, keyTuple), req.Tuple...)
	}
	return dst
}

// AppendSnapshotInsertBody appends the body of a snapshot (and JOIN) row:
// {0x10: space_id as 0xce u32, 0x21: tuple}, the fixed layout of
// Tarantool's request_replace_body. tuple is the raw MessagePack array.
func AppendSnapshotInsertBody(dst []byte, spaceID uint32, tuple []byte) []byte {
	dst = append(dst, 0x82, keySpaceID)
	dst = msgpack.AppendUint32(dst, spaceID)
	dst = append(dst, keyTuple)
	return append(dst, tuple...)
}

// DecodeDML decodes r's body as a DML request (xrow_decode_dml). required
// is a key map (see RequiredKeys); a missing key is
// ER_MISSING_REQUEST_FIELD naming the lowest missing key, malformed bodies
// are ER_INVALID_MSGPACK "packet body" or "packet end". Keys outside the
// DML set are skipped. Integer ids are truncated to 32 bits as Tarantool
// does.
func DecodeDML(r *Row, required uint64) (Request, error) {
	req := Request{Type: r.Type}
	data := r.Body
	if len(data) > 0 {
		if msgpack.TypeOf(data) != msgpack.Map {
			return Request{}, errBody()
		}
		size, pos, err := msgpack.ReadMapHeader(data)
		if err != nil {
			return Request{}, errBody()
		}
		for i := uint32(0); i < size; i++ {
			// Like iproto_dml_body_has_key, look at the raw first
			// byte: only a positive fixint key can be a DML key.
			if pos >= len(data) || data[pos] >= keyMax || dmlBodyKeys&(1<<data[pos]) == 0 {
				for j := 0; j < 2; j++ {
					n, err := msgpack.Skip(data[pos:])
					if err != nil {
						return Request{}, errBody()
					}
					pos += n
				}
				continue
			}
			key := int(data[pos])
			pos++
			n, err := msgpack.Skip(data[pos:])
			if err != nil || keyType[key] != msgpack.TypeOf(data[pos:]) {
				return Request{}, errBody()
			}
			value := data[pos : pos+n : pos+n]
			pos += n
			required &^= keyBit(key)
			if keyType[key] == msgpack.Uint {
				u, _, err := msgpack.ReadUint(value)
				if err != nil {
					return Request{}, errBody()
				}
				v := uint32(u)
				switch key {
				case keySpaceID:
					req.SpaceID = v
				case keyIndexID:
					req.IndexID = v
				case keyOffset:
					req.Offset = v
				case keyIndexBase:
					req.IndexBase = v
				case keyLimit:
					req.Limit = v
				case keyIterator:
					req.Iterator = v
				}
				continue
			}
			switch key {
			case keyTuple:
				req.Tuple = value
			case keyKey:
				req.Key = value
			case keyOps:
				req.Ops = value
			case keyTupleMeta:
				req.TupleMeta = value
			}
		}
		if pos != len(data) {
			return Request{}, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet end")
		}
	}
	if required != 0 {
		missing := bits.TrailingZeros64(required)
		return Request{}, boxerr.New(boxerr.ER_MISSING_REQUEST_FIELD, keyNames[missing])
	}
	return req, nil
}
