package recovery

import (
	"context"
	"errors"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/snapshot"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/wal"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

const testUUID = "c638ed0c-436a-4b62-800e-063bb4766665"

type memLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *memLog) Log(who string, level say.Level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, who+" "+string(level.Letter())+"> "+msg)
	l.mu.Unlock()
}

func (l *memLog) String() string { return strings.Join(l.lines, "\n") }

// model is a Consumer keeping space -> first field -> tuple, applying
// REPLACE and DELETE rows.
type model struct {
	spaces map[uint32]map[uint64]string
	rows   []xrow.Row
	fail   func(*xrow.Row) error
}

func newModel() *model { return &model{spaces: map[uint32]map[uint64]string{}} }

func key(tuple []byte) uint64 {
	_, n, _ := msgpack.ReadArrayHeader(tuple)
	k, _, _ := msgpack.ReadUint(tuple[n:])
	return k
}

func (m *model) put(space uint32, tuple []byte) {
	if m.spaces[space] == nil {
		m.spaces[space] = map[uint64]string{}
	}
	m.spaces[space][key(tuple)] = string(tuple)
}

func (m *model) ApplySnapshotRow(space uint32, tuple []byte) error {
	m.put(space, tuple)
	return nil
}

func (m *model) ApplyRow(r *xrow.Row) error {
	if m.fail != nil {
		if err := m.fail(r); err != nil {
			return err
		}
	}
	c := *r
	c.Body = append([]byte(nil), r.Body...)
	m.rows = append(m.rows, c)
	req, err := xrow.DecodeDML(r, 0)
	if err != nil {
		return err
	}
	switch r.Type {
	case 3:
		m.put(req.SpaceID, req.Tuple)
	case 5:
		delete(m.spaces[req.SpaceID], key(req.Key))
	}
	return nil
}

func tupleBytes(k uint64, s string) []byte {
	b := msgpack.AppendArrayHeader(nil, 2)
	b = msgpack.AppendUint(b, k)
	return msgpack.AppendString(b, s)
}

func replaceRow(space uint32, k uint64, s string) *xrow.Row {
	req := xrow.Request{Type: 3, SpaceID: space, Tuple: tupleBytes(k, s)}
	return &xrow.Row{Type: 3, Body: xrow.AppendDMLBody(nil, &req)}
}

func deleteRow(space uint32, k uint64) *xrow.Row {
	key := msgpack.AppendArrayHeader(nil, 1)
	key = msgpack.AppendUint(key, k)
	req := xrow.Request{Type: 5, SpaceID: space, Key: key}
	return &xrow.Row{Type: 5, Body: xrow.AppendDMLBody(nil, &req)}
}

// fixture writes a snapshot of space 512 holding keys 0..n-1 and then the
// given transactions through the WAL; it returns the expected model.
type fixture struct {
	fs     *vfs.MemFS
	expect map[uint64]string
}

func build(t testing.TB, n int, txns [][]*xrow.Row, opts wal.Options) *fixture {
	fs := vfs.NewMemFS()
	fs.MkdirAll("data")
	sp := memtx.NewSpace(512, "t")
	if _, err := sp.CreateIndex(memtx.IndexDef{ID: 0, Name: "pk", Type: memtx.IndexTree, Unique: true,
		Key: memtx.KeyDef{Parts: []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldUnsigned}}}}); err != nil {
		t.Fatal(err)
	}
	expect := map[uint64]string{}
	for i := 0; i < n; i++ {
		tb := tupleBytes(uint64(i), "snap")
		tu, _ := memtx.NewTuple(tb)
		sp.Replace(nil, tu, memtx.DupInsert)
		expect[uint64(i)] = string(tb)
	}
	var vc vclock.VClock
	vc.Set(1, 3)
	if _, err := snapshot.Write(context.Background(), fs, "data", snapshot.Meta{InstanceUUID: testUUID, VClock: vc},
		[]snapshot.Space{{ID: 512, View: sp.ReadView()}}, snapshot.Options{}); err != nil {
		t.Fatal(err)
	}
	opts.VClock, opts.InstanceUUID, opts.InstanceID = vc, testUUID, 1
	if opts.Mode == wal.ModeNone {
		opts.Mode = wal.ModeWrite
	}
	w, err := wal.Open(fs, "data", opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, txn := range txns {
		if err := w.Submit(txn).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, r := range txn {
			req, _ := xrow.DecodeDML(r, 0)
			if r.GroupID != 0 {
				continue
			}
			switch r.Type {
			case 3:
				expect[key(req.Tuple)] = string(req.Tuple)
			case 5:
				delete(expect, key(req.Key))
			}
		}
	}
	w.Close()
	return &fixture{fs: fs, expect: expect}
}

func recoverInto(t testing.TB, fs vfs.FS, force bool, log *memLog) (*model, *Result, error) {
	r, err := Open(fs, Options{MemtxDir: "data", WALDir: "data", ForceRecovery: force, Log: log, Who: "main/103/interactive"})
	if err != nil {
		return nil, nil, err
	}
	m := newModel()
	res, err := r.Run(m)
	return m, res, err
}

