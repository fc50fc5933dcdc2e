package applier

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// URI is one box.cfg.replication source: [login[:password]@]host:port
// (or a bare port, meaning localhost as in Tarantool).
type URI struct {
	Login, Password string
	Addr            string // host:port to dial
	// Text is the URI as configured without the password: it names the
	// applier fiber ("applier/replicator@127.0.0.1:3301") in log lines.
	Text string
}

// ParseURI parses a replication source. Errors are ER_CFG for the
// "replication" option.
func ParseURI(s string) (URI, error) {
	bad := func() (URI, error) {
		return URI{}, boxerr.New(boxerr.ER_CFG, "replication", "bad URI: "+s)
	}
	var u URI
	rest := strings.TrimPrefix(s, "tcp://")
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		cred := rest[:i]
		rest = rest[i+1:]
		if j := strings.IndexByte(cred, ':'); j >= 0 {
			u.Login, u.Password = cred[:j], cred[j+1:]
		} else {
			u.Login = cred
		}
		if u.Login == "" {
			return bad()
		}
	}
	if rest == "" {
		return bad()
	}
	if p, err := strconv.Atoi(rest); err == nil {
		if p <= 0 || p > 65535 {
			return bad()
		}
		u.Addr = "localhost:" + rest
	} else {
		host, port, err := net.SplitHostPort(rest)
		if err != nil || host == "" {
			return bad()
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return bad()
		}
		u.Addr = rest
	}
	u.Text = rest
	if u.Login != "" {
		u.Text = u.Login + "@" + rest
	}
	return u, nil
}

// Ballot is the master's answer to VOTE (xrow_decode_ballot).
type Ballot struct {
	IsRO, IsLoading  bool
	VClock, GCVClock vclock.VClock
}

// DecodeBallot decodes the body of a VOTE reply:
// {0x29: {1: is_ro, 4: is_loading, 2: vclock, 3: gc_vclock}}. Unknown
// keys (2.6.1's is_anon) are skipped; errors are ER_INVALID_MSGPACK.
func DecodeBallot(body []byte) (Ballot, error) {
	var b Ballot
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	err := forEachKey(body, func(k uint64, v []byte) error {
		if k != proto.KeyBallot {
			return nil
		}
		return forEachKey(v, func(k uint64, v []byte) error {
			var err error
			switch k {
			case proto.BallotIsRO, proto.BallotIsLoading:
				var x bool
				if x, _, err = msgpack.ReadBool(v); err != nil {
					return bad
				}
				if k == proto.BallotIsRO {
					b.IsRO = x
				} else {
					b.IsLoading = x
				}
			case proto.BallotVClock:
				b.VClock, _, err = vclock.DecodeMsgpack(v)
			case proto.BallotGCVClock:
				b.GCVClock, _, err = vclock.DecodeMsgpack(v)
			}
			return err
		})
	})
	return b, err
}

// SubscribeReply is the master's OK to SUBSCRIBE.
type SubscribeReply struct {
	MasterID    uint32 // header REPLICA_ID
	VClock      vclock.VClock
	ClusterUUID string
}

// DecodeSubscribeReply decodes the OK row answering SUBSCRIBE.
func DecodeSubscribeReply(row *xrow.Row) (SubscribeReply, error) {
	r := SubscribeReply{MasterID: row.ReplicaID}
	if len(row.Body) == 0 {
		return r, nil
	}
	err := forEachKey(row.Body, func(k uint64, v []byte) error {
		var err error
		switch k {
		case proto.KeyVClock:
			r.VClock, _, err = vclock.DecodeMsgpack(v)
		case proto.KeyClusterUUID:
			if r.ClusterUUID, _, err = msgpack.ReadString(v); err != nil {
				return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
			}
		}
		return err
	})
	return r, err
}

// DecodeVClockBody decodes {0x26: vclock} (the JOIN stage markers).
func DecodeVClockBody(body []byte) (vclock.VClock, error) {
	var v vclock.VClock
	if len(body) == 0 {
		return v, nil
	}
	err := forEachKey(body, func(k uint64, b []byte) error {
		if k != proto.KeyVClock {
			return nil
		}
		var err error
		v, _, err = vclock.DecodeMsgpack(b)
		return err
	})
	return v, err
}

