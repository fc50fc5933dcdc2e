package tupleupdate

import (
	"github.com/spindledb/spindle/internal/msgpack"
)

// barLocate follows o's remaining path inside the unchanged field f and
// makes f a bar on the found point. keyLenOrIndex returns the length of
// the last key (map) or the last index (array). On error f stays a nop,
// which UPSERT relies on to skip the operation cleanly.
func barLocate(o *op, f *field) (keyLenOrIndex int, err error) {
	b := bar{path: o.lex.src[o.lex.offset:]}
	pos := f.data
	for {
		t, rc := o.lex.next()
		if rc != 0 {
			return 0, o.errBadJSON(rc)
		}
		if t.typ == tokenEnd {
			break
		}
		var ok bool
		switch t.typ {
		case tokenNum:
			b.parent = pos
			keyLenOrIndex = int(t.num)
			pos, ok = goToIndex(pos, t.num)
		case tokenStr:
			b.parent = pos
			keyLenOrIndex = len(t.str)
			pos, ok = goToKey(pos, t.str)
		default:
			return 0, o.errBadJSON(o.lex.symbolCount - 1)
		}
		if !ok {
			return 0, o.errNoSuchField()
		}
	}
	b.point = pos[:skip(pos)]
	f.bar = b
	return keyLenOrIndex, nil
}

// barLocateOpt is barLocate for '!' and '=', whose last path step may
// name a field that does not exist yet: the element right after an
// array's end or a new map key.
func barLocateOpt(o *op, f *field) (found bool, keyLenOrIndex int, err error) {
	b := bar{path: o.lex.src[o.lex.offset:]}
	pos := f.data
	var t token
	for {
		var rc int
		t, rc = o.lex.next()
		if rc != 0 {
			return false, 0, o.errBadJSON(rc)
		}
		var ok bool
		switch t.typ {
		case tokenEnd:
			b.point = pos[:skip(pos)]
			f.bar = b
			return true, keyLenOrIndex, nil
		case tokenNum:
			b.parent = pos
			keyLenOrIndex = int(t.num)
			pos, ok = goToIndex(pos, t.num)
		case tokenStr:
			b.parent = pos
			keyLenOrIndex = len(t.str)
			pos, ok = goToKey(pos, t.str)
		default:
			return false, 0, o.errBadJSON(o.lex.symbolCount - 1)
		}
		if !ok {
			break
		}
	}
	// Only the last path step may be missing.
	last, rc := o.lex.next()
	if rc != 0 {
		return false, 0, o.errBadJSON(rc)
	}
	if last.typ != tokenEnd {
		return false, 0, o.errNoSuchField()
	}
	if t.typ == tokenNum {
		if msgpack.TypeOf(b.parent) != msgpack.Array {
			return false, 0, o.err("can not access by index a non-array field")
		}
		size, h, _ := msgpack.ReadArrayHeader(b.parent)
		if uint32(t.num) > size {
			return false, 0, o.errNoSuchField()
		}
		// t.num == size: append after the array's last element.
		end := h
		for i := uint32(0); i < size; i++ {
			end += skip(b.parent[end:])
		}
		b.point = b.parent[end:end]
	} else {
		b.newKey = t.str
		if msgpack.TypeOf(b.parent) != msgpack.Map {
			return false, 0, o.err("can not access by key a non-map field")
		}
	}
	f.bar = b
	return false, keyLenOrIndex, nil
}

// doNop applies o, whose path goes below the unchanged field f, turning
// f into a bar.
func doNop(o *op, f *field) error {
	switch o.kind {
	case kindInsert:
		found, keyLen, err := barLocateOpt(o, f)
		if err != nil {
			return err
		}
		o.newFieldLen = len(o.value)
		if msgpack.TypeOf(f.bar.parent) == msgpack.Map {
			if found {
				return o.errDuplicate()
			}
			o.newFieldLen += sizeofStr(keyLen)
		}
	case kindSet:
		found, keyLen, err := barLocateOpt(o, f)
		if err != nil {
			return err
		}
		o.newFieldLen = len(o.value)
		if !found {
			// '=' of a missing last step is an insertion.
			o.opcode = '!'
			o.kind = kindInsert
			if msgpack.TypeOf(f.bar.parent) == msgpack.Map {
				o.newFieldLen += sizeofStr(keyLen)
			}
		}
	case kindDelete:
		keyLenOrIndex, err := barLocate(o, f)
		if err != nil {
			return err
		}
		if msgpack.TypeOf(f.bar.parent) == msgpack.Array {
			size, _, _ := msgpack.ReadArrayHeader(f.bar.parent)
			if uint64(keyLenOrIndex)+uint64(o.delCount) > uint64(size) {
				o.delCount = size - uint32(keyLenOrIndex)
			}
			pointStart := offsetIn(f.bar.parent, f.bar.point)
			end := pointStart + len(f.bar.point)
			for i := uint32(1); i < o.delCount; i++ {
				end += skip(f.bar.parent[end:])
			}
			f.bar.point = f.bar.parent[pointStart:end]
		} else {
			if o.delCount != 1 {
				return o.errDelete1()
			}
			// Take the key too, to delete the pair. Tarantool
			// steps back by the canonical size of the key; the
			// key's real start is the same for canonical input
			// and keeps the result well-formed for any input.
			keyStart := pairStart(f.bar.parent, f.bar.point)
			end := offsetIn(f.bar.parent, f.bar.point) + len(f.bar.point)
			f.bar.point = f.bar.parent[keyStart:end]
		}
	default:
		if _, err := barLocate(o, f); err != nil {
			return err
		}
		if err := o.doScalar(f.bar.point); err != nil {
			return err
		}
	}
	f.typ = fieldBar
	f.op = o
	return nil
}