func sameSpace(t *testing.T, got map[uint64]string, want map[uint64]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tuples, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %d: %q, want %q", k, got[k], v)
		}
	}
}

func standardTxns() [][]*xrow.Row {
	local := replaceRow(513, 1, "local")
	local.GroupID = 1
	return [][]*xrow.Row{
		{replaceRow(512, 100, "a")},
		{replaceRow(512, 1, "updated"), deleteRow(512, 2)},
		{local},
		{deleteRow(512, 100), replaceRow(512, 101, "b")},
	}
}

func TestRoundTrip(t *testing.T) {
	f := build(t, 1000, standardTxns(), wal.Options{MaxSize: 100})
	log := &memLog{}
	m, res, err := recoverInto(t, f.fs, false, log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	sameSpace(t, m.spaces[512], f.expect)
	if got := res.VClock.String(); got != "{0: 1, 1: 8}" || res.InstanceUUID != testUUID || res.SnapshotRows != 1000 || res.XlogRows != 6 {
		t.Fatalf("result %+v vclock %s", res, got)
	}
	if m.spaces[513][1] == "" {
		t.Fatal("local row lost")
	}
	lines := log.String()
	for _, want := range []string{
		"main/103/interactive I> recovery start\nmain/103/interactive I> recovering from `data/00000000000000000003.snap'\nmain/103/interactive I> recover from `data/00000000000000000003.xlog'\nmain/103/interactive I> done `data/00000000000000000003.xlog'",
		"I> done `data/00000000000000000009.xlog'",
	} {
		if !strings.Contains(lines, want) {
			t.Fatalf("log lacks %q:\n%s", want, lines)
		}
	}
	// Recovering twice gives the same state; rows already covered by a
	// newer snapshot are skipped.
	r, _ := Open(f.fs, Options{MemtxDir: "data", WALDir: "data"})
	if end := r.EndVClock(); end.String() != "{0: 1, 1: 8}" {
		t.Fatalf("end vclock %s", end.String())
	}
}

// TestTornTail cuts the last xlog at every offset inside its last block:
// recovery keeps every complete block, warns and truncates the tail away.
func TestTornTail(t *testing.T) {
	var txns [][]*xrow.Row
	for i := uint64(0); i < 6; i++ {
		txns = append(txns, []*xrow.Row{replaceRow(512, 200+i, strings.Repeat("x", int(i)))})
	}
	f := build(t, 3, txns, wal.Options{})
	last := "data/00000000000000000003.xlog"
	// Drop the empty shutdown xlog so the torn file is the last one.
	f.fs.Remove("data/00000000000000000009.xlog")
	f.fs.SyncDir("data")
	full, _ := f.fs.ReadFile(last)
	full = full[:len(full)-4] // no EOF marker: the writer died
	// Find the start of the last block (its magic).
	start := strings.LastIndex(string(full), "\xd5\xba\x0b\xab")
	for cut := start + 1; cut < len(full); cut++ {
		fs := f.fs.Crash()
		fs.WriteFile(last, full[:cut])
		log := &memLog{}
		m, res, err := recoverInto(t, fs, false, log)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(m.rows) != 5 || res.VClock.Sum() != 8 {
			t.Fatalf("cut %d: %d rows, vclock %s", cut, len(m.rows), res.VClock.String())
		}
		if !strings.Contains(log.String(), "recovery.cc:155 W> file `data/00000000000000000003.xlog` wasn't correctly closed") {
			t.Fatalf("cut %d log:\n%s", cut, log)
		}
		if got, _ := fs.ReadFile(last); len(got) != start {
			t.Fatalf("cut %d: file is %d bytes, want it truncated to %d", cut, len(got), start)
		}
	}
	// A cut exactly at a block boundary is a file without an EOF marker.
	fs := f.fs.Crash()
	fs.WriteFile(last, full[:start])
	if m, _, err := recoverInto(t, fs, false, &memLog{}); err != nil || len(m.rows) != 5 {
		t.Fatalf("boundary: %v", err)
	}
}

func TestCorruptionInTheMiddle(t *testing.T) {
	var txns [][]*xrow.Row
	for i := uint64(0); i < 5; i++ {
		txns = append(txns, []*xrow.Row{replaceRow(512, 300+i, "y")})
	}
	f := build(t, 3, txns, wal.Options{})
	name := "data/00000000000000000003.xlog"
	data, _ := f.fs.ReadFile(name)
	second := strings.Index(string(data[strings.Index(string(data), "\xd5\xba\x0b\xab")+1:]), "\xd5\xba\x0b\xab") + strings.Index(string(data), "\xd5\xba\x0b\xab") + 1
	data[second+25] ^= 0xff
	f.fs.WriteFile(name, data)
	log := &memLog{}
	_, _, err := recoverInto(t, f.fs, false, log)
	var ce *xlog.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != int64(second) || !strings.Contains(err.Error(), name) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(log.String(), "xlog.c:1747 E> XlogError: tx checksum mismatch") {
		t.Fatalf("log:\n%s", log)
	}
	log = &memLog{}
	m, res, err := recoverInto(t, f.fs, true, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.rows) != 4 || res.VClock.Sum() != 8 {
		t.Fatalf("force: %d rows, vclock %s", len(m.rows), res.VClock.String())
	}
	if !strings.Contains(log.String(), "xlog.c:1935 E> can't open tx: tx checksum mismatch") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestGap(t *testing.T) {
	var txns [][]*xrow.Row
	for i := uint64(0); i < 8; i++ {
		txns = append(txns, []*xrow.Row{replaceRow(512, 400+i, "z")})
	}
	f := build(t, 1, txns, wal.Options{MaxSize: 150})
	names, _ := f.fs.ReadDir("data")
	var xlogs []string
	for _, n := range names {
		if strings.HasSuffix(n, ".xlog") {
			xlogs = append(xlogs, n)
		}
	}
	if len(xlogs) < 4 {
		t.Fatalf("not enough files %v", xlogs)
	}
	f.fs.Remove(path.Join("data", xlogs[1]))
	f.fs.SyncDir("data")
	_, _, err := recoverInto(t, f.fs, false, &memLog{})
	var ge *GapError
	if !errors.As(err, &ge) || !strings.HasPrefix(err.Error(), "Missing .xlog file between LSN") {
		t.Fatalf("err %v", err)
	}
	log := &memLog{}
	if _, _, err := recoverInto(t, f.fs, true, log); err != nil || !strings.Contains(log.String(), "W> ignoring a gap in LSN") {
		t.Fatalf("force: %v\n%s", err, log)
	}
	// The first xlog after the snapshot missing is a gap too.
	f.fs.Remove(path.Join("data", xlogs[0]))
	if _, _, err := recoverInto(t, f.fs, false, &memLog{}); !errors.As(err, &ge) {
		t.Fatalf("err %v", err)
	}
}

func TestSnapshotChecks(t *testing.T) {
	f := build(t, 10, nil, wal.Options{})
	if _, err := Open(f.fs, Options{MemtxDir: "data", WALDir: "data", InstanceUUID: "00000000-0000-0000-0000-000000000001"}); !boxerr.Is(err, boxerr.ER_INSTANCE_UUID_MISMATCH) {
		t.Fatalf("uuid: %v", err)
	}
	snap := "data/00000000000000000003.snap"
	data, _ := f.fs.ReadFile(snap)
	f.fs.WriteFile(snap, data[:len(data)-4])
	_, _, err := recoverInto(t, f.fs, false, &memLog{})
	var ne *NoEOFError
	if !errors.As(err, &ne) || err.Error() != "snapshot `data/00000000000000000003.snap' has no EOF marker" {
		t.Fatalf("err %v", err)
	}
	empty := vfs.NewMemFS()
	r, err := Open(empty, Options{MemtxDir: "data", WALDir: "data"})
	if err != nil || r.HasSnapshot() {
		t.Fatal("empty dir", err)
	}
}

func TestApplyErrors(t *testing.T) {
	f := build(t, 1, standardTxns(), wal.Options{})
	boom := errors.New("boom")
	r, _ := Open(f.fs, Options{MemtxDir: "data", WALDir: "data"})
	m := newModel()
	m.fail = func(r *xrow.Row) error {
		if r.LSN == 5 {
			return boom
		}
		return nil
	}
	if _, err := r.Run(m); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	log := &memLog{}
	r, _ = Open(f.fs, Options{MemtxDir: "data", WALDir: "data", ForceRecovery: true, Log: log})
	m = newModel()
	m.fail = func(r *xrow.Row) error {
		if r.LSN == 5 {
			return boom
		}
		return nil
	}
	if _, err := r.Run(m); err != nil || !strings.Contains(log.String(), "recovery.cc:285 E> skipping row {1: 5}") {
		t.Fatalf("force: %v\n%s", err, log)
	}
}

// TestCrashRecovery: with fsync mode every acknowledged transaction is
// recovered from a crash image taken right after Wait returned.
func TestCrashRecovery(t *testing.T) {
	f := build(t, 1, nil, wal.Options{})
	var vc vclock.VClock
	vc.Set(1, 3)
	w, err := wal.Open(f.fs, "data", wal.Options{Mode: wal.ModeFsync, VClock: vc, InstanceUUID: testUUID, InstanceID: 1, MaxSize: 400})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 50; i++ {
		if err := w.Submit([]*xrow.Row{replaceRow(512, 1000+i, "c")}).Wait(); err != nil {
			t.Fatal(err)
		}
		crashed := f.fs.Crash()
		m, res, err := recoverInto(t, crashed, false, &memLog{})
		if err != nil {
			t.Fatalf("after %d: %v", i, err)
		}
		if len(m.spaces[512]) != int(i)+2 || res.VClock.Get(1) != vclock.LSN(4+i) {
			t.Fatalf("after %d: %d tuples, vclock %s", i, len(m.spaces[512]), res.VClock.String())
		}
	}
	w.Close()
}
