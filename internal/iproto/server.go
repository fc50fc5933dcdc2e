package iproto

import (
	"bufio"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
)

// MaxPacket is the largest packet accepted (Tarantool's limit is 2 GiB).
const MaxPacket = 2 << 30

// maxBatch bounds how many pipelined packets one session call handles.
const maxBatch = 128

// Conn describes an accepted connection to the handler.
type Conn struct {
	Salt   []byte // the greeting's 32-byte salt (chap-sha1 uses the first 20)
	Peer   string // remote address
	Local  string
	NetCon net.Conn

	// Writes are combined: whoever finds the socket idle writes whatever
	// has been queued by then, so replies completing together leave in
	// one write call.
	srv  *Server
	sess Session
	r    *bufio.Reader
	// w writes the socket (flush); see sock_linux.go. A Conn made
	// outside the server (tests) has none and writes NetCon.
	w io.Writer
	// rerr is the framing error that ended the last read, kept for the
	// reader a Handover starts. Touched only by the current reader.
	rerr error

	mu      sync.Mutex
	queued  []byte
	writing bool
	spare   []byte
	err     error
}

// Send queues replies for the socket; it may be called from any
// goroutine (a request whose reply waited for the WAL sends it later).
// The bytes are copied. If no write is under way the caller writes,
// which may block on a slow client.
func (c *Conn) Send(b []byte) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.queued = append(c.queued, b...)
	if c.writing {
		c.mu.Unlock()
		return nil
	}
	c.writing = true
	return c.flush()
}

// Queue is Send without waiting for the socket: when no write is under
// way a goroutine starts one. Bytes sent or queued later go out after b,
// so a box.session.push queued under the baton precedes its request's
// reply.
func (c *Conn) Queue(b []byte) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.queued = append(c.queued, b...)
	if c.writing {
		c.mu.Unlock()
		return
	}
	c.writing = true
	c.mu.Unlock()
	go func() {
		c.mu.Lock()
		c.flush()
	}()
}

// flush writes the queue until it is empty; called with mu held and
// writing set by the caller, it returns with mu released.
func (c *Conn) flush() error {
	for len(c.queued) > 0 {
		buf := c.queued
		c.queued = c.spare[:0]
		c.mu.Unlock()
		w := c.w
		if w == nil {
			w = c.NetCon
		}
		_, err := w.Write(buf)
		c.mu.Lock()
		c.spare = buf
		if err != nil {
			c.err = err
			break
		}
	}
	c.writing = false
	err := c.err
	c.mu.Unlock()
	return err
}

// Handler opens a session per connection.
type Handler interface {
	// Greeting returns the server version ("2.6.0") and instance UUID for
	// the greeting line.
	Greeting() (version, uuid string)
	Open(c *Conn) Session
}

// Outcome tells the reading goroutine what became of the connection
// after a batch.
type Outcome uint8

const (
	// Continue: keep reading.
	Continue Outcome = iota
	// Takeover: the session has taken the connection over (replication):
	// stop reading and leave the connection to the session.
	Takeover
	// Detached: a request of the batch yielded and the session handed the
	// rest of the batch, and the reading, to another goroutine with
	// Conn.Handover; this goroutine only ends.
	Detached
)

// Session executes the requests of one connection.
type Session interface {
	// Serve handles packets (each a header map followed by an optional
	// body, without the length prefix) in order and appends to out the
	// replies that are ready; a reply that must wait (a write not yet
	// durable, a request that yielded) is sent later with Conn.Send. The
	// packets stay valid until the connection's reader reads again: a
	// goroutine that took the reading over with Handover never reuses
	// the memory of packets handed to an earlier one.
	Serve(packets [][]byte, out []byte) (reply []byte, o Outcome)
	// Close is called once when the connection ends (not after a
	// takeover).
	Close()
}

