package proto

import (
	"bytes"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Replies captured from Tarantool 2.6.0 (schema version 80) with a raw
// socket.
const (
	// SELECT without LIMIT, sync 5.
	capturedMissingLimit = "ce0000009e8300ce0000804501cf000000000000000505ce000000508231d92a4d697373696e67206d616e6461746f72" +
		"79206669656c6420276c696d69742720696e2072657175657374528100918600ab436c69656e744572726f7202cd030e01b02e2f" +
		"7372632f626f782f78726f772e6303d92a4d697373696e67206d616e6461746f7279206669656c6420276c696d6974272069" +
		"6e207265717565737404000545"
	// Request type 0x8030, sync 6.
	capturedUnknownType = "ce000000798300ce0000803001cf000000000000000605ce000000508231b7556e6b6e6f776e20726571756573742074" +
		"797065203438528100918600ab436c69656e744572726f7202cd052101b32e2f7372632f626f782f6970726f746f2e636303b755" +
		"6e6b6e6f776e2072657175657374207479706520343804000530"
	// INSERT of [1] into a fresh space, sync 10.
	capturedInsert = "ce000000208300ce0000000001cf000000000000000a05ce000000508130dd000000019101"
	// PING, sync 9.
	capturedPing = "ce000000188300ce0000000001cf000000000000000905ce0000005080"
)

func TestRepliesMatchTarantool(t *testing.T) {
	e := boxerr.New(boxerr.ER_MISSING_REQUEST_FIELD, "limit")
	e.File, e.Line = "./src/box/xrow.c", 782
	if got := AppendError(nil, 5, 80, e); !bytes.Equal(got, unhexB(capturedMissingLimit)) {
		t.Errorf("missing limit:\n got %x\nwant %s", got, capturedMissingLimit)
	}
	e = boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, 48)
	e.File, e.Line = "./src/box/iproto.cc", 1313
	if got := AppendError(nil, 6, 80, e); !bytes.Equal(got, unhexB(capturedUnknownType)) {
		t.Errorf("unknown type:\n got %x\nwant %s", got, capturedUnknownType)
	}
	if got := AppendData(nil, 10, 80, 1, []byte{0x91, 0x01}); !bytes.Equal(got, unhexB(capturedInsert)) {
		t.Errorf("insert:\n got %x\nwant %s", got, capturedInsert)
	}
	if got := AppendOK(nil, 9, 80, nil); !bytes.Equal(got, unhexB(capturedPing)) {
		t.Errorf("ping:\n got %x\nwant %s", got, capturedPing)
	}
	// Appending after existing bytes leaves them alone.
	prefix := []byte("xyz")
	if got := AppendData(append([]byte{}, prefix...), 10, 80, 1, []byte{0x91, 0x01}); !bytes.Equal(got[3:], unhexB(capturedInsert)) || !bytes.Equal(got[:3], prefix) {
		t.Errorf("insert after prefix: %x", got)
	}
}

func TestDecodeCapturedReplies(t *testing.T) {
	p, _, _, err := SplitPacket(unhexB(capturedMissingLimit), BodyLenMax)
	if err != nil {
		t.Fatal(err)
	}
	row, err := DecodeHeader(p)
	if err != nil || row.Sync != 5 || row.SchemaVersion != 80 || !IsError(uint32(row.Type)) {
		t.Fatalf("%+v %v", row, err)
	}
	e, stack := DecodeError(uint32(row.Type), row.Body)
	if e.Code != boxerr.ER_MISSING_REQUEST_FIELD || e.Message != "Missing mandatory field 'limit' in request" ||
		e.Type != "ClientError" || e.File != "./src/box/xrow.c" || e.Line != 782 || len(stack) != 1 {
		t.Fatalf("%+v %+v", e, stack)
	}
	p, _, _, _ = SplitPacket(unhexB(capturedInsert), BodyLenMax)
	row, err = DecodeHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := DataOf(row.Body)
	if err != nil || !bytes.Equal(data, unhexB("dd000000019101")) {
		t.Fatalf("data %x %v", data, err)
	}
}

