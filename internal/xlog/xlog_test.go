package xlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

const testUUID = "11111111-2222-3333-4444-555555555555"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/tarantool-2.6.0/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rowSummary is what the tests compare of a row: everything but the
// timestamp (which differs between runs) and the body (checked apart).
type rowSummary struct {
	Type      uint16
	ReplicaID uint32
	GroupID   uint32
	LSN       int64
	TSN       int64
	IsCommit  bool
}

func summarize(r *xrow.Row) rowSummary {
	return rowSummary{r.Type, r.ReplicaID, r.GroupID, r.LSN, r.TSN, r.IsCommit}
}

// readAll reads every row of a file, copying bodies, and returns the error
// that ended the reading.
func readAll(t testing.TB, c *Cursor) ([]xrow.Row, error) {
	t.Helper()
	var rows []xrow.Row
	for {
		var r xrow.Row
		err := c.Next(&r)
		if err != nil {
			return rows, err
		}
		r.Body = bytes.Clone(r.Body)
		rows = append(rows, r)
	}
}

// tarantoolXlogRows is the content of testdata's 00000000000000000006.xlog.
var tarantoolXlogRows = []rowSummary{
	{2, 1, 0, 7, 7, true},
	{3, 1, 0, 8, 8, true},
	{4, 1, 0, 9, 9, true},
	{9, 1, 0, 10, 10, true},
	{5, 1, 0, 11, 11, true},
	{2, 1, 0, 12, 12, false},
	{2, 1, 0, 13, 12, false},
	{2, 1, 0, 14, 12, true},
	{2, 1, 0, 15, 15, true},
	{2, 0, 1, 1, 1, true},
	{2, 1, 0, 16, 16, false},
	{2, 0, 1, 2, 16, false},
	{12, 1, 0, 17, 16, true},
}

func TestReadTarantoolXlog(t *testing.T) {
	data := readTestdata(t, "00000000000000000006.xlog")
	c, err := NewCursor(bytesReaderAt(data), "00000000000000000006.xlog")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Meta()
	if m.Type != TypeXlog || m.Version != DefaultVersion || m.InstanceUUID != testUUID ||
		m.VClock == nil || m.VClock.String() != "{1: 6}" || m.PrevVClock == nil || m.PrevVClock.String() != "{}" {
		t.Fatalf("meta %+v", m)
	}
	rows, err := readAll(t, c)
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if len(rows) != len(tarantoolXlogRows) {
		t.Fatalf("%d rows", len(rows))
	}
	for i := range rows {
		if got := summarize(&rows[i]); got != tarantoolXlogRows[i] {
			t.Errorf("row %d: %+v, want %+v", i, got, tarantoolXlogRows[i])
		}
	}
	// The 5 KB row came out of the zstd block intact.
	req, err := xrow.DecodeDML(&rows[8], xrow.RequiredKeys(rows[8].Type))
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := msgpack.Decode(req.Tuple)
	if err != nil || len(v.([]any)[1].(string)) != 5000 {
		t.Fatalf("big tuple: %v", err)
	}
	if c.GoodOffset() != int64(len(data))-4 {
		t.Errorf("GoodOffset %d, file %d", c.GoodOffset(), len(data))
	}
	// The EOF state is sticky.
	var r xrow.Row
	if err := c.Next(&r); err != io.EOF {
		t.Fatalf("after EOF: %v", err)
	}
}

func TestReadTarantoolSnap(t *testing.T) {
	data := readTestdata(t, "00000000000000000006.snap")
	c, err := NewCursor(bytesReaderAt(data), "snap")
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Meta(); m.Type != TypeSnap || m.VClock.String() != "{1: 6}" || m.PrevVClock != nil {
		t.Fatalf("meta %+v", m)
	}
	rows, err := readAll(t, c)
	if err != io.EOF {
		t.Fatal(err)
	}
	if len(rows) != 517 {
		t.Fatalf("%d rows", len(rows))
	}
	perSpace := map[uint32]int{}
	for i, r := range rows {
		if r.Type != 2 || r.LSN != int64(i) || r.ReplicaID != 0 || r.Timestamp != rows[0].Timestamp {
			t.Fatalf("row %d: %+v", i, summarize(&r))
		}
		if !bytes.HasPrefix(r.Body, []byte{0x82, 0x10, 0xce}) || r.Body[7] != 0x21 {
			t.Fatalf("row %d body % x", i, r.Body[:8])
		}
		req, err := xrow.DecodeDML(&r, xrow.RequiredKeys(2))
		if err != nil {
			t.Fatal(err)
		}
		perSpace[req.SpaceID]++
	}
	if perSpace[272] != 3 || perSpace[280] != 27 || perSpace[320] != 1 {
		t.Errorf("rows per space %v", perSpace)
	}
}

