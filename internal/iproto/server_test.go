package iproto

import (
	"bufio"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// echoHandler answers every packet with an OK carrying its sync. A packet
// of type detachType hands the rest of its batch and the reading over to
// a new goroutine (as a yielding CALL does) and answers itself later,
// after the replies of everything behind it.
type echoHandler struct {
	mu     sync.Mutex
	closed int
}

const detachType = 0x7f

func (h *echoHandler) Greeting() (string, string) {
	return "2.6.0", "00000000-0000-0000-0000-000000000001"
}

func (h *echoHandler) Open(c *Conn) Session { return &echoSession{h: h, c: c} }

type echoSession struct {
	h *echoHandler
	c *Conn
}

func (s *echoSession) Serve(packets [][]byte, out []byte) ([]byte, Outcome) {
	for i, p := range packets {
		row, err := proto.DecodeHeader(p)
		if err != nil {
			continue
		}
		if uint32(row.Type) == detachType {
			s.c.Handover(packets[i+1:], out)
			late := proto.AppendOK(nil, row.Sync, 0, nil)
			go func() {
				time.Sleep(200 * time.Millisecond)
				s.c.Send(late)
			}()
			return nil, Detached
		}
		out = proto.AppendOK(out, row.Sync, 0, nil)
	}
	return out, Continue
}

func (s *echoSession) Close() {
	s.h.mu.Lock()
	s.h.closed++
	s.h.mu.Unlock()
}

// request frames a packet with a header only.
func request(typ uint32, sync uint64) []byte {
	b := msgpack.AppendMapHeader(nil, 2)
	b = msgpack.AppendUint(msgpack.AppendUint(b, proto.KeyRequestType), uint64(typ))
	b = msgpack.AppendUint(msgpack.AppendUint(b, proto.KeySync), sync)
	return append(msgpack.AppendUint32(nil, uint32(len(b))), b...)
}

// readSyncs reads n replies and returns their syncs in arrival order.
func readSyncs(t *testing.T, r *bufio.Reader, n int) []uint64 {
	t.Helper()
	var syncs []uint64
	for len(syncs) < n {
		size, err := proto.ReadLength(r)
		if err != nil {
			t.Fatalf("after %d replies: %v", len(syncs), err)
		}
		pkt := make([]byte, size)
		if _, err := io.ReadFull(r, pkt); err != nil {
			t.Fatal(err)
		}
		row, err := proto.DecodeHeader(pkt)
		if err != nil {
			t.Fatal(err)
		}
		syncs = append(syncs, row.Sync)
	}
	return syncs
}

func dial(t *testing.T, h Handler) (*Server, net.Conn, *bufio.Reader) {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := io.ReadFull(r, make([]byte, proto.GreetingSize)); err != nil {
		t.Fatal(err)
	}
	return srv, c, r
}

// TestHandover: a request that hands the reading over is answered after
// the requests pipelined behind it, which a new reader serves, and the
// connection goes on serving afterwards; its session closes once, when
// the connection ends.
func TestHandover(t *testing.T) {
	h := &echoHandler{}
	srv, c, r := dial(t, h)
	var batch []byte
	batch = append(batch, request(proto.Ping, 1)...)
	batch = append(batch, request(detachType, 2)...)
	batch = append(batch, request(proto.Ping, 3)...)
	batch = append(batch, request(proto.Ping, 4)...)
	if _, err := c.Write(batch); err != nil {
		t.Fatal(err)
	}
	got := readSyncs(t, r, 4)
	want := []uint64{1, 3, 4, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reply order %v, want %v", got, want)
		}
	}
	// A second handover, then more requests on the new reader.
	c.Write(append(request(detachType, 5), request(proto.Ping, 6)...))
	c.Write(request(proto.Ping, 7))
	got = readSyncs(t, r, 3)
	if got[0] != 6 || got[1] != 7 || got[2] != 5 {
		t.Fatalf("replies %v, want [6 7 5]: the detached request comes last", got)
	}
	c.Close()
	srv.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != 1 {
		t.Fatalf("session closed %d times, want 1", h.closed)
	}
}

// TestFramingError: a length that is not a msgpack unsigned integer is
// answered with an error reply and the connection is closed.
func TestFramingError(t *testing.T) {
	_, c, r := dial(t, &echoHandler{})
	c.Write(append(request(proto.Ping, 1), 0xce, 0xff, 0xff, 0xff, 0xff)) // 4 GiB
	if got := readSyncs(t, r, 1); got[0] != 1 {
		t.Fatalf("first reply %v", got)
	}
	size, err := proto.ReadLength(r)
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, size)
	if _, err := io.ReadFull(r, pkt); err != nil {
		t.Fatal(err)
	}
	row, err := proto.DecodeHeader(pkt)
	if err != nil || uint32(row.Type)&proto.TypeError == 0 {
		t.Fatalf("want an error reply, got type %#x (%v)", row.Type, err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after a framing error: %v", err)
	}
}

// TestQueueOrder: bytes queued without waiting go out before bytes sent
// later, whole and in order, while writers race.
func TestQueueOrder(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &Conn{NetCon: a}
	const n = 200
	go func() {
		for i := 0; i < n; i++ {
			c.Queue(proto.AppendOK(nil, uint64(2*i), 0, nil))
			c.Send(proto.AppendOK(nil, uint64(2*i+1), 0, nil))
		}
	}()
	got := readSyncs(t, bufio.NewReader(b), 2*n)
	for i, s := range got {
		if s != uint64(i) {
			t.Fatalf("reply %d has sync %d", i, s)
		}
	}
}
