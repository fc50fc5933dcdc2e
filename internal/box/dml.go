package box

import (
	"slices"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/tupleupdate"
	"github.com/spindledb/spindle/internal/xrow"
)

// Request types (IPROTO codes).
const (
	reqSelect  uint16 = 1
	reqInsert  uint16 = 2
	reqReplace uint16 = 3
	reqUpdate  uint16 = 4
	reqDelete  uint16 = 5
	reqUpsert  uint16 = 9
	reqNop     uint16 = 12
)

// IPROTO body keys used in DML rows.
const (
	keySpaceID   = 0x10
	keyIndexID   = 0x11
	keyIndexBase = 0x15
	keyKey       = 0x20
	keyTuple     = 0x21
	keyOps       = 0x28
)

// Request is one decoded DML or select request, the same for IPROTO and
// Lua. Execute does not modify it and does not keep its byte slices
// beyond the call except by copying them.
type Request struct {
	Type      uint16 // 1 select, 2 insert, 3 replace, 4 update, 5 delete, 9 upsert
	SpaceID   uint32
	IndexID   uint32
	Key       []byte // msgpack array
	Tuple     []byte // msgpack array; for UPDATE the ops, as IPROTO carries them
	Ops       []byte // UPSERT ops
	IndexBase int    // 0 or 1
	Iterator  memtx.IterType
	Offset    uint32
	Limit     uint32
}

// Execute runs an insert/replace/update/upsert/delete on behalf of s in
// txn (nil: autocommit). It returns the new tuple (insert, replace,
// update), the deleted tuple (delete) or nil (upsert, or nothing found).
func (b *Box) Execute(s *Session, txn *Txn, req *Request) (*memtx.Tuple, error) {
	b.collect(int(req.Type))
	return b.execute(s, txn, req, nil, true, nil)
}

// ApplySnapshotRow inserts a tuple read from a snapshot (or JOIN stream):
// no journal, no privilege or read-only check.
func (b *Box) ApplySnapshotRow(spaceID uint32, tuple []byte) error {
	// User data is loaded straight into the indexes: no trigger, sequence
	// or transaction applies to it (a snapshot is already consistent),
	// and this is most of a recovery's rows.
	if sp := b.spaces[spaceID]; sp != nil && spaceID > systemIDMax && !sp.IsView() && sp.Primary() != nil {
		t, err := b.loadArena.NewTuple(tuple)
		if err != nil {
			return err
		}
		return sp.Load(t)
	}
	prev := b.loading
	b.loading = true
	defer func() { b.loading = prev }()
	req := Request{Type: reqInsert, SpaceID: spaceID, Tuple: append([]byte(nil), tuple...)}
	_, err := b.execute(nil, nil, &req, nil, false, nil)
	return err
}

// SetRecovering marks local recovery: rows applied by ApplyRow are not
// written to the Journal (they come from it) and no checks apply.
func (b *Box) SetRecovering(on bool) { b.loading = on }

// ApplyRow applies one recovered (or JOIN final-stage) DML row in a
// transaction of its own, with admin rights, ignoring read-only mode.
// Unless recovering, the row is sent to the Journal as it is, keeping its
// origin ReplicaID and LSN. Rows streamed by an applier go through
// ApplyTx, one transaction at a time.
func (b *Box) ApplyRow(row *xrow.Row) error {
	if row.Type == reqNop {
		if b.loading || b.opts.Journal == nil {
			return nil
		}
		r := *row
		r.IsCommit = true
		if err := b.opts.Journal.Write([]*xrow.Row{&r}); err != nil {
			return boxerr.New(boxerr.ER_WAL_IO)
		}
		return nil
	}
	req, err := DecodeDML(row.Type, row.Body)
	if err != nil {
		return err
	}
	_, err = b.execute(nil, nil, req, row, false, nil)
	return err
}

// DecodeDML decodes the body of a DML row (xrow_decode_dml, with its
// required-key checks) into a box request.
func DecodeDML(typ uint16, body []byte) (*Request, error) {
	r, err := xrow.DecodeDML(&xrow.Row{Type: typ, Body: body}, xrow.RequiredKeys(typ))
	if err != nil {
		return nil, err
	}
	return &Request{Type: typ, SpaceID: r.SpaceID, IndexID: r.IndexID, Key: r.Key,
		Tuple: r.Tuple, Ops: r.Ops, IndexBase: int(r.IndexBase)}, nil
}

