package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/console"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/luabox"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
)

// Version is the Tarantool version Spindle speaks: it goes into the
// greeting, box.info.version and replication handshakes.
const Version = "2.6.0"

// FullVersion is what box.info.version reports.
const FullVersion = "2.6.0-0-spindle"

// Server is one Spindle instance.
type Server struct {
	Log   *say.Logger
	Sched *fiber.Scheduler
	RT    *luabox.Runtime
	// Box is set by the first box.cfg; read it only under the baton.
	Box *box.Box
	// AtExit, when set, runs in os.exit before the process ends (which
	// skips the deferred calls of every goroutine).
	AtExit func()

	start       time.Time
	memtxMemory int64  // box.cfg.memtx_memory as the first box.cfg set it
	uuid        string // read and written under the baton
	// greetUUID is uuid for connection greetings, which are written
	// without the baton.
	greetUUID   atomic.Pointer[string]
	clusterUUID string
	status      string
	listen      string
	ln          *iproto.Server
	// netStat is box.stat.net(), kept across listeners (box.cfg{listen}
	// may replace the listener).
	netStat  *iproto.NetStat
	st       *storage
	readOnly bool
	// anon is box.cfg.replication_anon: this instance is an anonymous
	// replica (bootstrapped by FETCH_SNAPSHOT, not in _cluster, id 0).
	// Under the baton.
	anon bool
	// idleGCs counts the collections run while the loop was idle.
	idleGCs atomic.Int64
	repl    replication // master side of replication (replication.go)
	ups     upstreams   // replica side: appliers (applier.go)

	consoles []*console.Server // text console listeners (console.listen)

	stopOnce sync.Once
	stopped  chan struct{}
	signals  chan os.Signal
}

// New creates an instance whose log goes to logOut until box.cfg{log=}
// says otherwise.
func New(logOut io.Writer) (*Server, error) {
	s := &Server{
		Log:     say.New(logOut),
		Sched:   fiber.NewScheduler(),
		start:   time.Now(),
		status:  "unknown",
		stopped: make(chan struct{}),
		netStat: iproto.NewNetStat(),
	}
	rt, err := luabox.New(s.Sched, s.Log, s)
	if err != nil {
		return nil, err
	}
	s.RT = rt
	s.openConsoleModule()
	s.watchSignals()
	return s, nil
}

// NetStat is the statistics of the IPROTO listeners (iproto.NetStatter;
// box.stat.net() reads them through the runtime's Host).
func (s *Server) NetStat() *iproto.NetStat { return s.netStat }

// watchSignals makes SIGINT and SIGTERM stop the instance cleanly. A
// signal that arrives while the instance file still runs takes effect
// when it ends; a second one exits at once. SIGUSR1 makes a checkpoint
// and SIGHUP reopens the log file, as in 2.6.
func (s *Server) watchSignals() {
	s.signals = make(chan os.Signal, 2)
	signal.Notify(s.signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-s.signals
		s.Stop()
		<-s.signals
		s.Log.Log("main", say.Crit, "got a second signal, exiting")
		os.Exit(1)
	}()
	other := make(chan os.Signal, 1)
	signal.Notify(other, syscall.SIGUSR1, syscall.SIGHUP)
	go func() {
		defer signal.Stop(other)
		for {
			select {
			case <-s.stopped:
				return
			case sig := <-other:
				if sig == syscall.SIGHUP {
					// logrotate: reopen the log file by its path.
					if err := s.Log.Rotate(); err != nil {
						s.Log.Log("main", say.Error, err.Error())
					}
					continue
				}
				s.signalCheckpoint()
			}
		}
	}()
}

// signalCheckpoint is sig_checkpoint: a checkpoint in a fiber of its
// own, unless one is running already or box is not configured yet.
func (s *Server) signalCheckpoint() {
	f := s.Sched.New("checkpoint")
	f.Acquire()
	defer f.Finish()
	switch {
	case s.Box == nil || s.st == nil:
	case s.st.checkpointing:
		s.Log.Log("main", say.Warn, "Checkpoint is already in progress, the signal is ignored")
	default:
		if err := s.Snapshot(); err != nil {
			s.Log.Logf(f.Who(), say.Error, "%s", err.Error())
		}
	}
}

