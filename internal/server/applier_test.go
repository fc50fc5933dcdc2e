package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xrow"
)

// replicaRow is a REPLACE {key, "v"} of origin replica 2.
func replicaRow(lsn, tsn int64, commit bool, key uint64) *xrow.Row {
	tuple := msgpack.MustAppend(nil, []any{key, "v"})
	return &xrow.Row{Type: proto.Replace, ReplicaID: 2, LSN: lsn, TSN: tsn, IsCommit: commit,
		Body: box.EncodeDML(&box.Request{Type: proto.Replace, SpaceID: 600, Tuple: tuple})}
}

func insertRow(lsn, tsn int64, commit bool, key uint64) *xrow.Row {
	r := replicaRow(lsn, tsn, commit, key)
	r.Type = proto.Insert
	return r
}

func newApplyServer(t testing.TB, mode string) (*Server, *upstream) {
	t.Helper()
	s := newTestServer(t, "box.cfg{log_level = 1, wal_mode = '"+mode+"'}\n"+
		"box.schema.space.create('test', {id = 600}):create_index('pk', {parts = {1, 'unsigned'}})")
	return s, &upstream{s: s, f: s.Sched.New("applier/test")}
}

// settle waits until the transactions the appliers committed without
// waiting for the WAL are durable.
func (s *Server) settle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.ups.inflight) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("applied transactions never became durable")
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *Server) count600(t testing.TB) int {
	f := s.Sched.New("check")
	f.Acquire()
	defer f.Finish()
	return s.Box.Space(600).Primary().Len()
}

// TestUpstreamApplyTx: a transaction is applied whole with one vclock
// step per row; a transaction already covered (it came from another peer
// first) is dropped; a partly covered one keeps only its new rows; a
// failing one leaves neither data nor vclock behind.
func TestUpstreamApplyTx(t *testing.T) {
	s, up := newApplyServer(t, "write")
	vc := func() vclock.LSN { s.settle(t); v := s.st.wal.VClock(); return v.Get(2) }
	tx := []*xrow.Row{replicaRow(1, 1, false, 1), replicaRow(2, 1, false, 2), replicaRow(3, 1, true, 3)}
	if err := up.ApplyTx(tx, noAck); err != nil {
		t.Fatal(err)
	}
	if vc() != 3 || s.count600(t) != 3 {
		t.Fatalf("vclock %d, %d tuples", vc(), s.count600(t))
	}
	// The same transaction from another peer: nothing happens (an INSERT
	// of existing keys would fail if it were applied).
	dup := []*xrow.Row{insertRow(1, 1, false, 1), insertRow(2, 1, false, 2), insertRow(3, 1, true, 3)}
	if err := up.ApplyTx(dup, noAck); err != nil {
		t.Fatalf("a covered transaction was applied: %v", err)
	}
	// Partly covered: rows 2..3 known, 4..5 new.
	part := []*xrow.Row{insertRow(2, 2, false, 2), insertRow(3, 2, false, 3), insertRow(4, 2, false, 4), insertRow(5, 2, true, 5)}
	if err := up.ApplyTx(part, noAck); err != nil {
		t.Fatal(err)
	}
	if vc() != 5 || s.count600(t) != 5 {
		t.Fatalf("vclock %d, %d tuples", vc(), s.count600(t))
	}
	// A conflict in the middle: all or nothing.
	bad := []*xrow.Row{insertRow(6, 6, false, 6), insertRow(7, 6, false, 1), insertRow(8, 6, true, 8)}
	err := up.ApplyTx(bad, noAck)
	if !boxerr.Is(err, boxerr.ER_TUPLE_FOUND) {
		t.Fatalf("err %v", err)
	}
	if vc() != 5 || s.count600(t) != 5 {
		t.Fatalf("a failed transaction left vclock %d, %d tuples", vc(), s.count600(t))
	}
	// Skipped under replication_skip_conflict: the vclock passes it.
	s.ups.skipConflict.Store(true)
	if err := up.ApplyTx(bad, noAck); err != nil {
		t.Fatal(err)
	}
	if vc() != 8 || s.count600(t) != 7 || up.skipped.Load() != 1 {
		t.Fatalf("vclock %d, %d tuples, %d skipped", vc(), s.count600(t), up.skipped.Load())
	}
}

