package box

import (
	"sync"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/xrow"
)

// Txn is one transaction: the undo log of its statements, the WAL rows
// they produced and the hooks to run on commit. box.begin() in Lua keeps
// one per fiber; a nil *Txn given to Execute means autocommit.
type Txn struct {
	box     *Box
	session *Session
	ID      int64

	// undo holds, in execution order, every change made to memory:
	// tuple replacements and catalog changes. Rollback replays it
	// backwards.
	undo    []undoEntry
	rows    []*xrow.Row
	commits []func()
	// stmts counts the completed statements (txn_is_first_statement).
	stmts int
	// ddl is set when a statement changed a space or an index: the
	// schema version is bumped on commit.
	ddl  bool
	done bool
	// abortedByYield is set when the fiber yielded while the transaction
	// had statements: they were rolled back and the commit must fail.
	abortedByYield bool

	// State of the statement being executed, read by system triggers.
	curType       uint16
	curGroupLocal bool

	// first holds the first undo entry, WAL row and row pointer in the
	// transaction's own allocation: an autocommit statement, the common
	// case, then costs one allocation here instead of four.
	first struct {
		undo    [1]undoEntry
		rowPtrs [1]*xrow.Row
		row     xrow.Row
		rowUsed bool
		// body is the memory of row's body, kept when the transaction
		// is recycled.
		body []byte
	}
	// pending is the PendingCommit ExecuteAsync returns for it.
	pending PendingCommit
}

// txnPool recycles the transactions of autocommit statements that
// ExecuteAsync committed: once their PendingCommit has finished nothing
// refers to them any more (the journal is done with their rows, the
// session with the PendingCommit), and a Txn with its first row is the
// largest allocation of a write. Other transactions are left to the GC.
var txnPool = sync.Pool{New: func() any { return new(Txn) }}

type undoEntry struct {
	// A tuple change: new replaced old in space (either may be nil).
	space    *Space
	old, new *memtx.Tuple
	// A catalog change, undone by calling fn.
	fn func()
}

// stmtMark is the position of a statement's first effects in a Txn.
type stmtMark struct{ undo, rows, commits int }

// Begin starts a transaction run on behalf of s.
func (b *Box) Begin(s *Session) *Txn {
	b.nextTxnID++
	t := txnPool.Get().(*Txn)
	body := t.first.body
	*t = Txn{box: b, session: s, ID: b.nextTxnID}
	t.first.body = body[:0]
	t.undo = t.first.undo[:0]
	t.rows = t.first.rowPtrs[:0]
	return t
}

// newRow returns a zero row for the transaction's WAL rows, the first one
// from the transaction's own allocation.
func (t *Txn) newRow() *xrow.Row {
	if !t.first.rowUsed {
		t.first.rowUsed = true
		return &t.first.row
	}
	return new(xrow.Row)
}

// Active reports whether the transaction is neither committed nor rolled
// back.
func (t *Txn) Active() bool { return t != nil && !t.done }

func (t *Txn) onUndo(fn func()) { t.undo = append(t.undo, undoEntry{fn: fn}) }

// onUndoReload registers fn, which rebuilds a catalog from its system
// space, to run when the statement being executed is undone. A system
// space trigger calls it while the statement's own tuple change is the
// newest undo entry; fn goes before that entry, so that undoing, which
// runs newest first, puts the tuple back before fn reads the space.
func (t *Txn) onUndoReload(fn func()) {
	n := len(t.undo)
	if n == 0 || t.undo[n-1].fn != nil {
		t.onUndo(fn)
		return
	}
	last := t.undo[n-1]
	t.undo[n-1] = undoEntry{fn: fn}
	t.undo = append(t.undo, last)
}

func (t *Txn) onCommit(fn func()) { t.commits = append(t.commits, fn) }

func (t *Txn) isFirstStatement() bool { return t.stmts == 0 }

func (t *Txn) mark() stmtMark { return stmtMark{len(t.undo), len(t.rows), len(t.commits)} }

// rollbackTo undoes everything done after m, newest first.
func (t *Txn) rollbackTo(m stmtMark) {
	for i := len(t.undo) - 1; i >= m.undo; i-- {
		e := t.undo[i]
		t.undo[i] = undoEntry{}
		if e.fn != nil {
			e.fn()
			continue
		}
		undoReplace(e.space, e.old, e.new)
	}
	t.undo = t.undo[:m.undo]
	for i := m.rows; i < len(t.rows); i++ {
		t.rows[i] = nil
	}
	t.rows = t.rows[:m.rows]
	t.commits = t.commits[:m.commits]
}

// undoReplace puts old back where new is. It cannot fail unless the undo
// log is inconsistent with the indexes, which is a bug: panic loudly.
func undoReplace(sp *Space, old, new *memtx.Tuple) {
	var err error
	switch {
	case new == nil:
		_, err = sp.Replace(nil, old, memtx.DupInsert)
	case old == nil:
		_, err = sp.Replace(new, nil, memtx.DupReplace)
	default:
		_, err = sp.Replace(new, old, memtx.DupReplace)
	}
	if err != nil {
		panic("box: undo failed in space " + sp.Name + ": " + err.Error())
	}
}

// Commit writes the transaction's rows to the Journal in one call and
// makes its effects final. On a journal error everything is rolled back
// and ER_WAL_IO is returned.
func (b *Box) Commit(txn *Txn) error {
	if txn == nil || txn.done {
		return boxerr.New(boxerr.ER_NO_TRANSACTION)
	}
	txn.done = true
	if txn.abortedByYield {
		txn.rollbackTo(stmtMark{})
		err := boxerr.New(boxerr.ER_TRANSACTION_YIELD)
		b.log(2, "ER_TRANSACTION_YIELD: "+err.Message)
		return err
	}
	if len(txn.rows) > 0 && b.opts.Journal != nil && !b.loading {
		txn.rows[len(txn.rows)-1].IsCommit = true
		if err := b.opts.Journal.Write(txn.rows); err != nil {
			txn.rollbackTo(stmtMark{})
			b.log(2, "box: transaction rolled back: journal write failed: "+err.Error())
			return boxerr.New(boxerr.ER_WAL_IO)
		}
	}
	b.finishCommit(txn)
	return nil
}

// finishCommit runs the commit hooks of a durable transaction.
func (b *Box) finishCommit(txn *Txn) {
	for _, fn := range txn.commits {
		fn()
	}
	if txn.ddl {
		b.schemaVersion++
	}
	txn.undo, txn.commits = nil, nil
}

// AbortByYield is memtx's answer to a yield inside a transaction (2.6's
// txn_on_yield: memtx has no isolation between fibers): if the
// transaction has done anything, it is all undone at once, so no other
// fiber sees uncommitted data, and Commit fails with ER_TRANSACTION_YIELD.
// Statements after the yield still run, as in 2.6, and are undone at the
// next yield or by the failing commit. A transaction with nothing in it
// may yield freely.
func (t *Txn) AbortByYield() {
	if t.done || (len(t.undo) == 0 && len(t.rows) == 0) {
		return
	}
	t.rollbackTo(stmtMark{})
	t.abortedByYield = true
}

// Rollback undoes every statement of the transaction.
func (b *Box) Rollback(txn *Txn) {
	if txn == nil || txn.done {
		return
	}
	txn.done = true
	txn.rollbackTo(stmtMark{})
}

// Rows returns the rows the transaction has produced so far (for tests
// and for box.info-like introspection). The slice must not be modified.
func (t *Txn) Rows() []*xrow.Row { return t.rows }
