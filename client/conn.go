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
	"github.com/spindledb/spindle/internal/msgpack"
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
	hooks    map[uint64]hooks // the callbacks of pending DoWith and Start requests
	nextSync uint64
	wbuf     []byte // framed requests not yet handed to the writer
	closeErr error  // non-nil once the connection is closed

	wake   chan struct{} // one token: wbuf has data
	closed chan struct{} // closed when the connection closes

	schemaVersion atomic.Uint32 // latest SCHEMA_VERSION seen in a reply
	schemaMu      sync.Mutex    // serializes schema loads
	schema        atomic.Pointer[Schema]
}

// call is one pending request. done receives exactly one result, except
// for a request sent by Start (started), whose result goes to its
// hooks' onReply. The callbacks live in a map of their own so that the
// plain Do path allocates no more than it needs.
type call struct {
	done chan result
}

// started stands for every pending Start request in Conn.pending.
var started = &call{}

// hooks are the callbacks of one request: onPush (DoWith and Start)
// receives its box.session.push messages, onReply (Start only) its
// result.
type hooks struct {
	onPush  func(data []byte)
	onReply func(Response, error)
}

// complete hands a request its result, exactly once.
func complete(cl *call, h hooks, res result) {
	if cl == started {
		h.onReply(res.resp, res.err)
		return
	}
	cl.done <- res
}

// RequestOptions are the optional parts of a request sent with DoWith or
// Start.
type RequestOptions struct {
	// OnPush receives, in order, each box.session.push message
	// (IPROTO_CHUNK) the server sends for the request before its final
	// reply: data is the encoded value that was pushed (the element of
	// the chunk's DATA array; msgpack nil if the array is empty). It runs
	// on the connection's reader goroutine, so it must not block; data
	// stays valid after it returns. A push that arrives as DoWith gives
	// up on its context may still be delivered while DoWith returns.
	// Without OnPush pushes are dropped.
	OnPush func(data []byte)
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
		hooks:    make(map[uint64]hooks),
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
	pending, hks := c.pending, c.hooks
	c.pending, c.hooks = nil, nil
	c.mu.Unlock()
	close(c.closed)
	c.nc.Close()
	for sync, cl := range pending {
		complete(cl, hks[sync], result{err: c.closeErr})
	}
}

// Do sends a raw request of type typ with an encoded body map (nil for
// none) and waits for its reply. An error reply returns the Response and
// an *Error. box.session.push messages for the request are dropped.
func (c *Conn) Do(ctx context.Context, typ uint32, body []byte) (Response, error) {
	return c.do(ctx, typ, body, nil)
}

// DoWith is Do with options: opts.OnPush receives the request's
// box.session.push messages while Do waits for the final reply.
func (c *Conn) DoWith(ctx context.Context, typ uint32, body []byte, opts RequestOptions) (Response, error) {
	return c.do(ctx, typ, body, opts.OnPush)
}

func (c *Conn) do(ctx context.Context, typ uint32, body []byte, onPush func([]byte)) (Response, error) {
	if c.opts.Timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
			defer cancel()
		}
	}
	cl := &call{done: make(chan result, 1)}
	sync, err := c.send(typ, body, cl, hooks{onPush: onPush})
	if err != nil {
		return Response{}, err
	}
	select {
	case res := <-cl.done:
		return res.resp, res.err
	case <-ctx.Done():
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, sync)
			delete(c.hooks, sync)
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

// Start sends a raw request like Do but returns at once: onReply
// receives the final reply (an error reply as an *Error, as Do returns
// it) or the error that closed the connection, exactly once, unless
// Start itself fails. onReply and opts.OnPush run on the connection's
// goroutines (or on the goroutine that calls Close), so they must not
// block. Start applies no timeout: a caller that stops waiting simply
// ignores the late reply.
func (c *Conn) Start(typ uint32, body []byte, opts RequestOptions, onReply func(Response, error)) error {
	if onReply == nil {
		return errors.New("client: Start needs an onReply function")
	}
	_, err := c.send(typ, body, started, hooks{onPush: opts.OnPush, onReply: onReply})
	return err
}

// send registers cl and h under a fresh sync and queues the request.
func (c *Conn) send(typ uint32, body []byte, cl *call, h hooks) (uint64, error) {
	c.mu.Lock()
	if c.closeErr != nil {
		err := c.closeErr
		c.mu.Unlock()
		return 0, err
	}
	c.nextSync++
	sync := c.nextSync
	c.pending[sync] = cl
	if h.onPush != nil || h.onReply != nil {
		c.hooks[sync] = h
	}
	wasEmpty := len(c.wbuf) == 0
	c.wbuf = proto.AppendRequest(c.wbuf, typ, sync, body)
	c.mu.Unlock()
	if wasEmpty {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return sync, nil
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
			if err := c.push(row.Sync, row.Body); err != nil {
				c.shutdown(fmt.Errorf("bad reply: %w", err))
				return
			}
			continue
		}
		c.mu.Lock()
		cl := c.pending[row.Sync]
		var h hooks
		if cl != nil {
			delete(c.pending, row.Sync)
			if len(c.hooks) > 0 {
				h = c.hooks[row.Sync]
				delete(c.hooks, row.Sync)
			}
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
		complete(cl, h, result{resp, rerr})
	}
}

// push hands a box.session.push message to its request's OnPush; a push
// for a request without one, or no longer pending, is dropped. A push
// stays pending: only the final reply completes the request.
func (c *Conn) push(sync uint64, body []byte) error {
	c.mu.Lock()
	onPush := c.hooks[sync].onPush
	c.mu.Unlock()
	if onPush == nil {
		return nil
	}
	data, err := PushData(body)
	if err != nil {
		return err
	}
	onPush(data)
	return nil
}

// msgpackNil is the value of a push whose DATA array is empty.
var msgpackNil = []byte{0xc0}

// PushData returns the pushed value of an IPROTO_CHUNK body {DATA:
// [value]}: the encoded first element of DATA, msgpack nil when DATA is
// empty. A body that is not such a map is ER_INVALID_MSGPACK.
func PushData(body []byte) ([]byte, error) {
	raw, err := proto.DataOf(body)
	if err != nil {
		return nil, err
	}
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "push message")
	if raw == nil {
		return nil, bad
	}
	n, pos, err := msgpack.ReadArrayHeader(raw)
	if err != nil {
		return nil, bad
	}
	if n == 0 {
		return msgpackNil, nil
	}
	size, err := msgpack.Skip(raw[pos:])
	if err != nil {
		return nil, bad
	}
	return raw[pos : pos+size], nil
}

func errorOf(e *boxerr.Error) *Error {
	return &Error{Code: uint32(e.Code), Message: e.Message, Type: e.Type, File: e.File, Line: uint32(e.Line)}
}