// commitAuto, when set, commits an autocommit statement that produced
// rows instead of Commit (ExecuteAsync).
func (b *Box) execute(s *Session, txn *Txn, req *Request, origin *xrow.Row, checkRO bool,
	commitAuto func(*Txn) error) (*memtx.Tuple, error) {
	if req == nil {
		return nil, boxerr.New(boxerr.ER_ILLEGAL_PARAMS, "request is missing")
	}
	switch req.Type {
	case reqInsert, reqReplace, reqUpdate, reqDelete, reqUpsert:
	default:
		return nil, boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, req.Type)
	}
	sp := b.spaceByID(req.SpaceID)
	if sp == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(req.SpaceID))
	}
	if checkRO && b.readOnly && !b.loading && !sp.Temporary && !sp.IsLocal {
		return nil, boxerr.New(boxerr.ER_READONLY)
	}
	auto := txn == nil
	if auto {
		txn = b.Begin(s)
	} else if txn.done {
		return nil, boxerr.New(boxerr.ER_NO_TRANSACTION)
	}
	txn.session = s
	m := txn.mark()
	res, err := b.executeStmt(s, txn, sp, req, origin)
	if err != nil {
		txn.rollbackTo(m)
		if auto {
			txn.done = true
		}
		return nil, boxerr.From(err)
	}
	txn.stmts++
	if auto {
		commit := b.Commit
		if commitAuto != nil && len(txn.rows) > 0 && b.opts.Journal != nil && !b.loading {
			commit = commitAuto
		}
		if err := commit(txn); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// updateOptions are the tupleupdate options for sp.
func updateOptions(sp *Space, indexBase int) tupleupdate.Options {
	format := sp.Format()
	opt := tupleupdate.Options{IndexBase: indexBase}
	if len(format) > 0 {
		opt.Names = sp.FieldNo
		opt.DoubleField = func(fieldno int) bool {
			return fieldno >= 0 && fieldno < len(format) && format[fieldno].Type == memtx.FieldDouble
		}
	}
	return opt
}

func checkArray(b []byte, what string) error {
	if msgpack.TypeOf(b) != msgpack.Array {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, what)
	}
	if _, err := msgpack.Skip(b); err != nil {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, what)
	}
	return nil
}

// findUnique is index_find_unique.
func findUnique(sp *Space, iid uint32) (*memtx.Index, error) {
	ix := sp.Index(iid)
	if ix == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, iid, sp.Name)
	}
	if !ix.Def().Unique {
		return nil, boxerr.New(boxerr.ER_MORE_THAN_ONE_TUPLE)
	}
	return ix, nil
}

