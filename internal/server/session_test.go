package server

import (
	"bytes"
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

// readReplies reads IPROTO replies from r until codes has n of them and
// returns their codes (0 for OK, the error code otherwise) by sync.
func readReplies(t *testing.T, r io.Reader, n int, codes map[uint64]uint32) map[uint64]uint32 {
	t.Helper()
	for len(codes) < n {
		var lenBuf [5]byte
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			t.Fatalf("reading replies: %v (have %d of %d)", err, len(codes), n)
		}
		size, _, err := msgpack.ReadUint(lenBuf[:])
		if err != nil {
			t.Fatal(err)
		}
		pkt := make([]byte, size)
		if _, err := io.ReadFull(r, pkt); err != nil {
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
	mem := memStorage(t)
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
	// serve runs a batch of n writes and returns the codes of their
	// replies: those the batch answered at once (writes the WAL finished
	// before the batch ended) and those sent when the WAL was done.
	serve := func(first uint64, n int) map[uint64]uint32 {
		var batch [][]byte
		for i := 0; i < n; i++ {
			batch = append(batch, replace(first+uint64(i), first+uint64(i)))
		}
		out, o := sess.Serve(batch, nil)
		if o != iproto.Continue {
			t.Fatalf("outcome %d", o)
		}
		codes := map[uint64]uint32{}
		for r := bytes.NewReader(out); r.Len() > 0; {
			codes = readReplies(t, r, len(codes)+1, codes)
		}
		cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		return readReplies(t, cli, n, codes)
	}

	for sync, code := range serve(1, 10) {
		if code != 0 {
			t.Fatalf("write %d failed with %d", sync, code)
		}
	}
	mem.Inject(vfs.Fault{Op: vfs.OpWrite, Match: ".xlog", Repeat: true})
	for sync, code := range serve(100, 20) {
		if code != uint32(boxerr.ER_WAL_IO) {
			t.Fatalf("write %d answered %d, want ER_WAL_IO", sync, code)
		}
	}
	mem.ClearFaults()
	for sync, code := range serve(200, 5) {
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
