package memtx

import (
	"math"
	"unsafe"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Tuple is an immutable MessagePack array. It is shared by every index of
// its space, by read views and by the Lua layer, so nothing may write to its
// bytes after NewTuple.
//
// The struct is kept to 24 bytes (one size class) because there is one per
// stored row: the data is held as a pointer and a 32-bit length instead of
// a 24-byte slice header (the 8 bytes saved pay for the comparison hint each
// TREE index entry carries), and fields are decoded from the data on demand
// instead of caching offsets (see BenchmarkTupleField for the cost).
type Tuple struct {
	// ptr and size are the whole msgpack array (data() rebuilds the
	// slice); for a search pivot they hold the key's parts (without the
	// array header). ptr keeps the caller's allocation alive.
	ptr  *byte
	size uint32
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
	if uint64(len(data)) > math.MaxUint32 {
		return nil, boxerr.New(boxerr.ER_MEMTX_MAX_TUPLE_SIZE, uint64(len(data)))
	}
	return &Tuple{ptr: unsafe.SliceData(data), size: uint32(len(data)), count: n, bodyOff: uint8(h)}, nil
}

// newPivot makes a search key tuple over a key's parts (body, count parts).
func newPivot(body []byte, count uint32, kind pivotKind) Tuple {
	return Tuple{ptr: unsafe.SliceData(body), size: uint32(len(body)), count: count, pivot: kind}
}

// data returns the tuple's bytes (a pivot's key parts); cap == len, so
// nobody can append into the bytes that follow.
func (t *Tuple) data() []byte { return unsafe.Slice(t.ptr, t.size) }

// Data returns the whole msgpack array. The caller must not modify it.
func (t *Tuple) Data() []byte { return t.data() }

// Len returns the number of fields.
func (t *Tuple) Len() int { return int(t.count) }

// Bsize returns the size of the msgpack data in bytes (box.tuple:bsize()).
func (t *Tuple) Bsize() int { return int(t.size) }

// Field returns the raw msgpack of the 0-based field fieldno, or nil when the
// tuple has fewer fields. The result aliases the tuple.
func (t *Tuple) Field(fieldno int) []byte {
	if fieldno < 0 || uint64(fieldno) >= uint64(t.count) {
		return nil
	}
	b := t.data()[t.bodyOff:]
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
	b := t.data()[t.bodyOff:]
	for i := uint32(0); i < fieldno; i++ {
		n, err := msgpack.Skip(b)
		if err != nil {
			return nil
		}
		b = b[n:]
	}
	return b
}
