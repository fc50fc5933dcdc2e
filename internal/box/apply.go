package box

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/xrow"
)

// Synchronous replication control rows (IPROTO_CONFIRM, IPROTO_ROLLBACK):
// an asynchronous replica has nothing to confirm or roll back.
const (
	reqConfirm  uint16 = 40
	reqRollback uint16 = 41
)

// ApplyTxResult reports what ApplyTx did beyond applying rows.
type ApplyTxResult struct {
	// Skipped counts the rows replaced by a NOP because of a
	// duplicate key (replication_skip_conflict).
	Skipped int
}

// ApplyTx applies the rows of one transaction received from a master
// (applier_apply_tx of 2.6): every row runs with admin rights, ignoring
// read-only mode, in one box transaction that is written to the Journal
// in one call, each row keeping its origin ReplicaID/LSN/TSN. If a row
// fails, every row of the transaction is rolled back and the error is
// returned. With skipConflict, a row that fails with ER_TUPLE_FOUND is
// replaced by a NOP row with the same header, so the vclock still
// advances past it, and counted.
//
// The caller drops rows its vclock already covers (it owns the vclock
// shared by all appliers); rows is not modified and not retained (the
// Journal gets copies). before_replace triggers of the spaces run as for
// a local request; when one changes the statement, the logged row is the
// changed request under the origin's header (request_create_from_tuple).
func (b *Box) ApplyTx(rows []*xrow.Row, skipConflict bool) (ApplyTxResult, error) {
	txn, res, err := b.applyRows(rows, skipConflict)
	if txn == nil || err != nil {
		return res, err
	}
	if err := b.Commit(txn); err != nil {
		return ApplyTxResult{}, err
	}
	return res, nil
}

// ApplyTxAsync is ApplyTx whose commit does not wait for the Journal
// (2.6's applier commits with txn_commit_async): with an AsyncJournal the
// rows are submitted and a PendingCommit is returned, which the caller
// completes as an autocommit statement's (Done, then Finish). The changes
// are visible in memory at once. The PendingCommit is nil when nothing
// was left to write, when the journal is synchronous, or when the write
// completed at once.
func (b *Box) ApplyTxAsync(rows []*xrow.Row, skipConflict bool) (ApplyTxResult, *PendingCommit, error) {
	txn, res, err := b.applyRows(rows, skipConflict)
	if txn == nil || err != nil {
		return res, nil, err
	}
	aj, ok := b.opts.Journal.(AsyncJournal)
	if !ok || b.loading {
		if err := b.Commit(txn); err != nil {
			return ApplyTxResult{}, nil, err
		}
		return res, nil, nil
	}
	txn.done = true
	txn.rows[len(txn.rows)-1].IsCommit = true
	p := &PendingCommit{b: b, txn: txn, entry: aj.Submit(txn.rows)}
	select {
	case <-p.Done():
		if err := p.Finish(); err != nil {
			return ApplyTxResult{}, nil, err
		}
		return res, nil, nil
	default:
	}
	return res, p, nil
}

// applyRows runs the rows of a remote transaction in a new transaction
// and returns it uncommitted; nil when nothing was left to write. On
// error everything is rolled back.
func (b *Box) applyRows(rows []*xrow.Row, skipConflict bool) (*Txn, ApplyTxResult, error) {
	var res ApplyTxResult
	txn := b.Begin(nil)
	for _, row := range rows {
		switch row.Type {
		case reqConfirm, reqRollback:
			continue
		case reqNop:
			txn.rows = append(txn.rows, nopRow(row))
			txn.stmts++
			continue
		}
		err := b.applyStmt(txn, row)
		if err == nil {
			continue
		}
		b.log(2, "error applying row: "+RowString(row))
		if skipConflict && boxerr.Is(err, boxerr.ER_TUPLE_FOUND) {
			txn.rows = append(txn.rows, nopRow(row))
			txn.stmts++
			res.Skipped++
			continue
		}
		b.Rollback(txn)
		return nil, ApplyTxResult{}, err
	}
	if len(txn.rows) == 0 {
		b.Rollback(txn)
		return nil, res, nil
	}
	return txn, res, nil
}

// applyStmt runs one replicated DML row as a statement of txn; a failed
// statement leaves no trace in txn.
func (b *Box) applyStmt(txn *Txn, row *xrow.Row) error {
	req, err := DecodeDML(row.Type, row.Body)
	if err != nil {
		return err
	}
	switch req.Type {
	case reqInsert, reqReplace, reqUpdate, reqDelete, reqUpsert:
	default:
		return boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, req.Type)
	}
	sp := b.spaces[req.SpaceID]
	if sp == nil {
		return boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(req.SpaceID))
	}
	m := txn.mark()
	if _, err := b.executeStmt(nil, txn, sp, req, row); err != nil {
		txn.rollbackTo(m)
		return boxerr.From(err)
	}
	txn.stmts++
	return nil
}

// nopRow is a copy of row's header as an IPROTO_NOP (process_nop): the
// vclock follows its LSN, nothing changes.
func nopRow(row *xrow.Row) *xrow.Row {
	c := *row
	c.Type = reqNop
	c.Body = nil
	return &c
}

// conflictError adds to a duplicate-key error of a replicated row what
// 2.6 leaves out: the key, the tuple that holds it and the incoming one.
// The message starts with 2.6's text, so code and prefix still match.
// old is the tuple the statement meant to replace (nil: looked up by the
// incoming tuple's primary key), mode the primary-key rule of Replace.
func conflictError(sp *Space, err error, old, incoming *memtx.Tuple, mode memtx.DupMode) error {
	e := boxerr.From(err)
	if e == nil || e.Code != boxerr.ER_TUPLE_FOUND || incoming == nil {
		return err
	}
	pk := sp.Primary()
	if pk == nil {
		return err
	}
	// The tuple the statement replaces, as memtx determines it.
	replaced, _ := pk.Get(pk.Def().Key.ExtractKey(incoming))
	if replaced == nil {
		replaced = old
	}
	for _, ix := range sp.Indexes() {
		def := ix.Def()
		if !def.Unique {
			continue
		}
		key := def.Key.ExtractKey(incoming)
		existing, gerr := ix.Get(key)
		if gerr != nil || existing == nil {
			continue
		}
		if ix == pk && mode != memtx.DupInsert {
			continue
		}
		if ix != pk && existing == replaced {
			continue
		}
		return &boxerr.Error{Code: e.Code, Type: e.Type, Message: e.Message +
			": key " + MsgpackString(key) +
			", existing tuple " + MsgpackString(existing.Data()) +
			", incoming tuple " + MsgpackString(incoming.Data())}
	}
	return err
}
