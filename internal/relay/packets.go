package relay

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// Ballot is what a VOTE reply tells a bootstrapping peer
// (box_process_vote).
type Ballot struct {
	// IsRO is box.cfg.read_only.
	IsRO bool
	// IsLoading is true until box.cfg has finished, and whenever the
	// instance is read-only (2.6 reports its internal ro flag).
	IsLoading bool
	// VClock is the replica set vclock; GCVClock the vclock of the
	// oldest row still kept in the WAL directory.
	VClock, GCVClock vclock.VClock
}

// AppendBallotBody appends the body of a VOTE reply:
// {0x29: {1: is_ro, 4: is_loading, 2: vclock, 3: gc_vclock}}, keys in
// the order 2.6's xrow_encode_ballot writes them.
func AppendBallotBody(dst []byte, b *Ballot) []byte {
	dst = msgpack.AppendMapHeader(dst, 1)
	dst = msgpack.AppendUint(dst, proto.KeyBallot)
	dst = msgpack.AppendMapHeader(dst, 4)
	dst = msgpack.AppendUint(dst, proto.BallotIsRO)
	dst = msgpack.AppendBool(dst, b.IsRO)
	dst = msgpack.AppendUint(dst, proto.BallotIsLoading)
	dst = msgpack.AppendBool(dst, b.IsLoading)
	dst = msgpack.AppendUint(dst, proto.BallotVClock)
	dst = b.VClock.AppendMsgpackIgnore0(dst)
	dst = msgpack.AppendUint(dst, proto.BallotGCVClock)
	dst = b.GCVClock.AppendMsgpackIgnore0(dst)
	return dst
}

// AppendVClockBody appends {0x26: vclock}: the VOTE_DEPRECATED reply
// and the markers between the stages of JOIN.
func AppendVClockBody(dst []byte, v *vclock.VClock) []byte {
	dst = msgpack.AppendMapHeader(dst, 1)
	dst = msgpack.AppendUint(dst, proto.KeyVClock)
	return v.AppendMsgpackIgnore0(dst)
}

// AppendVClockPacket appends an OK packet {0: 0, 1: sync} with body
// {0x26: vclock}, as xrow_encode_vclock and coio_write_xrow send it (no
// schema version in the header).
func AppendVClockPacket(dst []byte, sync uint64, v *vclock.VClock) []byte {
	row := xrow.Row{Type: proto.OK, Sync: sync, Body: AppendVClockBody(nil, v)}
	return xrow.AppendPacket(dst, &row)
}

// AppendSubscribeReply appends the reply to SUBSCRIBE: header
// {0: 0, 1: sync, 2: master_id}, body {0x26: vclock, 0x25: cluster_uuid}.
// The replica learns the master's id from the header.
func AppendSubscribeReply(dst []byte, sync uint64, masterID uint32, v *vclock.VClock, clusterUUID string) []byte {
	body := msgpack.AppendMapHeader(nil, 2)
	body = msgpack.AppendUint(body, proto.KeyVClock)
	body = v.AppendMsgpackIgnore0(body)
	body = msgpack.AppendUint(body, proto.KeyClusterUUID)
	body = msgpack.AppendString(body, clusterUUID)
	row := xrow.Row{Type: proto.OK, Sync: sync, ReplicaID: masterID, Body: body}
	return xrow.AppendPacket(dst, &row)
}

// AppendHeartbeat appends a heartbeat: header {0: 0, 1: sync,
// 2: master_id, 4: now}, no body (xrow_encode_timestamp).
func AppendHeartbeat(dst []byte, sync uint64, masterID uint32, now float64) []byte {
	row := xrow.Row{Type: proto.OK, Sync: sync, ReplicaID: masterID, Timestamp: now}
	return xrow.AppendPacket(dst, &row)
}

// AppendInitialRow appends one row of the initial stage of JOIN: an
// INSERT {0x10: space_id, 0x21: tuple} whose header has only the type
// and the sync - no replica id, lsn or timestamp.
func AppendInitialRow(dst []byte, sync uint64, spaceID uint32, tuple []byte) []byte {
	row := xrow.Row{Type: proto.Insert, Sync: sync, Body: xrow.AppendSnapshotInsertBody(nil, spaceID, tuple)}
	return xrow.AppendPacket(dst, &row)
}

// DecodeAck decodes the body of a replica's ACK ({0x26: vclock}; other
// keys are skipped) into the vclock it reports. A body without a vclock
// is an empty vclock, as xrow_decode_vclock leaves it. Errors are
// ER_INVALID_MSGPACK.
func DecodeAck(body []byte) (vclock.VClock, error) {
	var v vclock.VClock
	if len(body) == 0 {
		return v, nil
	}
	if msgpack.TypeOf(body) != msgpack.Map {
		return v, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	n, pos, err := msgpack.ReadMapHeader(body)
	if err != nil {
		return v, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	for i := uint32(0); i < n; i++ {
		if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
			return v, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		key, sz, err := msgpack.ReadUint(body[pos:])
		if err != nil {
			return v, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		pos += sz
		if key == proto.KeyVClock {
			got, sz, err := vclock.DecodeMsgpackIgnore0(body[pos:])
			if err != nil {
				return vclock.VClock{}, err
			}
			v = got
			pos += sz
			continue
		}
		sz, err = msgpack.Skip(body[pos:])
		if err != nil {
			return v, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		pos += sz
	}
	return v, nil
}