// Server accepts IPROTO connections on one listener.
type Server struct {
	h    Handler
	ln   net.Listener
	stat *NetStat

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// Listen binds addr ("host:port") and starts accepting.
func Listen(addr string, h Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{h: h, ln: ln, conns: make(map[net.Conn]struct{}), done: make(chan struct{})}
	if ns, ok := h.(NetStatter); ok {
		s.stat = ns.NetStat()
	} else {
		s.stat = NewNetStat()
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, closes every connection and waits for their
// goroutines to end.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.stat.Rmean.Collect(StatConnections, 1)
		s.stat.connections.Add(1)
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) forget(c net.Conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.stat.connections.Add(-1)
	}
	s.mu.Unlock()
}

func (s *Server) serve(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		s.end(nil, c, Continue)
		return
	}
	version, uuid := s.h.Greeting()
	if _, err := (countingWriter{c, s.stat}).Write(proto.EncodeGreeting(version, uuid, salt)); err != nil {
		s.end(nil, c, Continue)
		return
	}
	conn := &Conn{Salt: salt, Peer: c.RemoteAddr().String(), Local: c.LocalAddr().String(), NetCon: c,
		srv: s}
	rd, wr := newSockIO(c)
	conn.r, conn.w = bufio.NewReaderSize(countingReader{rd, s.stat}, 64<<10), countingWriter{wr, s.stat}
	conn.sess = s.h.Open(conn)
	conn.read(nil, nil)
}

// end finishes a reading goroutine: unless the connection was taken over
// or handed to another reader, the connection and its session close.
func (s *Server) end(conn *Conn, c net.Conn, o Outcome) {
	defer s.wg.Done()
	if o != Continue {
		return
	}
	s.forget(c)
	c.Close()
	if conn != nil {
		conn.sess.Close()
	}
}

// Handover makes a new goroutine the connection's reader: it first
// serves pending (packets already read, which keep their memory) with out
// as the start of its reply buffer, then reads on. The session calls it
// from a request that yields, then answers Detached from its Serve.
func (c *Conn) Handover(pending [][]byte, out []byte) {
	c.srv.wg.Add(1)
	go c.read(pending, out)
}

// read is the reading loop of a connection. Exactly one goroutine runs it
// at a time; its batches go to the session one after another.
func (c *Conn) read(pending [][]byte, out []byte) {
	o := Continue
	defer func() { c.srv.end(c, c.NetCon, o) }()
	if len(pending) > 0 || len(out) > 0 {
		if len(pending) > 0 {
			out, o = c.serve(pending, out)
		}
		if len(out) > 0 {
			if err := c.Send(out); err != nil {
				return
			}
		}
		if o != Continue {
			return
		}
	}
	if c.rerr != nil {
		c.fail(c.rerr)
		return
	}
	r := c.r
	out = out[:0]
	batch := make([][]byte, 0, maxBatch)
	var arena []byte
	for {
		batch = batch[:0]
		arena = arena[:0]
		var ferr error
		for len(batch) < maxBatch {
			n, err := proto.ReadLength(r)
			if err != nil {
				ferr = err
				break
			}
			if n > MaxPacket {
				ferr = boxerr.New(boxerr.ER_INVALID_MSGPACK, "too big packet size in the header: "+strconv.FormatUint(n, 10))
				break
			}
			start := len(arena)
			if uint64(cap(arena)-start) < n {
				// Earlier packets keep the old array alive; only new ones
				// land in the grown one.
				arena = make([]byte, 0, max(int(n), 64<<10))
				start = 0
			}
			arena = arena[:start+int(n)]
			if _, err := io.ReadFull(r, arena[start:]); err != nil {
				ferr = io.ErrUnexpectedEOF
				break
			}
			batch = append(batch, arena[start:start+int(n):start+int(n)])
			if r.Buffered() == 0 {
				break
			}
		}
		c.rerr = ferr
		if len(batch) > 0 {
			c.srv.stat.Rmean.Collect(StatRequests, int64(len(batch)))
			out, o = c.serve(batch, out[:0])
			if len(out) > 0 {
				if err := c.Send(out); err != nil {
					return
				}
			}
			if o != Continue {
				return
			}
			if cap(out) > 1<<20 {
				out = nil // do not pin a huge buffer after a large reply
			}
		}
		if ferr != nil {
			c.fail(ferr)
			return
		}
	}
}

// serve hands a batch to the session, counting its requests as in
// progress while it is served (a batch handed over when a request
// yields is counted by the goroutine that takes it).
func (c *Conn) serve(batch [][]byte, out []byte) ([]byte, Outcome) {
	st := c.srv.stat
	st.requests.Add(int64(len(batch)))
	out, o := c.sess.Serve(batch, out)
	st.requests.Add(-int64(len(batch)))
	return out, o
}

// fail answers a framing error, after which the stream cannot be
// resynchronized: the connection closes when the reader returns.
func (c *Conn) fail(err error) {
	var be *boxerr.Error
	if errors.As(err, &be) {
		c.Send(proto.AppendError(nil, 0, 0, be))
	}
}
