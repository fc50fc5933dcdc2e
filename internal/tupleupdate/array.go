package tupleupdate

import (
	"slices"

	"github.com/spindledb/spindle/internal/msgpack"
)

// array is an updated MessagePack array: an ordered list of items, each
// a range of fields whose first field may carry an update and whose
// other fields (tail) are unchanged bytes. It plays the part of
// Tarantool's rope: an update of one field splits at most one range.
type array struct {
	items []arrayItem
	size  uint32 // number of fields
}

type arrayItem struct {
	f     field
	tail  []byte // unchanged fields after f
	count uint32 // 1 + number of fields in tail
}

// newArrayField makes f an updated array over the array value data.
func newArrayField(f *field, data []byte) {
	n, h, _ := msgpack.ReadArrayHeader(data)
	a := &array{size: n}
	if n > 0 {
		body := data[h:]
		first := skip(body)
		a.items = []arrayItem{{f: field{data: body[:first]}, tail: body[first:], count: n}}
	}
	*f = field{typ: fieldArray, data: data, arr: a}
}

// newArrayFieldWithChild makes f an updated array over parent with the
// existing subtree child at element fieldNo (route branching).
func newArrayFieldWithChild(f *field, parent []byte, child *field, fieldNo int32) {
	n, h, _ := msgpack.ReadArrayHeader(parent)
	body := parent[h:]
	a := &array{size: n}
	pos := 0
	if fieldNo > 0 {
		first := skip(body)
		end := first
		for i := int32(1); i < fieldNo; i++ {
			end += skip(body[end:])
		}
		a.items = append(a.items, arrayItem{f: field{data: body[:first]}, tail: body[first:end], count: uint32(fieldNo)})
		pos = end
	}
	elemEnd := pos + skip(body[pos:])
	end := elemEnd
	for i := uint32(fieldNo) + 1; i < n; i++ {
		end += skip(body[end:])
	}
	item := arrayItem{f: *child, tail: body[elemEnd:end], count: n - uint32(fieldNo)}
	item.f.data = body[pos:elemEnd]
	a.items = append(a.items, item)
	*f = field{typ: fieldArray, data: parent[:h+end], arr: a}
}

// find returns the index of the item holding field no and the field's
// position inside the item.
func (a *array) find(no uint32) (int, uint32) {
	start := uint32(0)
	for k := range a.items {
		if no < start+a.items[k].count {
			return k, no - start
		}
		start += a.items[k].count
	}
	panic("tupleupdate: array field out of range")
}

// split cuts item k so that a new item starts at its field off (> 0) and
// returns the new item's index.
func (a *array) split(k int, off uint32) int {
	it := &a.items[k]
	pos := 0
	for i := uint32(1); i < off; i++ {
		pos += skip(it.tail[pos:])
	}
	end := pos + skip(it.tail[pos:])
	next := arrayItem{f: field{data: it.tail[pos:end]}, tail: it.tail[end:], count: it.count - off}
	it.tail = it.tail[:pos]
	it.count = off
	a.items = slices.Insert(a.items, k+1, next)
	return k + 1
}

// extract returns the item whose first field is field no (< size).
func (a *array) extract(no uint32) *arrayItem {
	k, off := a.find(no)
	if off > 0 {
		k = a.split(k, off)
	}
	return &a.items[k]
}

// insert puts value before field no (no <= size).
func (a *array) insert(no uint32, value []byte) {
	it := arrayItem{f: field{data: value}, count: 1}
	k := len(a.items)
	if no < a.size {
		var off uint32
		k, off = a.find(no)
		if off > 0 {
			k = a.split(k, off)
		}
	}
	a.items = slices.Insert(a.items, k, it)
	a.size++
}

// erase removes field no (< size).
func (a *array) erase(no uint32) {
	k, off := a.find(no)
	if off > 0 {
		k = a.split(k, off)
	}
	it := &a.items[k]
	if it.count == 1 {
		a.items = slices.Delete(a.items, k, k+1)
	} else {
		n := skip(it.tail)
		it.f = field{data: it.tail[:n]}
		it.tail = it.tail[n:]
		it.count--
	}
	a.size--
}

