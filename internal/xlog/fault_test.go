package xlog

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/xrow"
)

// faultFile builds a closed xlog of four blocks: plain (3 rows), plain
// (2 rows), zstd (3 rows), plain (1 row), then the EOF marker. It returns
// the bytes, the block offsets (the last one is the EOF marker) and the
// number of rows in each block.
func faultFile(t testing.TB) ([]byte, []int64, []int) {
	t.Helper()
	fs := newMemFS()
	f, _ := fs.Create("x")
	w, err := NewWriter(f, testMeta(TypeXlog, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts := []int{3, 2, 3, 1}
	sizes := []int{20, 30, 1500, 10}
	lsn := int64(1)
	for i, n := range counts {
		for _, txn := range testRows(lsn, n, sizes[i]) {
			if err := w.WriteTxn(txn); err != nil {
				t.Fatal(err)
			}
		}
		lsn += int64(n)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := fs.files["x"].data
	starts := blockStarts(t, data)
	if len(starts) != 5 || [4]byte(data[starts[2]:starts[2]+4]) != magicZRows {
		t.Fatalf("unexpected layout %v", starts)
	}
	return data, starts, counts
}

// rowsBefore is the number of rows in the blocks that end at or before off.
func rowsBefore(starts []int64, counts []int, off int64) int {
	n := 0
	for i := range counts {
		if starts[i+1] <= off {
			n += counts[i]
		}
	}
	return n
}

func TestTornTailEveryOffset(t *testing.T) {
	data, starts, counts := faultFile(t)
	total := len(data)
	for cut := int(starts[0]); cut <= total; cut++ {
		c, err := NewCursor(bytesReaderAt(data[:cut]), "x")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := readAll(t, c)
		if want := rowsBefore(starts, counts, int64(cut)); len(rows) != want {
			t.Fatalf("cut %d: %d rows, want %d", cut, len(rows), want)
		}
		for i, r := range rows {
			if r.LSN != int64(i+1) {
				t.Fatalf("cut %d: row %d has lsn %d", cut, i, r.LSN)
			}
		}
		// The block the cut falls into.
		blk := int64(-1)
		for _, s := range starts {
			if s <= int64(cut) {
				blk = s
			}
		}
		var torn *TornTailError
		switch {
		case cut == total:
			if err != io.EOF {
				t.Fatalf("cut %d (whole file): %v", cut, err)
			}
		case int64(cut) == blk:
			if err != ErrNoEOFMarker {
				t.Fatalf("cut %d at a block boundary: %v", cut, err)
			}
		case errors.As(err, &torn):
			if torn.Offset != blk || torn.Size != int64(cut)-blk || c.GoodOffset() != blk {
				t.Fatalf("cut %d: torn at %d size %d good %d, want %d", cut, torn.Offset, torn.Size, c.GoodOffset(), blk)
			}
		default:
			t.Fatalf("cut %d: %v", cut, err)
		}
	}
}

// growingFile is a ReaderAt over a file that is still being appended to.
type growingFile struct{ data []byte }

func (g *growingFile) ReadAt(p []byte, off int64) (int, error) {
	return bytesReaderAt(g.data).ReadAt(p, off)
}

// TestFollowGrowingFile reads a file while it is written, byte by byte:
// torn tails and the missing EOF marker are retried, not sticky.
func TestFollowGrowingFile(t *testing.T) {
	data, starts, _ := faultFile(t)
	g := &growingFile{data: data[:starts[0]]}
	c, err := NewCursor(g, "x")
	if err != nil {
		t.Fatal(err)
	}
	var lsns []int64
	for size := int(starts[0]); size <= len(data); size++ {
		g.data = data[:size]
		for {
			var r xrow.Row
			err := c.Next(&r)
			if err == nil {
				lsns = append(lsns, r.LSN)
				continue
			}
			if err == io.EOF && size != len(data) {
				t.Fatalf("EOF at size %d", size)
			}
			if err != io.EOF && err != ErrNoEOFMarker && !IsTornTail(err) {
				t.Fatalf("size %d: %v", size, err)
			}
			break
		}
	}
	if len(lsns) != 9 || lsns[8] != 9 {
		t.Fatalf("rows %v", lsns)
	}
}

func TestCorruptMiddleBlock(t *testing.T) {
	data, starts, counts := faultFile(t)
	orig, _ := readAll(t, mustCursor(t, data))
	for _, blk := range []int{1, 2} {
		for off := starts[blk]; off < starts[blk+1]; off++ {
			bad := bytes.Clone(data)
			bad[off] ^= 0xff
			rows, err := readAll(t, mustCursor(t, bad))
			var ce *CorruptionError
			if errors.As(err, &ce) {
				if ce.Offset != starts[blk] || len(rows) != rowsBefore(starts, counts, starts[blk]) {
					t.Fatalf("block %d byte %d: corruption at %d after %d rows: %v", blk, off, ce.Offset, len(rows), err)
				}
				continue
			}
			// Only bytes no reader looks at (the unused previous-crc
			// field, the padding) may change without an error, and
			// then every row must be intact.
			if err != io.EOF || len(rows) != len(orig) {
				t.Fatalf("block %d byte %d (fixheader byte %d): %d rows, %v", blk, off, off-starts[blk], len(rows), err)
			}
			if off-starts[blk] >= FixHeaderSize {
				t.Fatalf("block %d: flipped payload byte %d went unnoticed", blk, off)
			}
			for i := range rows {
				if !bytes.Equal(rows[i].Body, orig[i].Body) || rows[i].LSN != orig[i].LSN {
					t.Fatalf("block %d byte %d: row %d changed", blk, off, i)
				}
			}
		}
	}
}

func mustCursor(t testing.TB, data []byte) *Cursor {
	t.Helper()
	c, err := NewCursor(bytesReaderAt(data), "x")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rewriteBlock replaces the payload of the block at off (keeping its
// magic) and recomputes its fixheader, so the damage passes the checksum.
func rewriteBlock(data []byte, starts []int64, blk int, payload []byte) []byte {
	var out []byte
	out = append(out, data[:starts[blk]]...)
	hdr := make([]byte, FixHeaderSize)
	putFixHeader(hdr, [4]byte(data[starts[blk]:starts[blk]+4]) == magicZRows, payload)
	out = append(out, hdr...)
	out = append(out, payload...)
	return append(out, data[starts[blk+1]:]...)
}

func TestCorruptionKinds(t *testing.T) {
	data, starts, counts := faultFile(t)
	cases := []struct {
		name   string
		data   []byte
		offset int64
		reason string
	}{
		{"bad zstd frame", rewriteBlock(data, starts, 2, []byte("definitely not zstd")), starts[2], "Decompression error"},
		{"bad row", rewriteBlock(data, starts, 1, []byte{0x81, 0x00}), starts[1], "can't parse row: Invalid MsgPack - packet header"},
		{"bad magic", append(bytes.Clone(data[:starts[1]]), bytes.Repeat([]byte{'x'}, 40)...), starts[1], "invalid magic: 0x78787878"},
		{"short garbage", append(bytes.Clone(data[:starts[1]]), 'x', 'y'), starts[1], "invalid magic"},
		{"data after EOF", append(bytes.Clone(data), 0), int64(len(data)), "has some data after eof marker at " + strconv.Itoa(len(data))},
		{"broken padding", func() []byte {
			b := bytes.Clone(data)
			b[starts[1]+FixHeaderSize-1] = 0xc1 // the last padding byte
			b[starts[1]+FixHeaderSize-8] = 0xa3 // shorten the fixstr
			return b
		}(), starts[1], "broken fixheader padding"},
	}
	for _, c := range cases {
		cur := mustCursor(t, c.data)
		rows, err := readAll(t, cur)
		var ce *CorruptionError
		if !errors.As(err, &ce) || !IsCorruption(err) || IsTornTail(err) || ce.Offset != c.offset || !strings.Contains(ce.Reason, c.reason) {
			t.Errorf("%s: %v (want %q at %d)", c.name, err, c.reason, c.offset)
			continue
		}
		if want := rowsBefore(starts, counts, c.offset); c.name != "data after EOF" && len(rows) != want {
			t.Errorf("%s: %d rows before the damage, want %d", c.name, len(rows), want)
		}
		// Sticky until Resync.
		var r xrow.Row
		if err2 := cur.Next(&r); err2 != err {
			t.Errorf("%s: not sticky: %v", c.name, err2)
		}
	}
	// force_recovery: skip the damaged block and read on.
	bad := rewriteBlock(data, starts, 1, []byte{0x81, 0x00})
	cur := mustCursor(t, bad)
	rows, err := readAll(t, cur)
	if !IsCorruption(err) || len(rows) != 3 {
		t.Fatal(err)
	}
	if err := cur.Resync(); err != nil {
		t.Fatal(err)
	}
	more, err := readAll(t, cur)
	if err != io.EOF || len(more) != 4 || more[0].LSN != 6 {
		t.Fatalf("after resync: %d rows %v", len(more), err)
	}
}

func TestZeroTail(t *testing.T) {
	data, starts, _ := faultFile(t)
	noEOF := data[:starts[4]]
	for _, n := range []int{1, 3, 18, 19, 100, 10000} {
		file := append(bytes.Clone(noEOF), make([]byte, n)...)
		c := mustCursor(t, file)
		rows, err := readAll(t, c)
		var torn *TornTailError
		if !errors.As(err, &torn) || torn.Offset != starts[4] || torn.Size != int64(n) || len(rows) != 9 {
			t.Errorf("%d zero bytes: %d rows, %v", n, len(rows), err)
		}
	}
	// Zeros followed by data are corruption, not a torn tail.
	file := append(bytes.Clone(noEOF), make([]byte, 40)...)
	file = append(file, 1)
	if _, err := readAll(t, mustCursor(t, file)); !IsCorruption(err) {
		t.Errorf("zeros then data: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"00000000000000000006.xlog", "00000000000000000019.xlog"} {
		f.Add(readTestdata(f, name))
	}
	data, starts, _ := faultFile(f)
	f.Add(data)
	f.Add(data[:starts[2]+25])
	f.Add(append(bytes.Clone(data[:starts[1]]), 0, 0, 0))
	f.Add([]byte("SNAP\n0.12\nServer: 11111111-2222-3333-4444-555555555555\nVClock: {}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := NewCursor(bytesReaderAt(b), "fuzz")
		if err != nil {
			var me *MetaError
			if !errors.As(err, &me) {
				t.Fatalf("meta error of type %T: %v", err, err)
			}
			return
		}
		c.MaxBlockSize = 1 << 20
		defer c.Close()
		for i := 0; i < 10000; i++ {
			var r xrow.Row
			err := c.Next(&r)
			if err == nil {
				continue
			}
			if err != io.EOF && err != ErrNoEOFMarker && !IsTornTail(err) && !IsCorruption(err) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			if g := c.GoodOffset(); g < 0 || g > int64(len(b)) {
				t.Fatalf("GoodOffset %d of %d", g, len(b))
			}
			if !IsCorruption(err) || c.Resync() != nil {
				return
			}
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	f.Add([]byte("XLOG\n0.13\nVersion: 2.6.0\nInstance: 11111111-2222-3333-4444-555555555555\nVClock: {1: 6}\nPrevVClock: {}\n\n"))
	f.Add([]byte("SNAP\n0.12\nServer: 11111111-2222-3333-4444-555555555555\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseMeta(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if strings.ContainsAny(string(m.Type), "\n") || strings.ContainsAny(m.Version, "\n") {
			return
		}
		m.UnknownKeys = nil
		out := AppendMeta(nil, &m)
		again, k, err := ParseMeta(out)
		if err != nil || k != len(out) || again.InstanceUUID != m.InstanceUUID || again.Type != m.Type ||
			(again.VClock == nil) != (m.VClock == nil) || (m.VClock != nil && *again.VClock != *m.VClock) {
			t.Fatalf("round trip of %q: %q %v", b, out, err)
		}
	})
}

func BenchmarkWriter(b *testing.B) {
	txns := testRows(1, 1000, 100)
	b.ReportAllocs()
	var bytesOut int64
	for i := 0; i < b.N; i++ {
		fs := newMemFS()
		f, _ := fs.Create("x")
		w, _ := NewWriter(f, testMeta(TypeXlog, 0), Options{})
		for j, txn := range txns {
			w.WriteTxn(txn)
			if j%10 == 9 {
				w.Flush()
			}
		}
		w.Close()
		bytesOut = w.Offset()
	}
	b.SetBytes(bytesOut)
}

func BenchmarkCursor(b *testing.B) {
	fs := newMemFS()
	f, _ := fs.Create("x")
	w, _ := NewWriter(f, testMeta(TypeXlog, 0), Options{})
	for j, txn := range testRows(1, 1000, 100) {
		w.WriteTxn(txn)
		if j%10 == 9 {
			w.Flush()
		}
	}
	w.Close()
	data := fs.files["x"].data
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, _ := NewCursor(bytesReaderAt(data), "x")
		var r xrow.Row
		for c.Next(&r) == nil {
		}
	}
}