func TestMetaFormat(t *testing.T) {
	data := readTestdata(t, "00000000000000000019.xlog")
	vc, _ := vclock.Parse("{0: 2, 1: 17}")
	prev, _ := vclock.Parse("{1: 6}")
	want := AppendMeta(nil, &Meta{Type: TypeXlog, InstanceUUID: testUUID, VClock: &vc, PrevVClock: &prev})
	if !bytes.HasPrefix(data, want) || len(data) != len(want)+4 {
		t.Fatalf("meta\n%q\nfile\n%q", want, data)
	}
	m, n, err := ParseMeta(data)
	if err != nil || n != len(want) || *m.VClock != vc || *m.PrevVClock != prev {
		t.Fatalf("ParseMeta: %+v %d %v", m, n, err)
	}
	// An empty xlog: EOF right after the meta.
	c, err := NewCursor(bytesReaderAt(data), "x")
	if err != nil {
		t.Fatal(err)
	}
	var r xrow.Row
	if err := c.Next(&r); err != io.EOF {
		t.Fatal(err)
	}
}

func TestParseMeta(t *testing.T) {
	ok := []struct {
		in   string
		want string // type|uuid|vclock|prev|unknown
	}{
		{"SNAP\n0.12\nServer: 11111111-2222-3333-4444-555555555555\nVClock: {1: 2}\n\n", "SNAP|" + testUUID + "|{1: 2}|nil|[]"},
		{"XLOG\n0.13\nInstance:\tAAAAAAAA-2222-3333-4444-555555555555\nFoo: bar\n\n", "XLOG|aaaaaaaa-2222-3333-4444-555555555555|nil|nil|[Foo]"},
		{"VYLOG\n0.13\n\n", "VYLOG||nil|nil|[]"},
	}
	for _, c := range ok {
		m, n, err := ParseMeta([]byte(c.in + "trailing"))
		if err != nil || n != len(c.in) {
			t.Errorf("%q: %v n=%d", c.in, err, n)
			continue
		}
		str := func(v *vclock.VClock) string {
			if v == nil {
				return "nil"
			}
			return v.String()
		}
		if got := fmt.Sprintf("%s|%s|%s|%s|%v", m.Type, m.InstanceUUID, str(m.VClock), str(m.PrevVClock), m.UnknownKeys); got != c.want {
			t.Errorf("%q: got %s want %s", c.in, got, c.want)
		}
	}
	bad := []struct{ in, reason string }{
		{"XLOG\n0.13\n", "Unexpected end of file, run with 'force_recovery = true'"},
		{"XLOGXLOGXLOG\n0.13\n\n", "failed to parse xlog type string"},
		{"XLOG\n\n", "failed to parse xlog version string"},
		{"XLOG\n0.11\n\n", "unsupported file format version 0.11"},
		{"XLOG\n0.13\nnocolon\n\n", "can't extract meta value"},
		{"XLOG\n0.13\nInstance: 1234\n\n", "can't parse instance UUID"},
		{"XLOG\n0.13\nInstance: 11111111+2222-3333-4444-555555555555\n\n", "can't parse instance UUID"},
		{"XLOG\n0.13\nVClock: {1: x}\n\n", "invalid vclock at offset 5"},
		{"XLOG\n0.13\nPrevVClock: {\n\n", "invalid vclock at offset 2"},
		{"XLOG\n0.13\nVClock: {1:" + strings.Repeat(" ", 900) + "2}\n\n", "can't parse vclock"},
	}
	for _, c := range bad {
		_, _, err := ParseMeta([]byte(c.in))
		var me *MetaError
		if !errors.As(err, &me) || me.Reason != c.reason {
			t.Errorf("%q: got %v, want %q", c.in, err, c.reason)
		}
	}
}

