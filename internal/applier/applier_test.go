package applier

import (
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in, login, pass, addr, text string
		bad                         bool
	}{
		{in: "127.0.0.1:3301", addr: "127.0.0.1:3301", text: "127.0.0.1:3301"},
		{in: "replicator:password@127.0.0.1:3301", login: "replicator", pass: "password", addr: "127.0.0.1:3301", text: "replicator@127.0.0.1:3301"},
		{in: "u@h:1", login: "u", addr: "h:1", text: "u@h:1"},
		{in: "3301", addr: "localhost:3301", text: "3301"},
		{in: "tcp://h:5", addr: "h:5", text: "h:5"},
		{in: "", bad: true},
		{in: "@h:1", bad: true},
		{in: "h:0", bad: true},
		{in: "h", bad: true},
		{in: "99999", bad: true},
	} {
		u, err := ParseURI(tc.in)
		if tc.bad {
			if !boxerr.Is(err, boxerr.ER_CFG) {
				t.Errorf("%q: err %v, want ER_CFG", tc.in, err)
			}
			continue
		}
		if err != nil || u.Login != tc.login || u.Password != tc.pass || u.Addr != tc.addr || u.Text != tc.text {
			t.Errorf("%q: got %+v, %v", tc.in, u, err)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1.00", 200 * time.Millisecond: "0.20", 1500 * time.Millisecond: "1.50", 10 * time.Second: "10.00"} {
		if got := formatSeconds(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// ballotBody encodes a ballot as a 2.6 master does (relay's encoder has
// the same key order).
func ballotBody(ro, loading bool, v, gc vclock.VClock) []byte {
	b := msgpack.AppendMapHeader(nil, 1)
	b = msgpack.AppendUint(b, proto.KeyBallot)
	b = msgpack.AppendMapHeader(b, 4)
	b = msgpack.AppendUint(b, proto.BallotIsRO)
	b = msgpack.AppendBool(b, ro)
	b = msgpack.AppendUint(b, proto.BallotIsLoading)
	b = msgpack.AppendBool(b, loading)
	b = msgpack.AppendUint(b, proto.BallotVClock)
	b = v.AppendMsgpackIgnore0(b)
	b = msgpack.AppendUint(b, proto.BallotGCVClock)
	return gc.AppendMsgpackIgnore0(b)
}

func TestDecodeBallot(t *testing.T) {
	var v, gc vclock.VClock
	v.Set(1, 12)
	v.Set(2, 4)
	gc.Set(1, 11)
	b, err := DecodeBallot(ballotBody(false, true, v, gc))
	if err != nil || b.IsRO || !b.IsLoading || b.VClock.String() != "{1: 12, 2: 4}" || b.GCVClock.String() != "{1: 11}" {
		t.Fatalf("got %+v %v", b, err)
	}
	for _, bad := range [][]byte{{0x91, 0x01}, {0x81, 0x29, 0x81, 0x01, 0x05}, {0x81}} {
		if _, err := DecodeBallot(bad); !boxerr.Is(err, boxerr.ER_INVALID_MSGPACK) {
			t.Errorf("%x: err %v", bad, err)
		}
	}
}

func TestSubscribeBodyAndReply(t *testing.T) {
	var v vclock.VClock
	v.Set(1, 11)
	req := SubscribeRequest{ClusterUUID: "3d14ea2a-c2be-4c5c-9a2e-2b1f3c8b3f0a", InstanceUUID: "fd92e7b0-5d44-4a54-a8b7-27ee22e6ff5e", VClock: v, IDFilter: []uint32{2}}
	body := AppendSubscribeBody(nil, &req)
	got, err := proto.DecodeReplicaBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if got.InstanceUUID != req.InstanceUUID || got.ClusterUUID != req.ClusterUUID || got.VClock[1] != 11 || got.IDFilter != 1<<2 {
		t.Fatalf("decoded %+v", got)
	}
	// A replica without a replica set sends the nil uuid and no filter.
	body = AppendSubscribeBody(nil, &SubscribeRequest{InstanceUUID: req.InstanceUUID})
	if got, err = proto.DecodeReplicaBody(body); err != nil || got.ClusterUUID != NilUUID || got.IDFilter != 0 {
		t.Fatalf("decoded %+v %v", got, err)
	}

	rb := msgpack.AppendMapHeader(nil, 2)
	rb = msgpack.AppendUint(rb, proto.KeyVClock)
	rb = v.AppendMsgpackIgnore0(rb)
	rb = msgpack.AppendUint(rb, proto.KeyClusterUUID)
	rb = msgpack.AppendString(rb, req.ClusterUUID)
	rep, err := DecodeSubscribeReply(&xrow.Row{Type: proto.OK, ReplicaID: 1, Body: rb})
	if err != nil || rep.MasterID != 1 || rep.ClusterUUID != req.ClusterUUID || rep.VClock.String() != "{1: 11}" {
		t.Fatalf("reply %+v %v", rep, err)
	}
}

func FuzzDecodeBallot(f *testing.F) {
	var v vclock.VClock
	v.Set(1, 3)
	f.Add(ballotBody(true, false, v, v))
	f.Add([]byte{0x80})
	f.Add([]byte{0x81, 0x29, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeBallot(b)
		DecodeVClockBody(b)
		DecodeSubscribeReply(&xrow.Row{Body: b})
	})
}
