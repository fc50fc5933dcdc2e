package proto

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/xrow"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string // hex of header + body
		row  xrow.Row
		body string
		err  string
	}{
		{name: "ping", in: "82004001 07", row: xrow.Row{Type: Ping, Sync: 7, IsCommit: true}},
		{name: "select with body", in: "820001 0105 81 1001", row: xrow.Row{Type: Select, Sync: 5, IsCommit: true}, body: "811001"},
		{name: "wide uints", in: "8200ce00000040 01cf0000000100000000", row: xrow.Row{Type: Ping, Sync: 1 << 32, IsCommit: true}},
		// Unused keys are skipped when their value has the table's type:
		// uint for 0x0a..0x1f, nil for 0x2c..0x52 (verified on 2.6.0).
		{name: "unused uint key", in: "83004001090a01", row: xrow.Row{Type: Ping, Sync: 9, IsCommit: true}},
		{name: "unused nil key", in: "830040010952c0", row: xrow.Row{Type: Ping, Sync: 9, IsCommit: true}},
		{name: "unused key wrong type", in: "83004001092c01", err: "packet header"},
		{name: "key at max", in: "82004053c0", err: "packet header"},
		{name: "str key", in: "820040a16101", err: "packet header"},
		{name: "negative type", in: "8200ff", err: "packet header"},
		{name: "str value", in: "820040 01a178", err: "packet header"},
		{name: "not a map", in: "9100", err: "packet header"},
		{name: "truncated", in: "820040", err: "packet header"},
		{name: "empty", in: "", err: "packet header"},
		{name: "float32 timestamp", in: "8200020 4ca3f800000", err: "packet header"},
		{name: "replication row",
			in:   "8600020 203 0364 04cb41d8000000000000 0802 0901 810102",
			row:  xrow.Row{Type: Insert, ReplicaID: 3, LSN: 100, Timestamp: 1610612736, TSN: 98, IsCommit: true},
			body: "810102"},
		{name: "tsn without commit flag", in: "8300020364 0801",
			row: xrow.Row{Type: Insert, LSN: 100, TSN: 99}},
		{name: "group and schema", in: "840002 0701 05ce00000050 0364",
			row: xrow.Row{Type: Insert, GroupID: 1, SchemaVersion: 80, LSN: 100, TSN: 100, IsCommit: true}},
		{name: "schema version truncated to 32 bits", in: "8205cf0000000100000050 0040",
			row: xrow.Row{Type: Ping, SchemaVersion: 80, IsCommit: true}},
		{name: "nop drops no body", in: "81000c 80", err: "packet body"},
		{name: "nop", in: "81000c", row: xrow.Row{Type: Nop, IsCommit: true}},
		{name: "trailing bytes", in: "81000180 80", err: "packet body"},
		{name: "bad body", in: "810001 82", err: "packet body"},
		{name: "reserved byte body", in: "810001 c1", err: "packet body"},
	}
	for _, tc := range tests {
		in := unhex(t, stripSpaces(tc.in))
		row, err := DecodeHeader(in)
		body := row.Body
		row.Body = nil
		if tc.err != "" {
			if err == nil || err.Error() != "Invalid MsgPack - "+tc.err || !boxerr.Is(err, boxerr.ER_INVALID_MSGPACK) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !rowEqual(row, tc.row) {
			t.Errorf("%s: row %+v, want %+v", tc.name, row, tc.row)
		}
		if !bytes.Equal(body, unhex(t, stripSpaces(tc.body))) {
			t.Errorf("%s: body %x, want %s", tc.name, body, tc.body)
		}
	}
}

func stripSpaces(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}

func TestDecodeHeaderKeepsSyncOnError(t *testing.T) {
	// {sync: 42, type: 1, 0x20: 1}: KEY must be an array in a header.
	row, err := DecodeHeader(unhex(t, "83012a00012001"))
	if err == nil || row.Sync != 42 {
		t.Fatalf("row %+v err %v", row, err)
	}
}

func TestAppendRequestDecodes(t *testing.T) {
	body := msgpack.MustAppend(nil, map[uint64]any{KeySpaceID: 512, KeyKey: []any{1}})
	pkt := AppendRequest(nil, Select, 77, body)
	p, n, ok, err := SplitPacket(pkt, BodyLenMax)
	if err != nil || !ok || n != len(pkt) {
		t.Fatal(ok, err)
	}
	row, err := DecodeHeader(p)
	if err != nil || row.Type != Select || row.Sync != 77 || !bytes.Equal(row.Body, body) {
		t.Fatalf("%+v %v", row, err)
	}
}

func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{"82004001 07", "8600020203036404cb41d800000000000008020901810102",
		"83004001092c01", "81000c", "820001 0105 81 1001", "8300020364 0801", "9100"} {
		b, _ := hex.DecodeString(stripSpaces(s))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		row, err := DecodeHeader(b)
		body := row.Body
		if err != nil {
			if !boxerr.Is(err, boxerr.ER_INVALID_MSGPACK) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if body != nil {
			if row.Type == Nop {
				t.Fatal("NOP with a body")
			}
			if err := msgpack.Validate(body); err != nil {
				t.Fatalf("accepted invalid body %x: %v", body, err)
			}
		}
	})
}

func BenchmarkDecodeHeader(b *testing.B) {
	body := msgpack.MustAppend(nil, map[uint64]any{KeySpaceID: 512, KeyIndexID: 0, KeyLimit: 100, KeyKey: []any{1}})
	pkt := AppendRequest(nil, Select, 77, body)[5:]
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if _, err := DecodeHeader(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// rowEqual compares rows without their bodies.
func rowEqual(a, b xrow.Row) bool {
	a.Body, b.Body = nil, nil
	return a.Type == b.Type && a.Sync == b.Sync && a.ReplicaID == b.ReplicaID &&
		a.GroupID == b.GroupID && a.LSN == b.LSN && a.Timestamp == b.Timestamp &&
		a.TSN == b.TSN && a.IsCommit == b.IsCommit && a.SchemaVersion == b.SchemaVersion
}