// doBar applies a second operation to a bar: the bar becomes a route
// (or an array/map) with two subtrees.
func doBar(o *op, f *field) error {
	next, err := routeBranch(f, o)
	if err != nil {
		return err
	}
	return doField(o, next)
}

func (f *field) barSizeof() int {
	o := f.op
	switch o.opcode {
	case '!':
		size := len(f.data) + o.newFieldLen
		if msgpack.TypeOf(f.bar.parent) == msgpack.Array {
			n, _, _ := msgpack.ReadArrayHeader(f.bar.parent)
			return size + sizeofContainer(n+1) - sizeofContainer(n)
		}
		n, _, _ := msgpack.ReadMapHeader(f.bar.parent)
		return size + sizeofContainer(n+1) - sizeofContainer(n)
	case '#':
		size := len(f.data) - len(f.bar.point)
		if msgpack.TypeOf(f.bar.parent) == msgpack.Array {
			n, _, _ := msgpack.ReadArrayHeader(f.bar.parent)
			return size - sizeofContainer(n) + sizeofContainer(n-o.delCount)
		}
		n, _, _ := msgpack.ReadMapHeader(f.bar.parent)
		return size - sizeofContainer(n) + sizeofContainer(n-1)
	default:
		return len(f.data) - len(f.bar.point) + o.newFieldLen
	}
}

func (f *field) barStore(b []byte) []byte {
	o := f.op
	parentOff := offsetIn(f.data, f.bar.parent)
	switch o.opcode {
	case '!':
		b = append(b, f.data[:parentOff]...)
		var pos int // offset in data of the bytes still to copy
		if msgpack.TypeOf(f.bar.parent) == msgpack.Array {
			n, h, _ := msgpack.ReadArrayHeader(f.bar.parent)
			b = msgpack.AppendArrayHeader(b, n+1)
			pointOff := offsetIn(f.data, f.bar.point)
			b = append(b, f.data[parentOff+h:pointOff]...)
			pos = pointOff
		} else {
			n, h, _ := msgpack.ReadMapHeader(f.bar.parent)
			b = msgpack.AppendMapHeader(b, n+1)
			b = msgpack.AppendStringBytes(b, f.bar.newKey)
			pos = parentOff + h
		}
		b = append(b, o.value...)
		return append(b, f.data[pos:]...)
	case '#':
		b = append(b, f.data[:parentOff]...)
		var h int
		if msgpack.TypeOf(f.bar.parent) == msgpack.Array {
			var n uint32
			n, h, _ = msgpack.ReadArrayHeader(f.bar.parent)
			b = msgpack.AppendArrayHeader(b, n-o.delCount)
		} else {
			var n uint32
			n, h, _ = msgpack.ReadMapHeader(f.bar.parent)
			b = msgpack.AppendMapHeader(b, n-1)
		}
		pointOff := offsetIn(f.data, f.bar.point)
		b = append(b, f.data[parentOff+h:pointOff]...)
		return append(b, f.data[pointOff+len(f.bar.point):]...)
	default:
		pointOff := offsetIn(f.data, f.bar.point)
		b = append(b, f.data[:pointOff]...)
		b = o.storeScalar(b, f.bar.point, false)
		return append(b, f.data[pointOff+len(f.bar.point):]...)
	}
}

// pairStart returns the offset in the map m of the key whose value is
// the subslice value.
func pairStart(m, value []byte) int {
	n, pos, _ := msgpack.ReadMapHeader(m)
	valueOff := offsetIn(m, value)
	for ; n > 0; n-- {
		keyEnd := pos + skip(m[pos:])
		if keyEnd == valueOff {
			return pos
		}
		pos = keyEnd + skip(m[keyEnd:])
	}
	panic("tupleupdate: map value not found in its parent")
}
