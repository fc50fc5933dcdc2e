package server

import (
	"io"
	"testing"

	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vfs"
)

// memStorage makes the servers the test starts keep memtx_dir and wal_dir
// in a fresh in-memory file system, which it returns for fault injection.
func memStorage(tb testing.TB) *vfs.MemFS {
	mem := vfs.NewMemFS()
	old := storageFS
	storageFS = func() vfs.FS { return mem }
	tb.Cleanup(func() { storageFS = old })
	return mem
}

// newTestServer brings box up from a Lua chunk without listening. The
// chunk runs in a fresh directory (box.cfg's work_dir defaults to it).
func newTestServer(tb testing.TB, src string) *Server {
	tb.Helper()
	tb.Chdir(tb.TempDir())
	s, err := New(io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop) // ends its background goroutines
	f := s.Sched.New("setup")
	f.Acquire()
	fc := s.RT.NewFiberCtx(f, nil)
	if err := s.RT.RunString(fc, src, "=setup"); err != nil {
		tb.Fatal(s.RT.ErrorOf(err).Message)
	}
	s.RT.ReleaseFiberCtx(fc)
	f.Finish()
	return s
}

const benchSchema = `
box.cfg{log_level = 1, wal_mode = 'none'}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
local s = box.schema.space.create('bench', {id = 600})
s:create_index('pk', {parts = {1, 'unsigned'}})
for i = 1, 10000 do s:replace{i, 'payload-payload-', 0} end
`

// packet builds one request packet (header+body, no length prefix).
func packet(typ uint32, sync uint64, body []byte) []byte {
	b := msgpack.AppendMapHeader(nil, 2)
	b = msgpack.AppendUint(msgpack.AppendUint(b, 0), uint64(typ))
	b = msgpack.AppendUint(msgpack.AppendUint(b, 1), sync)
	return append(b, body...)
}

func benchServe(b *testing.B, pkt []byte) {
	s := newTestServer(b, benchSchema)
	sess := s.Open(&iproto.Conn{Salt: make([]byte, 32)})
	batch := [][]byte{pkt}
	var out []byte
	out, _ = sess.Serve(batch, out[:0])
	if proto.IsError(uint32(out[8])<<24 | uint32(out[9])<<16 | uint32(out[10])<<8 | uint32(out[11])) {
		b.Fatalf("request failed: %x", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _ = sess.Serve(batch, out[:0])
	}
}

func BenchmarkServeSelect(b *testing.B) {
	body := msgpack.MustAppend(nil, map[uint64]any{
		proto.KeySpaceID: 600, proto.KeyIndexID: 0, proto.KeyLimit: 1,
		proto.KeyIterator: 0, proto.KeyKey: []any{5000},
	})
	benchServe(b, packet(proto.Select, 1, body))
}

func BenchmarkServeReplace(b *testing.B) {
	body := msgpack.MustAppend(nil, map[uint64]any{
		proto.KeySpaceID: 600, proto.KeyTuple: []any{5000, "payload-payload-", 1},
	})
	benchServe(b, packet(proto.Replace, 1, body))
}

func BenchmarkServeCall(b *testing.B) {
	body := msgpack.MustAppend(nil, map[uint64]any{
		proto.KeyFunctionName: "tostring", proto.KeyTuple: []any{1},
	})
	benchServe(b, packet(proto.Call, 1, body))
}

func BenchmarkServePing(b *testing.B) {
	benchServe(b, packet(proto.Ping, 1, nil))
}

// TestServeSelectAllocs guards the request path: a SELECT of one tuple
// allocates only the box request, the result slice and the iterator.
func TestServeSelectAllocs(t *testing.T) {
	s := newTestServer(t, benchSchema)
	sess := s.Open(&iproto.Conn{Salt: make([]byte, 32)})
	body := msgpack.MustAppend(nil, map[uint64]any{
		proto.KeySpaceID: 600, proto.KeyIndexID: 0, proto.KeyLimit: 1,
		proto.KeyIterator: 0, proto.KeyKey: []any{5000},
	})
	batch := [][]byte{packet(proto.Select, 1, body)}
	out := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(200, func() { out, _ = sess.Serve(batch, out[:0]) })
	if allocs > 3 {
		t.Fatalf("SELECT allocates %.1f times per request, want at most 3", allocs)
	}
}

// TestServeReplaceAllocs guards the write path: a REPLACE allocates only
// the new tuple. Its transaction, with the memory of its row's body, is
// recycled once the commit has finished, and with wal_mode 'none' (this
// schema) the journal's entry is shared (with a WAL it is one more).
func TestServeReplaceAllocs(t *testing.T) {
	s := newTestServer(t, benchSchema)
	sess := s.Open(&iproto.Conn{Salt: make([]byte, 32)})
	body := msgpack.MustAppend(nil, map[uint64]any{
		proto.KeySpaceID: 600, proto.KeyTuple: []any{5000, "payload-payload-", 1},
	})
	batch := [][]byte{packet(proto.Replace, 1, body)}
	out := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(200, func() { out, _ = sess.Serve(batch, out[:0]) })
	if allocs > 1 {
		t.Fatalf("REPLACE allocates %.1f times per request, want at most 1", allocs)
	}
}