// RunFile runs an instance file in the main fiber, as `tarantool FILE`
// does. When the script has configured box, the process keeps serving
// until SIGINT/SIGTERM or Stop.
func (s *Server) RunFile(path string, args []string) error {
	name := path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		name = path[i+1:]
	}
	return s.runMain(name, func(fc *luabox.FiberCtx) error { return s.RT.RunScript(fc, path, args) })
}

// RunString runs a chunk of Lua in the main fiber (spindle -e, or a
// script on standard input) and then, if it configured box, serves like
// RunFile. name is the chunk name error messages show.
func (s *Server) RunString(chunk, name string) error {
	return s.runMain("spindle", func(fc *luabox.FiberCtx) error {
		return s.RT.RunString(fc, chunk, name)
	})
}

// runMain runs the main script in a fiber named name: a Lua error is
// logged as fatal and returned; a script that configured box is followed
// by the event loop.
func (s *Server) runMain(name string, run func(fc *luabox.FiberCtx) error) error {
	f := s.Sched.New(name)
	f.Acquire()
	fc := s.RT.NewFiberCtx(f, nil)
	err := run(fc)
	configured := s.Box != nil
	if err != nil {
		e := s.RT.ErrorOf(err)
		s.Log.Log(f.Who(), say.Fatal, e.Message)
		f.Finish()
		return fmt.Errorf("%s", e.Message)
	}
	f.Finish()
	if configured {
		s.Log.Log("main", say.Crit, "entering the event loop")
		s.wait()
	}
	return nil
}

// wait blocks until a signal or Stop.
func (s *Server) wait() {
	<-s.stopped
	s.shutdown()
}

// Exit implements luabox.Host: os.exit flushes the WAL and the log
// before the process ends, as Tarantool's exit does.
// The caller holds the baton, so connections are not waited for: the
// process ends under them.
func (s *Server) Exit(code int) {
	s.closeStorage()
	s.Log.Close()
	if s.AtExit != nil {
		s.AtExit()
	}
	os.Exit(code)
}

// Stop ends the event loop.
func (s *Server) Stop() {
	s.stopOnce.Do(func() { close(s.stopped) })
}

func (s *Server) shutdown() {
	s.stopUpstreams()
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range s.consoles {
		c.Close()
	}
	s.closeStorage()
	s.Log.Close()
}

