package relay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/wal"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

const testUUID = "c638ed0c-436a-4b62-800e-063bb4766665"

// replaceRow builds a REPLACE into space 512 of [k].
func replaceRow(k uint64) *xrow.Row {
	body := msgpack.AppendMapHeader(nil, 2)
	body = msgpack.AppendUint(body, 0x10)
	body = msgpack.AppendUint(body, 512)
	body = msgpack.AppendUint(body, 0x21)
	body = msgpack.AppendArrayHeader(body, 1)
	body = msgpack.AppendUint(body, k)
	return &xrow.Row{Type: proto.Replace, Body: body}
}

func vc(pairs ...int64) vclock.VClock {
	var v vclock.VClock
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(vclock.ReplicaID(pairs[i]), vclock.LSN(pairs[i+1]))
	}
	return v
}

func TestFilterDecide(t *testing.T) {
	sub := Filter{IDFilter: 1 << 2, Subscriber: 3, LocalAtSubscribe: vc(1, 10, 3, 5)}
	for _, tc := range []struct {
		name string
		f    Filter
		row  xrow.Row
		want Action
	}{
		{"join: global row", Filter{}, xrow.Row{ReplicaID: 1, LSN: 1}, Send},
		{"join: local row id 0", Filter{}, xrow.Row{GroupID: 1, LSN: 1}, Skip},
		{"join: local row signed", Filter{}, xrow.Row{GroupID: 1, ReplicaID: 1, LSN: 1}, SendNOP},
		{"join: subscriber's own row", Filter{}, xrow.Row{ReplicaID: 3, LSN: 9}, Send},
		{"sub: other master", sub, xrow.Row{ReplicaID: 1, LSN: 11}, Send},
		{"sub: filtered id", sub, xrow.Row{ReplicaID: 2, LSN: 1}, Skip},
		{"sub: filtered id, local signed", sub, xrow.Row{GroupID: 1, ReplicaID: 2, LSN: 1}, Skip},
		{"sub: own row it has", sub, xrow.Row{ReplicaID: 3, LSN: 6}, Skip},
		{"sub: own row it lost", sub, xrow.Row{ReplicaID: 3, LSN: 5}, Send},
		{"sub: local id 0", sub, xrow.Row{GroupID: 1, LSN: 100}, Skip},
		{"sub: local signed", sub, xrow.Row{GroupID: 1, ReplicaID: 1, LSN: 12}, SendNOP},
		{"anon: filter 0 only", Filter{IDFilter: 1}, xrow.Row{ReplicaID: 4, LSN: 1}, Send},
		{"huge id is not filtered by shift", Filter{IDFilter: 1}, xrow.Row{ReplicaID: 40, LSN: 1}, Send},
	} {
		if got := tc.f.Decide(&tc.row); got != tc.want {
			t.Errorf("%s: Decide = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestApplyNOP(t *testing.T) {
	row := *replaceRow(1)
	row.GroupID, row.ReplicaID, row.LSN, row.TSN, row.IsCommit, row.Timestamp = 1, 2, 7, 7, true, 1.5
	if !Apply(&row, SendNOP, 99) {
		t.Fatal("Apply refused a NOP")
	}
	want := xrow.Row{Type: proto.Nop, Sync: 99, ReplicaID: 2, LSN: 7, TSN: 7, IsCommit: true, Timestamp: 1.5}
	if fmt.Sprint(row) != fmt.Sprint(want) {
		t.Fatalf("got %+v, want %+v", row, want)
	}
	if Apply(&row, Skip, 1) {
		t.Fatal("Apply accepted Skip")
	}
}

// walFixture is a WAL writer on a MemFS directory.
type walFixture struct {
	t  *testing.T
	fs *vfs.MemFS
	w  *wal.Writer
}

func newWAL(t *testing.T, fs *vfs.MemFS, from vclock.VClock) *walFixture {
	t.Helper()
	if err := fs.MkdirAll("wal"); err != nil {
		t.Fatal(err)
	}
	w, err := wal.Open(fs, "wal", wal.Options{Mode: wal.ModeWrite, InstanceUUID: testUUID, VClock: from, InstanceID: 1,
		Now: func() float64 { return 1000 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return &walFixture{t: t, fs: fs, w: w}
}

// write commits one transaction of n rows and returns their keys.
func (f *walFixture) write(keys ...uint64) {
	f.t.Helper()
	rows := make([]*xrow.Row, len(keys))
	for i, k := range keys {
		rows[i] = replaceRow(k)
	}
	if err := f.w.Submit(rows).Wait(); err != nil {
		f.t.Fatal(err)
	}
}

// drain reads rows until ErrNoData and returns the lsns.
func drain(t *testing.T, rd *Reader) []int64 {
	t.Helper()
	var lsns []int64
	var row xrow.Row
	for i := 0; i < 10000; i++ {
		err := rd.Next(&row)
		if err == ErrNoData {
			return lsns
		}
		if err != nil {
			t.Fatal(err)
		}
		lsns = append(lsns, row.LSN)
	}
	t.Fatal("reader never ran dry")
	return nil
}

func seq(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestReaderFollowsGrowingWALAcrossFiles(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	rd := NewReader(f.fs, "wal", vclock.VClock{})
	rd.Durable = f.w.VClock
	var opened []string
	rd.OnOpen = func(p string) { opened = append(opened, p) }
	defer rd.Close()
	if got := drain(t, rd); len(got) != 0 {
		t.Fatalf("empty WAL gave %v", got)
	}
	f.write(1, 2)
	f.write(3)
	if got := drain(t, rd); fmt.Sprint(got) != fmt.Sprint(seq(1, 3)) {
		t.Fatalf("got %v", got)
	}
	f.write(4) // appended to the same, still open file
	if got := drain(t, rd); fmt.Sprint(got) != "[4]" {
		t.Fatalf("got %v", got)
	}
	if _, err := f.w.Rotate(); err != nil { // closes the file: EOF marker
		t.Fatal(err)
	}
	f.write(5, 6)
	if got := drain(t, rd); fmt.Sprint(got) != "[5 6]" {
		t.Fatalf("after rotation got %v", got)
	}
	want := []string{path.Join("wal", xlog.FileName(0, xlog.TypeXlog)), path.Join("wal", xlog.FileName(4, xlog.TypeXlog))}
	if fmt.Sprint(opened) != fmt.Sprint(want) {
		t.Fatalf("opened %v, want %v", opened, want)
	}
	if v := rd.VClock(); v.Get(1) != 6 {
		t.Fatalf("reader vclock %s", v.String())
	}
}

func TestReaderStartsInsideAFile(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	f.write(1, 2, 3)
	f.w.Rotate()
	f.write(4)
	f.write(5)
	for start := int64(0); start <= 5; start++ {
		rd := NewReader(f.fs, "wal", vc(1, start))
		got := drain(t, rd)
		rd.Close()
		if fmt.Sprint(got) != fmt.Sprint(seq(start+1, 5)) {
			t.Errorf("from %d: got %v", start, got)
		}
	}
}

func TestReaderHoldsRowsUntilDurable(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	f.write(1, 2, 3)
	durable := vc(1, 1)
	rd := NewReader(f.fs, "wal", vclock.VClock{})
	rd.Durable = func() vclock.VClock { return durable }
	defer rd.Close()
	if got := drain(t, rd); fmt.Sprint(got) != "[1]" {
		t.Fatalf("got %v", got)
	}
	durable = vc(1, 3)
	if got := drain(t, rd); fmt.Sprint(got) != "[2 3]" {
		t.Fatalf("got %v", got)
	}
}

func TestReaderGap(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	f.write(1, 2)
	f.w.Rotate()
	f.write(3)
	f.w.Rotate()
	f.write(4)
	if err := f.w.CollectGarbage(vc(1, 3)); err != nil {
		t.Fatal(err)
	}
	rd := NewReader(f.fs, "wal", vc(1, 1))
	rd.Durable = f.w.VClock
	defer rd.Close()
	var row xrow.Row
	err := rd.Next(&row)
	var gap *GapError
	if !errors.As(err, &gap) {
		t.Fatalf("want a gap error, got %v", err)
	}
	if got := gap.Error(); got != "Missing .xlog file between LSN 1 {1: 1} and 3 {1: 3}" {
		t.Fatalf("message %q", got)
	}
	// From a vclock the remaining files cover, reading works.
	rd2 := NewReader(f.fs, "wal", vc(1, 3))
	defer rd2.Close()
	if got := drain(t, rd2); fmt.Sprint(got) != "[4]" {
		t.Fatalf("got %v", got)
	}
}

func TestReaderGapWithoutFiles(t *testing.T) {
	fs := vfs.NewMemFS()
	fs.MkdirAll("wal")
	rd := NewReader(fs, "wal", vc(1, 1))
	rd.Durable = func() vclock.VClock { return vc(1, 5) }
	var row xrow.Row
	var gap *GapError
	if err := rd.Next(&row); !errors.As(err, &gap) {
		t.Fatalf("want a gap, got %v", err)
	}
	rd.Durable = func() vclock.VClock { return vc(1, 1) }
	if err := rd.Next(&row); err != ErrNoData {
		t.Fatalf("up to date reader without files: %v", err)
	}
}

// TestReaderLeavesAbandonedFile: a file without an EOF marker (a crash
// or a failed write) followed by a newer one is read to its end and left.
func TestReaderLeavesAbandonedFile(t *testing.T) {
	fs := vfs.NewMemFS()
	fs.MkdirAll("wal")
	mk := func(from vclock.VClock, prev *vclock.VClock, lsns ...int64) *xlog.Writer {
		meta := &xlog.Meta{Type: xlog.TypeXlog, InstanceUUID: testUUID, VClock: &from, PrevVClock: prev}
		w, err := xlog.Create(fs, "wal", meta, xlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lsns {
			r := replaceRow(uint64(l))
			r.ReplicaID, r.LSN, r.TSN, r.IsCommit = 1, l, l, true
			if err := w.WriteTxn([]*xrow.Row{r}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := vclock.VClock{}
	mk(first, nil, 1, 2) // never closed: no EOF marker
	rd := NewReader(fs, "wal", vclock.VClock{})
	defer rd.Close()
	if got := drain(t, rd); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("got %v", got)
	}
	w2 := mk(vc(1, 2), &first, 3)
	if got := drain(t, rd); fmt.Sprint(got) != "[3]" {
		t.Fatalf("got %v", got)
	}
	w2.Close()
	// A file whose PrevVClock does not chain on is a gap.
	broken := vc(1, 7)
	mk(vc(1, 9), &broken, 10)
	var row xrow.Row
	var gap *GapError
	if err := rd.Next(&row); !errors.As(err, &gap) {
		t.Fatalf("want a gap, got %v", err)
	}
}

func TestFinalJoinStopsAtStop(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	f.write(1)
	f.write(2)
	local := replaceRow(3)
	local.GroupID = 1 // a local row: advances vclock[0], never relayed
	if err := f.w.Submit([]*xrow.Row{local}).Wait(); err != nil {
		t.Fatal(err)
	}
	f.write(4)
	f.write(5)
	rd := NewReader(f.fs, "wal", vc(1, 1))
	rd.Durable = f.w.VClock
	defer rd.Close()
	var sent []xrow.Row
	send := func(b []byte) error {
		for len(b) > 0 {
			n, _, err := msgpack.ReadUint(b)
			if err != nil {
				return err
			}
			hdr := 5
			var row xrow.Row
			if err := xrow.DecodePacket(b[hdr:hdr+int(n)], &row); err != nil {
				return err
			}
			sent = append(sent, row)
			b = b[hdr+int(n):]
		}
		return nil
	}
	stop := vc(0, 1, 1, 3) // rows 2, the local row and 3
	if err := FinalJoin(rd, send, 7, stop); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sent {
		got = append(got, fmt.Sprintf("%d:%d/%d/sync%d", r.Type, r.ReplicaID, r.LSN, r.Sync))
	}
	if want := "[3:1/2/sync7 3:1/3/sync7]"; fmt.Sprint(got) != want {
		t.Fatalf("sent %v, want %s", got, want)
	}
	if sent[0].Timestamp != 1000 {
		t.Fatalf("timestamp not kept: %v", sent[0].Timestamp)
	}
}

// pipeConn is one end of net.Pipe as a relay Conn.
type pipeConn struct {
	net.Conn
	mu sync.Mutex
}

func (c *pipeConn) Send(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.Write(b)
	return err
}

// replicaEnd reads the relay's packets on the other end of the pipe.
type replicaEnd struct {
	c    net.Conn
	br   *bufio.Reader
	rows chan xrow.Row
	errs chan error
}

func newReplicaEnd(c net.Conn) *replicaEnd {
	r := &replicaEnd{c: c, br: bufio.NewReader(c), rows: make(chan xrow.Row, 100), errs: make(chan error, 1)}
	go func() {
		for {
			n, err := proto.ReadLength(r.br)
			if err != nil {
				r.errs <- err
				return
			}
			p := make([]byte, n)
			if _, err := io.ReadFull(r.br, p); err != nil {
				r.errs <- err
				return
			}
			var row xrow.Row
			if err := xrow.DecodePacket(p, &row); err != nil {
				r.errs <- err
				return
			}
			r.rows <- row
		}
	}()
	return r
}

func (r *replicaEnd) next(t *testing.T) xrow.Row {
	t.Helper()
	select {
	case row := <-r.rows:
		return row
	case err := <-r.errs:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("no packet from the relay")
	}
	return xrow.Row{}
}

func (r *replicaEnd) ack(t *testing.T, v vclock.VClock) {
	t.Helper()
	body := AppendVClockBody(nil, &v)
	pkt := proto.AppendRequest(nil, proto.OK, 0, body)
	if _, err := r.c.Write(pkt); err != nil {
		t.Fatal(err)
	}
}

func TestRelayStreamsHeartbeatsAndAcks(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	f.write(1)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	rd := NewReader(f.fs, "wal", vclock.VClock{})
	rd.Durable = f.w.VClock
	defer rd.Close()
	acks := make(chan vclock.VClock, 10)
	rl := New(f.w, &pipeConn{Conn: a}, rd, Options{
		Sync: 5, MasterID: 1, Timeout: func() time.Duration { return 50 * time.Millisecond },
		OnAck: func(v vclock.VClock) { acks <- v },
	})
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- rl.Run(stop) }()
	rep := newReplicaEnd(b)
	hb := rep.next(t)
	if hb.Type != proto.OK || hb.ReplicaID != 1 || hb.Sync != 5 || hb.Timestamp == 0 || hb.Body != nil {
		t.Fatalf("first packet is not a heartbeat: %+v", hb)
	}
	if row := rep.next(t); row.LSN != 1 || row.Type != proto.Replace || row.Sync != 5 {
		t.Fatalf("row %+v", row)
	}
	f.write(2)
	if row := rep.next(t); row.LSN != 2 {
		t.Fatalf("live row %+v", row)
	}
	rep.ack(t, vc(1, 2))
	select {
	case v := <-acks:
		if v.Get(1) != 2 {
			t.Fatalf("ack %s", v.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ack not seen")
	}
	if v, _ := rl.Status(); v.Get(1) != 2 {
		t.Fatalf("status vclock %s", v.String())
	}
	// Idle: heartbeats keep coming.
	if row := rep.next(t); row.Type != proto.OK || row.Body != nil {
		t.Fatalf("want a heartbeat, got %+v", row)
	}
	close(stop)
	if err := <-done; err != ErrStopped {
		t.Fatalf("Run: %v", err)
	}
}

func TestRelayDropsSilentReplica(t *testing.T) {
	f := newWAL(t, vfs.NewMemFS(), vclock.VClock{})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	rd := NewReader(f.fs, "wal", vclock.VClock{})
	defer rd.Close()
	rl := New(f.w, &pipeConn{Conn: a}, rd, Options{Timeout: func() time.Duration { return 20 * time.Millisecond }})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- rl.Run(nil) }()
	newReplicaEnd(b) // reads heartbeats, never ACKs
	select {
	case err := <-done:
		if boxerr.CodeOf(err) != boxerr.ER_SYSTEM || err.Error() == "" {
			t.Fatalf("Run: %v", err)
		}
		var be *boxerr.Error
		if !errors.As(err, &be) || be.Message != "timed out" || be.Type != "TimedOut" {
			t.Fatalf("Run: %#v", err)
		}
		if el := time.Since(start); el < 80*time.Millisecond {
			t.Fatalf("dropped after %v, before 4 x timeout", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("relay kept a silent replica")
	}
}

func TestPackets(t *testing.T) {
	b := Ballot{IsRO: false, IsLoading: true, VClock: vc(0, 3, 1, 12, 2, 4), GCVClock: vc(1, 11)}
	body := AppendBallotBody(nil, &b)
	v, _, err := msgpack.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(v); got != "map[41:map[1:false 2:map[1:12 2:4] 3:map[1:11] 4:true]]" {
		t.Fatalf("ballot %s", got)
	}
	// Key order on the wire: 1, 4, 2, 3.
	if body[3] != 0x01 || body[5] != 0x04 || body[7] != 0x02 {
		t.Fatalf("ballot key order % x", body)
	}
	var row xrow.Row
	pkt := AppendSubscribeReply(nil, 9, 1, &b.VClock, testUUID)
	if err := xrow.DecodePacket(pkt[5:], &row); err != nil {
		t.Fatal(err)
	}
	if row.Type != proto.OK || row.Sync != 9 || row.ReplicaID != 1 {
		t.Fatalf("subscribe reply header %+v", row)
	}
	r, err := proto.DecodeReplicaBody(row.Body)
	if err != nil || r.ClusterUUID != testUUID || fmt.Sprint(r.VClock) != "map[1:12 2:4]" {
		t.Fatalf("subscribe reply body %+v %v", r, err)
	}
	pkt = AppendInitialRow(nil, 3, 280, []byte{0x91, 0x01})
	if err := xrow.DecodePacket(pkt[5:], &row); err != nil {
		t.Fatal(err)
	}
	if row.Type != proto.Insert || row.Sync != 3 || row.LSN != 0 || row.ReplicaID != 0 || row.Timestamp != 0 {
		t.Fatalf("initial row header %+v", row)
	}
}

func TestDecodeAck(t *testing.T) {
	for _, tc := range []struct {
		body []byte
		want string
		err  bool
	}{
		{nil, "{}", false},
		{AppendVClockBody(nil, &vclock.VClock{}), "{}", false},
		{func() []byte { v := vc(1, 5, 2, 7); return AppendVClockBody(nil, &v) }(), "{1: 5, 2: 7}", false},
		{[]byte{0x81, 0x26, 0x81, 0x00, 0x05}, "{}", false}, // component 0 is dropped
		{[]byte{0x82, 0x05, 0x01, 0x26, 0x81, 0x01, 0x02}, "{1: 2}", false},
		{[]byte{0x91, 0x01}, "", true},
		{[]byte{0x81, 0x26, 0x91}, "", true},
		{[]byte{0x81, 0x26, 0x81, 0x40, 0x01}, "", true}, // id 64
		{[]byte{0x81, 0xa1, 0x61, 0x01}, "", true},
	} {
		v, err := DecodeAck(tc.body)
		if (err != nil) != tc.err {
			t.Errorf("% x: err %v", tc.body, err)
			continue
		}
		if err == nil && v.String() != tc.want {
			t.Errorf("% x: got %s want %s", tc.body, v.String(), tc.want)
		}
	}
}

func FuzzDecodeAck(f *testing.F) {
	v := vc(1, 5, 2, 7)
	f.Add(AppendVClockBody(nil, &v))
	f.Add([]byte{0x81, 0x26, 0x81, 0x00, 0x05})
	f.Add([]byte{0x82, 0x05, 0x01, 0x26, 0x81, 0x01, 0x02})
	f.Add([]byte{0x81, 0x26, 0x91})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeAck(b)
		if err != nil {
			if boxerr.CodeOf(err) != boxerr.ER_INVALID_MSGPACK {
				t.Fatalf("error %v", err)
			}
			return
		}
		// What decodes re-encodes to a body that decodes the same.
		again, err := DecodeAck(AppendVClockBody(nil, &got))
		if err != nil || again.String() != got.String() {
			t.Fatalf("round trip %s -> %s (%v)", got.String(), again.String(), err)
		}
	})
}

func BenchmarkFilterApply(b *testing.B) {
	f := Filter{IDFilter: 1 << 2, Subscriber: 2, LocalAtSubscribe: vc(1, 10, 2, 5)}
	row := *replaceRow(1)
	row.ReplicaID, row.LSN = 1, 11
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := row
		if Apply(&r, f.Decide(&r), 7) {
			buf = xrow.AppendPacket(buf[:0], &r)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkReaderNext(b *testing.B) {
	fs := vfs.NewMemFS()
	fs.MkdirAll("wal")
	w, err := wal.Open(fs, "wal", wal.Options{Mode: wal.ModeWrite, InstanceUUID: testUUID, InstanceID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const n = 10000
	for i := 0; i < n; i += 100 {
		rows := make([]*xrow.Row, 100)
		for j := range rows {
			rows[j] = replaceRow(uint64(i + j))
		}
		if err := w.Submit(rows).Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var row xrow.Row
	for i := 0; i < b.N; {
		rd := NewReader(fs, "wal", vclock.VClock{})
		for i < b.N {
			if err := rd.Next(&row); err != nil {
				break
			}
			i++
		}
		rd.Close()
	}
}
