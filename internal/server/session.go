package server

import (
	"sync"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/luabox"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/say"
)

// Greeting implements iproto.Handler.
func (s *Server) Greeting() (string, string) {
	if u := s.greetUUID.Load(); u != nil {
		return Version, *u
	}
	return Version, ""
}

// Open implements iproto.Handler. A connection to a ready instance runs
// the box.session.on_connect triggers at once, in its own fiber.
func (s *Server) Open(c *iproto.Conn) iproto.Session {
	cs := &session{s: s, conn: c, f: s.Sched.New("main")}
	cs.detachFn = cs.detach
	cs.f.Acquire()
	if cs.ready() != nil {
		if err := s.RT.SessionEvent(cs.fc, "on_connect", nil); err != nil {
			s.Log.Logf(cs.f.Who(), say.Error, "%s", err.Error())
		}
	}
	cs.f.Release()
	return cs
}

// session is one client connection.
//
// Its requests run in the fiber of the goroutine reading the connection
// (f, with the Lua context fc), a batch of pipelined requests under one
// baton acquisition. A CALL or EVAL that yields must not hold up the
// requests behind it (Tarantool runs each request in a fiber of its own):
// at its first yield the rest of the batch and the reading move to a new
// goroutine with a new fiber (detach), and the yielding request finishes
// alone and sends its own reply. f and fc always name the current
// reader's; they change only under the baton, in detach.
type session struct {
	s    *Server
	conn *iproto.Conn
	f    *fiber.Fiber
	sess *box.Session
	fc   *luabox.FiberCtx
	// The batch being served and the position in it, for detach: the
	// request at next-1 is running and out holds the replies before it.
	batch    [][]byte
	next     int
	out      []byte
	detachFn func() // cs.detach, bound once
	// waiting holds the writes of the batch whose replies wait for the
	// WAL; the reader that ends a batch hands them to one goroutine.
	waiting []waiter
	// handoff is set by a JOIN or SUBSCRIBE that took the connection
	// over (replication.go).
	handoff handoff
}

// Serve implements iproto.Session: the whole batch runs under one baton
// acquisition.
// A JOIN or SUBSCRIBE takes the connection over: the replies before it
// are sent and the replication goroutine starts once the baton is given
// back.
func (cs *session) Serve(packets [][]byte, out []byte) ([]byte, iproto.Outcome) {
	// Only the reading goroutine calls Serve, and a reader started by
	// detach starts after cs.f names its fiber.
	f := cs.f
	f.Acquire()
	cs.batch = packets
	for i, p := range packets {
		cs.next, cs.out = i+1, out
		mark := len(out)
		fc := cs.fc
		out = cs.handle(p, out)
		if cs.f != f {
			// The request yielded and detach gave the rest of the batch
			// to a new reader: answer it alone and end this goroutine.
			cs.s.RT.Refresh()
			cs.s.RT.ReleaseFiberCtx(fc)
			f.Finish()
			cs.conn.Send(out[mark:])
			return nil, iproto.Detached
		}
		if cs.handoff != nil {
			break
		}
	}
	cs.batch, cs.out = nil, nil
	if len(cs.waiting) > 0 {
		go cs.complete(cs.waiting)
		cs.waiting = nil
	}
	cs.s.RT.Refresh()
	f.Release()
	if h := cs.handoff; h != nil {
		cs.handoff = nil
		if len(out) > 0 {
			cs.conn.Send(out)
		}
		go cs.runReplication(h)
		return nil, iproto.Takeover
	}
	return out, iproto.Continue
}

// detach runs under the baton when a CALL or EVAL of the current reader
// first yields: a new fiber becomes the reader, inherits the requests of
// the batch not yet served and the replies already made, and reads on;
// the writes already served wait for the WAL on their own.
func (cs *session) detach() {
	nf := cs.s.Sched.New("main")
	cs.f = nf
	cs.fc = cs.s.RT.NewFiberCtx(nf, cs.sess)
	rest := cs.batch[cs.next:]
	prefix := append([]byte(nil), cs.out...)
	cs.batch, cs.out = nil, nil
	// Writes served before the yielding request are answered once
	// durable, not when a later batch ends (none may come).
	if len(cs.waiting) > 0 {
		go cs.complete(cs.waiting)
		cs.waiting = nil
	}
	cs.conn.Handover(rest, prefix)
}

// Close implements iproto.Session.
func (cs *session) Close() {
	cs.f.Acquire()
	if cs.fc != nil {
		if err := cs.s.RT.SessionEvent(cs.fc, "on_disconnect", nil); err != nil {
			cs.s.Log.Logf(cs.f.Who(), say.Error, "%s", err.Error())
		}
		cs.s.RT.DropSession(cs.sess.ID)
		cs.s.RT.ReleaseFiberCtx(cs.fc)
	}
	cs.f.Finish()
}

