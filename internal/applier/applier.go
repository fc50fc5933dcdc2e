package applier

import (
	"sync"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// State is the applier state box.info.replication[n].upstream.status
// shows.
type State string

// Applier states (applier_state), as box.info names them.
const (
	StateOff       State = "off"
	StateConnect   State = "connect"
	StateConnected State = "connected"
	StateAuth      State = "auth"
	StateReady     State = "ready"
	StateSync      State = "sync"
	StateFollow    State = "follow"
	StateStopped   State = "stopped"
	StateLoading   State = "loading"
	StateDisconn   State = "disconnected"
)

// Replica is what the applier needs from the instance it feeds (wired by
// the server). Every method is called from the applier's goroutine; the
// implementation takes the tx baton itself where it touches box.
type Replica interface {
	// InstanceUUID is this instance's uuid (sent in SUBSCRIBE and used
	// to detect a connection to self).
	InstanceUUID() string
	// Subscription returns what SUBSCRIBE sends: the replica set uuid,
	// the local vclock, this instance's id (0: none, or orphan, so no id
	// filter is sent) and whether it subscribes as an anonymous replica.
	Subscription() (clusterUUID string, v vclock.VClock, id uint32, anon bool)
	// ApplyTx applies the rows of one transaction received from the
	// master, keeping their origin replica_id/lsn, and writes them to the
	// local WAL; it may return before they are durable, and then reports
	// a failed write at a later call. Rows already applied must be
	// skipped by the implementation (it owns the vclock shared by all
	// appliers). written is called, from any goroutine and possibly
	// before ApplyTx returns, once the rows are durable or nothing was
	// left to write: the applier then sends an ACK (2.6's applier wakes
	// its writer from the WAL write's trigger). Calls may be coalesced:
	// one call after several transactions acknowledges them all.
	ApplyTx(rows []*xrow.Row, written func()) error
	// VClock is the local vclock the ACKs report.
	VClock() vclock.VClock
	// OnFollow is called once the applier has caught up (sync -> follow).
	OnFollow()
}

// Options configure an Applier.
type Options struct {
	// Timeout is replication_timeout, read at every use.
	Timeout func() time.Duration
	// SyncLag is replication_sync_lag.
	SyncLag func() time.Duration
	// Log writes an info (or other level) line for this applier; level
	// uses say's numbering. syserr marks a "!>" SystemError line.
	Log func(level int, msg string)
}

// Say levels the applier logs at (say.Level values).
const (
	levelSysError = 1
	levelError    = 2
	levelCrit     = 3
	levelInfo     = 5
)

// Status is box.info.replication[n].upstream.
type Status struct {
	State   State
	Peer    string
	Idle    time.Duration
	Lag     float64
	Message string // the last error, while not following
	// MasterUUID is the master's instance uuid from the greeting.
	MasterUUID string
}

// Applier follows one master: it connects (retrying every
// replication_timeout), hands the ready connection to a bootstrap when
// asked, then SUBSCRIBEs and applies the stream.
type Applier struct {
	uri  URI
	r    Replica
	opts Options

	mu         sync.Mutex
	state      State
	peer       string
	masterUUID string
	// The last VOTE answer (for the bootstrap election) and whether the
	// source is this very instance. Guarded by mu.
	ballot     Ballot
	ballotUUID string
	hasBallot  bool
	isSelf     bool
	lastRow    time.Time
	lag        float64
	lastErr    *boxerr.Error
	lastLogged boxerr.Code
	logged     bool
	follow     bool       // SUBSCRIBE once connected (else park in READY)
	ready      chan *Conn // a parked ready connection for a bootstrap
	giveBack   chan *Conn // the bootstrap returns the connection (nil: reconnect)
	followCh   chan struct{}
	followOnce sync.Once
	stopped    chan struct{}
	stopOnce   sync.Once
	conn       *Conn
	wg         sync.WaitGroup
}

// New creates an applier for uri; Start runs it.
func New(uri URI, r Replica, opts Options) *Applier {
	return &Applier{uri: uri, r: r, opts: opts, state: StateOff,
		ready: make(chan *Conn), giveBack: make(chan *Conn), followCh: make(chan struct{}), stopped: make(chan struct{})}
}

// URI is the source this applier follows.
func (a *Applier) URI() URI { return a.uri }

// Start runs the applier. With follow false a connected applier parks
// in READY until Take hands its connection to a bootstrap; with follow
// true it subscribes at once.
func (a *Applier) Start(follow bool) {
	a.follow = follow
	a.wg.Add(1)
	go a.run()
}

// Ballot returns the last ballot the peer answered VOTE with and its
// instance UUID; ok is false until a VOTE has been answered. The bootstrap
// leader election reads it: VOTE works on peers that are still loading,
// before AUTH would.
func (a *Applier) Ballot() (b Ballot, uuid string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ballot, a.ballotUUID, a.hasBallot
}

// IsSelf reports whether the source turned out to be this instance.
func (a *Applier) IsSelf() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.isSelf
}

