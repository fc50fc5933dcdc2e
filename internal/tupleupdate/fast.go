package tupleupdate

import (
	"github.com/spindledb/spindle/internal/msgpack"
)

// fastMaxOps bounds the operations the fast path takes; its state lives
// on the stack.
const fastMaxOps = 4

// applyFast handles the most common update in one allocation: a few
// scalar operations (= + - & | ^ :) on distinct existing top-level
// fields. It only ever answers success: on anything else (an error, a
// path, '!' or '#', an append, the same field twice) it returns false
// and the general engine, which owns every error message and corner
// case, runs instead. Both give byte-identical results (see the tests).
func (opt Options) applyFast(tuple, ops []byte) ([]byte, bool) {
	if msgpack.TypeOf(ops) != msgpack.Array {
		return nil, false
	}
	count, pos, _ := msgpack.ReadArrayHeader(ops)
	if count == 0 || count > fastMaxOps {
		return nil, false
	}
	var list [fastMaxOps]op
	for i := 0; i < int(count); i++ {
		n, err := decodeOp(&list[i], i+1, opt.IndexBase, opt.Names, ops[pos:])
		if err != nil || list[i].kind == kindInsert || list[i].kind == kindDelete || !list[i].isTerm() {
			return nil, false
		}
		pos += n
	}
	if pos != len(ops) {
		return nil, false
	}
	size, h, _ := msgpack.ReadArrayHeader(tuple)
	for i := 0; i < int(count); i++ {
		o := &list[i]
		if o.fieldNo < 0 {
			if int64(o.fieldNo)+int64(size) < 0 {
				return nil, false
			}
			o.fieldNo += int32(size)
		}
		if uint32(o.fieldNo) >= size {
			return nil, false
		}
		for j := 0; j < i; j++ {
			if list[j].fieldNo == o.fieldNo {
				return nil, false
			}
		}
	}
	// Locate the changed fields in one pass.
	var start, end [fastMaxOps]int
	p := h
	found := 0
	for no := int32(0); uint32(no) < size && found < int(count); no++ {
		n := skip(tuple[p:])
		for i := 0; i < int(count); i++ {
			if list[i].fieldNo == no {
				start[i], end[i] = p, p+n
				found++
			}
		}
		p += n
	}
	outSize := len(tuple)
	for i := 0; i < int(count); i++ {
		o := &list[i]
		old := tuple[start[i]:end[i]]
		if o.kind == kindSet {
			o.newFieldLen = len(o.value)
		} else if o.doScalar(old) != nil {
			return nil, false
		}
		outSize += o.storedLen(opt.isDouble(int(o.fieldNo))) - len(old)
	}
	out := make([]byte, 0, outSize)
	out = append(out, tuple[:h]...)
	p = h
	for no := int32(0); p < len(tuple); no++ {
		i := 0
		for ; i < int(count) && list[i].fieldNo != no; i++ {
		}
		n := skip(tuple[p:])
		if i < int(count) {
			out = list[i].storeScalar(out, tuple[p:p+n], opt.isDouble(int(no)))
		} else {
			out = append(out, tuple[p:p+n]...)
		}
		p += n
	}
	return out, true
}

func (opt Options) isDouble(fieldNo int) bool {
	return opt.DoubleField != nil && opt.DoubleField(fieldNo)
}

// storedLen is the exact size storeScalar writes.
func (o *op) storedLen(asDouble bool) int {
	if o.kind == kindArith && o.arith.typ == arithFloat && !asDouble {
		return 5
	}
	return o.newFieldLen
}