func (b *Box) executeStmt(s *Session, txn *Txn, sp *Space, req *Request, origin *xrow.Row) (*memtx.Tuple, error) {
	if err := b.checkSpaceAccess(s, sp, AccessWrite); err != nil {
		return nil, err
	}
	if sp.view != nil {
		return nil, boxerr.New(boxerr.ER_VIEW_IS_RO, sp.Name)
	}
	txn.curType, txn.curGroupLocal = req.Type, false
	r := *req
	if sp.Engine == "blackhole" {
		if r.Type != reqInsert && r.Type != reqReplace {
			return nil, boxerr.New(boxerr.ER_UNSUPPORTED, "Blackhole", "this request type")
		}
		if err := checkArray(r.Tuple, "tuple"); err != nil {
			return nil, err
		}
		b.addRow(txn, sp, &r, origin, false)
		return nil, nil
	}
	pk := sp.Primary()
	if pk == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, 0, sp.Name)
	}
	pkDef := &pk.Def().Key

	var old, new *memtx.Tuple
	// checked is set while new has passed sp.CheckTuple: memtx then does
	// not walk it again.
	checked := false
	mode := memtx.DupReplaceOrInsert
	switch r.Type {
	case reqInsert, reqReplace:
		// NewTuple validates the msgpack with the same error as
		// checkArray; a sequence reads the tuple before it.
		if msgpack.TypeOf(r.Tuple) != msgpack.Array {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
		}
		if sp.sequence != nil {
			if err := checkArray(r.Tuple, "tuple"); err != nil {
				return nil, err
			}
			// space_execute_dml: the sequence fills the key before
			// before_replace triggers see the tuple, and the row logs
			// the filled tuple.
			data, err := b.fillSequence(s, sp, r.Tuple)
			if err != nil {
				return nil, err
			}
			r.Tuple = data
		}
		t, err := memtx.NewTuple(r.Tuple) // copies: r.Tuple may be in a reused request buffer
		if err != nil {
			return nil, err
		}
		new = t
		if len(sp.BeforeReplace) == 0 {
			// memtx validates the tuple again in Replace; checking here
			// keeps 2.6's order of errors (format before duplicates).
			if err := sp.CheckTuple(t); err != nil {
				return nil, err
			}
			checked = true
		} else {
			// With before_replace triggers 2.6 validates only the
			// primary key before running them; the result is checked
			// when it is stored.
			key := pkDef.ExtractKey(t)
			if _, err := pkDef.ValidateKey(key, true); err != nil {
				return nil, err
			}
			if old, err = pk.Get(key); err != nil {
				return nil, err
			}
		}
		if r.Type == reqInsert {
			mode = memtx.DupInsert
		}
	case reqDelete, reqUpdate:
		ix, err := findUnique(sp, r.IndexID)
		if err != nil {
			return nil, err
		}
		if err := checkArray(r.Key, "key"); err != nil {
			return nil, err
		}
		if _, err := ix.Def().Key.ValidateKey(r.Key, true); err != nil {
			return nil, err
		}
		if old, err = ix.Get(r.Key); err != nil {
			return nil, err
		}
		if r.Type == reqUpdate {
			if err := checkArray(r.Tuple, "update operations"); err != nil {
				return nil, err
			}
			if old != nil {
				data, err := updateOptions(sp, r.IndexBase).Apply(old.Data(), r.Tuple)
				if err != nil {
					return nil, err
				}
				if new, err = memtx.NewTuple(data); err != nil {
					return nil, err
				}
				if err := sp.CheckTuple(new); err != nil {
					return nil, err
				}
				checked = true
				if pkDef.CompareTuples(old, new) != 0 {
					return nil, boxerr.New(boxerr.ER_CANT_UPDATE_PRIMARY_KEY, pk.Def().Name, sp.Name)
				}
			}
			mode = memtx.DupReplace
		}
		if old != nil && ix != pk {
			// request_rebind_to_primary_key: the row names the tuple by
			// its primary key so that replicas find it whatever their
			// secondary indexes are.
			r.Key = pkDef.ExtractKey(old)
			r.IndexID = 0
		}
	case reqUpsert:
		if err := checkArray(r.Tuple, "tuple"); err != nil {
			return nil, err
		}
		if err := checkArray(r.Ops, "operations"); err != nil {
			return nil, err
		}
		t, err := memtx.NewTuple(r.Tuple) // copies: r.Tuple may be in a reused request buffer
		if err != nil {
			return nil, err
		}
		if err := sp.CheckTuple(t); err != nil {
			return nil, err
		}
		checked = true
		if old, err = pk.Get(pkDef.ExtractKey(t)); err != nil {
			return nil, err
		}
		opt := updateOptions(sp, r.IndexBase)
		if old == nil {
			if err := opt.CheckOps(r.Ops); err != nil {
				return nil, err
			}
			new = t
		} else {
			// 2.6 applies upsert ops leniently: a failing op is skipped
			// and logged, and a result that changes the primary key
			// leaves the tuple as it was.
			data, err := opt.ApplyUpsert(old.Data(), r.Ops, func(e *boxerr.Error) { b.log(2, e.Message) })
			if err != nil {
				return nil, err
			}
			if new, err = memtx.NewTuple(data); err != nil {
				return nil, err
			}
			if err := sp.CheckTuple(new); err != nil {
				return nil, err
			}
			if pkDef.CompareTuples(old, new) != 0 {
				b.log(2, boxerr.New(boxerr.ER_CANT_UPDATE_PRIMARY_KEY, pk.Def().Name, sp.Name).Message)
				old, new = nil, nil
			}
		}
	}

	// rewritten is set when a before_replace trigger changed the
	// statement: a replicated row is then logged as the changed request
	// under its origin header (request_create_from_tuple keeps it).
	rewritten := false
	if len(sp.BeforeReplace) > 0 && (old != nil || new != nil) {
		res := new
		for _, trig := range sp.BeforeReplace {
			var err error
			if res, err = trig(old, res); err != nil {
				return nil, err
			}
		}
		if res != new {
			rewritten = true
			if old != nil && res != nil && pkDef.CompareTuples(old, res) != 0 {
				return nil, boxerr.New(boxerr.ER_CANT_UPDATE_PRIMARY_KEY, pk.Def().Name, sp.Name)
			}
			// request_create_from_tuple
			switch {
			case res == old:
				r = Request{Type: reqNop, SpaceID: sp.ID}
				new = old
			case res == nil:
				r = Request{Type: reqDelete, SpaceID: sp.ID, Key: pkDef.ExtractKey(old)}
				new = nil
			default:
				if err := sp.CheckTuple(res); err != nil {
					return nil, err
				}
				r = Request{Type: reqReplace, SpaceID: sp.ID, Tuple: res.Data()}
				new, mode, checked = res, memtx.DupReplaceOrInsert, true
			}
		}
	}

	changed := (old != nil || new != nil) && r.Type != reqNop
	if changed && new != nil && b.quota > 0 && sp.ID > systemIDMax && origin == nil && !b.loading {
		// memtx_memory: a tuple that does not fit is refused, as 2.6's
		// slab allocator refuses it. Replicated and recovered rows are
		// never refused (the data exists already elsewhere).
		grow := int64(new.Bsize() + memtx.TupleOverhead)
		if old != nil {
			grow -= int64(old.Bsize() + memtx.TupleOverhead)
		}
		if grow > 0 && b.mem.Used()+grow > b.quota {
			e := boxerr.New(boxerr.ER_MEMORY_ISSUE, uint(new.Bsize()+memtx.TupleOverhead), "slab allocator", "memtx_tuple")
			e.Type = "OutOfMemory" // not a ClientError in 2.6: no code in Lua
			return nil, e
		}
	}
	if changed {
		var replaced *memtx.Tuple
		var err error
		replace := sp.Replace
		if checked {
			replace = sp.ReplaceChecked
		}
		switch {
		case new == nil:
			replaced, err = sp.Replace(old, nil, memtx.DupReplace)
		case mode == memtx.DupReplace:
			replaced, err = replace(old, new, mode)
		default:
			replaced, err = replace(nil, new, mode)
		}
		if err != nil {
			if origin != nil {
				err = conflictError(sp, err, old, new, mode)
			}
			return nil, err
		}
		old = replaced
		txn.undo = append(txn.undo, undoEntry{space: sp, old: old, new: new})
		if trig := b.sysTriggers[sp.ID]; trig != nil {
			if err := trig(txn, old, new); err != nil {
				return nil, err
			}
		}
		for _, trig := range sp.OnReplace {
			if err := trig(old, new); err != nil {
				return nil, err
			}
		}
	}
	b.addRow(txn, sp, &r, origin, rewritten)
	switch r.Type {
	case reqDelete:
		return old, nil
	case reqUpsert, reqNop:
		return nil, nil
	}
	return new, nil
}