func (a *array) sizeof() int {
	n := sizeofContainer(a.size)
	for k := range a.items {
		n += a.items[k].f.sizeof() + len(a.items[k].tail)
	}
	return n
}

// store appends the array. isDouble, when not nil, tells which top-level
// fields the space format declares as double.
func (a *array) store(b []byte, isDouble func(fieldNo int) bool) []byte {
	b = msgpack.AppendArrayHeader(b, a.size)
	no := 0
	for k := range a.items {
		it := &a.items[k]
		b = it.f.store(b, isDouble != nil && it.f.typ == fieldScalar && isDouble(no))
		b = append(b, it.tail...)
		no += int(it.count)
	}
	return b
}

// prepareNumToken makes sure o's current token is an array index.
func prepareNumToken(o *op) error {
	if o.tokenConsumed {
		if err := o.nextToken(); err != nil {
			return err
		}
	}
	if o.tokenType != tokenNum {
		return o.err("can't update an array by a non-numeric index")
	}
	return nil
}

// adjustFieldNo turns a negative field number into a position and checks
// that the field exists among count fields.
func adjustFieldNo(o *op, count uint32) error {
	if o.fieldNo >= 0 {
		if uint32(o.fieldNo) < count {
			return nil
		}
	} else if int64(o.fieldNo)+int64(count) >= 0 {
		o.fieldNo += int32(count)
		return nil
	}
	return o.errNoSuchField()
}

func extractItem(o *op, a *array) (*arrayItem, error) {
	if err := adjustFieldNo(o, a.size); err != nil {
		return nil, err
	}
	return a.extract(uint32(o.fieldNo)), nil
}

// doArray applies o to the updated array f.
func doArray(o *op, f *field) error {
	if err := prepareNumToken(o); err != nil {
		return err
	}
	a := f.arr
	switch o.kind {
	case kindInsert:
		return arrayInsert(o, a)
	case kindSet:
		// '=' on field count+1 appends.
		if o.fieldNo == int32(a.size) {
			return arrayInsert(o, a)
		}
		it, err := extractItem(o, a)
		if err != nil {
			return err
		}
		if !o.isTerm() {
			o.tokenConsumed = true
			return doField(o, &it.f)
		}
		o.newFieldLen = len(o.value)
		// A later '=' replaces any earlier change of the field:
		// Tarantool always allowed it.
		it.f.typ = fieldScalar
		it.f.op = o
		return nil
	case kindDelete:
		if !o.isTerm() {
			it, err := extractItem(o, a)
			if err != nil {
				return err
			}
			o.tokenConsumed = true
			return doField(o, &it.f)
		}
		if err := adjustFieldNo(o, a.size); err != nil {
			return err
		}
		n := o.delCount
		if uint64(o.fieldNo)+uint64(n) > uint64(a.size) {
			n = a.size - uint32(o.fieldNo)
		}
		for ; n > 0; n-- {
			a.erase(uint32(o.fieldNo))
		}
		return nil
	default:
		it, err := extractItem(o, a)
		if err != nil {
			return err
		}
		if !o.isTerm() {
			o.tokenConsumed = true
			return doField(o, &it.f)
		}
		if it.f.typ != fieldNop {
			return o.errDouble()
		}
		if err := o.doScalar(it.f.data); err != nil {
			return err
		}
		it.f.typ = fieldScalar
		it.f.op = o
		return nil
	}
}

func arrayInsert(o *op, a *array) error {
	if !o.isTerm() {
		it, err := extractItem(o, a)
		if err != nil {
			return err
		}
		o.tokenConsumed = true
		return doField(o, &it.f)
	}
	if err := adjustFieldNo(o, a.size+1); err != nil {
		return err
	}
	a.insert(uint32(o.fieldNo), o.value)
	return nil
}
