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
// A tuple is one allocation that holds no Go pointers: this 8-byte header
// immediately followed by the bytes (for a search pivot, the key's parts
// without the array header). The collector then marks one object per
// tuple and never scans it, a comparison finds the header and the first
// bytes on the same cache line, and no separate header allocation is
// paid for. A Tuple is therefore only ever handled by pointer: a copy of
// the header alone would lose the bytes that follow it. Fields are decoded
// from the data on demand instead of caching offsets (see
// BenchmarkTupleField for the cost).
type Tuple struct {
	// noCopy makes go vet's copylocks check report a Tuple copied by
	// value; it takes no space at the start of the struct.
	_    noCopy
	size uint32
	// count is the field count (for a search pivot the key's part
	// count), or countInData for a tuple of so many fields that only its
	// array header holds the count.
	count uint16
	// bodyOff is the size of the array header, so data[bodyOff:] is the
	// first field.
	bodyOff uint8
	// pivot is non-zero only for the transient search keys that indexes
	// build to seek their B-trees; such tuples never leave the package.
	pivot pivotKind
}

// noCopy is the marker go vet's copylocks check looks for (a type with
// Lock and Unlock methods); the methods do nothing.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// tupleHeader is the size of the header the bytes follow: 8 bytes, a
// multiple of the 4-byte alignment of its uint32. The bytes that follow
// need no alignment (everything reads them as msgpack bytes).
const tupleHeader = int(unsafe.Sizeof(Tuple{}))

// countInData in Tuple.count sends fieldCount to the array header. A
// pivot's part count is bounded by its key definition, far below it.
const countInData = math.MaxUint16

// fieldCount returns the field count (a pivot's part count).
func (t *Tuple) fieldCount() uint32 {
	if t.count != countInData {
		return uint32(t.count)
	}
	return t.wideCount()
}

// wideCount is fieldCount's rare path, a call of its own so that
// fieldCount inlines into the comparators.
//
//go:noinline
func (t *Tuple) wideCount() uint32 {
	n, _, _ := msgpack.ReadArrayHeader(t.data())
	return n
}

// tupleAllocSize is the allocation for a tuple of n bytes: a multiple of 8,
// so that tuples carved one after another from an 8-aligned arena block
// stay aligned, and never under 16 bytes, so that the Go allocator never
// takes it for a "tiny" object (those are packed with byte alignment).
func tupleAllocSize(n int) int { return (tupleHeader + n + 7) &^ 7 }

// placeTuple builds a tuple (bytes data, field or key part count count,
// array header size bodyOff) at the start of buf, which must be at least
// tupleAllocSize(len(data)) long, 4-aligned and within one pointer-free
// allocation. data may not overlap buf.
func placeTuple(buf []byte, data []byte, count uint32, bodyOff uint8, kind pivotKind) *Tuple {
	_ = buf[tupleAllocSize(len(data))-1]
	t := (*Tuple)(unsafe.Pointer(unsafe.SliceData(buf)))
	t.size = uint32(len(data))
	if count < countInData {
		t.count = uint16(count)
	} else if kind == notPivot {
		t.count = countInData
	} else {
		panic("memtx: a search key of more parts than any key definition has")
	}
	t.bodyOff = bodyOff
	t.pivot = kind
	copy(buf[tupleHeader:], data)
	return t
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

// NewTuple makes a tuple of a copy of data, which must be exactly one
// msgpack array: one pointer-free allocation holding the header and the
// bytes. The tuple never refers to data, so the caller keeps ownership of
// it and may reuse or modify it after the call.
func NewTuple(data []byte) (*Tuple, error) {
	n, h, err := checkTupleData(data)
	if err != nil {
		return nil, err
	}
	return placeTuple(make([]byte, tupleAllocSize(len(data))), data, n, uint8(h), notPivot), nil
}

// checkTupleData validates a tuple's bytes and returns its field count and
// the size of its array header.
func checkTupleData(data []byte) (count uint32, hdr int, err error) {
	if err := msgpack.Validate(data); err != nil {
		return 0, 0, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if msgpack.TypeOf(data) != msgpack.Array {
		return 0, 0, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	n, h, err := msgpack.ReadArrayHeader(data)
	if err != nil {
		return 0, 0, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if uint64(len(data)) > math.MaxUint32 {
		return 0, 0, boxerr.New(boxerr.ER_MEMTX_MAX_TUPLE_SIZE, uint64(len(data)))
	}
	return n, h, nil
}

// pivotBuf is the reusable memory of a search key tuple (header and a copy
// of the key's parts): each Index owns one, so point lookups and iterator
// seeks allocate only when a key is longer than any before it.
type pivotBuf []byte

// set makes the buffer's tuple the search key over a key's parts (body,
// count parts) and returns it. The pivot is valid until the next set on
// the same buffer: a caller must be done with it (no B-tree operation
// holding it) before anything else seeks the same index.
func (b *pivotBuf) set(body []byte, count uint32, kind pivotKind) *Tuple {
	need := tupleAllocSize(len(body))
	if cap(*b) < need {
		// Room to spare, so that slowly growing keys do not
		// reallocate on every lookup.
		*b = make([]byte, max(need, 2*cap(*b), 64))
	}
	return placeTuple(*b, body, count, 0, kind)
}

// data returns the tuple's bytes (a pivot's key parts); cap == len, so
// nobody can append into the bytes that follow.
func (t *Tuple) data() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(t), tupleHeader)), t.size)
}

// Data returns the whole msgpack array. The caller must not modify it.
func (t *Tuple) Data() []byte { return t.data() }

// Len returns the number of fields.
func (t *Tuple) Len() int { return int(t.fieldCount()) }

// Bsize returns the size of the msgpack data in bytes (box.tuple:bsize()).
func (t *Tuple) Bsize() int { return int(t.size) }

// Field returns the raw msgpack of the 0-based field fieldno, or nil when the
// tuple has fewer fields. The result aliases the tuple.
func (t *Tuple) Field(fieldno int) []byte {
	if fieldno < 0 || uint64(fieldno) >= uint64(t.fieldCount()) {
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
	if fieldno >= t.fieldCount() {
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