// BenchmarkUpstreamApplyTx measures the replica apply path per row:
// vclock check, box transaction, WAL write (wal_mode none: no disk).
func BenchmarkUpstreamApplyTx(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(map[int]string{1: "rows=1", 10: "rows=10"}[n], func(b *testing.B) {
			_, up := newApplyServer(b, "none")
			tx := make([]*xrow.Row, n)
			lsn := int64(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tsn := lsn + 1
				for k := range tx {
					lsn++
					tx[k] = replicaRow(lsn, tsn, k == n-1, uint64(lsn%10000))
				}
				if err := up.ApplyTx(tx, noAck); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestUpstreamApplyTxWALFailure: a transaction committed without waiting
// for the WAL whose write fails is rolled back, the applier learns of it
// at its next transaction, and the same rows can then be applied again
// (the in-memory vclock forgets them).
func TestUpstreamApplyTxWALFailure(t *testing.T) {
	mem := memStorage(t)
	s, up := newApplyServer(t, "write")
	mem.Inject(vfs.Fault{Op: vfs.OpWrite, Match: ".xlog", Repeat: true})
	tx := []*xrow.Row{replicaRow(1, 1, false, 1), replicaRow(2, 1, true, 2)}
	err := up.ApplyTx(tx, noAck)
	s.settle(t)
	if err == nil {
		err = up.ApplyTx([]*xrow.Row{replicaRow(3, 3, true, 3)}, noAck)
	}
	if !boxerr.Is(err, boxerr.ER_WAL_IO) {
		t.Fatalf("err %v, want ER_WAL_IO", err)
	}
	s.settle(t)
	if n := s.count600(t); n != 0 {
		t.Fatalf("%d tuples survived the failed write", n)
	}
	mem.ClearFaults()
	if err := up.ApplyTx(tx, noAck); err != nil {
		t.Fatal(err)
	}
	s.settle(t)
	if v := s.st.wal.VClock(); v.Get(2) != 2 || s.count600(t) != 2 {
		t.Fatalf("after the retry: vclock %d, %d tuples", v.Get(2), s.count600(t))
	}
}

// noAck is the written callback of tests that do not watch ACKs.
func noAck() {}

// TestUpstreamApplyTxCascade: a failed write with many transactions still
// waiting for the WAL rolls every one of them back (newest first, as the
// WAL's cascade demands: the completer must not wait on the oldest) and
// each applier hears of it; written transactions are acknowledged.
func TestUpstreamApplyTxCascade(t *testing.T) {
	mem := memStorage(t)
	s, up := newApplyServer(t, "write")
	var acks atomic.Int64
	ack := func() { acks.Add(1) }
	lsn := int64(0)
	apply := func(n int) error {
		for i := 0; i < n; i++ {
			lsn++
			if err := up.ApplyTx([]*xrow.Row{replicaRow(lsn, lsn, true, uint64(lsn))}, ack); err != nil {
				return err
			}
		}
		return nil
	}
	if err := apply(500); err != nil {
		t.Fatal(err)
	}
	s.settle(t)
	if acks.Load() == 0 {
		t.Fatal("durable transactions were never acknowledged")
	}
	mem.Inject(vfs.Fault{Op: vfs.OpWrite, Match: ".xlog", Repeat: true})
	err := apply(2000)
	s.settle(t)
	if err == nil {
		err = apply(1)
	}
	if !boxerr.Is(err, boxerr.ER_WAL_IO) {
		t.Fatalf("err %v, want ER_WAL_IO", err)
	}
	if n := s.count600(t); n != 500 {
		t.Fatalf("%d tuples after the failed writes, want the 500 written before", n)
	}
	if v := s.st.wal.VClock(); v.Get(2) != 500 {
		t.Fatalf("vclock %d after the failed writes", v.Get(2))
	}
	mem.ClearFaults()
	up.Subscription() // the applier reconnects
	lsn = 500
	if err := apply(100); err != nil {
		t.Fatal(err)
	}
	s.settle(t)
	if v := s.st.wal.VClock(); v.Get(2) != 600 || s.count600(t) != 600 {
		t.Fatalf("after the retry: vclock %d, %d tuples", v.Get(2), s.count600(t))
	}
}
