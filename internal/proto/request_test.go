package proto

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

type kv = map[uint64]any

func body(m kv) []byte { return msgpack.MustAppend(nil, m) }

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  uint16
		body []byte
		code boxerr.Code
		msg  string
	}{
		// Messages verified against 2.6.0 with raw sockets.
		{"select without limit", Select, body(kv{KeySpaceID: 512, KeyKey: []any{}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'limit' in request"},
		{"select empty", Select, nil, boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'space id' in request"},
		{"select without key", Select, body(kv{KeySpaceID: 512, KeyLimit: 1}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'key' in request"},
		{"insert without tuple", Insert, body(kv{KeySpaceID: 512}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'tuple' in request"},
		{"upsert without ops", Upsert, body(kv{KeySpaceID: 512, KeyTuple: []any{1}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'operations' in request"},
		{"update without key", Update, body(kv{KeySpaceID: 512, KeyTuple: []any{}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'key' in request"},
		{"delete without space", Delete, body(kv{KeyKey: []any{1}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'space id' in request"},
		{"wide key encoding is skipped", Delete, unhexB("82cc1001 20 9101"),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'space id' in request"},
		{"space id as string", Insert, body(kv{KeySpaceID: "x", KeyTuple: []any{}}),
			boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"negative limit", Select, body(kv{KeySpaceID: 1, KeyLimit: -1, KeyKey: []any{}}),
			boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"key as map", Select, body(kv{KeySpaceID: 1, KeyLimit: 1, KeyKey: kv{}}),
			boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"body not a map", Select, []byte{0x90}, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"body trailing bytes", Select, []byte{0x80, 0x80}, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet end"},
		{"eval without expr", Eval, []byte{0x80},
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'expression' in request"},
		{"call without name", Call, body(kv{KeyTuple: []any{}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'function name' in request"},
		{"call without body", Call, nil, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - missing request body"},
		{"call name not str", Call16, body(kv{KeyFunctionName: 1}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"call str key", Call, unhexB("81a1610 1"), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"auth without user", Auth, body(kv{KeyTuple: []any{}}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'user name' in request"},
		{"auth without tuple", Auth, body(kv{KeyUserName: "x"}),
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'tuple' in request"},
		{"unknown type 0x8030", 0x8030, []byte{0x80}, boxerr.ER_UNKNOWN_REQUEST_TYPE, "Unknown request type 48"},
		{"unknown type 100", 100, nil, boxerr.ER_UNKNOWN_REQUEST_TYPE, "Unknown request type 100"},
		{"execute without text", Execute, []byte{0x80},
			boxerr.ER_MISSING_REQUEST_FIELD, "Missing mandatory field 'SQL text or stmt id' in request"},
		{"execute with both", Execute, body(kv{KeySQLText: "select 1", KeyStmtID: 1}), boxerr.ER_INVALID_MSGPACK,
			"Invalid MsgPack - SQL text and statement id are incompatible options in one request: choose one"},
		{"subscribe no body", Subscribe, nil, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - request body"},
		{"join bad uuid", Join, body(kv{KeyInstanceUUID: "nope"}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - UUID"},
		{"join bad variant", Join, body(kv{KeyInstanceUUID: "926fd003-aae9-4922-f0f0-905c251f655f"}),
			boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - UUID"},
		{"subscribe bad vclock", Subscribe, body(kv{KeyVClock: kv{1: "x"}}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - invalid VCLOCK"},
		{"subscribe vclock id 32", Subscribe, body(kv{KeyVClock: kv{32: 1}}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - invalid VCLOCK"},
		{"subscribe bad version", Subscribe, body(kv{KeyServerVersion: "2.6"}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - invalid VERSION"},
		{"subscribe bad anon", Subscribe, body(kv{KeyReplicaAnon: 1}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - invalid REPLICA_ANON flag"},
		{"subscribe bad filter", Subscribe, body(kv{KeyIDFilter: []any{40}}), boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - invalid ID_FILTER"},
		{"nop from a client", Nop, nil, boxerr.ER_UNKNOWN_REQUEST_TYPE, "Unknown request type 12"},
		{"confirm from a client", Confirm, nil, boxerr.ER_UNKNOWN_REQUEST_TYPE, "Unknown request type 40"},
	}
	for _, tc := range tests {
		_, err := DecodeRequest(tc.typ, tc.body)
		if !boxerr.Is(err, tc.code) || err.Error() != tc.msg {
			t.Errorf("%s: err %v, want %d %q", tc.name, err, tc.code, tc.msg)
		}
	}
}

func unhexB(s string) []byte {
	b, err := hex.DecodeString(stripSpaces(s))
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeRequestFields(t *testing.T) {
	r, err := DecodeRequest(Select, body(kv{KeySpaceID: 512, KeyIndexID: 1, KeyLimit: 0xFFFFFFFF,
		KeyOffset: 3, KeyIterator: 4, KeyKey: []any{1, "a"}, 0x99: "ignored", KeyTupleMeta: kv{}}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != Select || r.SpaceID != 512 || r.IndexID != 1 || r.Limit != 0xFFFFFFFF || r.Offset != 3 ||
		r.Iterator != IterLE || !bytes.Equal(r.Key, msgpack.MustAppend(nil, []any{1, "a"})) || r.TupleMeta == nil {
		t.Fatalf("%+v", r)
	}
	// 64-bit ids keep their low 32 bits, as mp_decode_uint into uint32_t.
	r, err = DecodeRequest(Delete, body(kv{KeySpaceID: uint64(1)<<32 | 512, KeyKey: []any{1}}))
	if err != nil || r.SpaceID != 512 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = DecodeRequest(Upsert, body(kv{KeySpaceID: 512, KeyTuple: []any{1}, KeyOps: []any{[]any{"+", 2, 1}}, KeyIndexBase: 1}))
	if err != nil || r.IndexBase != 1 || r.Ops == nil || r.Tuple == nil {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = DecodeRequest(Call, body(kv{KeyFunctionName: "f"}))
	if err != nil || r.FunctionName != "f" || !bytes.Equal(r.Args, []byte{0x90}) {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = DecodeRequest(Eval, body(kv{0xcc: 1, KeyExpr: "return ...", KeyTuple: []any{1, 2}}))
	if err != nil || r.Expr != "return ..." || !bytes.Equal(r.Args, []byte{0x92, 1, 2}) {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = DecodeRequest(Auth, AppendAuthBody(nil, "x", Scramble(make([]byte, 20), "pw")))
	if err != nil || r.UserName != "x" {
		t.Fatalf("%+v %v", r, err)
	}
	parts, scr, err := ParseAuthTuple(r.Tuple)
	if err != nil || parts != 2 || !bytes.Equal(scr, Scramble(make([]byte, 20), "pw")) {
		t.Fatalf("auth tuple %d %x %v", parts, scr, err)
	}
	r, err = DecodeRequest(Subscribe, body(kv{KeyInstanceUUID: "926FD003-aae9-4922-b0f0-905c251f655f",
		KeyClusterUUID: "not even checked", KeyVClock: kv{0: 5, 1: 10, 2: 0, 3: 7}, KeyServerVersion: 0x20600,
		KeyReplicaAnon: true, KeyIDFilter: []any{1, 3}}))
	if err != nil || r.InstanceUUID != "926fd003-aae9-4922-b0f0-905c251f655f" || r.ClusterUUID != "" ||
		len(r.VClock) != 2 || r.VClock[1] != 10 || r.VClock[3] != 7 || r.VersionID != 0x20600 || !r.Anon || r.IDFilter != 0b1010 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = DecodeReplicaBody(body(kv{KeyClusterUUID: "926fd003-aae9-4922-b0f0-905c251f655f", KeyVClock: kv{1: 3}}))
	if err != nil || r.ClusterUUID == "" || r.VClock[1] != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	id, lsn, err := DecodeSynchro(body(kv{KeyReplicaID: 2, KeyLSN: 100, KeyFlags: "any value"}))
	if err != nil || id != 2 || lsn != 100 {
		t.Fatalf("synchro %d %d %v", id, lsn, err)
	}
	for _, bad := range [][]byte{nil, {0x90}, body(kv{KeyTuple: 1}), body(kv{KeyLSN: "x"}), body(kv{KeyTimestamp: 1.5})} {
		if _, _, err := DecodeSynchro(bad); err == nil || err.Error() != "Invalid MsgPack - request body" {
			t.Errorf("synchro %x: %v", bad, err)
		}
	}
	for _, typ := range []uint16{Ping, Vote, VoteDeprecated} {
		if _, err := DecodeRequest(typ, nil); err != nil {
			t.Errorf("type %d: %v", typ, err)
		}
	}
}

func TestParseAuthTuple(t *testing.T) {
	scr := Scramble(make([]byte, 20), "pw")
	tests := []struct {
		tuple []any
		parts uint32
		msg   string
	}{
		{[]any{}, 0, ""},
		{[]any{"chap-sha1"}, 1, "Invalid MsgPack - authentication request body"},
		{[]any{"chap-sha1", 1}, 2, "Invalid MsgPack - authentication scramble"},
		{[]any{"chap-sha1", "short"}, 2, "Invalid MsgPack - invalid scramble size"},
		{[]any{"chap-sha1", scr}, 2, ""},
		{[]any{"any-method", string(scr)}, 2, ""},
	}
	for _, tc := range tests {
		parts, _, err := ParseAuthTuple(msgpack.MustAppend(nil, tc.tuple))
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if parts != tc.parts || msg != tc.msg {
			t.Errorf("%v: %d %q", tc.tuple, parts, msg)
		}
	}
}

func TestVClockRoundTrip(t *testing.T) {
	vc := map[uint32]int64{1: 10, 5: 1 << 40, 31: 1}
	b := AppendVClock(nil, map[uint32]int64{0: 99, 1: 10, 5: 1 << 40, 31: 1, 7: 0})
	got, err := DecodeVClock(b)
	if err != nil || len(got) != len(vc) {
		t.Fatalf("%v %v", got, err)
	}
	for id, lsn := range vc {
		if got[id] != lsn {
			t.Fatalf("%v", got)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	seeds := []struct {
		typ  uint16
		body []byte
	}{
		{Select, body(kv{KeySpaceID: 512, KeyLimit: 1, KeyKey: []any{}})},
		{Update, body(kv{KeySpaceID: 512, KeyKey: []any{1}, KeyTuple: []any{[]any{"=", 1, 2}}})},
		{Call, body(kv{KeyFunctionName: "f", KeyTuple: []any{}})},
		{Eval, body(kv{KeyExpr: "return 1"})},
		{Auth, AppendAuthBody(nil, "x", make([]byte, 20))},
		{Subscribe, body(kv{KeyVClock: kv{1: 2}, KeyIDFilter: []any{1}})},
		{Execute, body(kv{KeySQLText: "select 1"})},
		{Delete, unhexB("82cc1001209101")},
	}
	for _, s := range seeds {
		f.Add(s.typ, s.body)
	}
	f.Fuzz(func(t *testing.T, typ uint16, b []byte) {
		r, err := DecodeRequest(typ, b)
		if err != nil {
			if boxerr.From(err).Message == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, raw := range [][]byte{r.Key, r.Tuple, r.Ops, r.Args, r.TupleMeta, r.SQLBind} {
			if raw != nil {
				if err := msgpack.Validate(raw); err != nil {
					t.Fatalf("invalid raw field %x: %v", raw, err)
				}
			}
		}
		if IsDML(r.Type) && r.Key == nil && r.Tuple == nil {
			t.Fatalf("DML without key or tuple accepted: %+v", r)
		}
	})
}

func BenchmarkDecodeSelect(b *testing.B) {
	bd := body(kv{KeySpaceID: 512, KeyIndexID: 0, KeyLimit: 100, KeyIterator: 0, KeyKey: []any{1}})
	b.ReportAllocs()
	b.SetBytes(int64(len(bd)))
	for b.Loop() {
		if _, err := DecodeRequest(Select, bd); err != nil {
			b.Fatal(err)
		}
	}
}
