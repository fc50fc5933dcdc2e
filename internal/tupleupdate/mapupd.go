package tupleupdate

import (
	"github.com/spindledb/spindle/internal/msgpack"
)

// mapUpdate is an updated MessagePack map: a list of items, each an
// updated key-value pair (key may be nil) followed by unchanged pairs.
// New items go to the head of the list, and the store writes all updated
// pairs first, head to tail, then all unchanged tails; that order is
// visible in the result and matches Tarantool. items is kept in
// insertion order, so the head is the last element.
type mapUpdate struct {
	items []*mapItem
	size  uint32 // number of pairs
}

type mapItem struct {
	key  []byte // nil: the item is only an unchanged tail
	f    field
	tail []byte // unchanged pairs after f
}

func (m *mapUpdate) push(it *mapItem) { m.items = append(m.items, it) }

// newMapField makes f an updated map over the map value data.
func newMapField(f *field, data []byte) {
	n, h, _ := msgpack.ReadMapHeader(data)
	m := &mapUpdate{size: n}
	if n > 0 {
		m.push(&mapItem{f: field{data: data[h:h]}, tail: data[h:]})
	}
	*f = field{typ: fieldMap, data: data, mp: m}
}

// newMapFieldWithChild makes f an updated map over parent with the
// existing subtree child as the value of key.
func newMapFieldWithChild(f *field, parent []byte, child *field, key []byte) {
	n, h, _ := msgpack.ReadMapHeader(parent)
	m := &mapUpdate{size: n}
	pos := h
	i := uint32(0)
	found := false
	for ; i < n; i++ {
		if msgpack.TypeOf(parent[pos:]) != msgpack.Str {
			pos += skip(parent[pos:])
			pos += skip(parent[pos:])
			continue
		}
		beforeKey := pos
		k, kn, _ := msgpack.ReadStr(parent[pos:])
		pos += kn
		if string(k) == string(key) {
			m.push(&mapItem{f: field{data: parent[h:h]}, tail: parent[h:beforeKey]})
			i++
			found = true
			break
		}
		pos += skip(parent[pos:])
	}
	if !found {
		panic("tupleupdate: branching key not found in its map")
	}
	valStart := pos
	pos += skip(parent[pos:])
	valEnd := pos
	for ; i < n; i++ {
		pos += skip(parent[pos:])
		pos += skip(parent[pos:])
	}
	it := &mapItem{key: key, f: *child, tail: parent[valEnd:pos]}
	it.f.data = parent[valStart:valEnd]
	m.push(it)
	*f = field{typ: fieldMap, data: parent[:pos], mp: m}
}

// extractOpt finds the item of o's key; nil if the key is absent.
func (m *mapUpdate) extractOpt(o *op) (*mapItem, error) {
	if o.tokenConsumed {
		if err := o.nextToken(); err != nil {
			return nil, err
		}
		if o.tokenType != tokenStr {
			return nil, o.err("can't update a map by not a string key")
		}
	}
	// Keys updated before are found without decoding.
	for k := len(m.items) - 1; k >= 0; k-- {
		if it := m.items[k]; it.key != nil && string(it.key) == string(o.key) {
			return it, nil
		}
	}
	for k := len(m.items) - 1; k >= 0; k-- {
		it := m.items[k]
		pos := 0
		for pos < len(it.tail) {
			if msgpack.TypeOf(it.tail[pos:]) != msgpack.Str {
				pos += skip(it.tail[pos:])
				pos += skip(it.tail[pos:])
				continue
			}
			keyStart := pos
			key, kn, _ := msgpack.ReadStr(it.tail[pos:])
			pos += kn
			if string(key) != string(o.key) {
				pos += skip(it.tail[pos:])
				continue
			}
			valEnd := pos + skip(it.tail[pos:])
			if keyStart == 0 && it.key == nil {
				// The key opens a keyless item's tail: reuse
				// the item instead of creating one.
				it.key = o.key
				it.f = field{data: it.tail[pos:valEnd]}
				it.tail = it.tail[valEnd:]
				return it, nil
			}
			n := &mapItem{key: o.key, f: field{data: it.tail[pos:valEnd]}, tail: it.tail[valEnd:]}
			it.tail = it.tail[:keyStart]
			m.push(n)
			return n, nil
		}
	}
	return nil, nil
}

func (m *mapUpdate) extract(o *op) (*mapItem, error) {
	it, err := m.extractOpt(o)
	if err == nil && it == nil {
		err = o.errNoSuchField()
	}
	return it, err
}

// doMap applies o to the updated map f.
func doMap(o *op, f *field) error {
	m := f.mp
	switch o.kind {
	case kindInsert, kindSet, kindDelete:
		it, err := m.extractOpt(o)
		if err != nil {
			return err
		}
		if !o.isTerm() {
			if it == nil {
				return o.errNoSuchField()
			}
			o.tokenConsumed = true
			return doField(o, &it.f)
		}
		switch o.kind {
		case kindInsert:
			if it != nil {
				return o.errDuplicate()
			}
		case kindSet:
			if it != nil {
				// A later '=' replaces any earlier change.
				o.newFieldLen = len(o.value)
				it.f.typ = fieldScalar
				it.f.op = o
				return nil
			}
		case kindDelete:
			if o.delCount != 1 {
				return o.errDelete1()
			}
			if it == nil {
				return nil
			}
			it.key = nil
			it.f = field{data: it.f.data[len(it.f.data):]}
			m.size--
			return nil
		}
		m.size++
		m.push(&mapItem{key: o.key, f: field{data: o.value}})
		return nil
	default:
		it, err := m.extract(o)
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

func (m *mapUpdate) sizeof() int {
	n := sizeofContainer(m.size)
	for _, it := range m.items {
		n += len(it.tail)
		if it.key != nil {
			n += sizeofStr(len(it.key)) + it.f.sizeof()
		}
	}
	return n
}

func (m *mapUpdate) store(b []byte) []byte {
	b = msgpack.AppendMapHeader(b, m.size)
	for k := len(m.items) - 1; k >= 0; k-- {
		if it := m.items[k]; it.key != nil {
			b = msgpack.AppendStringBytes(b, it.key)
			b = it.f.store(b, false)
		}
	}
	for k := len(m.items) - 1; k >= 0; k-- {
		b = append(b, m.items[k].tail...)
	}
	return b
}