func (cs *session) schemaVersion() uint32 {
	if cs.s.Box == nil {
		return 0
	}
	return uint32(cs.s.Box.SchemaVersion())
}

func (cs *session) fail(out []byte, sync uint64, err error) []byte {
	return proto.AppendError(out, sync, cs.schemaVersion(), boxerr.From(err))
}

// ready returns the box session, creating it on first use; nil while box
// is still loading.
func (cs *session) ready() *box.Session {
	if cs.sess == nil && cs.s.Box != nil && (cs.s.status == "running" || cs.s.status == "orphan") {
		cs.sess = cs.s.Box.NewSession()
		cs.s.RT.SetTransport(cs.sess.ID, binaryTransport{cs})
		cs.fc = cs.s.RT.NewFiberCtx(cs.f, cs.sess)
	}
	return cs.sess
}

var errLoading = boxerr.New(boxerr.ER_LOADING)

func (cs *session) handle(pkt []byte, out []byte) []byte {
	row, err := proto.DecodeHeader(pkt)
	if err != nil {
		return cs.fail(out, row.Sync, err)
	}
	typ := uint32(row.Type) & 0xff // 2.6.0 dispatches on the low 8 bits of the type
	if typ == proto.Ping {
		return proto.AppendOK(out, row.Sync, cs.schemaVersion(), nil)
	}
	if typ == proto.Vote || typ == proto.VoteDeprecated {
		return cs.vote(typ, row.Sync, out)
	}
	sess := cs.ready()
	if sess == nil {
		return cs.fail(out, row.Sync, errLoading)
	}
	if row.SchemaVersion != 0 && uint32(row.SchemaVersion) != cs.schemaVersion() {
		// 2.6.0 prints the two numbers swapped; keep its message.
		return cs.fail(out, row.Sync, boxerr.New(boxerr.ER_WRONG_SCHEMA_VERSION, row.SchemaVersion, cs.schemaVersion()))
	}
	req, err := proto.DecodeRequest(uint16(typ), row.Body)
	if err != nil {
		return cs.fail(out, row.Sync, err)
	}
	b := cs.s.Box
	switch typ {
	case proto.Auth:
		_, scramble, err := proto.ParseAuthTuple(req.Tuple)
		if err == nil {
			err = b.Authenticate(sess, req.UserName, cs.conn.Salt[:20], scramble)
			// on_auth(user, ok) runs for every attempt, as in 2.6.
			user, ok := req.UserName, err == nil
			if terr := cs.s.RT.SessionEvent(cs.fc, "on_auth", func(L lua.State) int {
				L.PushString(user)
				L.PushBool(ok)
				return 2
			}); terr != nil && err == nil {
				err = terr
			}
		}
		if err != nil {
			return cs.fail(out, row.Sync, err)
		}
		return proto.AppendOK(out, row.Sync, cs.schemaVersion(), nil)
	case proto.Select:
		tuples, err := b.Select(sess, boxRequest(&req))
		if err != nil {
			return cs.fail(out, row.Sync, err)
		}
		start := len(out)
		out = proto.BeginData(out)
		for _, t := range tuples {
			out = append(out, t.Data()...)
		}
		return proto.FinishData(out, start, proto.OK, row.Sync, cs.schemaVersion(), uint32(len(tuples)))
	case proto.Insert, proto.Replace, proto.Update, proto.Delete, proto.Upsert:
		t, pending, err := b.ExecuteAsync(sess, boxRequest(&req))
		if err != nil {
			return cs.fail(out, row.Sync, err)
		}
		if typ == proto.Upsert {
			t = nil
		}
		if pending != nil {
			// The change is in memory and its rows are in the WAL queue:
			// the reply waits for them while the batch goes on.
			if cs.waiting == nil {
				cs.waiting = *waiterLists.Get().(*[]waiter)
			}
			cs.waiting = append(cs.waiting, waiter{p: pending, t: t, sync: row.Sync, schemaVersion: cs.schemaVersion()})
			return out
		}
		return appendTupleReply(out, t, row.Sync, cs.schemaVersion())
	case proto.Call, proto.Call16, proto.Eval:
		var n int
		var items []byte
		// cs.f and cs.fc change if the request yields (detach): keep this
		// request's own.
		f, fc := cs.f, cs.fc
		if cs.batch != nil {
			// Only a batch read by iproto can move to another reader; on
			// a connection taken over by replication (runReplication)
			// the request simply runs to its end.
			f.OnNextYield(cs.detachFn)
		}
		fc.Sync = row.Sync
		if typ == proto.Eval {
			n, items, err = cs.s.RT.Eval(fc, req.Expr, req.Args)
		} else {
			n, items, err = cs.s.RT.Call(fc, req.FunctionName, req.Args, typ == proto.Call16)
		}
		f.OnNextYield(nil)
		fc.Sync = 0
		cs.s.RT.EndRequest(f) // fiber.storage lives as long as the request, as in 2.6
		if fc.Txn != nil {
			// A request may not leave a transaction open (2.6:
			// ER_FUNCTION_TX_ACTIVE); roll it back.
			b.Rollback(fc.Txn)
			fc.Txn = nil
			f.OnYield(nil)
			if err == nil {
				err = boxerr.New(boxerr.ER_FUNCTION_TX_ACTIVE)
			}
		}
		if err != nil {
			return cs.fail(out, row.Sync, err)
		}
		return proto.AppendData(out, row.Sync, cs.schemaVersion(), uint32(n), items)
	case proto.Nop:
		return proto.AppendOK(out, row.Sync, cs.schemaVersion(), nil)
	case proto.Join:
		return cs.join(row.Sync, &req, out)
	case proto.FetchSnapshot:
		return cs.fetchSnapshot(row.Sync, out)
	case proto.Register:
		return cs.register(row.Sync, &req, out)
	case proto.Subscribe:
		// The relay keeps the request: give it a copy of its own so that
		// req itself stays on the stack for every other request.
		sub := req
		return cs.subscribe(row.Sync, &sub, out)
	case proto.Execute, proto.Prepare:
		return cs.fail(out, row.Sync, boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "SQL"))
	}
	return cs.fail(out, row.Sync, boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, typ))
}