// ApplyCfg implements luabox.Host.
func (s *Server) ApplyCfg(first bool, changed, all map[string]any) error {
	s.repl.configure(all)
	if first {
		return s.load(all)
	}
	keys := make([]string, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, pj := dynamicOrder(keys[i]), dynamicOrder(keys[j])
		if pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		var err error
		switch k {
		case "replication":
			err = s.setReplication(all, s.Sched.Current(), false)
		case "replication_anon":
			err = s.setAnon(all, changed[k] == true, s.Sched.Current())
		default:
			err = s.applyDynamic(k, changed[k])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dynamicOrder is 2.6's dynamic_cfg_order: listen first, the
// replication_* options before replication (so the timeouts and the
// quorum set by the same call apply to the new appliers), then
// replication_anon (its REGISTER goes to the new sources), then the rest.
func dynamicOrder(key string) int {
	switch key {
	case "listen":
		return 100
	case "replication":
		return 200
	case "replication_anon":
		return 250
	}
	if strings.HasPrefix(key, "replication_") {
		return 150
	}
	return 1000
}

// load brings box up on the first box.cfg.
func (s *Server) load(cfg map[string]any) error {
	if dest, ok := cfg["log"].(string); ok && dest != "" {
		if err := s.Log.Open(dest); err != nil {
			return boxerr.New(boxerr.ER_CFG, "log", err.Error())
		}
	}
	if lvl, ok := cfg["log_level"].(float64); ok {
		s.Log.SetLevel(say.Level(lvl))
	}
	who := s.who()
	s.Log.Logf(who, say.Crit, "Spindle %s (Tarantool %s compatible)", FullVersion, Version)
	s.Log.Logf(who, say.Crit, "log level %d", s.Log.Level())
	if dir, ok := cfg["work_dir"].(string); ok && dir != "" {
		if err := os.Chdir(dir); err != nil {
			return boxerr.New(boxerr.ER_CFG, "work_dir", err.Error())
		}
	}
	if cfg["replication_anon"] == true {
		if cfg["read_only"] != true {
			return errAnonNotRO
		}
		s.anon = true
	}
	s.setUUID(cfg["instance_uuid"])
	if v, ok := cfg["memtx_memory"].(float64); ok {
		s.memtxMemory = int64(v)
	}
	if s.uuid != "" {
		if _, err := uuid.Parse(s.uuid); err != nil {
			return boxerr.New(boxerr.ER_CFG, "instance_uuid", "expected uuid, got "+s.uuid)
		}
	}
	s.clusterUUID, _ = cfg["replicaset_uuid"].(string)
	if s.clusterUUID != "" {
		if _, err := uuid.Parse(s.clusterUUID); err != nil {
			return boxerr.New(boxerr.ER_CFG, "replicaset_uuid", "expected uuid, got "+s.clusterUUID)
		}
	}
	sources, err := replicationSources(cfg)
	if err != nil {
		return err
	}
	// read_only is known before box loads: ballots report it during the
	// bootstrap election.
	s.readOnly, _ = cfg["read_only"].(bool)
	s.status = "loading"
	s.newUpstreams(cfg, sources)
	// The data directory is locked before the port is bound, so that a
	// second instance on it fails before it takes the port (box_cfg_xc).
	dirLock, err := lockStorage(cfg)
	if err != nil {
		s.status = "unknown"
		return err
	}
	if l, ok := cfg["listen"]; ok && l != nil {
		if err := s.bind(l); err != nil {
			closeLock(dirLock)
			return err
		}
	}
	b, err := s.openStorage(cfg, dirLock)
	if err != nil {
		s.status = "unknown"
		closeLock(dirLock)
		return err
	}
	if b.InstanceID() == 0 && !s.anon {
		// Files of an anonymous replica started as a normal one: it
		// must first register at run time (2.6 refuses the same way).
		s.status = "unknown"
		return boxerr.New(boxerr.ER_UNKNOWN_REPLICA, s.uuid, s.clusterUUID)
	}
	b.SetReadOnly(s.readOnly)
	s.Box = b
	s.RT.Box = b
	s.status = "running"
	s.Log.Log(who, say.Info, "ready to accept requests")
	// An instance that neither created the replica set nor joined it
	// just now recovered from its files: its box.cfg waits for its
	// peers as 2.6's does (connect, then sync, else orphan).
	recovered := !s.ups.bootLeader
	for _, up := range s.upstreamList() {
		if up.joined != nil {
			recovered = false
		}
	}
	s.startFollowing(cfg, s.Sched.Current(), recovered)
	s.runCheckpointDaemon()
	s.runIdleGC()
	return nil
}

func newUUID() string { return uuid.NewString() }

// errAnonNotRO is 2.6's refusal of replication_anon = true on an instance
// that is not read-only.
var errAnonNotRO = boxerr.New(boxerr.ER_CFG, "replication_anon", "the value may be set to true only when the instance is read-only")

// applyDynamic applies one changed option after the first box.cfg.
func (s *Server) applyDynamic(key string, v any) error {
	switch key {
	case "memtx_memory":
		n, _ := v.(float64)
		if quota, _ := s.Box.MemtxMemory(); int64(n) < quota {
			return boxerr.New(boxerr.ER_CFG, "memtx_memory", "cannot decrease memory size at runtime")
		}
		s.Box.SetMemtxMemory(int64(n))
	case "replication_skip_conflict":
		s.ups.skipConflict.Store(v == true)
	case "replication_connect_quorum":
		s.ups.mu.Lock()
		s.ups.quorum = connectQuorum(map[string]any{"replication_connect_quorum": v}, len(s.ups.list))
		s.ups.mu.Unlock()
		s.checkQuorum()
	case "listen":
		if s.ln != nil {
			s.ln.Close()
			s.ln, s.listen = nil, ""
		}
		if v != nil {
			return s.bind(v)
		}
	case "read_only":
		ro, _ := v.(bool)
		if !ro && s.anon {
			return boxerr.New(boxerr.ER_CFG, "read_only", "the value may be set to false only when replication_anon is false")
		}
		s.readOnly = ro
		// An orphan stays read-only whatever read_only says.
		s.ups.mu.Lock()
		orphan := s.ups.orphan
		s.ups.mu.Unlock()
		s.Box.SetReadOnly(ro || orphan)
	case "snap_io_rate_limit":
		if s.st != nil {
			s.st.setRateLimit(v)
		}
	// box.NULL puts an option back to its default.
	case "checkpoint_count":
		if st := s.st; st != nil {
			st.gcMu.Lock()
			st.keep = int(numberOr(v, defaultCheckpointCount))
			st.gcMu.Unlock()
		}
	case "checkpoint_wal_threshold":
		if st := s.st; st != nil {
			st.wal.SetCheckpointThreshold(int64(numberOr(v, defaultWALThreshold)))
		}
	case "checkpoint_interval":
		if st := s.st; st != nil {
			st.schedMu.Lock()
			st.sched.cfg(time.Now(), seconds(numberOr(v, defaultCheckpointInterval)))
			st.schedMu.Unlock()
			notify(st.daemon)
		}
	case "log_level":
		if lvl, ok := v.(float64); ok {
			s.Log.SetLevel(say.Level(lvl))
		} else {
			s.Log.SetLevel(say.Info)
		}
	}
	return nil
}

// bind starts the IPROTO listener on a box.cfg.listen value: a port
// number, "port", "host:port" or a URI with an optional login.
func (s *Server) bind(v any) error {
	addr, err := ListenAddr(v)
	if err != nil {
		return boxerr.New(boxerr.ER_CFG, "listen", err.Error())
	}
	ln, err := iproto.Listen(addr, s)
	if err != nil {
		var oe *net.OpError
		msg := err.Error()
		if errors.As(err, &oe) && oe.Err != nil {
			msg = oe.Err.Error()
		}
		e := boxerr.System(fmt.Sprintf("%s: %s", addr, msg))
		s.Log.Logf("main", say.SysError, "%s", e.Message)
		return e
	}
	s.ln = ln
	s.listen = ln.Addr().String()
	s.Log.Logf("iproto/101/main", say.Info, "binary: bound to %s", s.listen)
	return nil
}

// ListenAddr turns a box.cfg.listen value into a host:port to bind. A
// bare port binds every interface, as Tarantool does.
func ListenAddr(v any) (string, error) {
	var str string
	switch x := v.(type) {
	case float64:
		str = strconv.FormatInt(int64(x), 10)
	case string:
		str = x
	default:
		return "", fmt.Errorf("should be one of types string, number")
	}
	if i := strings.LastIndexByte(str, '@'); i >= 0 {
		str = str[i+1:]
	}
	str = strings.TrimPrefix(str, "tcp://")
	if strings.HasPrefix(str, "unix/:") || strings.HasPrefix(str, "/") {
		return "", fmt.Errorf("unix sockets are not supported: %s", str)
	}
	if _, err := strconv.Atoi(str); err == nil {
		return ":" + str, nil
	}
	if _, _, err := net.SplitHostPort(str); err != nil {
		return "", fmt.Errorf("expected host:port or port, got %s", str)
	}
	return str, nil
}

// ListenAddress returns the bound IPROTO address, "" when not listening.
func (s *Server) ListenAddress() string { return s.listen }

// Info implements luabox.Host.
func (s *Server) Info() luabox.Info {
	in := luabox.Info{
		Version:     FullVersion,
		UUID:        s.uuid,
		ClusterUUID: s.clusterUUID,
		Listen:      s.listen,
		Status:      s.status,
		Uptime:      int64(time.Since(s.start).Seconds()),
		PID:         os.Getpid(),
		RO:          s.readOnly,
	}
	if s.Box != nil {
		in.ID = s.Box.InstanceID()
		in.RO = s.Box.ReadOnly()
	}
	var vc vclock.VClock
	if s.st != nil && s.st.wal != nil {
		vc = s.st.wal.VClock()
	}
	in.VClock = vclockMap(vc)
	in.Signature = vc.Sum()
	in.Anon = s.anon
	if in.ID != 0 || s.anon {
		// An anonymous replica is id 0 and its lsn is the vclock's
		// component 0 (its local rows), as in 2.6.
		in.LSN = int64(vc.Get(vclock.ReplicaID(in.ID)))
		in.Replication = s.replicationInfo(vc)
		in.ReplicationAnon = s.replicationAnonInfo()
	} else {
		in.LSN = -1
	}
	return in
}

// setUUID sets the instance uuid (a string, or nothing when v is not).
func (s *Server) setUUID(v any) {
	u, _ := v.(string)
	s.uuid = u
	s.greetUUID.Store(&u)
}

// who names the running fiber for log lines.
func (s *Server) who() string {
	if f := s.Sched.Current(); f != nil {
		return f.Who()
	}
	return "main"
}