// forEachKey walks a map with unsigned keys; fn gets each value's bytes.
func forEachKey(body []byte, fn func(k uint64, v []byte) error) error {
	bad := boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	if msgpack.TypeOf(body) != msgpack.Map {
		return bad
	}
	n, pos, err := msgpack.ReadMapHeader(body)
	if err != nil {
		return bad
	}
	for i := uint32(0); i < n; i++ {
		if msgpack.TypeOf(body[pos:]) != msgpack.Uint {
			return bad
		}
		k, sz, err := msgpack.ReadUint(body[pos:])
		if err != nil {
			return bad
		}
		pos += sz
		sz, err = msgpack.Skip(body[pos:])
		if err != nil {
			return bad
		}
		if err := fn(k, body[pos:pos+sz]); err != nil {
			return err
		}
		pos += sz
	}
	return nil
}

// Conn is one connection to a master, the applier side of the protocol.
// It is used by one goroutine at a time, except SendAck, which may run
// concurrently with reads.
type Conn struct {
	URI      URI
	Greeting proto.Greeting
	nc       net.Conn
	br       *bufio.Reader
	stamp    *stampReader
}

// stampReader notes when a read from the socket last returned data. Rows
// decoded from the buffer count as received then: 2.6's applier takes
// ev_now(), the event loop's time when the socket became readable, for
// upstream.lag and idle, not the moment the row was decoded.
type stampReader struct {
	nc net.Conn
	at time.Time
}

func (r *stampReader) Read(p []byte) (int, error) {
	n, err := r.nc.Read(p)
	if n > 0 {
		r.at = time.Now()
	}
	return n, err
}

// ReceivedAt is when the bytes of the last row read arrived (the last
// socket read that returned data); only the reading goroutine calls it.
func (c *Conn) ReceivedAt() time.Time { return c.stamp.at }

// connectError is the SystemError coio_connect raises, with the errno
// text as strerror prints it.
func connectError(nc net.Conn, addr string, err error) error {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errnoText(errno)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		msg = "Connection timed out"
	}
	return boxerr.System(fmt.Sprintf("connect, called on fd %d, aka %s: %s", fdOf(nc), addr, msg))
}

// errnoText is strerror(3) for the errors a connect meets; Go's texts
// are lowercase.
func errnoText(e syscall.Errno) string {
	switch e {
	case syscall.ECONNREFUSED:
		return "Connection refused"
	case syscall.ECONNRESET:
		return "Connection reset by peer"
	case syscall.ETIMEDOUT:
		return "Connection timed out"
	case syscall.EHOSTUNREACH:
		return "No route to host"
	case syscall.ENETUNREACH:
		return "Network is unreachable"
	case syscall.EPIPE:
		return "Broken pipe"
	}
	s := e.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func fdOf(nc net.Conn) int {
	fd := -1
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			raw.Control(func(f uintptr) { fd = int(f) })
		}
	}
	return fd
}

// ioError turns a read/write failure into the error 2.6 logs for it: a
// closed peer is SocketError "unexpected EOF when reading from socket".
func (c *Conn) ioError(err error) error {
	var be *boxerr.Error
	if errors.As(err, &be) {
		return be
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SocketError",
			Message: fmt.Sprintf("%s: unexpected EOF when reading from socket", c.socketName())}
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return boxerr.New(boxerr.ER_TIMEOUT)
	}
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errnoText(errno)
	}
	return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SocketError", Message: c.socketName() + ": " + msg}
}

// socketName is sio_socketname: "fd 16, aka 127.0.0.1:40000, peer of
// 127.0.0.1:3301".
func (c *Conn) socketName() string {
	return fmt.Sprintf("fd %d, aka %s, peer of %s", fdOf(c.nc), c.nc.LocalAddr(), c.nc.RemoteAddr())
}

// Dial connects to uri and reads the greeting. Only the IPROTO
// ("Binary") protocol is accepted, as applier_connect requires.
func Dial(uri URI, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", uri.Addr, timeout)
	if err != nil {
		return nil, connectError(nc, uri.Addr, err)
	}
	stamp := &stampReader{nc: nc}
	c := &Conn{URI: uri, nc: nc, br: bufio.NewReaderSize(stamp, 64<<10), stamp: stamp}
	var buf [proto.GreetingSize]byte
	nc.SetReadDeadline(time.Now().Add(timeout))
	if _, err := io.ReadFull(c.br, buf[:]); err != nil {
		nc.Close()
		return nil, c.ioError(err)
	}
	nc.SetReadDeadline(time.Time{})
	g, err := proto.DecodeGreeting(buf[:])
	if err != nil {
		nc.Close()
		return nil, boxerr.New(boxerr.ER_PROTOCOL, "Invalid greeting")
	}
	if g.Protocol != "Binary" {
		nc.Close()
		return nil, boxerr.New(boxerr.ER_PROTOCOL, "Unsupported protocol for replication")
	}
	c.Greeting = g
	return c, nil
}

