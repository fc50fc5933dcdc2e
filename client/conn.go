package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
)

// Options configure Dial.
type Options struct {
	// User and Password authenticate the connection with chap-sha1 right
	// after the greeting. An empty User stays guest.
	User     string
	Password string
	// Timeout bounds connecting (dial, greeting, AUTH) and is the
	// deadline of every request whose context has none. Zero means no
	// limit beyond the context's.
	Timeout time.Duration
	// MaxPacket bounds the size of a reply; 0 means Tarantool's 2 GiB.
	MaxPacket uint64
}

// Response is a raw reply.
type Response struct {
	Type          uint32 // proto.OK, or TypeError|code for errors
	Sync          uint64
	SchemaVersion uint32
	Body          []byte // the encoded body map; owned by the caller
}

// Conn is a pipelined IPROTO connection, safe for concurrent use.
type Conn struct {
	nc       net.Conn
	opts     Options
	greeting proto.Greeting

	mu       sync.Mutex
	pending  map[uint64]*call // requests waiting for a reply, by sync
	nextSync uint64
	wbuf     []byte // framed requests not yet handed to the writer
	closeErr error  // non-nil once the connection is closed

	wake   chan struct{} // one token: wbuf has data
	closed chan struct{} // closed when the connection closes

	schemaVersion atomic.Uint32 // latest SCHEMA_VERSION seen in a reply
	schemaMu      sync.Mutex    // serializes schema loads
	schema        atomic.Pointer[Schema]
}

// call is one pending request. done receives exactly one result.
type call struct {
	done chan result
}

type result struct {
	resp Response
	err  error
}

// Dial connects to addr ("host:port", "port", "unix/:/path/to.sock",
// optionally prefixed by "user:password@"), reads the greeting and
// authenticates when a user is given. Credentials in opts win over those
// in addr.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	network, address, user, password := parseURI(addr)
	if opts.User == "" && user != "" {
		opts.User, opts.Password = user, password
	}
	if opts.MaxPacket == 0 {
		opts.MaxPacket = proto.BodyLenMax
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	// Unblock the greeting read if ctx is cancelled without a deadline.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	r := bufio.NewReaderSize(nc, 64<<10)
	g := make([]byte, proto.GreetingSize)
	_, err = io.ReadFull(r, g)
	if !stop() && err != nil {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: reading greeting from %s: %w", addr, err)
	}
	nc.SetDeadline(time.Time{})
	greeting, err := proto.DecodeGreeting(g)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: %s: %w", addr, err)
	}
	if greeting.Protocol != "Binary" {
		nc.Close()
		return nil, fmt.Errorf("client: %s speaks %q, not IPROTO", addr, greeting.Protocol)
	}
	c := &Conn{
		nc:       nc,
		opts:     opts,
		greeting: greeting,
		pending:  make(map[uint64]*call),
		wake:     make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
	go c.readLoop(r)
	go c.writeLoop()
	if opts.User != "" {
		scramble := proto.Scramble(greeting.Salt, opts.Password)
		if _, err := c.Do(ctx, proto.Auth, proto.AppendAuthBody(nil, opts.User, scramble)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// parseURI splits a Tarantool-style URI into a dial network and address
// and optional credentials.
func parseURI(uri string) (network, address, user, password string) {
	if i := strings.LastIndexByte(uri, '@'); i >= 0 {
		cred := uri[:i]
		uri = uri[i+1:]
		user, password, _ = strings.Cut(cred, ":")
	}
	if p, ok := strings.CutPrefix(uri, "unix/:"); ok {
		return "unix", p, user, password
	}
	if !strings.Contains(uri, ":") {
		return "tcp", "localhost:" + uri, user, password
	}
	return "tcp", uri, user, password
}

// Greeting is what a server announces when a connection opens.
type Greeting struct {
	Version   string // "2.6.0"
	VersionID uint32 // major<<16 | minor<<8 | patch
	UUID      string // the instance UUID
}

// Greeting returns what the server announced.
func (c *Conn) Greeting() Greeting {
	return Greeting{Version: c.greeting.Version, VersionID: c.greeting.VersionID, UUID: c.greeting.UUID}
}

// Addr is the remote address.
func (c *Conn) Addr() net.Addr { return c.nc.RemoteAddr() }

// SchemaVersion is the schema version of the latest reply.
func (c *Conn) SchemaVersion() uint32 { return c.schemaVersion.Load() }

// Close closes the connection; pending requests fail with ErrClosed.
func (c *Conn) Close() error {
	c.shutdown(nil)
	return nil
}

// Closed is closed when the connection is.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// shutdown closes the connection once, failing every pending request.
func (c *Conn) shutdown(cause error) {
	c.mu.Lock()
	if c.closeErr != nil {
		c.mu.Unlock()
		return
	}
	c.closeErr = &closedError{cause}
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	close(c.closed)
	c.nc.Close()
	for _, cl := range pending {
		cl.done <- result{err: c.closeErr}
	}
}

// Do sends a raw request of type typ with an encoded body map (nil for
// none) and waits for its reply. An error reply returns the Response and
// an *Error.
func (c *Conn) Do(ctx context.Context, typ uint32, body []byte) (Response, error) {
	if c.opts.Timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
			defer cancel()
		}
	}
	cl := &call{done: make(chan result, 1)}
	c.mu.Lock()
	if c.closeErr != nil {
		err := c.closeErr
		c.mu.Unlock()
		return Response{}, err
	}
	c.nextSync++
	sync := c.nextSync
	c.pending[sync] = cl
	wasEmpty := len(c.wbuf) == 0
	c.wbuf = proto.AppendRequest(c.wbuf, typ, sync, body)
	c.mu.Unlock()
	if wasEmpty {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	select {
	case res := <-cl.done:
		return res.resp, res.err
	case <-ctx.Done():
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, sync)
		}
		c.mu.Unlock()
		// The reply may have been delivered meanwhile; prefer it.
		select {
		case res := <-cl.done:
			return res.resp, res.err
		default:
		}
		return Response{}, ctx.Err()
	}
}