// Stop ends the applier and waits for it.
func (a *Applier) Stop() {
	// stopped is closed before mu is taken: a connection the goroutine
	// makes its own (under mu) after this check is closed below, and one
	// it would make later sees stopped (connect).
	a.stopOnce.Do(func() { close(a.stopped) })
	a.mu.Lock()
	if a.conn != nil {
		a.conn.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// Take waits up to timeout for a connected, authenticated connection and
// takes it over (for JOIN). The caller must give it back with Resume.
func (a *Applier) Take(timeout time.Duration) (*Conn, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c := <-a.ready:
		return c, true
	case <-t.C:
		return nil, false
	case <-a.stopped:
		return nil, false
	}
}

// Follow makes an applier that parks for a bootstrap subscribe instead.
func (a *Applier) Follow() {
	a.mu.Lock()
	a.follow = true
	a.mu.Unlock()
	a.followOnce.Do(func() { close(a.followCh) })
}

// Resume gives a taken connection back. With follow, the applier
// subscribes on it (nil: it reconnects first); without, it reconnects and
// parks again (a failed JOIN).
func (a *Applier) Resume(c *Conn, follow bool) {
	if follow {
		a.Follow()
	}
	select {
	case a.giveBack <- c:
	case <-a.stopped:
		if c != nil {
			c.Close()
		}
	}
}

// Status reports the upstream status.
func (a *Applier) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := Status{State: a.state, Peer: a.peer, Lag: a.lag, MasterUUID: a.masterUUID}
	if !a.lastRow.IsZero() {
		st.Idle = time.Since(a.lastRow)
	}
	if a.lastErr != nil && a.state != StateFollow && a.state != StateSync {
		st.Message = a.lastErr.Message
	}
	return st
}

// Connected reports whether the applier has a working link to its
// master (CONNECTED and later states of 2.6 up to FOLLOW) or found that
// the source is this instance (2.6 counts that connection too, then drops
// it from the replica set).
func (a *Applier) Connected() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch a.state {
	case StateConnected, StateAuth, StateReady, StateSync, StateFollow:
		return true
	}
	return a.isSelf
}

// Stopped reports whether the applier gave up after an error it does not
// retry (a conflict, a foreign replica set): only a new box.cfg.replication
// starts its source again.
func (a *Applier) Stopped() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state == StateStopped
}

// IsFollowing reports whether the applier is in FOLLOW.
func (a *Applier) IsFollowing() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state == StateFollow
}

func (a *Applier) setState(s State) {
	a.mu.Lock()
	a.state = s
	a.mu.Unlock()
}

// Timeout is replication_timeout as this applier reads it.
func (a *Applier) Timeout() time.Duration { return a.timeout() }

func (a *Applier) timeout() time.Duration {
	if a.opts.Timeout != nil {
		if t := a.opts.Timeout(); t > 0 {
			return t
		}
	}
	return time.Second
}

func (a *Applier) log(level int, format string) {
	if a.opts.Log != nil {
		a.opts.Log(level, format)
	}
}

// logError is applier_log_error: what failed (by state), the error, and
// whether it is retried; a repeated error code is logged once.
func (a *Applier) logError(err error) {
	e := boxerr.From(err)
	a.mu.Lock()
	a.lastErr = e
	state := a.state
	repeat := a.logged && a.lastLogged == e.Code
	a.lastLogged, a.logged = e.Code, true
	a.mu.Unlock()
	if repeat {
		return
	}
	switch state {
	case StateConnect:
		a.log(levelInfo, "can't connect to master")
	case StateConnected, StateReady:
		a.log(levelInfo, "can't join/subscribe")
	case StateAuth:
		a.log(levelInfo, "failed to authenticate")
	case StateSync, StateFollow:
		a.log(levelInfo, "can't read row")
	}
	switch e.Type {
	case "SystemError", "SocketError":
		a.log(levelSysError, e.Type+" "+e.Message)
	case "", "ClientError", "AccessDeniedError":
		// ClientError::log names the error code
		a.log(levelError, e.Code.Name()+": "+e.Message)
	default:
		// other errors (XlogGapError from a master that lost xlogs)
		// are logged by type, as Exception::log does
		a.log(levelError, e.Type+": "+e.Message)
	}
	switch e.Code {
	case boxerr.ER_LOADING, boxerr.ER_CFG, boxerr.ER_ACCESS_DENIED, boxerr.ER_NO_SUCH_USER,
		boxerr.ER_SYSTEM, boxerr.ER_UNKNOWN_REPLICA, boxerr.ER_PASSWORD_MISMATCH:
		a.log(levelInfo, fmtRetry(a.timeout()))
	}
}

