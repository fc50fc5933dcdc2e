package vclock

import (
	"math"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// errInvalid is the error Tarantool's request decoders report for a bad
// IPROTO_VCLOCK value (xrow_decode_subscribe and friends).
func errInvalid() error { return boxerr.New(boxerr.ER_INVALID_MSGPACK, "invalid VCLOCK") }

// AppendMsgpack appends v as a map {id: lsn} of every present component,
// component 0 included, ids ascending, integers in their smallest form.
func (v *VClock) AppendMsgpack(dst []byte) []byte {
	dst = msgpack.AppendMapHeader(dst, uint32(v.Size()))
	v.Each(func(id ReplicaID, lsn LSN) {
		dst = msgpack.AppendUint(dst, uint64(id))
		dst = msgpack.AppendUint(dst, uint64(lsn))
	})
	return dst
}

// AppendMsgpackIgnore0 appends v in the form IPROTO carries it
// (mp_encode_vclock_ignore0): every present component except 0. Vclocks on
// the wire never include component 0, which is local to each instance.
func (v *VClock) AppendMsgpackIgnore0(dst []byte) []byte {
	dst = msgpack.AppendMapHeader(dst, uint32(v.SizeIgnore0()))
	v.Each(func(id ReplicaID, lsn LSN) {
		if id == 0 {
			return
		}
		dst = msgpack.AppendUint(dst, uint64(id))
		dst = msgpack.AppendUint(dst, uint64(lsn))
	})
	return dst
}

// DecodeMsgpackIgnore0 reads a wire vclock map as Tarantool's
// mp_decode_vclock_ignore0 does: keys and values must be unsigned, entries
// for id 0 and zero LSNs are dropped. Input Tarantool would assert on (an
// id >= Max, an id repeated with a non-increasing LSN, an LSN above
// math.MaxInt64) is rejected. Errors are ER_INVALID_MSGPACK "invalid VCLOCK".
func DecodeMsgpackIgnore0(b []byte) (VClock, int, error) {
	return decode(b, true)
}

// DecodeMsgpack reads a map written by AppendMsgpack, keeping component 0.
// Zero LSNs are dropped; errors are as for DecodeMsgpackIgnore0.
func DecodeMsgpack(b []byte) (VClock, int, error) {
	return decode(b, false)
}

func decode(b []byte, ignore0 bool) (VClock, int, error) {
	var v VClock
	if msgpack.TypeOf(b) != msgpack.Map {
		return v, 0, errInvalid()
	}
	size, pos, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return v, 0, errInvalid()
	}
	for i := uint32(0); i < size; i++ {
		if msgpack.TypeOf(b[pos:]) != msgpack.Uint {
			return VClock{}, 0, errInvalid()
		}
		id, n, err := msgpack.ReadUint(b[pos:])
		if err != nil {
			return VClock{}, 0, errInvalid()
		}
		pos += n
		if msgpack.TypeOf(b[pos:]) != msgpack.Uint {
			return VClock{}, 0, errInvalid()
		}
		lsn, n, err := msgpack.ReadUint(b[pos:])
		if err != nil {
			return VClock{}, 0, errInvalid()
		}
		pos += n
		if lsn == 0 || (ignore0 && id == 0) {
			continue
		}
		if id >= Max || lsn > math.MaxInt64 {
			return VClock{}, 0, errInvalid()
		}
		if LSN(lsn) <= v.Get(ReplicaID(id)) {
			return VClock{}, 0, errInvalid()
		}
		v.Follow(ReplicaID(id), LSN(lsn))
	}
	return v, pos, nil
}
