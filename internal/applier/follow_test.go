package applier

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/relay"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

const (
	fakeMasterUUID = "11111111-1111-4111-8111-111111111111"
	fakeReplicaSet = "22222222-2222-4222-8222-222222222222"
	replicaUUID    = "33333333-3333-4333-8333-333333333333"
)

// fakeMaster answers VOTE and SUBSCRIBE as a 2.6 master and then sends
// the given rows; it counts the connections it accepted.
type fakeMaster struct {
	ln      net.Listener
	cluster string
	rows    []*xrow.Row
	conns   atomic.Int32
	wg      sync.WaitGroup
	// gate, when set, holds every greeting until it is closed.
	gate chan struct{}
}

func newFakeMaster(t *testing.T, cluster string, rows []*xrow.Row) *fakeMaster {
	t.Helper()
	return newGatedMaster(t, cluster, rows, nil)
}

// newGatedMaster is a fakeMaster whose greetings wait for gate.
func newGatedMaster(t *testing.T, cluster string, rows []*xrow.Row, gate chan struct{}) *fakeMaster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMaster{ln: ln, cluster: cluster, rows: rows, gate: gate}
	m.wg.Add(1)
	go m.serve()
	t.Cleanup(func() { ln.Close(); m.wg.Wait() })
	return m
}

func (m *fakeMaster) serve() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.conns.Add(1)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer c.Close()
			m.session(c)
		}()
	}
}

func (m *fakeMaster) session(c net.Conn) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if m.gate != nil {
		<-m.gate
	}
	if _, err := c.Write(proto.EncodeGreeting("2.6.0", fakeMasterUUID, make([]byte, 32))); err != nil {
		return
	}
	br := bufio.NewReader(c)
	for {
		pkt, err := proto.ReadPacket(br, proto.BodyLenMax, nil)
		if err != nil {
			return
		}
		var req xrow.Row
		if xrow.DecodePacket(pkt, &req) != nil {
			return
		}
		switch req.Type {
		case proto.Vote:
			b := relay.Ballot{}
			c.Write(xrow.AppendPacket(nil, &xrow.Row{Type: proto.OK, Sync: req.Sync, Body: relay.AppendBallotBody(nil, &b)}))
		case proto.Subscribe:
			var v vclock.VClock
			v.Set(1, 100)
			out := relay.AppendSubscribeReply(nil, req.Sync, 1, &v, m.cluster)
			for _, r := range m.rows {
				out = xrow.AppendPacket(out, r)
			}
			c.Write(out)
			// Read ACKs until the replica goes away.
			for {
				if _, err := proto.ReadPacket(br, proto.BodyLenMax, nil); err != nil {
					return
				}
			}
		default:
			return
		}
	}
}

// fakeReplica records the transactions handed to ApplyTx and fails the
// one whose first row has failLSN.
type fakeReplica struct {
	mu      sync.Mutex
	txs     [][]*xrow.Row
	failLSN int64
	vc      vclock.VClock
}

func (r *fakeReplica) InstanceUUID() string { return replicaUUID }
func (r *fakeReplica) Subscription() (string, vclock.VClock, uint32, bool) {
	return fakeReplicaSet, vclock.VClock{}, 2, false
}
func (r *fakeReplica) ApplyTx(rows []*xrow.Row, written func()) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rows[0].LSN == r.failLSN {
		return boxerr.New(boxerr.ER_TUPLE_FOUND, "primary", "test")
	}
	r.txs = append(r.txs, append([]*xrow.Row(nil), rows...))
	for _, row := range rows {
		r.vc.Follow(vclock.ReplicaID(row.ReplicaID), vclock.LSN(row.LSN))
	}
	written()
	return nil
}
func (r *fakeReplica) VClock() vclock.VClock { r.mu.Lock(); defer r.mu.Unlock(); return r.vc }
func (r *fakeReplica) OnFollow()             {}

func (r *fakeReplica) applied() [][]*xrow.Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]*xrow.Row(nil), r.txs...)
}

func txRow(lsn, tsn int64, commit bool) *xrow.Row {
	return &xrow.Row{Type: proto.Nop, ReplicaID: 1, LSN: lsn, TSN: tsn, IsCommit: commit, Timestamp: float64(time.Now().Unix())}
}