// addRow records the WAL row of a statement; temporary spaces are not
// logged. A row from an applier or recovery is kept as it is, unless a
// before_replace trigger rewrote the statement: then the row carries the
// rewritten request under the origin's header (replica id, LSN, TSN).
func (b *Box) addRow(txn *Txn, sp *Space, r *Request, origin *xrow.Row, rewritten bool) {
	if sp.Temporary {
		return
	}
	row := txn.newRow()
	if origin != nil {
		*row = *origin
		if rewritten {
			row.Type, row.Body = r.Type, EncodeDML(r)
		}
	} else {
		if row == &txn.first.row {
			// The first row's body reuses the memory of the recycled
			// transaction's (see txnPool).
			row.Body = AppendDML(txn.first.body[:0], r)
			txn.first.body = row.Body
		} else {
			row.Body = EncodeDML(r)
		}
		row.Type = r.Type
		if sp.IsLocal || txn.curGroupLocal {
			row.GroupID = 1
		}
	}
	txn.rows = append(txn.rows, row)
}

// EncodeDML encodes the body of a DML row as xrow_encode_dml does: keys
// in the order space, index, index base, key, ops, tuple; zero ids and
// absent parts are left out.
func EncodeDML(r *Request) []byte { return AppendDML(nil, r) }

// AppendDML appends the body EncodeDML encodes to dst (nil for a NOP).
func AppendDML(dst []byte, r *Request) []byte {
	if r.Type == reqNop {
		return nil
	}
	var key, tuple, ops []byte
	switch r.Type {
	case reqInsert, reqReplace:
		tuple = r.Tuple
	case reqDelete:
		key = r.Key
	case reqUpdate:
		key, tuple = r.Key, r.Tuple
	case reqUpsert:
		tuple, ops = r.Tuple, r.Ops
	}
	n := uint32(0)
	if r.SpaceID != 0 {
		n++
	}
	if r.IndexID != 0 {
		n++
	}
	if r.IndexBase != 0 {
		n++
	}
	for _, p := range [][]byte{key, ops, tuple} {
		if p != nil {
			n++
		}
	}
	out := slices.Grow(dst, 16+len(key)+len(tuple)+len(ops))
	out = msgpack.AppendMapHeader(out, n)
	if r.SpaceID != 0 {
		out = msgpack.AppendUint(append(out, keySpaceID), uint64(r.SpaceID))
	}
	if r.IndexID != 0 {
		out = msgpack.AppendUint(append(out, keyIndexID), uint64(r.IndexID))
	}
	if r.IndexBase != 0 {
		out = msgpack.AppendUint(append(out, keyIndexBase), uint64(r.IndexBase))
	}
	if key != nil {
		out = append(append(out, keyKey), key...)
	}
	if ops != nil {
		out = append(append(out, keyOps), ops...)
	}
	if tuple != nil {
		out = append(append(out, keyTuple), tuple...)
	}
	return out
}

