package relay

import (
	"bufio"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// WAL is what a relay needs from the WAL writer (*wal.Writer).
//
//   - Watch returns a channel that receives a value, coalesced, after
//     every batch written and every new file, and a function that stops
//     the notifications.
//   - VClock returns the vclock of the rows durable so far.
//
// Both are called from the relay's goroutine.
type WAL interface {
	Watch() (<-chan struct{}, func())
	VClock() vclock.VClock
}

// Conn is the replica's connection once the IPROTO session has handed it
// over. Send writes whole packets and may be called from any goroutine;
// Read and SetReadDeadline are used by one goroutine, the ACK reader.
type Conn interface {
	Send(b []byte) error
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// flushSize is how many bytes of rows are gathered before a write.
const flushSize = 128 << 10

// maxAck bounds an ACK packet; a real one is a few hundred bytes.
const maxAck = 1 << 20

// FinalJoin sends the rows of rd from its position up to stop - the
// final stage of JOIN (relay_final_join): every row, with its original
// header, through the zero Filter, until the reader's vclock signature
// reaches stop's. Rows missing from the files are a *GapError.
func FinalJoin(rd *Reader, send func([]byte) error, sync uint64, stop vclock.VClock) error {
	var f Filter
	var buf []byte
	var row xrow.Row
	for {
		pos := rd.VClock()
		if pos.Sum() >= stop.Sum() {
			break
		}
		err := rd.Next(&row)
		if err == ErrNoData {
			return &GapError{From: pos, To: stop}
		}
		if err != nil {
			return err
		}
		if !Apply(&row, f.Decide(&row), sync) {
			continue
		}
		buf = xrow.AppendPacket(buf, &row)
		if len(buf) >= flushSize {
			if err := send(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		return send(buf)
	}
	return nil
}

// Options configure a subscribe Relay.
type Options struct {
	// Sync is the SUBSCRIBE's sync, put in every packet.
	Sync uint64
	// MasterID signs heartbeats (this instance's id).
	MasterID uint32
	// Timeout returns replication_timeout; it is read at every wait so a
	// box.cfg change takes effect.
	Timeout func() time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Filter decides which rows the subscriber gets.
	Filter Filter
	// AckedVClock is the vclock reported before the first ACK: the
	// subscriber's vclock at SUBSCRIBE.
	AckedVClock vclock.VClock
	// OnAck, when set, is called from the ACK reader with every vclock
	// the replica reports.
	OnAck func(vclock.VClock)
	// SocketName describes the connection in socket error messages
	// ("fd 23, aka 127.0.0.1:3301, peer of 127.0.0.1:40000").
	SocketName string
}

// ErrStopped is returned by Run when its stop channel closes.
var ErrStopped = errors.New("relay: stopped")

// Relay streams the WAL to one subscriber (relay_subscribe_f): the rows
// of its Reader as they become durable, a heartbeat right after
// subscribing and whenever nothing was sent for replication_timeout,
// while another goroutine reads the replica's ACKs and drops the link
// when nothing arrives for 4 x replication_timeout.
type Relay struct {
	opts Options
	wal  WAL
	conn Conn
	rd   *Reader

	mu       sync.Mutex
	lastSend time.Time
	acked    vclock.VClock
}

// New returns a relay of rd's rows to conn.
func New(w WAL, conn Conn, rd *Reader, opts Options) *Relay {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == nil {
		opts.Timeout = func() time.Duration { return time.Second }
	}
	r := &Relay{opts: opts, wal: w, conn: conn, rd: rd, acked: opts.AckedVClock}
	r.lastSend = opts.Now()
	return r
}

// Status returns the vclock the replica last acknowledged and how long
// ago something was last sent to it (box.info downstream vclock, idle).
func (r *Relay) Status() (acked vclock.VClock, idle time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acked, r.opts.Now().Sub(r.lastSend)
}

// Run streams until the connection fails, the replica stops
// acknowledging, a file error, or stop closes; it always returns the
// error that ended it. The caller closes the connection afterwards,
// which ends the ACK reader.
func (r *Relay) Run(stop <-chan struct{}) error {
	watch, unwatch := r.wal.Watch()
	defer unwatch()
	ackErr := make(chan error, 1)
	go func() { ackErr <- r.readAcks() }()
	if err := r.heartbeat(); err != nil {
		return err
	}
	timer := time.NewTimer(r.opts.Timeout())
	defer timer.Stop()
	for {
		if err := r.pump(); err != nil {
			return err
		}
		r.mu.Lock()
		wait := r.opts.Timeout() - r.opts.Now().Sub(r.lastSend)
		r.mu.Unlock()
		if wait <= 0 {
			if err := r.heartbeat(); err != nil {
				return err
			}
			wait = r.opts.Timeout()
		}
		timer.Reset(wait)
		select {
		case <-watch:
		case <-timer.C:
		case err := <-ackErr:
			return err
		case <-stop:
			return ErrStopped
		}
	}
}

// send writes b and records the time for heartbeats and idle.
func (r *Relay) send(b []byte) error {
	err := r.conn.Send(b)
	r.mu.Lock()
	r.lastSend = r.opts.Now()
	r.mu.Unlock()
	return err
}

func (r *Relay) heartbeat() error {
	now := r.opts.Now()
	ts := float64(now.UnixNano()) / 1e9
	return r.send(AppendHeartbeat(nil, r.opts.Sync, r.opts.MasterID, ts))
}

// pump sends every row the reader has now.
func (r *Relay) pump() error {
	var buf []byte
	var row xrow.Row
	for {
		err := r.rd.Next(&row)
		if err == ErrNoData {
			break
		}
		if err != nil {
			return err
		}
		if !Apply(&row, r.opts.Filter.Decide(&row), r.opts.Sync) {
			continue
		}
		buf = xrow.AppendPacket(buf, &row)
		if len(buf) >= flushSize {
			if err := r.send(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		return r.send(buf)
	}
	return nil
}

// readAcks reads ACK packets until the connection fails or nothing
// arrives for 4 x replication_timeout (replication_disconnect_timeout).
func (r *Relay) readAcks() error {
	br := bufio.NewReader(readerFunc(r.conn.Read))
	var payload []byte
	var row xrow.Row
	for {
		if err := r.conn.SetReadDeadline(r.opts.Now().Add(4 * r.opts.Timeout())); err != nil {
			return boxerr.System(err.Error())
		}
		n, err := proto.ReadLength(br)
		if err != nil {
			return r.readError(err)
		}
		if n > maxAck {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "too big packet size in the header")
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return r.readError(err)
		}
		if err := xrow.DecodePacket(payload, &row); err != nil {
			return err
		}
		v, err := DecodeAck(row.Body)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.acked = v
		r.mu.Unlock()
		if r.opts.OnAck != nil {
			r.opts.OnAck(v)
		}
	}
}

// readError turns a socket read failure into Tarantool's error: a
// TimedOut (code ER_SYSTEM) "timed out", or a SocketError for a closed
// connection.
func (r *Relay) readError(err error) error {
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "TimedOut", Message: "timed out"}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SocketError",
			Message: "unexpected EOF when reading from socket, called on " + r.opts.SocketName + ": Broken pipe"}
	}
	return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SocketError", Message: err.Error()}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