// runApplier follows m until cond holds or 10 s pass, and returns the
// applier (stopped by the test's cleanup) and its log.
func runApplier(t *testing.T, m *fakeMaster, r Replica, cond func(a *Applier) bool) (*Applier, func() string) {
	t.Helper()
	u, err := ParseURI(m.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log []string
	a := New(u, r, Options{
		Timeout: func() time.Duration { return 50 * time.Millisecond },
		Log: func(level int, msg string) {
			mu.Lock()
			log = append(log, msg)
			mu.Unlock()
		},
	})
	a.Start(true)
	t.Cleanup(a.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for !cond(a) {
		if time.Now().After(deadline) {
			t.Fatalf("applier state %+v", a.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return a, func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(log, "\n") }
}

// TestFollowAppliesWholeTransactions: rows of one transaction reach
// ApplyTx together, in stream order.
func TestFollowAppliesWholeTransactions(t *testing.T) {
	rows := []*xrow.Row{txRow(101, 101, true), txRow(102, 102, false), txRow(103, 102, false), txRow(104, 102, true), txRow(105, 105, true)}
	r := &fakeReplica{}
	m := newFakeMaster(t, fakeReplicaSet, rows)
	runApplier(t, m, r, func(*Applier) bool { return len(r.applied()) == 3 })
	got := r.applied()
	if len(got[0]) != 1 || len(got[1]) != 3 || len(got[2]) != 1 || got[1][0].LSN != 102 || got[1][2].LSN != 104 {
		t.Fatalf("transactions %v", got)
	}
}

// TestFollowStopsOnConflict: a transaction ApplyTx refuses stops the
// applier for good (2.6: no reconnect), with the error as the message.
func TestFollowStopsOnConflict(t *testing.T) {
	rows := []*xrow.Row{txRow(101, 101, true), txRow(102, 102, true), txRow(103, 103, true)}
	r := &fakeReplica{failLSN: 102}
	m := newFakeMaster(t, fakeReplicaSet, rows)
	a, log := runApplier(t, m, r, func(a *Applier) bool { return a.Stopped() })
	time.Sleep(200 * time.Millisecond) // four reconnect intervals
	st := a.Status()
	if st.State != StateStopped || st.Message != "Duplicate key exists in unique index 'primary' in space 'test'" {
		t.Fatalf("status %+v", st)
	}
	if n := m.conns.Load(); n != 1 {
		t.Fatalf("the applier reconnected: %d connections", n)
	}
	if len(r.applied()) != 1 || a.Connected() {
		t.Fatalf("applied %d transactions, connected %v", len(r.applied()), a.Connected())
	}
	if !strings.Contains(log(), "can't read row\nER_TUPLE_FOUND: Duplicate key exists") {
		t.Fatalf("log:\n%s", log())
	}
}

// TestFollowRefusals: a foreign replica set and interleaved transactions
// stop the applier with 2.6's errors.
func TestFollowRefusals(t *testing.T) {
	t.Run("foreign replica set", func(t *testing.T) {
		other := "44444444-4444-4444-8444-444444444444"
		m := newFakeMaster(t, other, nil)
		a, log := runApplier(t, m, &fakeReplica{}, func(a *Applier) bool { return a.Stopped() })
		want := "Replica set UUID mismatch: expected " + other + ", got " + fakeReplicaSet
		if st := a.Status(); st.Message != want {
			t.Fatalf("message %q, want %q", st.Message, want)
		}
		if !strings.Contains(log(), "can't join/subscribe\nER_REPLICASET_UUID_MISMATCH: "+want) {
			t.Fatalf("log:\n%s", log())
		}
	})
	t.Run("interleaving", func(t *testing.T) {
		rows := []*xrow.Row{txRow(101, 101, false), txRow(102, 102, true)}
		m := newFakeMaster(t, fakeReplicaSet, rows)
		a, _ := runApplier(t, m, &fakeReplica{}, func(a *Applier) bool { return a.Stopped() })
		if st := a.Status(); st.Message != "replication does not support interleaving transactions" {
			t.Fatalf("message %q", st.Message)
		}
	})
}

func TestRetriable(t *testing.T) {
	for code, want := range map[boxerr.Code]bool{
		boxerr.ER_LOADING: true, boxerr.ER_CFG: true, boxerr.ER_ACCESS_DENIED: true,
		boxerr.ER_NO_SUCH_USER: true, boxerr.ER_PASSWORD_MISMATCH: true, boxerr.ER_SYSTEM: true,
		boxerr.ER_UNKNOWN_REPLICA: true,
		boxerr.ER_TUPLE_FOUND:     false, boxerr.ER_REPLICASET_UUID_MISMATCH: false,
		boxerr.ER_CONNECTION_TO_SELF: false, boxerr.ER_UNSUPPORTED: false,
	} {
		if got := retriable(&boxerr.Error{Code: code, Type: "ClientError"}); got != want {
			t.Errorf("%s: retriable %v, want %v", code.Name(), got, want)
		}
	}
	if !retriable(boxerr.System("connect")) {
		t.Errorf("a system error is not retried")
	}
}

// TestStopWhileDialling: Stop called while the applier is still dialling
// (here: waiting for the greeting) ends it, although the connection was
// not the applier's yet when Stop looked for one to close; it used to
// go on to subscribe and follow, and Stop waited for it for good.
func TestStopWhileDialling(t *testing.T) {
	gate := make(chan struct{})
	m := newGatedMaster(t, fakeReplicaSet, []*xrow.Row{txRow(101, 101, true)}, gate)
	u, err := ParseURI(m.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeReplica{}
	// A long timeout: a followed connection stays up for 4 s without
	// rows, longer than Stop may take.
	a := New(u, r, Options{Timeout: func() time.Duration { return time.Second }})
	a.Start(true)
	deadline := time.Now().Add(5 * time.Second)
	for m.conns.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the applier did not connect")
		}
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { a.Stop(); close(stopped) }()
	time.Sleep(50 * time.Millisecond) // Stop has found no connection to close
	close(gate)
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatalf("Stop did not return; applier state %+v", a.Status())
	}
	if n := len(r.applied()); n != 0 {
		t.Errorf("a stopped applier applied %d transactions", n)
	}
}