// Select checks read access and returns at most req.Limit tuples after
// skipping req.Offset, in the order of the iterator.
func (b *Box) Select(s *Session, req *Request) ([]*memtx.Tuple, error) {
	b.collect(int(reqSelect))
	sp := b.spaceByID(req.SpaceID)
	if sp == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_SPACE, itoa(req.SpaceID))
	}
	if req.Iterator > memtx.IterNeighbor {
		return nil, boxerr.New(boxerr.ER_ILLEGAL_PARAMS, "Invalid iterator type")
	}
	if err := b.checkSpaceAccess(s, sp, AccessRead); err != nil {
		return nil, err
	}
	ix := sp.Index(req.IndexID)
	if ix == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_INDEX_ID, req.IndexID, sp.Name)
	}
	key := req.Key
	if key == nil {
		key = emptyKey
	}
	if err := checkArray(key, "key"); err != nil {
		return nil, err
	}
	if _, err := ix.Def().Key.ValidateKey(key, false); err != nil {
		return nil, err
	}
	var filter func(*memtx.Tuple) bool
	if sp.view != nil {
		src := b.spaces[sp.view.source]
		if src == nil || src.Index(req.IndexID) == nil {
			return nil, nil
		}
		ix = src.Index(req.IndexID)
		filter = b.viewFilter(sp.ID, src, uidOf(s))
	}
	if filter == nil && (req.Iterator == memtx.IterEQ || req.Iterator == memtx.IterREQ) && ix.Def().Unique {
		// A full key of a unique index matches at most one tuple: a point
		// lookup, without an iterator.
		if n, _, err := msgpack.ReadArrayHeader(key); err == nil && int(n) == len(ix.Def().Key.Parts) {
			t, err := ix.Get(key)
			if err != nil {
				return nil, boxerr.From(err)
			}
			if t == nil || req.Offset > 0 || req.Limit == 0 {
				return nil, nil
			}
			return []*memtx.Tuple{t}, nil
		}
	}
	it, err := ix.Iterator(req.Iterator, key)
	if err != nil {
		return nil, boxerr.From(err)
	}
	var out []*memtx.Tuple
	offset := req.Offset
	for uint32(len(out)) < req.Limit {
		t := it.Next()
		if t == nil {
			break
		}
		if filter != nil && !filter(t) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		out = append(out, t)
	}
	return out, nil
}