func fmtRetry(d time.Duration) string {
	return "will retry every " + formatSeconds(d) + " second"
}

// formatSeconds is printf("%.2lf").
func formatSeconds(d time.Duration) string {
	cs := (d.Milliseconds() + 5) / 10
	frac := cs % 100
	s := itoa(cs/100) + "."
	if frac < 10 {
		s += "0"
	}
	return s + itoa(frac)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// retriable reports whether the applier reconnects after err (2.6 stops
// on every other error, e.g. REPLICASET_UUID_MISMATCH).
func retriable(err error) bool {
	e := boxerr.From(err)
	switch e.Code {
	case boxerr.ER_LOADING, boxerr.ER_CFG, boxerr.ER_ACCESS_DENIED, boxerr.ER_NO_SUCH_USER,
		boxerr.ER_SYSTEM, boxerr.ER_UNKNOWN_REPLICA, boxerr.ER_PASSWORD_MISMATCH, boxerr.ER_TIMEOUT,
		boxerr.ER_INVALID_MSGPACK, boxerr.ER_UNKNOWN_REQUEST_TYPE, boxerr.ER_PROTOCOL:
		return true
	}
	return e.Type == "SocketError" || e.Type == "SystemError"
}

// sleep waits d or until Stop; false when stopped.
func (a *Applier) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.stopped:
		return false
	}
}

func (a *Applier) isStopped() bool {
	select {
	case <-a.stopped:
		return true
	default:
		return false
	}
}

// run is applier_f: connect, (park for a bootstrap,) subscribe, follow;
// reconnect every replication_timeout after a retriable error.
func (a *Applier) run() {
	defer a.wg.Done()
	for !a.isStopped() {
		c, err := a.connect()
		if err == nil {
			a.mu.Lock()
			follow := a.follow
			a.mu.Unlock()
			if !follow {
				c, err = a.park(c)
				if err != nil {
					if c != nil {
						c.Close()
					}
					return // stopped
				}
			}
			if c != nil {
				err = a.subscribe(c)
			}
		}
		if c != nil {
			c.Close()
		}
		a.mu.Lock()
		a.conn = nil
		a.mu.Unlock()
		if a.isStopped() {
			a.setState(StateOff)
			return
		}
		if err != nil {
			a.logError(err)
			if !retriable(err) {
				a.setState(StateStopped)
				return
			}
			a.setState(StateDisconn)
		}
		if !a.sleep(a.timeout()) {
			return
		}
	}
}

// park offers a ready connection to Take and waits for Resume.
func (a *Applier) park(c *Conn) (*Conn, error) {
	select {
	case a.ready <- c:
	case <-a.followCh:
		return c, nil
	case <-a.stopped:
		return c, errStopped
	}
	select {
	case back := <-a.giveBack:
		return back, nil
	case <-a.stopped:
		return nil, errStopped
	}
}

// connect is applier_connect: greeting, VOTE, self check, AUTH.
func (a *Applier) connect() (*Conn, error) {
	a.setState(StateConnect)
	c, err := Dial(a.uri, a.timeout()*4)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.isStopped() {
		// Stop ran while this dialled and found no connection to
		// close: nothing would end this one's reads.
		a.mu.Unlock()
		return c, errStopped
	}
	a.conn = c
	first := a.masterUUID != c.Greeting.UUID
	a.masterUUID = c.Greeting.UUID
	a.peer = a.uri.Addr
	a.lastRow = time.Now()
	a.mu.Unlock()
	if first {
		a.log(levelInfo, "remote master "+c.Greeting.UUID+" at "+c.PeerAddr()+" running Tarantool "+c.Greeting.Version)
	}
	c.SetReadTimeout(a.timeout() * 4)
	ballot, ok, err := c.Vote()
	if err != nil {
		return c, err
	}
	a.setState(StateConnected)
	self := c.Greeting.UUID == a.r.InstanceUUID()
	a.mu.Lock()
	if ok {
		a.ballot, a.ballotUUID, a.hasBallot = ballot, c.Greeting.UUID, true
	}
	a.isSelf = self
	a.mu.Unlock()
	if self {
		return c, boxerr.New(boxerr.ER_CONNECTION_TO_SELF)
	}
	if a.uri.Login != "" {
		a.setState(StateAuth)
		if err := c.Auth(); err != nil {
			return c, err
		}
		a.log(levelInfo, "authenticated")
	}
	c.SetReadTimeout(0)
	a.setState(StateReady)
	a.mu.Lock()
	a.lastErr = nil
	a.logged = false
	a.mu.Unlock()
	return c, nil
}

