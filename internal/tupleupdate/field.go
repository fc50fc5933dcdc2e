package tupleupdate

import (
	"github.com/spindledb/spindle/internal/msgpack"
)

// fieldType is the kind of an update tree node (Tarantool's
// xrow_update_type).
type fieldType uint8

const (
	// fieldNop is a field stored as it is: an unchanged field, or a
	// value inserted by '!' or appended by '='.
	fieldNop fieldType = iota
	// fieldScalar is a field replaced by the result of one operation.
	fieldScalar
	// fieldArray is an array with updated elements (rope of ranges).
	fieldArray
	// fieldBar is a field changed by exactly one operation somewhere
	// down a JSON path that no other operation shares.
	fieldBar
	// fieldRoute is a JSON path prefix shared by several operations,
	// leading to a subtree of updates.
	fieldRoute
	// fieldMap is a map with updated key-value pairs.
	fieldMap
)

// field is a node of the update tree. data is the field's original
// MessagePack; subslices of it (bar.parent, bar.point, route.next.data)
// share its backing array, so offsetIn can measure distances the way
// Tarantool subtracts pointers.
type field struct {
	typ   fieldType
	data  []byte
	op    *op // fieldScalar, fieldBar
	arr   *array
	bar   bar
	route route
	mp    *mapUpdate
}

// bar locates the single operation of a fieldBar.
type bar struct {
	// path is what is left of the operation's path below this field.
	path []byte
	// parent is the container holding the point, up to the end of data.
	parent []byte
	// point is the changed value: the value to change or delete, or,
	// for '!' into an array, an empty slice at the insertion position.
	point []byte
	// newKey is the key inserted into a map by '!' or '='.
	newKey []byte
}

// route is a path shared by the operations of its subtree.
type route struct {
	path []byte
	next *field
}

// offsetIn is the position of inner within outer; inner must be a
// subslice of outer's backing array at or after outer's start.
func offsetIn(outer, inner []byte) int { return cap(outer) - cap(inner) }

// doField routes o to the node f: the generic dispatch of
// xrow_update_op_do_field_*.
func doField(o *op, f *field) error {
	switch f.typ {
	case fieldArray:
		return doArray(o, f)
	case fieldNop:
		return doNop(o, f)
	case fieldBar:
		return doBar(o, f)
	case fieldRoute:
		return doRoute(o, f)
	case fieldMap:
		return doMap(o, f)
	}
	// A path below a field already replaced by a scalar operation.
	// Tarantool has no branch for it: its release build falls
	// through unreachable() into the map executor, which fails
	// for an index step as below (and reads undefined memory for a
	// key step, where Spindle reports the field as missing).
	if o.tokenConsumed {
		if err := o.nextToken(); err != nil {
			return err
		}
		if o.tokenType != tokenStr {
			return o.err("can't update a map by not a string key")
		}
	}
	return o.errNoSuchField()
}

// goToIndex moves from the container at b to its element idx (0-based);
// maps are searched for the integer key idx+1, as Tarantool does.
func goToIndex(b []byte, idx int32) ([]byte, bool) {
	switch msgpack.TypeOf(b) {
	case msgpack.Array:
		n, h, _ := msgpack.ReadArrayHeader(b)
		if idx < 0 || uint32(idx) >= n {
			return nil, false
		}
		b = b[h:]
		for ; idx > 0; idx-- {
			b = b[skip(b):]
		}
		return b, true
	case msgpack.Map:
		n, h, _ := msgpack.ReadMapHeader(b)
		b = b[h:]
		want := uint64(int64(idx) + tupleIndexBase)
		for ; n > 0; n-- {
			switch msgpack.TypeOf(b) {
			case msgpack.Uint, msgpack.Int:
				u, _, neg, k, _ := msgpack.ReadInteger(b)
				b = b[k:]
				if !neg && u == want {
					return b, true
				}
			default:
				b = b[skip(b):]
			}
			b = b[skip(b):]
		}
	}
	return nil, false
}

// goToKey moves from the map at b to the value of the string key.
func goToKey(b []byte, key []byte) ([]byte, bool) {
	if msgpack.TypeOf(b) != msgpack.Map {
		return nil, false
	}
	n, h, _ := msgpack.ReadMapHeader(b)
	b = b[h:]
	for ; n > 0; n-- {
		if msgpack.TypeOf(b) == msgpack.Str {
			k, m, _ := msgpack.ReadStr(b)
			b = b[m:]
			if string(k) == string(key) {
				return b, true
			}
		} else {
			b = b[skip(b):]
		}
		b = b[skip(b):]
	}
	return nil, false
}

// sizeof is an upper bound of the stored size of f.
func (f *field) sizeof() int {
	switch f.typ {
	case fieldNop:
		return len(f.data)
	case fieldScalar:
		return f.op.newFieldLen
	case fieldArray:
		return f.arr.sizeof()
	case fieldBar:
		return f.barSizeof()
	case fieldRoute:
		return len(f.data) - len(f.route.next.data) + f.route.next.sizeof()
	default:
		return f.mp.sizeof()
	}
}

// store appends the updated f. asDouble reports that the space format
// declares this field as double (top-level fields only).
func (f *field) store(b []byte, asDouble bool) []byte {
	switch f.typ {
	case fieldNop:
		return append(b, f.data...)
	case fieldScalar:
		return f.op.storeScalar(b, f.data, asDouble)
	case fieldArray:
		return f.arr.store(b, nil)
	case fieldBar:
		return f.barStore(b)
	case fieldRoute:
		before := offsetIn(f.data, f.route.next.data)
		b = append(b, f.data[:before]...)
		b = f.route.next.store(b, false)
		return append(b, f.data[before+len(f.route.next.data):]...)
	default:
		return f.mp.store(b)
	}
}
