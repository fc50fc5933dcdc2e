package memtx

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Tuple is an immutable MessagePack array. It is shared by every index of
// its space, by read views and by the Lua layer, so nothing may write to its
// bytes after NewTuple.
//
// The struct is kept to 32 bytes (one size class) because there is one per
// stored row; fields are decoded from data on demand instead of caching
// offsets (see BenchmarkTupleField for the cost).
type Tuple struct {
	// data is the whole msgpack array; for a search pivot it holds the
	// key's parts (without the array header).
	data []byte
	// count is the field count; for a search pivot the key's part count.
	count uint32
	// bodyOff is the size of the array header, so data[bodyOff:] is the
	// first field.
	bodyOff uint8
	// pivot is non-zero only for the transient search keys that indexes
	// build to seek their B-trees; such tuples never leave the package.
	pivot pivotKind
}

// pivotKind tells how a search key compares with the tuples whose key
// starts with it: a low pivot sorts before all of them, a high pivot after.
// A pivot never compares equal to a stored tuple.
type pivotKind uint8

const (
	notPivot pivotKind = iota
	pivotLow
	pivotHigh
	// pivotExact compares equal to tuples whose key equals the whole
	// search key; used by point lookups (Get, duplicate checks).
	pivotExact
)

// NewTuple wraps data, which must be exactly one msgpack array. The tuple
// takes ownership of data: the caller must not modify it afterwards.
func NewTuple(data []byte) (*Tuple, error) {
	if err := msgpack.Validate(data); err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if msgpack.TypeOf(data) != msgpack.Array {
		return nil, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	n, h, err := msgpack.ReadArrayHeader(data)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	return &Tuple{data: data, count: n, bodyOff: uint8(h)}, nil
}

// Data returns the whole msgpack array. The caller must not modify it.
func (t *Tuple) Data() []byte { return t.data }

// Len returns the number of fields.
func (t *Tuple) Len() int { return int(t.count) }

// Bsize returns the size of the msgpack data in bytes (box.tuple:bsize()).
func (t *Tuple) Bsize() int { return len(t.data) }

// Field returns the raw msgpack of the 0-based field fieldno, or nil when the
// tuple has fewer fields. The result aliases the tuple.
func (t *Tuple) Field(fieldno int) []byte {
	if fieldno < 0 || uint64(fieldno) >= uint64(t.count) {
		return nil
	}
	b := t.data[t.bodyOff:]
	for i := 0; i < fieldno; i++ {
		n, err := msgpack.Skip(b)
		if err != nil {
			return nil
		}
		b = b[n:]
	}
	n, err := msgpack.Skip(b)
	if err != nil {
		return nil
	}
	return b[:n:n]
}

// field is Field for the comparators: it returns the field's bytes up to
// the end of the tuple (avoiding a second Skip) or nil when absent.
func (t *Tuple) field(fieldno uint32) []byte {
	if fieldno >= t.count {
		return nil
	}
	b := t.data[t.bodyOff:]
	for i := uint32(0); i < fieldno; i++ {
		n, err := msgpack.Skip(b)
		if err != nil {
			return nil
		}
		b = b[n:]
	}
	return b
}