func TestErrorStackRoundTrip(t *testing.T) {
	stack := []ErrorEntry{
		{Type: "AccessDeniedError", File: "a.c", Line: 1, Message: "Read access to space 'x' is denied for user 'y'",
			Code: uint32(boxerr.ER_ACCESS_DENIED), Fields: []ErrorField{{"object_type", "space"}, {"object_name", "x"}, {"access_type", "Read"}}},
		{Type: "SystemError", File: "b.c", Line: 2, Message: "cause", Errno: 2, Code: uint32(boxerr.ER_SYSTEM)},
	}
	reply := AppendErrorStack(nil, 1, 2, stack)
	row, err := DecodeHeader(reply[5:])
	if err != nil {
		t.Fatal(err)
	}
	e, got := DecodeError(uint32(row.Type), row.Body)
	if e.Code != boxerr.ER_ACCESS_DENIED || e.Type != "AccessDeniedError" || len(got) != 2 ||
		len(got[0].Fields) != 3 || got[0].Fields[1].Value != "x" || got[1].Errno != 2 {
		t.Fatalf("%+v %+v", e, got)
	}
	// A body with only ERROR_24 (1.x servers) still yields the message.
	old := msgpack.MustAppend(nil, map[uint64]any{KeyError24: "boom"})
	if e, _ := DecodeError(TypeError|3, old); e.Code != 3 || e.Message != "boom" {
		t.Fatalf("%+v", e)
	}
	// Garbage never panics.
	if e, _ := DecodeError(TypeError|3, []byte{0x82, 0x31}); e.Code != 3 {
		t.Fatalf("%+v", e)
	}
}

func TestChunkAndStreamingData(t *testing.T) {
	c := AppendChunk(nil, 3, 1, []byte{0x05})
	row, err := DecodeHeader(c[5:])
	if err != nil || row.Type != Chunk || row.Sync != 3 {
		t.Fatalf("%+v %v", row, err)
	}
	buf := []byte("keep")
	start := len(buf)
	buf = BeginData(buf)
	for i := 0; i < 3; i++ {
		buf = msgpack.AppendArrayHeader(buf, 1)
		buf = msgpack.AppendUint(buf, uint64(i))
	}
	buf = FinishData(buf, start, OK, 4, 1, 3)
	row, err = DecodeHeader(buf[start+5:])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := DataOf(row.Body)
	v, _, err := msgpack.Decode(data)
	if err != nil || len(v.([]any)) != 3 {
		t.Fatalf("%v %v", v, err)
	}
}

func BenchmarkAppendData(b *testing.B) {
	tuple := msgpack.MustAppend(nil, []any{1, "hello", 3.5})
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendData(buf[:0], 1, 80, 1, tuple)
	}
}

// TestErrorCausesRoundTrip encodes an error with causes and class fields
// (a CustomError caused by an AccessDeniedError) and decodes the reply
// body back into the same chain.
func TestErrorCausesRoundTrip(t *testing.T) {
	top := &boxerr.Error{Code: 7, Type: "CustomError", CustomType: "MyErr", Message: "outer", File: "a.lua", Line: 3}
	cause := boxerr.AccessDenied("Read", "space", "t", "guest").At("./src/box/space.c", 91)
	root := boxerr.New(boxerr.ER_UNKNOWN)
	if err := top.SetPrev(cause); err != nil {
		t.Fatal(err)
	}
	if err := cause.SetPrev(root); err != nil {
		t.Fatal(err)
	}
	if err := root.SetPrev(top); err != boxerr.ErrCycle {
		t.Fatalf("a cycle was accepted: %v", err)
	}
	reply := AppendError(nil, 1, 2, top)
	got, stack := DecodeError(TypeError|uint32(top.Code), reply[ReplyHeaderSize:])
	if len(stack) != 3 {
		t.Fatalf("stack of %d entries", len(stack))
	}
	for i, want := range []*boxerr.Error{top, cause, root} {
		if got == nil {
			t.Fatalf("cause %d missing", i)
		}
		if got.Type != want.Type || got.CustomType != want.CustomType || got.Message != want.Message ||
			got.Code != want.Code || got.File != want.File || got.Line != want.Line ||
			got.AccessType != want.AccessType || got.ObjectType != want.ObjectType || got.ObjectName != want.ObjectName {
			t.Errorf("entry %d: got %+v, want %+v", i, *got, *want)
		}
		got = got.Prev
	}
	if got != nil {
		t.Fatalf("extra cause %+v", *got)
	}
}
