package memtx

import (
	"math"
	"unsafe"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Arena allocates the tuples of a bulk load (snapshot recovery, the
// initial data of a join) from large blocks: one allocation per block of
// tuple headers and one per block of data, instead of two per tuple.
// Allocation is most of a load's cost, and fewer, larger objects are also
// cheaper for the garbage collector to keep. The blocks are as large as a
// huge page and asked for transparent huge pages before they are first
// touched (hugepage_linux.go): on a virtual machine a page fault can cost
// more than loading the tuple that causes it, and a 1M-tuple snapshot
// would otherwise take some 25,000 of them for its data alone.
//
// A block lives as long as any tuple carved from it: a load keeps almost
// all its tuples, so little is held back (the trade Tarantool's slab
// allocator makes as well). Tuples larger than a quarter of a block get
// an allocation of their own. An Arena is not safe for concurrent use.
type Arena struct {
	headers []Tuple
	data    []byte
}

const (
	arenaHeaders   = 64 << 10 // 1.5 MiB of headers per block
	arenaDataBlock = 2 << 20
)

// NewTuple is the package's NewTuple for a copy of src carved from the
// arena; src is not retained.
func (a *Arena) NewTuple(src []byte) (*Tuple, error) {
	if err := msgpack.Validate(src); err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if msgpack.TypeOf(src) != msgpack.Array {
		return nil, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	n, h, err := msgpack.ReadArrayHeader(src)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "tuple")
	}
	if uint64(len(src)) > math.MaxUint32 {
		return nil, boxerr.New(boxerr.ER_MEMTX_MAX_TUPLE_SIZE, uint64(len(src)))
	}
	var data []byte
	if len(src) > arenaDataBlock/4 {
		data = append([]byte(nil), src...)
	} else {
		if cap(a.data)-len(a.data) < len(src) {
			a.data = make([]byte, 0, arenaDataBlock)
			adviseHugePages(unsafe.Pointer(unsafe.SliceData(a.data)), arenaDataBlock)
		}
		start := len(a.data)
		a.data = append(a.data, src...)
		// cap == len: appending to one tuple's bytes can never reach
		// the next tuple's.
		data = a.data[start:len(a.data):len(a.data)]
	}
	if len(a.headers) == 0 {
		a.headers = make([]Tuple, arenaHeaders)
		adviseHugePages(unsafe.Pointer(unsafe.SliceData(a.headers)), arenaHeaders*int(unsafe.Sizeof(Tuple{})))
	}
	t := &a.headers[0]
	a.headers = a.headers[1:]
	*t = Tuple{ptr: unsafe.SliceData(data), size: uint32(len(data)), count: n, bodyOff: uint8(h)}
	return t, nil
}
