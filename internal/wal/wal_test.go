package wal

import (
	"errors"
	"io"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

const testUUID = "c638ed0c-436a-4b62-800e-063bb4766665"

type logLine struct {
	who   string
	level say.Level
	msg   string
}

type memLog struct {
	mu    sync.Mutex
	lines []logLine
}

func (l *memLog) Log(who string, level say.Level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, logLine{who, level, msg})
	l.mu.Unlock()
}

func (l *memLog) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ln := range l.lines {
		if strings.Contains(ln.msg, sub) {
			return true
		}
	}
	return false
}

// replace builds a REPLACE row into space 512 of tuple [k].
func replace(k uint64) *xrow.Row {
	body := msgpack.AppendMapHeader(nil, 2)
	body = msgpack.AppendUint(body, 0x10)
	body = msgpack.AppendUint(body, 512)
	body = msgpack.AppendUint(body, 0x21)
	body = msgpack.AppendArrayHeader(body, 1)
	body = msgpack.AppendUint(body, k)
	return &xrow.Row{Type: 3, Body: body}
}

func openMem(t testing.TB, fs vfs.FS, opts Options) *Writer {
	t.Helper()
	if opts.InstanceUUID == "" {
		opts.InstanceUUID = testUUID
	}
	if opts.Now == nil {
		opts.Now = func() float64 { return 1700000000.5 }
	}
	w, err := Open(fs, "wal", opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func newMemFS(t testing.TB) *vfs.MemFS {
	m := vfs.NewMemFS()
	if err := m.MkdirAll("wal"); err != nil {
		t.Fatal(err)
	}
	return m
}

// readRows returns every row of every xlog in dir, in file order, and the
// file names.
func readRows(t *testing.T, fs vfs.FS, dir string) ([]xrow.Row, []string) {
	t.Helper()
	names, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []xrow.Row
	var files []string
	for _, name := range names {
		sig, typ, ok := xlog.ParseFileName(name)
		if !ok || typ != xlog.TypeXlog {
			continue
		}
		files = append(files, name)
		c, err := xlog.Open(fs, dir, sig, xlog.TypeXlog, testUUID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for {
			var r xrow.Row
			err := c.Next(&r)
			if err == io.EOF || errors.Is(err, xlog.ErrNoEOFMarker) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r.Body = append([]byte(nil), r.Body...)
			rows = append(rows, r)
		}
		c.Close()
	}
	return rows, files
}

func TestAssignLSN(t *testing.T) {
	type want struct {
		rid     uint32
		lsn     int64
		tsn     int64
		commit  bool
		localGr bool
	}
	var start vclock.VClock
	start.Set(0, 4)
	start.Set(1, 10)
	start.Set(2, 7)
	cases := []struct {
		name string
		rows []xrow.Row // ReplicaID/LSN preset for replicated rows; GroupID 1 for local
		want []want
		vc   string
	}{
		{"one global row", []xrow.Row{{}}, []want{{1, 11, 11, true, false}}, "{0: 4, 1: 11, 2: 7}"},
		{"multi-row", []xrow.Row{{}, {}, {}}, []want{{1, 11, 11, false, false}, {1, 12, 11, false, false}, {1, 13, 11, true, false}}, "{0: 4, 1: 13, 2: 7}"},
		{"local only", []xrow.Row{{GroupID: 1}, {GroupID: 1}}, []want{{0, 5, 5, false, true}, {0, 6, 5, true, true}}, "{0: 6, 1: 10, 2: 7}"},
		// Local rows before the first global row take its lsn as tsn.
		{"local then global", []xrow.Row{{GroupID: 1}, {}, {GroupID: 1}}, []want{{0, 5, 11, false, true}, {1, 11, 11, false, false}, {0, 6, 11, true, true}}, "{0: 6, 1: 11, 2: 7}"},
		{"replicated", []xrow.Row{{ReplicaID: 2, LSN: 9, TSN: 9, IsCommit: true}}, []want{{2, 9, 9, true, false}}, "{0: 4, 1: 10, 2: 9}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vc := start
			rows := make([]*xrow.Row, len(tc.rows))
			for i := range tc.rows {
				r := tc.rows[i]
				rows[i] = &r
			}
			if err := assignLSN(&vc, 1, rows); err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				r := rows[i]
				if r.ReplicaID != w.rid || r.LSN != w.lsn || r.TSN != w.tsn || r.IsCommit != w.commit {
					t.Errorf("row %d = {rid %d lsn %d tsn %d commit %v}, want %+v", i, r.ReplicaID, r.LSN, r.TSN, r.IsCommit, w)
				}
			}
			if vc.String() != tc.vc {
				t.Errorf("vclock %s, want %s", vc.String(), tc.vc)
			}
		})
	}
	vc := start
	if err := assignLSN(&vc, 1, []*xrow.Row{{ReplicaID: 2, LSN: 7}}); err == nil || !strings.Contains(err.Error(), "broken LSN") {
		t.Fatalf("stale replicated LSN: %v", err)
	}
	if vc != start {
		t.Fatal("a refused entry moved the vclock")
	}
}

func TestWriteAndReadBack(t *testing.T) {
	fs := newMemFS(t)
	var start vclock.VClock
	start.Set(1, 26)
	start.Set(0, 1)
	w := openMem(t, fs, Options{Mode: ModeWrite, VClock: start, InstanceID: 1})
	e1 := w.Submit([]*xrow.Row{replace(1)})
	local := replace(2)
	local.GroupID = 1
	e2 := w.Submit([]*xrow.Row{replace(3), local})
	for _, e := range []*Entry{e1, e2} {
		if err := e.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if vc := w.VClock(); vc.String() != "{0: 2, 1: 28}" {
		t.Fatalf("vclock %s", vc.String())
	}
	w.Close()
	rows, files := readRows(t, fs, "wal")
	if strings.Join(files, " ") != "00000000000000000027.xlog 00000000000000000030.xlog" {
		t.Fatalf("files %v", files)
	}
	if len(rows) != 3 || rows[0].LSN != 27 || rows[1].LSN != 28 || rows[2].ReplicaID != 0 || rows[2].LSN != 2 ||
		rows[2].GroupID != 1 || rows[1].TSN != 28 || !rows[2].IsCommit || rows[1].IsCommit || rows[0].Timestamp != 1700000000.5 {
		t.Fatalf("rows %+v", rows)
	}
	c, _ := xlog.Open(fs, "wal", 30, xlog.TypeXlog, testUUID)
	if p := c.Meta().PrevVClock; p == nil || p.String() != "{0: 1, 1: 26}" {
		t.Fatalf("PrevVClock of the shutdown xlog: %v", p)
	}
	c.Close()
	// Reopening replaces the empty shutdown xlog by the next batch's file.
	var end vclock.VClock
	end.Set(0, 2)
	end.Set(1, 28)
	w = openMem(t, fs, Options{Mode: ModeFsync, VClock: end, InstanceID: 1})
	if err := w.Submit([]*xrow.Row{replace(4)}).Wait(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rows, files = readRows(t, fs, "wal")
	if len(rows) != 4 || rows[3].LSN != 29 || strings.Join(files, " ") != "00000000000000000027.xlog 00000000000000000030.xlog 00000000000000000031.xlog" {
		t.Fatalf("after reopen: files %v rows %d", files, len(rows))
	}
}

func TestModeNone(t *testing.T) {
	fs := newMemFS(t)
	w := openMem(t, fs, Options{Mode: ModeNone, InstanceID: 1})
	rows := []*xrow.Row{replace(1), replace(2)}
	e := w.Submit(rows)
	if err := e.Wait(); err != nil || rows[1].LSN != 2 {
		t.Fatalf("%v %+v", err, rows[1])
	}
	// Every entry is complete at once: they share one, without rows.
	if e2 := w.Submit([]*xrow.Row{replace(3)}); e2 != e || e.Rows != nil {
		t.Fatal("mode none allocates its entries")
	}
	e.Release() // a no-op, as for any entry that did not fail
	if vc, _ := w.Rotate(); vc.String() != "{1: 3}" {
		t.Fatalf("vclock %s", vc.String())
	}
	w.Close()
	if names, _ := fs.ReadDir("wal"); len(names) != 0 {
		t.Fatalf("mode none wrote %v", names)
	}
}

// TestWriteFaultCascade fails one block write: that entry and every entry
// queued behind it fail, earlier ones stay durable, the cascade is released
// newest first, and a later write succeeds again with the same LSNs.
// TestWriteFaultCascade: a failed write fails its batch and everything
// queued after it, newest first.
func TestWriteFaultCascade(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync} {
		t.Run(op.String(), func(t *testing.T) {
			fs := newMemFS(t)
			log := &memLog{}
			w := openMem(t, fs, Options{Mode: ModeFsync, InstanceID: 1, Log: log})
			for i := uint64(1); i <= 3; i++ {
				if err := w.Submit([]*xrow.Row{replace(i)}).Wait(); err != nil {
					t.Fatal(err)
				}
			}
			// Hold the writer back so the failing batch and later entries
			// queue up together.
			fs.Inject(vfs.Fault{Op: op, Match: ".xlog", Short: 7})
			cascade := w.Cascade()
			var entries []*Entry
			w.mu.Lock()
			for i := uint64(4); i <= 8; i++ {
				w.mu.Unlock()
				entries = append(entries, w.Submit([]*xrow.Row{replace(i)}))
				w.mu.Lock()
			}
			w.mu.Unlock()
			// The cascade is announced while the oldest entry still
			// waits for the newer ones.
			select {
			case <-cascade:
			case <-time.After(10 * time.Second):
				t.Fatal("Cascade's channel was not closed")
			}
			select {
			case <-w.Cascade():
			default:
				t.Fatal("Cascade during a cascade is not closed")
			}
			// Failed entries are woken newest first, one per Release.
			for i := len(entries) - 1; i >= 0; i-- {
				err := entries[i].Wait()
				if !boxerr.Is(err, boxerr.ER_WAL_IO) {
					t.Fatalf("entry %d: %v", i, err)
				}
				for j := 0; j < i; j++ {
					select {
					case <-entries[j].Done():
						if !entries[j].failed {
							t.Fatalf("entry %d succeeded after a failed one", j)
						}
					default:
					}
				}
				if i == 2 {
					// During the cascade new entries and checkpoints are refused.
					if err := w.Submit([]*xrow.Row{replace(100)}).Wait(); !boxerr.Is(err, boxerr.ER_WAL_IO) {
						t.Fatalf("submit during cascade: %v", err)
					}
					if _, err := w.Rotate(); !boxerr.Is(err, boxerr.ER_CHECKPOINT_ROLLBACK) {
						t.Fatalf("rotate during cascade: %v", err)
					}
				}
				entries[i].Release()
			}
			if !log.has("Aborting transaction 3 during cascading rollback") || !log.has("failed to write") {
				t.Fatalf("log %+v", log.lines)
			}
			select {
			case <-w.Cascade():
				t.Fatal("Cascade after the cascade is closed")
			default:
			}
			e := w.Submit([]*xrow.Row{replace(9)})
			if err := e.Wait(); err != nil {
				t.Fatalf("write after the cascade: %v", err)
			}
			if e.Rows[0].LSN != 4 {
				t.Fatalf("LSN after rollback %d, want 4 (failed LSNs reused)", e.Rows[0].LSN)
			}
			w.Close()
			rows, _ := readRows(t, fs.Crash(), "wal")
			var keys []int64
			for _, r := range rows {
				keys = append(keys, r.LSN)
			}
			if len(rows) != 4 || rows[3].LSN != 4 {
				t.Fatalf("durable rows %v", keys)
			}
		})
	}
}

// TestCrashAfterWait: in fsync mode every acknowledged row survives a
// crash. In write mode the rows are in the OS's hands: MemFS's model (no
// page cache survives a power loss) keeps only the file's synced header.
func TestCrashAfterWait(t *testing.T) {
	for _, mode := range []Mode{ModeFsync, ModeWrite} {
		t.Run(mode.String(), func(t *testing.T) {
			fs := newMemFS(t)
			w := openMem(t, fs, Options{Mode: mode, InstanceID: 1, MaxSize: 300})
			const n = 40
			for i := uint64(1); i <= n; i++ {
				if err := w.Submit([]*xrow.Row{replace(i)}).Wait(); err != nil {
					t.Fatal(err)
				}
			}
			crashed := fs.Crash()
			w.Close()
			rows, files := readRows(t, crashed, "wal")
			switch mode {
			case ModeFsync:
				if len(rows) != n {
					t.Fatalf("%d of %d acknowledged rows survived", len(rows), n)
				}
			case ModeWrite:
				// Closed (rotated) files were fsynced by Close; the current one
				// holds only its header.
				if len(rows) >= n || len(files) < 2 {
					t.Fatalf("write mode kept %d rows in %v", len(rows), files)
				}
			}
			for i, r := range rows {
				if r.LSN != int64(i+1) {
					t.Fatalf("row %d has lsn %d", i, r.LSN)
				}
			}
		})
	}
}

// TestDeferredWriteFault: a lone deferred entry is written by its waiter
// (lead); when that write fails, the waiter gets ER_WAL_IO, the file is
// cut back and the next entry is written in a fresh one with the same
// LSN.
func TestDeferredWriteFault(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync} {
		t.Run(op.String(), func(t *testing.T) {
			fs := newMemFS(t)
			w := openMem(t, fs, Options{Mode: ModeFsync, InstanceID: 1, Log: &memLog{}})
			if err := w.SubmitDeferred([]*xrow.Row{replace(1)}).Wait(); err != nil {
				t.Fatal(err)
			}
			fs.Inject(vfs.Fault{Op: op, Match: ".xlog", Short: 7})
			e := w.SubmitDeferred([]*xrow.Row{replace(2)})
			if !e.lead {
				t.Fatal("a lone deferred entry is not left to its waiter")
			}
			if err := e.Wait(); !boxerr.Is(err, boxerr.ER_WAL_IO) {
				t.Fatalf("Wait: %v", err)
			}
			e.Release()
			e = w.SubmitDeferred([]*xrow.Row{replace(3)})
			if err := e.Wait(); err != nil || e.Rows[0].LSN != 2 {
				t.Fatalf("after the failure: %v, lsn %d", err, e.Rows[0].LSN)
			}
			w.Close()
			rows, _ := readRows(t, fs.Crash(), "wal")
			if len(rows) != 2 || rows[1].LSN != 2 || string(rows[1].Body) != string(replace(3).Body) {
				t.Fatalf("durable rows %+v", rows)
			}
		})
	}
}

// TestGroupCommit: concurrent transactions share blocks. In the mixed
// case two thirds are deferred, so waiters writing their own batches, the
// writer goroutine, checkpoints and plain entries share the file, without
// losing or reordering a row, and a busy WAL still commits in groups.
func TestGroupCommit(t *testing.T) {
	for _, mixed := range []bool{false, true} {
		name := "plain"
		if mixed {
			name = "mixed"
		}
		t.Run(name, func(t *testing.T) { testGroupCommit(t, mixed) })
	}
}

func testGroupCommit(t *testing.T, mixed bool) {
	fs := newMemFS(t)
	opts := Options{Mode: ModeFsync, InstanceID: 1}
	if mixed {
		opts.MaxSize = 4096
	}
	w := openMem(t, fs, opts)
	var baton sync.Mutex
	var wg sync.WaitGroup
	const workers, per = 64, 20
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				rows := []*xrow.Row{replace(uint64(i))}
				baton.Lock()
				var e *Entry
				if mixed && (g+i)%3 != 0 {
					e = w.SubmitDeferred(rows)
				} else {
					e = w.Submit(rows)
				}
				baton.Unlock()
				if err := e.Wait(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	stop := make(chan struct{})
	rotated := make(chan int, 1)
	go func() {
		n := 0
		defer func() { rotated <- n }()
		for mixed {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if _, err := w.Rotate(); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()
	wg.Wait()
	close(stop)
	checkpoints := <-rotated
	writes := fs.Count(vfs.OpWrite)
	w.Close()
	rows, files := readRows(t, fs, "wal")
	if len(rows) != workers*per {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if r.LSN != int64(i+1) {
			t.Fatalf("row %d lsn %d", i, r.LSN)
		}
	}
	// One write per file for the meta, then one per batch.
	if blocks := writes - len(files); blocks >= workers*per {
		t.Fatalf("%d block writes for %d entries: no group commit", blocks, workers*per)
	}
	t.Logf("%d entries in %d blocks, %d files, %d checkpoints", workers*per, writes-len(files), len(files), checkpoints)
}

// TestDeferredWaiterWrites: a deferred entry does not wake the writer
// goroutine; its waiter writes it, and a deferred entry nobody waits for
// is written by the next Sync (or Close).
func TestDeferredWaiterWrites(t *testing.T) {
	fs := newMemFS(t)
	w := openMem(t, fs, Options{Mode: ModeFsync, InstanceID: 1})
	// The writer goroutine writes whatever it finds queued when it runs:
	// let it go idle first.
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	e := w.SubmitDeferred([]*xrow.Row{replace(1)})
	time.Sleep(20 * time.Millisecond)
	select {
	case <-e.Done():
		t.Fatal("a deferred entry was written before anyone waited for it")
	default:
	}
	if err := e.Wait(); err != nil || e.Rows[0].LSN != 1 {
		t.Fatalf("Wait: %v, lsn %d", err, e.Rows[0].LSN)
	}
	if vc := w.VClock(); vc.Get(1) != 1 {
		t.Fatalf("vclock %v after the waiter's write", vc)
	}
	unwaited := w.SubmitDeferred([]*xrow.Row{replace(2)})
	vc, err := w.Sync()
	if err != nil || vc.Get(1) != 2 {
		t.Fatalf("Sync: %v %v", vc, err)
	}
	select {
	case <-unwaited.Done():
	default:
		t.Fatal("Sync returned before an earlier deferred entry was written")
	}
	last := w.SubmitDeferred([]*xrow.Row{replace(3)})
	w.Close()
	select {
	case <-last.Done():
	default:
		t.Fatal("Close left a deferred entry unwritten")
	}
	rows, _ := readRows(t, fs.Crash(), "wal")
	if len(rows) != 3 || rows[2].LSN != 3 {
		t.Fatalf("durable rows: %d", len(rows))
	}
}

func TestRotationAndGC(t *testing.T) {
	fs := newMemFS(t)
	log := &memLog{}
	w := openMem(t, fs, Options{Mode: ModeWrite, InstanceID: 1, MaxSize: 200, Log: log})
	for i := uint64(1); i <= 12; i++ {
		if err := w.Submit([]*xrow.Row{replace(i)}).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_, files := readRows(t, fs, "wal")
	if len(files) < 3 {
		t.Fatalf("no rotation: %v", files)
	}
	// PrevVClock chains the files.
	var prev *vclock.VClock
	for _, name := range files {
		sig, _, _ := xlog.ParseFileName(name)
		c, err := xlog.Open(fs, "wal", sig, xlog.TypeXlog, testUUID)
		if err != nil {
			t.Fatal(err)
		}
		m := c.Meta()
		if (prev == nil) != (m.PrevVClock == nil) || (prev != nil && prev.Compare(m.PrevVClock) != vclock.Equal) {
			t.Fatalf("%s: PrevVClock %v, want %v", name, m.PrevVClock, prev)
		}
		prev = m.VClock
		c.Close()
	}
	// A checkpoint: Rotate closes the file; an immediate second Rotate has
	// nothing to close.
	vc, err := w.Rotate()
	if err != nil || vc.Sum() != 12 {
		t.Fatalf("rotate: %v %v", vc, err)
	}
	if _, err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := w.Submit([]*xrow.Row{replace(13)}).Wait(); err != nil {
		t.Fatal(err)
	}
	_, after := readRows(t, fs, "wal")
	if after[len(after)-1] != xlog.FileName(12, xlog.TypeXlog) {
		t.Fatalf("after checkpoint: %v", after)
	}
	// GC at the checkpoint keeps the file holding rows after it.
	if err := w.CollectGarbage(vc); err != nil {
		t.Fatal(err)
	}
	_, left := readRows(t, fs, "wal")
	if len(left) != 1 || left[0] != xlog.FileName(12, xlog.TypeXlog) {
		t.Fatalf("after gc: %v", left)
	}
	if !log.has("removed wal/" + files[0]) {
		t.Fatalf("log %+v", log.lines)
	}
	w.Close()
}

func TestWatch(t *testing.T) {
	fs := newMemFS(t)
	w := openMem(t, fs, Options{Mode: ModeWrite, InstanceID: 1})
	ch, stop := w.Watch()
	defer stop()
	if err := w.Submit([]*xrow.Row{replace(1)}).Wait(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("no notification after a write")
	}
	w.Close()
}

func TestReopenCorrupted(t *testing.T) {
	fs := newMemFS(t)
	fs.WriteFile(path.Join("wal", xlog.FileName(0, xlog.TypeXlog)), []byte("garbage"))
	log := &memLog{}
	w := openMem(t, fs, Options{Mode: ModeWrite, InstanceID: 1, Log: log})
	if err := w.Submit([]*xrow.Row{replace(1)}).Wait(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !log.has("renaming corrupted wal/00000000000000000000.xlog") {
		t.Fatalf("log %+v", log.lines)
	}
	if _, err := fs.ReadFile("wal/00000000000000000000.xlog.corrupted"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkModeNoneParallel submits one-row transactions from every P at
// once and waits for each, as the connections' goroutines do with
// wal_mode none.
func BenchmarkModeNoneParallel(b *testing.B) {
	fs := newMemFS(b)
	w := openMem(b, fs, Options{Mode: ModeNone, InstanceID: 1})
	defer w.Close()
	var mu sync.Mutex // Submit's callers hold the tx baton
	b.RunParallel(func(pb *testing.PB) {
		rows := []*xrow.Row{replace(1)}
		for pb.Next() {
			rows[0].ReplicaID, rows[0].LSN = 0, 0
			mu.Lock()
			e := w.Submit(rows)
			mu.Unlock()
			if err := e.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCheckpointThreshold: crossing checkpoint_wal_threshold calls the
// hook once until the checkpoint begun by Rotate commits; rows written
// while the checkpoint runs count towards the next one.
func TestCheckpointThreshold(t *testing.T) {
	fs := newMemFS(t)
	calls := make(chan struct{}, 10)
	w := openMem(t, fs, Options{Mode: ModeWrite, InstanceID: 1, CheckpointThreshold: 1000,
		OnCheckpointThreshold: func() { calls <- struct{}{} }})
	defer w.Close()
	write := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if err := w.SubmitDeferred([]*xrow.Row{replace(uint64(i))}).Wait(); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func() int { return len(calls) }
	write(5) // some 300 bytes of blocks
	if count() != 0 {
		t.Fatal("the threshold fired early")
	}
	write(20)
	if count() != 1 {
		t.Fatalf("%d calls after crossing the threshold, want 1", count())
	}
	write(20)
	if count() != 1 {
		t.Fatalf("%d calls before the checkpoint, want 1", count())
	}
	if _, err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	write(30) // during the checkpoint: counts towards the next
	w.CommitCheckpoint()
	if count() != 1 {
		t.Fatalf("%d calls, want 1", count())
	}
	write(1)
	if count() != 2 {
		t.Fatalf("%d calls after a checkpoint with the rows since over the threshold, want 2", count())
	}
	w.CommitCheckpoint() // without a Rotate: nothing more to subtract
	w.SetCheckpointThreshold(0)
	write(40)
	if count() != 2 {
		t.Fatalf("%d calls with no threshold, want 2", count())
	}
}
