package snapshot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
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

func tuple(k uint64, s string) *memtx.Tuple {
	b := msgpack.AppendArrayHeader(nil, 2)
	b = msgpack.AppendUint(b, k)
	b = msgpack.AppendString(b, s)
	t, err := memtx.NewTuple(b)
	if err != nil {
		panic(err)
	}
	return t
}

func space(t testing.TB, id uint32, n int) *memtx.Space {
	s := memtx.NewSpace(id, "s")
	if _, err := s.CreateIndex(memtx.IndexDef{ID: 0, Name: "pk", Type: memtx.IndexTree, Unique: true,
		Key: memtx.KeyDef{Parts: []memtx.KeyPart{{FieldNo: 0, Type: memtx.FieldUnsigned}}}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := s.Replace(nil, tuple(uint64(i), strings.Repeat("v", i%50)), memtx.DupInsert); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func memDir(t testing.TB) *vfs.MemFS {
	fs := vfs.NewMemFS()
	if err := fs.MkdirAll("snap"); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestWriteLayout(t *testing.T) {
	fs := memDir(t)
	user := space(t, 512, 3000)
	sys := space(t, 280, 2)
	local := space(t, 513, 1)
	var vc vclock.VClock
	vc.Set(0, 1)
	vc.Set(1, 26)
	log := &memLog{}
	// Spaces are written by ascending id whatever the order given.
	p, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc},
		[]Space{{ID: 513, GroupID: 1, View: local.ReadView()}, {ID: 512, View: user.ReadView()}, {ID: 280, View: sys.ReadView()}},
		Options{Log: log, Timestamp: 1234.5})
	if err != nil {
		t.Fatal(err)
	}
	if p != "snap/00000000000000000027.snap" {
		t.Fatalf("path %s", p)
	}
	want := []string{
		"snapshot/101/main I> saving snapshot `snap/00000000000000000027.snap.inprogress'",
		"snapshot/101/main I> done",
	}
	if strings.Join(log.lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s", strings.Join(log.lines, "\n"))
	}
	if names, _ := fs.Crash().ReadDir("snap"); len(names) != 1 || names[0] != "00000000000000000027.snap" {
		t.Fatalf("after crash: %v", names)
	}
	c, err := xlog.Open(fs, "snap", 27, xlog.TypeSnap, testUUID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var row xrow.Row
	var n int64
	var ids []uint32
	for {
		err := c.Next(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Type != 2 || row.LSN != n || row.ReplicaID != 0 || row.Timestamp != 1234.5 {
			t.Fatalf("row %d header %+v", n, row)
		}
		if !bytes.HasPrefix(row.Body, []byte{0x82, 0x10, 0xce}) || row.Body[7] != 0x21 {
			t.Fatalf("row %d body % x", n, row.Body[:8])
		}
		req, err := xrow.DecodeDML(&row, xrow.RequiredKeys(2))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 || ids[len(ids)-1] != req.SpaceID {
			ids = append(ids, req.SpaceID)
		}
		if (req.SpaceID == 513) != (row.GroupID == 1) {
			t.Fatalf("row %d of space %d has group %d", n, req.SpaceID, row.GroupID)
		}
		n++
	}
	if n != 3003 || len(ids) != 3 || ids[0] != 280 || ids[1] != 512 || ids[2] != 513 {
		t.Fatalf("%d rows, space order %v", n, ids)
	}
	// A second snapshot at the same vclock is Tarantool's "touch": nothing
	// is written.
	log.lines = nil
	if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, nil, Options{Log: log}); err != nil || len(log.lines) != 0 {
		t.Fatalf("touch: %v %v", err, log.lines)
	}
}

// TestWriteWhileModifying writes while another goroutine keeps changing the
// space: the snapshot holds exactly the view's tuples.
func TestWriteWhileModifying(t *testing.T) {
	fs := memDir(t)
	s := space(t, 512, 5000)
	view := s.ReadView()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 5000; i += 3 {
			s.Replace(nil, tuple(uint64(i), "changed"), memtx.DupReplace)
		}
	}()
	var vc vclock.VClock
	vc.Set(1, 5)
	if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, []Space{{ID: 512, View: view}}, Options{}); err != nil {
		t.Fatal(err)
	}
	<-done
	c, _ := xlog.Open(fs, "snap", 5, xlog.TypeSnap, "")
	defer c.Close()
	var row xrow.Row
	n := 0
	for c.Next(&row) == nil {
		if bytes.Contains(row.Body, []byte("changed")) {
			t.Fatal("a change made after the view leaked into the snapshot")
		}
		n++
	}
	if n != 5000 {
		t.Fatalf("%d rows", n)
	}
}

func TestWriteFailureAndCancel(t *testing.T) {
	fs := memDir(t)
	s := space(t, 512, 20000)
	var vc vclock.VClock
	vc.Set(1, 9)
	fs.Inject(vfs.Fault{Op: vfs.OpWrite, After: 3})
	if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, []Space{{ID: 512, View: s.ReadView()}}, Options{}); err == nil {
		t.Fatal("write fault not reported")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, []Space{{ID: 512, View: s.ReadView()}}, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	if names, _ := fs.ReadDir("snap"); len(names) != 0 {
		t.Fatalf("left behind %v", names)
	}
}

func TestCollect(t *testing.T) {
	fs := memDir(t)
	s := space(t, 512, 2)
	for _, sig := range []int64{0, 17, 27, 28} {
		var vc vclock.VClock
		if sig > 0 {
			vc.Set(1, vclock.LSN(sig))
		}
		if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, []Space{{ID: 512, View: s.ReadView()}}, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	fs.WriteFile("snap/00000000000000000030.snap.inprogress", []byte("x"))
	log := &memLog{}
	var relay vclock.VClock
	relay.Set(0, 5)
	relay.Set(1, 20)
	gcv, ok, err := Collect(fs, "snap", CollectOptions{Keep: 2, Consumers: []vclock.VClock{relay}, Log: log})
	if err != nil || !ok {
		t.Fatal(err, ok)
	}
	names, _ := fs.ReadDir("snap")
	if strings.Join(names, " ") != "00000000000000000027.snap 00000000000000000028.snap" {
		t.Fatalf("kept %v", names)
	}
	// The relay at {1: 20} holds xlogs back below the oldest checkpoint.
	if gcv.String() != "{1: 20}" {
		t.Fatalf("gc vclock %s", gcv.String())
	}
	want := "main I> removed snap/00000000000000000000.snap\nmain I> removed snap/00000000000000000017.snap\nmain I> removed snap/00000000000000000030.snap.inprogress"
	if strings.Join(log.lines, "\n") != want {
		t.Fatalf("log:\n%s", strings.Join(log.lines, "\n"))
	}
}

// TestCollectPinned: a checkpoint held by a backup survives with every
// newer one, beyond Keep, and holds the xlogs after it.
func TestCollectPinned(t *testing.T) {
	fs := memDir(t)
	s := space(t, 512, 2)
	for _, sig := range []int64{4, 5, 6, 7} {
		var vc vclock.VClock
		vc.Set(1, vclock.LSN(sig))
		if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc}, []Space{{ID: 512, View: s.ReadView()}}, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	gcv, ok, err := Collect(fs, "snap", CollectOptions{Keep: 1, Pinned: []int64{5}})
	if err != nil || !ok {
		t.Fatal(err, ok)
	}
	names, _ := fs.ReadDir("snap")
	if strings.Join(names, " ") != "00000000000000000005.snap 00000000000000000006.snap 00000000000000000007.snap" || gcv.String() != "{1: 5}" {
		t.Fatalf("kept %v, gc vclock %s", names, gcv.String())
	}
	// Unpinned, Keep decides again.
	gcv, _, _ = Collect(fs, "snap", CollectOptions{Keep: 1})
	names, _ = fs.ReadDir("snap")
	if strings.Join(names, " ") != "00000000000000000007.snap" || gcv.String() != "{1: 7}" {
		t.Fatalf("kept %v, gc vclock %s", names, gcv.String())
	}
}

// TestRateLimit: with snap_io_rate_limit the file is written no faster
// than the limit, checked every SyncInterval bytes.
func TestRateLimit(t *testing.T) {
	fs := memDir(t)
	s := space(t, 512, 200_000) // about 8 MB of rows, written plain
	const limit = 64 << 20      // bytes per second
	start := time.Now()
	path, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID}, []Space{{ID: 512, View: s.ReadView()}},
		Options{NoCompression: true, RateLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	size, err := fs.Size(path)
	if err != nil {
		t.Fatal(err)
	}
	// Every whole SyncInterval written was held to the limit.
	checked := size / SyncInterval * SyncInterval
	if min := time.Duration(float64(checked) / limit * float64(time.Second)); elapsed < min {
		t.Fatalf("%d bytes in %v, faster than %d bytes/s allows (%v)", size, elapsed, limit, min)
	}
	t.Logf("%d bytes in %v", size, elapsed)
}

func BenchmarkWrite1M(b *testing.B) {
	s := space(b, 512, 1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs := memDir(b)
		var vc vclock.VClock
		vc.Set(1, vclock.LSN(i+1))
		if _, err := Write(context.Background(), fs, "snap", Meta{InstanceUUID: testUUID, VClock: vc},
			[]Space{{ID: 512, View: s.ReadView()}}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "tuples/s")
}