// subscribe is applier_subscribe: SUBSCRIBE, then read transactions and
// apply them until the link fails; a writer goroutine sends ACKs.
func (a *Applier) subscribe(c *Conn) error {
	a.mu.Lock()
	if a.isStopped() {
		a.mu.Unlock()
		return errStopped
	}
	a.conn = c
	a.mu.Unlock()
	cluster, local, id, anon := a.r.Subscription()
	req := SubscribeRequest{ClusterUUID: cluster, InstanceUUID: a.r.InstanceUUID(), VClock: local, Anon: anon}
	if id != 0 {
		req.IDFilter = []uint32{id}
	}
	c.SetReadTimeout(a.timeout() * 4)
	rep, err := c.Subscribe(&req)
	if err != nil {
		return err
	}
	if cluster != "" && rep.ClusterUUID != "" && rep.ClusterUUID != cluster {
		// 2.6 names the master's uuid as the expected one.
		return boxerr.New(boxerr.ER_REPLICASET_UUID_MISMATCH, rep.ClusterUUID, cluster)
	}
	a.log(levelInfo, "subscribed")
	a.log(levelInfo, "remote vclock "+rep.VClock.String()+" local vclock "+local.String())
	remoteAtSubscribe := rep.VClock
	a.setState(StateSync)

	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	writerDone := make(chan struct{})
	// The writer ends with the reader: Stop returns only when neither
	// goroutine can call the Replica any more.
	defer func() {
		close(done)
		<-writerDone
	}()
	var writerErr error
	var wmu sync.Mutex
	go func() {
		defer close(writerDone)
		a.writer(c, wake, done, remoteAtSubscribe, &writerErr, &wmu)
	}()
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	signal() // check sync right away (nothing to catch up)
	var tx []*xrow.Row
	for {
		c.SetReadTimeout(a.timeout() * 4)
		row := new(xrow.Row)
		if err := c.ReadRow(row); err != nil {
			return err
		}
		now := c.ReceivedAt()
		a.mu.Lock()
		a.lastRow = now
		if row.Timestamp > 0 {
			a.lag = float64(now.UnixNano())/1e9 - row.Timestamp
			if a.lag < 0 {
				a.lag = 0
			}
		}
		a.mu.Unlock()
		if row.Type == proto.OK { // heartbeat
			signal()
			continue
		}
		if len(tx) == 0 && row.TSN != 0 && row.TSN != row.LSN {
			return boxerr.New(boxerr.ER_PROTOCOL, "Transaction id must be equal to LSN of the first row in the transaction.")
		}
		if len(tx) > 0 && (row.ReplicaID != tx[0].ReplicaID || row.TSN != tx[0].TSN) {
			return boxerr.New(boxerr.ER_UNSUPPORTED, "replication", "interleaving transactions")
		}
		tx = append(tx, row)
		if !row.IsCommit {
			continue
		}
		if err := a.r.ApplyTx(tx, signal); err != nil {
			return err
		}
		tx = nil
	}
}

// writer is applier_writer_f: on each wake-up (heartbeat, or rows
// written to the local WAL; coalesced) it checks sync -> follow and sends
// an ACK.
func (a *Applier) writer(c *Conn, wake, done chan struct{}, remote vclock.VClock, errp *error, mu *sync.Mutex) {
	for {
		select {
		case <-done:
			return
		case <-wake:
		}
		local := a.r.VClock()
		a.mu.Lock()
		synced := a.state == StateSync && a.lag <= a.syncLag().Seconds() &&
			remote.CompareIgnore0(&local) != vclock.Greater && remote.CompareIgnore0(&local) != vclock.Incomparable
		if synced {
			a.state = StateFollow
		}
		a.mu.Unlock()
		if synced {
			a.r.OnFollow()
		}
		if err := c.SendAck(&local); err != nil {
			mu.Lock()
			*errp = err
			mu.Unlock()
			c.Close()
			return
		}
	}
}

func (a *Applier) syncLag() time.Duration {
	if a.opts.SyncLag != nil {
		return a.opts.SyncLag()
	}
	return 10 * time.Second
}

// errStopped ends the applier loop on Stop.
var errStopped = boxerr.System("applier stopped")
