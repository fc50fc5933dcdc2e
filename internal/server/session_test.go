package server

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vfs"
)

// readReplies reads n IPROTO replies from c and returns their codes
// (0 for OK, the error code otherwise) by sync.
func readReplies(t *testing.T, c net.Conn, n int) map[uint64]uint32 {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	codes := make(map[uint64]uint32)
	for len(codes) < n {
		var lenBuf [5]byte
		if _, err := io.ReadFull(c, lenBuf[:]); err != nil {
			t.Fatalf("reading replies: %v (have %d of %d)", err, len(codes), n)
		}
		size, _, err := msgpack.ReadUint(lenBuf[:])
		if err != nil {
			t.Fatal(err)
		}
		pkt := make([]byte, size)
		if _, err := io.ReadFull(c, pkt); err != nil {
			t.Fatal(err)
		}
		row, err := proto.DecodeHeader(pkt)
		if err != nil {
			t.Fatal(err)
		}
		codes[row.Sync] = uint32(row.Type) &^ proto.TypeError
	}
	return codes
}

// TestBatchedWriteReplies: the replies of a batch of writes wait for the
// WAL; when the WAL write fails every write of the batch is answered
// ER_WAL_IO (their completions are handed out newest first) and none
// stays in memory; later writes succeed.
func TestBatchedWriteReplies(t *testing.T) {
	mem := vfs.NewMemFS()
	old := storageFS
	storageFS = func() vfs.FS { return mem }
	t.Cleanup(func() { storageFS = old })
	s := newTestServer(t, `
box.cfg{log_level = 1, wal_mode = 'write'}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
box.schema.space.create('kv', {id = 600}):create_index('pk')
`)
	srv, cli := net.Pipe()
	defer cli.Close()
	sess := s.Open(&iproto.Conn{Salt: make([]byte, 32), NetCon: srv})
	replace := func(sync, key uint64) []byte {
		body := msgpack.AppendMapHeader(nil, 2)
		body = msgpack.AppendUint(msgpack.AppendUint(body, proto.KeySpaceID), 600)
		body = msgpack.AppendUint(body, proto.KeyTuple)
		body = msgpack.AppendUint(msgpack.AppendArrayHeader(body, 1), key)
		return packet(proto.Replace, sync, body)
	}
	serve := func(first uint64, n int) {
		var batch [][]byte
		for i := 0; i < n; i++ {
			batch = append(batch, replace(first+uint64(i), first+uint64(i)))
		}
		out, o := sess.Serve(batch, nil)
		if len(out) != 0 || o != iproto.Continue {
			t.Fatalf("writes answered before the WAL: %d bytes, outcome %d", len(out), o)
		}
	}

	serve(1, 10)
	for sync, code := range readReplies(t, cli, 10) {
		if code != 0 {
			t.Fatalf("write %d failed with %d", sync, code)
		}
	}
	mem.Inject(vfs.Fault{Op: vfs.OpWrite, Match: ".xlog", Repeat: true})
	serve(100, 20)
	for sync, code := range readReplies(t, cli, 20) {
		if code != uint32(boxerr.ER_WAL_IO) {
			t.Fatalf("write %d answered %d, want ER_WAL_IO", sync, code)
		}
	}
	mem.ClearFaults()
	serve(200, 5)
	for sync, code := range readReplies(t, cli, 5) {
		if code != 0 {
			t.Fatalf("write %d after the fault failed with %d", sync, code)
		}
	}
	f := s.Sched.New("check")
	f.Acquire()
	n := s.Box.Space(600).Len()
	f.Finish()
	if n != 15 {
		t.Fatalf("%d tuples in memory, want 15 (the failed batch rolled back)", n)
	}
}