// appendTupleReply appends a DML reply: {DATA: [tuple]} or {DATA: []}.
func appendTupleReply(out []byte, t *memtx.Tuple, sync uint64, schemaVersion uint32) []byte {
	if t == nil {
		return proto.AppendData(out, sync, schemaVersion, 0, nil)
	}
	return proto.AppendData(out, sync, schemaVersion, 1, t.Data())
}

// waiter is a write whose reply waits for its rows to be durable.
type waiter struct {
	p             *box.PendingCommit
	t             *memtx.Tuple
	sync          uint64
	schemaVersion uint32
	err           error
}

// complete answers the writes of a batch once their rows are durable,
// all in one write to the socket. Success needs no baton (tuples are
// immutable) unless a statement changed the catalog; a failed write takes
// the baton to roll its statement back. The WAL completes writes in order
// and hands failures out newest first, each after the rollback of the one
// after it, so waiting newest first never waits on a write that waits
// for an older one.
func (cs *session) complete(ws []waiter) {
	for i := len(ws) - 1; i >= 0; i-- {
		w := &ws[i]
		// Wait, not Done: when the WAL is idle this goroutine writes
		// the batch itself.
		if w.p.Wait() == nil && !w.p.NeedsBaton() {
			w.p.Finish() // touches only the statement's own transaction
			continue
		}
		f := cs.s.Sched.New("main")
		f.Acquire()
		w.err = w.p.Finish()
		f.Finish()
	}
	bp := replyBufs.Get().(*[]byte)
	reply := (*bp)[:0]
	for i := range ws {
		w := &ws[i]
		if w.err != nil {
			reply = proto.AppendError(reply, w.sync, w.schemaVersion, boxerr.From(w.err))
		} else {
			reply = appendTupleReply(reply, w.t, w.sync, w.schemaVersion)
		}
	}
	cs.conn.Send(reply) // copies
	if cap(reply) <= 1<<20 {
		*bp = reply
		replyBufs.Put(bp)
	}
	clear(ws)
	ws = ws[:0]
	waiterLists.Put(&ws)
}

// replyBufs and waiterLists recycle the buffers of complete: every batch
// of writes needs a list of its waiters and a reply buffer.
var (
	replyBufs   = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
	waiterLists = sync.Pool{New: func() any { w := make([]waiter, 0, 32); return &w }}
)

// boxRequest converts a decoded IPROTO request for the core.
func boxRequest(r *proto.Request) *box.Request {
	return &box.Request{
		Type:      uint16(r.Type),
		SpaceID:   r.SpaceID,
		IndexID:   r.IndexID,
		Key:       r.Key,
		Tuple:     r.Tuple,
		Ops:       r.Ops,
		IndexBase: r.IndexBase,
		Iterator:  memtx.IterType(r.Iterator),
		Offset:    r.Offset,
		Limit:     r.Limit,
	}
}