// Close closes the socket; a concurrent read returns an error.
func (c *Conn) Close() error { return c.nc.Close() }

// PeerAddr is the master's address as upstream.peer shows it.
func (c *Conn) PeerAddr() string { return c.nc.RemoteAddr().String() }

// send writes one request packet; requests of an applier carry no sync.
func (c *Conn) send(typ uint16, body []byte) error {
	pkt := xrow.AppendPacket(nil, &xrow.Row{Type: typ, Body: body})
	if _, err := c.nc.Write(pkt); err != nil {
		return c.ioError(err)
	}
	return nil
}

// SetReadTimeout bounds the next reads (0: no bound).
func (c *Conn) SetReadTimeout(d time.Duration) {
	if d <= 0 {
		c.nc.SetReadDeadline(time.Time{})
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(d))
}

// ReadRow reads the next packet into row. An error reply (type 0x8000 |
// code) is returned as the master's error. row.Body owns its bytes.
func (c *Conn) ReadRow(row *xrow.Row) error {
	pkt, err := proto.ReadPacket(c.br, proto.BodyLenMax, nil)
	if err != nil {
		return c.ioError(err)
	}
	*row = xrow.Row{}
	if err := xrow.DecodePacket(pkt, row); err != nil {
		return err
	}
	if proto.IsError(uint32(row.Type)) {
		e, _ := proto.DecodeError(uint32(row.Type), row.Body)
		return e
	}
	return nil
}

// readOK reads a reply that must be OK.
func (c *Conn) readOK(row *xrow.Row) error {
	if err := c.ReadRow(row); err != nil {
		return err
	}
	if row.Type != proto.OK {
		return boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, row.Type)
	}
	return nil
}

// Vote asks for the master's ballot. ok is false when the master does
// not know VOTE (ER_UNKNOWN_REQUEST_TYPE is tolerated, as in 2.6).
func (c *Conn) Vote() (b Ballot, ok bool, err error) {
	if err := c.send(proto.Vote, nil); err != nil {
		return b, false, err
	}
	var row xrow.Row
	if err := c.ReadRow(&row); err != nil {
		if boxerr.Is(err, boxerr.ER_UNKNOWN_REQUEST_TYPE) {
			return b, false, nil
		}
		return b, false, err
	}
	b, err = DecodeBallot(row.Body)
	return b, err == nil, err
}

// Auth authenticates as the URI's user with chap-sha1.
func (c *Conn) Auth() error {
	scr := proto.Scramble(c.Greeting.Salt, c.URI.Password)
	if err := c.send(proto.Auth, proto.AppendAuthBody(nil, c.URI.Login, scr)); err != nil {
		return err
	}
	var row xrow.Row
	return c.readOK(&row)
}

// Join sends JOIN for instanceUUID and reads the master's first OK: the
// start vclock. Rows then come through NextJoinRow.
func (c *Conn) Join(instanceUUID string) (vclock.VClock, error) {
	body := msgpack.AppendMapHeader(nil, 1)
	body = msgpack.AppendUint(body, proto.KeyInstanceUUID)
	body = msgpack.AppendString(body, instanceUUID)
	return c.requestVClock(proto.Join, body)
}

// requestVClock sends a request whose first answer is an OK carrying a
// vclock (JOIN, FETCH_SNAPSHOT) and returns that vclock.
func (c *Conn) requestVClock(typ uint16, body []byte) (vclock.VClock, error) {
	if err := c.send(typ, body); err != nil {
		return vclock.VClock{}, err
	}
	var row xrow.Row
	if err := c.readOK(&row); err != nil {
		return vclock.VClock{}, err
	}
	return DecodeVClockBody(row.Body)
}

// FetchSnapshot sends FETCH_SNAPSHOT, an anonymous replica's bootstrap
// (applier_fetch_snapshot), and reads the master's first OK: the vclock
// of the read view it sends. The rows then come through NextJoinRow in
// the InitialJoin stage; the OK that ends that stage ends the exchange
// (an anonymous replica gets no final data: it is not registered).
func (c *Conn) FetchSnapshot() (vclock.VClock, error) {
	return c.requestVClock(proto.FetchSnapshot, nil)
}

