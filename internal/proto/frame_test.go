package proto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
)

func TestReadPacket(t *testing.T) {
	payload := []byte{0x82, 0x00, 0x40, 0x01, 0x07}
	tests := []struct {
		name    string
		in      []byte
		max     uint64
		want    []byte
		err     error
		errText string
	}{
		{name: "fixint", in: append([]byte{0x05}, payload...), max: BodyLenMax, want: payload},
		{name: "uint8", in: append([]byte{0xcc, 0x05}, payload...), max: BodyLenMax, want: payload},
		{name: "uint16", in: append([]byte{0xcd, 0, 0x05}, payload...), max: BodyLenMax, want: payload},
		{name: "uint32", in: append([]byte{0xce, 0, 0, 0, 0x05}, payload...), max: BodyLenMax, want: payload},
		{name: "uint64", in: append([]byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05}, payload...), max: BodyLenMax, want: payload},
		{name: "zero length", in: []byte{0x00}, max: BodyLenMax, want: []byte{}},
		{name: "eof", in: nil, max: BodyLenMax, err: io.EOF},
		{name: "torn prefix", in: []byte{0xce, 0}, max: BodyLenMax, err: io.ErrUnexpectedEOF},
		{name: "torn body", in: []byte{0x05, 0x82}, max: BodyLenMax, err: io.ErrUnexpectedEOF},
		{name: "negative", in: []byte{0xff}, max: BodyLenMax, errText: "Invalid MsgPack - packet length"},
		{name: "string", in: []byte{0xa1, 'x'}, max: BodyLenMax, errText: "Invalid MsgPack - packet length"},
		{name: "map", in: []byte{0x80}, max: BodyLenMax, errText: "Invalid MsgPack - packet length"},
		{name: "too big", in: []byte{0xcf, 0, 0, 0, 0, 0x80, 0, 0, 1}, max: BodyLenMax,
			errText: "Invalid MsgPack - too big packet size in the header: 2147483649"},
		{name: "over max", in: append([]byte{0x05}, payload...), max: 4,
			errText: "Invalid MsgPack - too big packet size in the header: 5"},
		{name: "exactly 2GiB header", in: []byte{0xce, 0x80, 0, 0, 0}, max: BodyLenMax, err: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		got, err := ReadPacket(bufio.NewReader(bytes.NewReader(tc.in)), tc.max, nil)
		switch {
		case tc.errText != "":
			if err == nil || err.Error() != tc.errText || !boxerr.Is(err, boxerr.ER_INVALID_MSGPACK) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.errText)
			}
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			}
		default:
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("%s: got %x, %v", tc.name, got, err)
			}
		}
		// SplitPacket agrees on every complete input.
		p, n, ok, serr := SplitPacket(tc.in, tc.max)
		if tc.errText != "" {
			if serr == nil || serr.Error() != tc.errText {
				t.Errorf("%s: SplitPacket err %v", tc.name, serr)
			}
		} else if tc.err == nil && (!ok || n != len(tc.in) || !bytes.Equal(p, tc.want)) {
			t.Errorf("%s: SplitPacket = %x %d %v %v", tc.name, p, n, ok, serr)
		} else if tc.err != nil && (ok || serr != nil) {
			t.Errorf("%s: SplitPacket on partial input = %v %v", tc.name, ok, serr)
		}
	}
}

func TestReadPacketStream(t *testing.T) {
	var stream []byte
	for i := 0; i < 50; i++ {
		stream = AppendRequest(stream, Ping, uint64(i), nil)
	}
	r := bufio.NewReaderSize(bytes.NewReader(stream), 16)
	var buf []byte
	for i := 0; i < 50; i++ {
		p, err := ReadPacket(r, BodyLenMax, buf)
		if err != nil {
			t.Fatal(err)
		}
		row, err := DecodeHeader(p)
		if err != nil || row.Sync != uint64(i) || row.Type != Ping || row.Body != nil {
			t.Fatalf("packet %d: %+v %v", i, row, err)
		}
		buf = p
	}
	if _, err := ReadPacket(r, BodyLenMax, buf); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// TestReadLengthAllocs: reading a packet's length is on every request's
// path and allocates nothing, whatever the width of the length.
func TestReadLengthAllocs(t *testing.T) {
	in := bytes.Repeat([]byte{0xce, 0, 0, 0x01, 0x02, 0xcf, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0xcc, 0x80}, 64)
	br := bufio.NewReader(bytes.NewReader(in))
	src := bytes.NewReader(in)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(in)
		br.Reset(src)
		for range 64 {
			a, err1 := ReadLength(br)
			b, err2 := ReadLength(br)
			c, err3 := ReadLength(br)
			if a != 0x0102 || b != 0x0102 || c != 0x80 || err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("lengths %x %x %x, errors %v %v %v", a, b, c, err1, err2, err3)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadLength allocates %.1f times per 192 lengths", allocs)
	}
}
