package box

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/xrow"
)

// JournalEntry is one write in flight in an AsyncJournal.
type JournalEntry interface {
	// Done is closed once the rows are durable or the write failed.
	Done() <-chan struct{}
	// Wait returns the outcome; it blocks until Done.
	Wait() error
	// Release hands a failed entry back once its transaction has been
	// rolled back, so that the journal can wake the next older failure
	// (failed transactions roll back newest first).
	Release()
}

// AsyncJournal is a Journal that also accepts rows without waiting for
// them: the caller learns the outcome from the entry. Submit is called in
// commit order, under the baton.
type AsyncJournal interface {
	Journal
	Submit(rows []*xrow.Row) JournalEntry
	// SubmitDeferred is Submit for an entry that will be waited for with
	// Wait: the journal may leave the write to the waiter (see
	// wal.Writer.SubmitDeferred), so watching Done alone may never end.
	SubmitDeferred(rows []*xrow.Row) JournalEntry
}

// PendingCommit is an autocommit statement whose change is applied in
// memory and whose rows are in the journal, not yet durable. Its result
// must not be acknowledged before Done is closed and Finish has run.
type PendingCommit struct {
	b     *Box
	txn   *Txn
	entry JournalEntry
}

// Done is closed when the journal write has completed.
func (p *PendingCommit) Done() <-chan struct{} { return p.entry.Done() }

// Wait waits for the journal write and returns its outcome. An
// ExecuteAsync commit must be waited for with Wait, not Done alone: its
// write may be left to the waiter.
func (p *PendingCommit) Wait() error { return p.entry.Wait() }

// NeedsBaton reports whether Finish must run under the baton even when
// the write succeeded: statements that changed the catalog run commit
// hooks. A failed write always needs the baton (it rolls back).
func (p *PendingCommit) NeedsBaton() bool { return p.txn.ddl || len(p.txn.commits) > 0 }

// Finish completes the commit after Done: on success it runs the commit
// hooks, on failure it rolls the statement back in memory, releases the
// entry and returns ER_WAL_IO. It must run under the baton unless the
// write succeeded and NeedsBaton is false. It is called once, after which
// p must not be used: its memory is reused by a later statement.
func (p *PendingCommit) Finish() error {
	txn := p.txn
	if err := p.entry.Wait(); err != nil {
		txn.rollbackTo(stmtMark{})
		p.b.log(2, "box: transaction rolled back: journal write failed: "+err.Error())
		p.entry.Release()
		return boxerr.New(boxerr.ER_WAL_IO)
	}
	p.b.finishCommit(txn)
	body := txn.first.body
	*txn = Txn{}
	if cap(body) <= 1024 {
		txn.first.body = body[:0]
	}
	txnPool.Put(txn)
	return nil
}

// ExecuteAsync is Execute for an autocommit statement whose reply can
// wait: with an AsyncJournal, a statement that produced rows returns at
// once with a PendingCommit instead of blocking until the rows are
// durable, so one fiber can keep many writes in flight (Tarantool gets
// the same effect from one fiber per request). Without pending rows it
// behaves exactly as Execute and returns a nil PendingCommit.
func (b *Box) ExecuteAsync(s *Session, req *Request) (*memtx.Tuple, *PendingCommit, error) {
	aj, ok := b.opts.Journal.(AsyncJournal)
	if !ok || b.loading {
		t, err := b.Execute(s, nil, req)
		return t, nil, err
	}
	var pending *PendingCommit
	t, err := b.execute(s, nil, req, nil, true, func(txn *Txn) error {
		txn.done = true
		txn.rows[len(txn.rows)-1].IsCommit = true
		e := aj.SubmitDeferred(txn.rows)
		p := &txn.pending
		*p = PendingCommit{b: b, txn: txn, entry: e}
		select {
		case <-e.Done():
			// Written already (wal_mode none) or refused: finish now.
			return p.Finish()
		default:
		}
		pending = p
		return nil
	})
	return t, pending, err
}