// Register sends REGISTER, by which an anonymous replica becomes a
// normal one (applier_register): its uuid and vclock. The master answers
// with its registration rows, then an OK with its vclock: read them with
// NextJoinRow from the FinalJoin stage.
func (c *Conn) Register(instanceUUID string, v *vclock.VClock) error {
	body := msgpack.AppendMapHeader(nil, 2)
	body = msgpack.AppendUint(body, proto.KeyInstanceUUID)
	body = msgpack.AppendString(body, instanceUUID)
	body = msgpack.AppendUint(body, proto.KeyVClock)
	body = v.AppendMsgpackIgnore0(body)
	return c.send(proto.Register, body)
}

// JoinStage is where a JOIN stream is.
type JoinStage int

const (
	// InitialJoin: snapshot rows (no lsn, no replica id).
	InitialJoin JoinStage = iota
	// FinalJoin: WAL rows in (start, stop] with their origin ids.
	FinalJoin
	// Joined: the last OK has been read.
	Joined
)

// NextJoinRow reads the next JOIN packet. A data row is returned in row
// with the stage it belongs to; an OK advances the stage and its vclock
// is returned (stop at the end of the initial stage, the master's
// current vclock at the end), with data false.
func (c *Conn) NextJoinRow(stage JoinStage, row *xrow.Row) (next JoinStage, data bool, v vclock.VClock, err error) {
	if err := c.ReadRow(row); err != nil {
		return stage, false, v, err
	}
	if row.Type == proto.OK {
		v, err = DecodeVClockBody(row.Body)
		if stage < Joined {
			stage++
		}
		return stage, false, v, err
	}
	if !proto.IsDML(uint32(row.Type)) && row.Type != proto.Confirm && row.Type != proto.Rollback {
		return stage, false, v, boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, row.Type)
	}
	return stage, true, v, nil
}

// SubscribeRequest is the body of SUBSCRIBE.
type SubscribeRequest struct {
	ClusterUUID  string // "" sends the nil uuid
	InstanceUUID string
	VClock       vclock.VClock
	Anon         bool
	// IDFilter are replica ids whose rows the master must not send.
	IDFilter []uint32
}

// NilUUID is what a replica that does not know its replica set sends.
const NilUUID = "00000000-0000-0000-0000-000000000000"

// AppendSubscribeBody encodes a SUBSCRIBE body as xrow_encode_subscribe:
// cluster uuid, instance uuid, vclock without component 0, version id,
// anon, and the id filter when it is not empty.
func AppendSubscribeBody(dst []byte, r *SubscribeRequest) []byte {
	n := uint32(5)
	if len(r.IDFilter) > 0 {
		n++
	}
	cl := r.ClusterUUID
	if cl == "" {
		cl = NilUUID
	}
	dst = msgpack.AppendMapHeader(dst, n)
	dst = msgpack.AppendUint(dst, proto.KeyClusterUUID)
	dst = msgpack.AppendString(dst, cl)
	dst = msgpack.AppendUint(dst, proto.KeyInstanceUUID)
	dst = msgpack.AppendString(dst, r.InstanceUUID)
	dst = msgpack.AppendUint(dst, proto.KeyVClock)
	dst = r.VClock.AppendMsgpackIgnore0(dst)
	dst = msgpack.AppendUint(dst, proto.KeyServerVersion)
	dst = msgpack.AppendUint(dst, uint64(proto.VersionID(2, 6, 0)))
	dst = msgpack.AppendUint(dst, proto.KeyReplicaAnon)
	dst = msgpack.AppendBool(dst, r.Anon)
	if len(r.IDFilter) > 0 {
		dst = msgpack.AppendUint(dst, proto.KeyIDFilter)
		dst = msgpack.AppendArrayHeader(dst, uint32(len(r.IDFilter)))
		for _, id := range r.IDFilter {
			dst = msgpack.AppendUint(dst, uint64(id))
		}
	}
	return dst
}

// Subscribe sends SUBSCRIBE and reads the master's reply.
func (c *Conn) Subscribe(r *SubscribeRequest) (SubscribeReply, error) {
	if err := c.send(proto.Subscribe, AppendSubscribeBody(nil, r)); err != nil {
		return SubscribeReply{}, err
	}
	var row xrow.Row
	if err := c.readOK(&row); err != nil {
		return SubscribeReply{}, err
	}
	return DecodeSubscribeReply(&row)
}

// SendAck sends {0x26: vclock} with no sync (xrow_encode_vclock).
func (c *Conn) SendAck(v *vclock.VClock) error {
	body := msgpack.AppendMapHeader(nil, 1)
	body = msgpack.AppendUint(body, proto.KeyVClock)
	body = v.AppendMsgpackIgnore0(body)
	return c.send(proto.OK, body)
}