// writeLoop flushes wbuf, swapping it with a spare buffer so callers
// keep appending while a batch is on the wire.
func (c *Conn) writeLoop() {
	var spare []byte
	for {
		select {
		case <-c.wake:
		case <-c.closed:
			return
		}
		c.mu.Lock()
		batch := c.wbuf
		c.wbuf = spare[:0]
		c.mu.Unlock()
		if len(batch) == 0 {
			spare = batch
			continue
		}
		if _, err := c.nc.Write(batch); err != nil {
			c.shutdown(err)
			return
		}
		spare = batch
		// Requests appended during the write found wbuf non-empty and did
		// not signal; look again before sleeping.
		c.mu.Lock()
		more := len(c.wbuf) > 0
		c.mu.Unlock()
		if more {
			select {
			case c.wake <- struct{}{}:
			default:
			}
		}
	}
}

// readLoop is the only reader of the socket: it matches replies to
// pending requests by sync.
func (c *Conn) readLoop(r *bufio.Reader) {
	for {
		p, err := proto.ReadPacket(r, c.opts.MaxPacket, nil)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			c.shutdown(err)
			return
		}
		row, err := proto.DecodeHeader(p)
		if err != nil {
			c.shutdown(fmt.Errorf("bad reply: %w", err))
			return
		}
		if row.SchemaVersion != 0 {
			c.schemaVersion.Store(uint32(row.SchemaVersion))
		}
		if row.Type == proto.Chunk {
			continue // box.session.push messages are not surfaced
		}
		c.mu.Lock()
		cl := c.pending[row.Sync]
		if cl != nil {
			delete(c.pending, row.Sync)
		}
		c.mu.Unlock()
		if cl == nil {
			continue // abandoned by its caller
		}
		resp := Response{Type: uint32(row.Type), Sync: row.Sync, SchemaVersion: uint32(row.SchemaVersion), Body: row.Body}
		var rerr error
		if proto.IsError(resp.Type) {
			e, _ := proto.DecodeError(resp.Type, row.Body)
			rerr = errorOf(e)
		}
		cl.done <- result{resp, rerr}
	}
}

func errorOf(e *boxerr.Error) *Error {
	return &Error{Code: uint32(e.Code), Message: e.Message, Type: e.Type, File: e.File, Line: uint32(e.Line)}
}
