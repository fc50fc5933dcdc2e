package tupleupdate

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// FieldResolver maps a field name (from the space format) to its 0-based
// number.
type FieldResolver func(name string) (fieldno int, ok bool)

// Options describe the request and the space an update runs in.
type Options struct {
	// IndexBase is 0 for IPROTO requests and 1 for Lua (IPROTO
	// INDEX_BASE=1). It shifts field numbers and splice offsets.
	IndexBase int
	// Names resolves field names; nil means the space has no format.
	Names FieldResolver
	// DoubleField reports whether the space format declares the
	// 0-based top-level field as 'double'; + and - then store a result
	// that fits a float as a double. Nil means no such fields.
	DoubleField func(fieldno int) bool
}

// Apply runs IPROTO update operations ops (a MessagePack array of
// [op, field, args...]) on tuple (a MessagePack array) and returns the
// new tuple. The result never aliases tuple or ops.
func Apply(tuple, ops []byte, indexBase int, names FieldResolver) ([]byte, error) {
	return Options{IndexBase: indexBase, Names: names}.Apply(tuple, ops)
}

// ApplyUpsert applies the operations of an UPSERT to the existing tuple.
// As in Tarantool 2.6, malformed operations fail the whole request, but
// an operation that fails on this tuple's data (wrong type, missing
// field, overflow...) is skipped and the others still apply. Tarantool
// logs each skipped operation; use ApplyUpsertFunc to do the same.
func ApplyUpsert(tuple, ops []byte, indexBase int, names FieldResolver) ([]byte, error) {
	return Options{IndexBase: indexBase, Names: names}.ApplyUpsert(tuple, ops, nil)
}

// ApplyUpsertFunc is ApplyUpsert that calls skipped for every operation
// it skips. Tarantool 2.6 logs such an operation as two error lines:
// "UPSERT operation failed:" and then the error itself (say_error and
// error_log in xrow_upsert_do_ops).
func ApplyUpsertFunc(tuple, ops []byte, indexBase int, names FieldResolver, skipped func(*boxerr.Error)) ([]byte, error) {
	return Options{IndexBase: indexBase, Names: names}.ApplyUpsert(tuple, ops, skipped)
}

// CheckOps validates the operations without a tuple: what Tarantool does
// for an UPSERT that inserts its tuple.
func CheckOps(ops []byte, indexBase int, names FieldResolver) error {
	return Options{IndexBase: indexBase, Names: names}.CheckOps(ops)
}

// CheckOps validates the operations without a tuple.
func (opt Options) CheckOps(ops []byte) error {
	if err := validateOps(ops); err != nil {
		return err
	}
	_, err := opt.readOps(ops)
	return err
}

// Apply runs the update operations ops on tuple.
func (opt Options) Apply(tuple, ops []byte) ([]byte, error) {
	if err := validateTuple(tuple); err != nil {
		return nil, err
	}
	if err := validateOps(ops); err != nil {
		return nil, err
	}
	if res, ok := opt.applyFast(tuple, ops); ok {
		return res, nil
	}
	list, err := opt.readOps(ops)
	if err != nil {
		return nil, err
	}
	var root field
	newArrayField(&root, tuple)
	for i := range list {
		if err := doField(&list[i], &root); err != nil {
			return nil, err
		}
	}
	return opt.finish(&root), nil
}

// ApplyUpsert runs UPSERT operations on the existing tuple; skipped, if
// not nil, receives the error of every operation that was skipped.
func (opt Options) ApplyUpsert(tuple, ops []byte, skipped func(*boxerr.Error)) ([]byte, error) {
	if err := validateTuple(tuple); err != nil {
		return nil, err
	}
	if err := validateOps(ops); err != nil {
		return nil, err
	}
	list, err := opt.readOps(ops)
	if err != nil {
		return nil, err
	}
	var root field
	newArrayField(&root, tuple)
	for i := range list {
		// A failed operation leaves the tree as it was: every
		// executor checks before it changes anything.
		if err := doField(&list[i], &root); err != nil && skipped != nil {
			skipped(boxerr.From(err))
		}
	}
	return opt.finish(&root), nil
}

func (opt Options) finish(root *field) []byte {
	out := make([]byte, 0, root.sizeof())
	isDouble := opt.DoubleField
	if isDouble == nil {
		isDouble = noDouble
	}
	return root.arr.store(out, isDouble)
}

func noDouble(int) bool { return false }

// validateTuple checks that tuple is exactly one MessagePack array.
func validateTuple(tuple []byte) error {
	if msgpack.Validate(tuple) != nil || msgpack.TypeOf(tuple) != msgpack.Array {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	return nil
}

// validateOps checks that ops starts with one well-formed value. IPROTO
// bodies are checked as a whole before they are decoded, so a client
// sees malformed operations as a malformed packet body.
func validateOps(ops []byte) error {
	if _, err := msgpack.Skip(ops); err != nil {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	return nil
}

// readOps decodes every operation (xrow_update_read_ops). ops starts
// with a validated value.
func (opt Options) readOps(ops []byte) ([]op, error) {
	if msgpack.TypeOf(ops) != msgpack.Array {
		return nil, illegal("update operations must be an array {{op,..}, {op,..}}")
	}
	count, pos, _ := msgpack.ReadArrayHeader(ops)
	if count > MaxOps {
		return nil, illegal("too many operations for update")
	}
	list := make([]op, count)
	for i := range list {
		n, err := decodeOp(&list[i], i+1, opt.IndexBase, opt.Names, ops[pos:])
		if err != nil {
			return nil, err
		}
		pos += n
	}
	if pos != len(ops) {
		return nil, illegal("can't unpack update operations")
	}
	return list, nil
}