// testRows builds n one-row transactions starting at lsn, each with a
// tuple of size bytes.
func testRows(lsn int64, n, size int) [][]*xrow.Row {
	var txns [][]*xrow.Row
	for i := 0; i < n; i++ {
		tuple := msgpack.MustAppend(nil, []any{lsn, strings.Repeat("v", size)})
		r := &xrow.Row{Type: 2, ReplicaID: 1, LSN: lsn, TSN: lsn, IsCommit: true, Timestamp: 1.5e9 + float64(lsn),
			Body: xrow.AppendDMLBody(nil, &xrow.Request{SpaceID: 512, Tuple: tuple})}
		txns = append(txns, []*xrow.Row{r})
		lsn++
	}
	return txns
}

func testMeta(t FileType, sig int64) *Meta {
	var vc vclock.VClock
	if sig > 0 {
		vc.Follow(1, vclock.LSN(sig))
	}
	return &Meta{Type: t, InstanceUUID: testUUID, VClock: &vc}
}

// blockStarts returns the file offsets of every block (and of the EOF
// marker) by walking fixheaders.
func blockStarts(t testing.TB, data []byte) []int64 {
	t.Helper()
	_, off, err := ParseMeta(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for off < len(data) {
		out = append(out, int64(off))
		if bytes.Equal(data[off:min(off+4, len(data))], magicEOF[:]) {
			break
		}
		h, reason := decodeFixHeader(data[off : off+FixHeaderSize])
		if reason != "" {
			t.Fatalf("block at %d: %s", off, reason)
		}
		off += FixHeaderSize + int(h.length)
	}
	return out
}

// TestWriterMirrorsTarantool re-writes the rows of Tarantool's xlog with
// the same meta and block boundaries and gets the same bytes (the zstd
// block may differ only in its compressed bytes).
func TestWriterMirrorsTarantool(t *testing.T) {
	data := readTestdata(t, "00000000000000000006.xlog")
	c, err := NewCursor(bytesReaderAt(data), "x")
	if err != nil {
		t.Fatal(err)
	}
	fs := newMemFS()
	f, _ := fs.Create("out")
	w, err := NewWriter(f, c.Meta(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	block := c.blockOff
	var txn []*xrow.Row
	for {
		var r xrow.Row
		err := c.Next(&r)
		if err == nil && c.blockOff != block || err != nil {
			if len(txn) > 0 {
				if err := w.WriteTxn(txn); err != nil {
					t.Fatal(err)
				}
				txn = nil
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			block = c.blockOff
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r.Body = bytes.Clone(r.Body)
		txn = append(txn, &r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ours := fs.files["out"].data
	theirs, mine := blockStarts(t, data), blockStarts(t, ours)
	if len(theirs) != len(mine) {
		t.Fatalf("blocks %v vs %v", theirs, mine)
	}
	if !bytes.Equal(ours[:mine[0]], data[:theirs[0]]) {
		t.Fatalf("meta differs")
	}
	for i := 0; i+1 < len(theirs); i++ {
		a, b := data[theirs[i]:theirs[i+1]], ours[mine[i]:mine[i+1]]
		if [4]byte(a[:4]) == magicZRows {
			if [4]byte(b[:4]) != magicZRows {
				t.Fatalf("block %d not compressed", i)
			}
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("block %d\n theirs %x\n ours   %x", i, a, b)
		}
	}
	// Same rows back, including the compressed block.
	c2, err := NewCursor(bytesReaderAt(ours), "ours")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, c2)
	if err != io.EOF || len(rows) != len(tarantoolXlogRows) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	c3, _ := NewCursor(bytesReaderAt(data), "theirs")
	orig, _ := readAll(t, c3)
	for i := range rows {
		if !bytes.Equal(xrow.EncodeRow(nil, &rows[i], true), xrow.EncodeRow(nil, &orig[i], true)) {
			t.Errorf("row %d differs", i)
		}
	}
}

func TestWriterThresholds(t *testing.T) {
	fs := newMemFS()
	f, _ := fs.Create("x")
	w, err := NewWriter(f, testMeta(TypeXlog, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A small batch is one plain block; a big one a zstd block.
	for _, txn := range testRows(1, 3, 10) {
		w.WriteTxn(txn)
	}
	w.Flush()
	for _, txn := range testRows(4, 3, 1000) {
		w.WriteTxn(txn)
	}
	w.Flush()
	// Many transactions: written whenever the block reaches 128 KiB,
	// never in the middle of a transaction.
	for _, txn := range testRows(7, 300, 1000) {
		w.WriteTxn(txn)
	}
	if w.Buffered() >= AutocommitThreshold || w.Rows() < 100 {
		t.Fatalf("no autocommit: buffered %d rows %d", w.Buffered(), w.Rows())
	}
	// One transaction bigger than the threshold stays one block.
	var big []*xrow.Row
	for _, txn := range testRows(307, 200, 1000) {
		big = append(big, txn[0])
	}
	for i, r := range big {
		r.TSN, r.IsCommit = 307, i == len(big)-1
	}
	w.Flush()
	w.WriteTxn(big)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := fs.files["x"].data
	starts := blockStarts(t, data)
	magics := ""
	for _, s := range starts {
		switch [4]byte(data[s : s+4]) {
		case magicRows:
			magics += "p"
		case magicZRows:
			magics += "z"
		case magicEOF:
			magics += "E"
		}
	}
	if !strings.HasPrefix(magics, "pz") || !strings.HasSuffix(magics, "zE") {
		t.Errorf("blocks %s", magics)
	}
	c, _ := NewCursor(bytesReaderAt(data), "x")
	rows, err := readAll(t, c)
	if err != io.EOF || len(rows) != 506 {
		t.Fatalf("%d rows %v", len(rows), err)
	}
	for i, r := range rows {
		if r.LSN != int64(i+1) {
			t.Fatalf("row %d lsn %d", i, r.LSN)
		}
	}
	// The last block holds exactly the big transaction.
	last := starts[len(starts)-2]
	c2, _ := NewCursor(bytesReaderAt(data), "x")
	var r xrow.Row
	n := 0
	for c2.Next(&r) == nil {
		if c2.blockOff == last {
			n++
		}
	}
	if n != 200 {
		t.Errorf("last block holds %d rows", n)
	}
}

func TestWriterRejectsBadRows(t *testing.T) {
	fs := newMemFS()
	f, _ := fs.Create("x")
	w, _ := NewWriter(f, testMeta(TypeXlog, 0), Options{})
	for _, r := range []*xrow.Row{{Type: 12, Body: []byte{0x80}}, {Type: 2}} {
		if err := w.WriteTxn([]*xrow.Row{r}); err == nil {
			t.Errorf("row %+v accepted", r)
		}
	}
	if w.Buffered() != 0 {
		t.Fatal("rejected rows buffered")
	}
	if err := w.WriteTxn([]*xrow.Row{{Type: 12, ReplicaID: 1, LSN: 1}}); err != nil {
		t.Fatal(err)
	}
}

func TestWriterWriteFailure(t *testing.T) {
	fs := newMemFS()
	f, _ := fs.Create("x")
	w, _ := NewWriter(f, testMeta(TypeXlog, 0), Options{NoCompression: true})
	txns := testRows(1, 4, 100)
	w.WriteTxn(txns[0])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	good := w.Offset()
	fs.failWriteAt = good + 30 // the next block is torn after 30 bytes
	w.WriteTxn(txns[1])
	if err := w.Flush(); !errors.Is(err, errInjected) {
		t.Fatalf("flush: %v", err)
	}
	if int64(len(fs.files["x"].data)) != good || w.Offset() != good {
		t.Fatalf("not truncated back: %d", len(fs.files["x"].data))
	}
	fs.failWriteAt = 0
	w.WriteTxn(txns[2])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c, _ := NewCursor(bytesReaderAt(fs.files["x"].data), "x")
	rows, err := readAll(t, c)
	if err != io.EOF || len(rows) != 2 || rows[0].LSN != 1 || rows[1].LSN != 3 {
		t.Fatalf("rows %v err %v", rows, err)
	}

	// If the truncation fails too, the writer refuses to go on and
	// never writes an EOF marker after the torn block.
	fs2 := newMemFS()
	f2, _ := fs2.Create("y")
	w2, _ := NewWriter(f2, testMeta(TypeXlog, 0), Options{})
	fs2.failWriteAt, fs2.failTrunc = w2.Offset()+10, true
	w2.WriteTxn(txns[0])
	if err := w2.Flush(); err == nil {
		t.Fatal("flush succeeded")
	}
	if err := w2.WriteTxn(txns[1]); err == nil {
		t.Fatal("broken writer accepted a write")
	}
	w2.Close()
	if bytes.HasSuffix(fs2.files["y"].data, magicEOF[:]) {
		t.Fatal("EOF marker after a torn block")
	}
	c2, _ := NewCursor(bytesReaderAt(fs2.files["y"].data), "y")
	if _, err := readAll(t, c2); !IsTornTail(err) {
		t.Fatalf("got %v", err)
	}
}

func TestCreateAndOpen(t *testing.T) {
	fs := newMemFS()
	meta := testMeta(TypeXlog, 27)
	w, err := Create(fs, "wal", meta, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Path() != "wal/00000000000000000027.xlog" || strings.Join(fs.names(), ",") != "wal/00000000000000000027.xlog" {
		t.Fatalf("xlog not renamed: %s %v", w.Path(), fs.names())
	}
	w.WriteTxn(testRows(28, 1, 10)[0])
	w.Close()
	if _, err := Create(fs, "wal", meta, Options{}); err == nil {
		t.Fatal("existing file overwritten")
	}

	snap, err := Create(fs, "snap", testMeta(TypeSnap, 27), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Path() != "snap/00000000000000000027.snap.inprogress" {
		t.Fatalf("snap path %s", snap.Path())
	}
	snap.Close()
	final, err := Commit(fs, snap.Path())
	if err != nil || final != "snap/00000000000000000027.snap" || len(fs.syncedDirs) != 1 || fs.syncedDirs[0] != "snap" {
		t.Fatalf("commit: %s %v %v", final, err, fs.syncedDirs)
	}

	c, err := Open(fs, "wal", 27, TypeXlog, strings.ToUpper(testUUID))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, c)
	if err != ErrNoEOFMarker && err != io.EOF || len(rows) != 1 {
		t.Fatalf("%v %v", rows, err)
	}
	c.Close()
	if _, err := Open(fs, "wal", 27, TypeXlog, "99999999-2222-3333-4444-555555555555"); err == nil || !strings.Contains(err.Error(), "invalid instance UUID") {
		t.Errorf("uuid check: %v", err)
	}
	fs.Rename("wal/00000000000000000027.xlog", "wal/00000000000000000028.xlog")
	if _, err := Open(fs, "wal", 28, TypeXlog, ""); err == nil || !strings.Contains(err.Error(), "signature check failed") {
		t.Errorf("signature check: %v", err)
	}
	fs.Rename("snap/00000000000000000027.snap", "snap/00000000000000000027.xlog")
	if _, err := Open(fs, "snap", 27, TypeXlog, ""); !boxerr.Is(err, boxerr.ER_INVALID_XLOG_TYPE) || err.Error() != "Invalid xlog type: expected XLOG, got SNAP" {
		t.Errorf("type check: %v", err)
	}
}

func TestFileNames(t *testing.T) {
	if FileName(27, TypeSnap) != "00000000000000000027.snap" || FileName(0, TypeXlog) != "00000000000000000000.xlog" {
		t.Fatal(FileName(27, TypeSnap))
	}
	for _, c := range []struct {
		name string
		sig  int64
		typ  FileType
		ok   bool
	}{
		{"00000000000000000027.snap", 27, TypeSnap, true},
		{"00000000000000000006.xlog", 6, TypeXlog, true},
		{"00000000000000000006.xlog.inprogress", 0, "", false},
		{"abc.xlog", 0, "", false},
		{".xlog", 0, "", false},
		{"5.txt", 0, "", false},
	} {
		sig, typ, ok := ParseFileName(c.name)
		if sig != c.sig || typ != c.typ || ok != c.ok {
			t.Errorf("%s: %d %s %v", c.name, sig, typ, ok)
		}
	}
}
