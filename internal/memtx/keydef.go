package memtx

import (
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// KeyPart is one part of an index key: which field, of what type.
type KeyPart struct {
	FieldNo    uint32 // 0-based
	Type       FieldType
	IsNullable bool
	Collation  string // "" (binary), "unicode" or "unicode_ci"
}

// KeyDef is the ordered list of parts an index is keyed by.
type KeyDef struct{ Parts []KeyPart }

// ValidateKey checks a msgpack key array against the key definition as
// Tarantool's key_validate_parts does. With exact set (Get, exact-match
// lookups) the key must have every part and no part may be nil; otherwise
// it may be a prefix of any length and nil is accepted for nullable parts.
// It returns the key's part count. Errors: ER_TUPLE_NOT_ARRAY,
// ER_INVALID_MSGPACK, ER_EXACT_MATCH, ER_KEY_PART_COUNT, ER_KEY_PART_TYPE
// (whose part number Tarantool prints 0-based).
func (kd *KeyDef) ValidateKey(key []byte, exact bool) (partCount int, err error) {
	n, body, err := keyHeader(key)
	if err != nil {
		return 0, err
	}
	if exact {
		if n != uint32(len(kd.Parts)) {
			return 0, boxerr.New(boxerr.ER_EXACT_MATCH, len(kd.Parts), n)
		}
	} else if n > uint32(len(kd.Parts)) {
		return 0, boxerr.New(boxerr.ER_KEY_PART_COUNT, len(kd.Parts), n)
	}
	if err := kd.validateParts(body, n, !exact); err != nil {
		return 0, err
	}
	return int(n), nil
}

// keyHeader decodes a key's array header and returns the part count and the
// bytes of the parts. Bytes after the array are ignored.
func keyHeader(key []byte) (uint32, []byte, error) {
	if len(key) == 0 {
		return 0, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "key")
	}
	if msgpack.TypeOf(key) != msgpack.Array {
		return 0, nil, boxerr.New(boxerr.ER_TUPLE_NOT_ARRAY)
	}
	n, h, err := msgpack.ReadArrayHeader(key)
	if err != nil {
		return 0, nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "key")
	}
	return n, key[h:], nil
}

// validateParts checks the types of the first n key parts in body.
func (kd *KeyDef) validateParts(body []byte, n uint32, allowNullable bool) error {
	for i := uint32(0); i < n; i++ {
		sz, err := msgpack.Skip(body)
		if err != nil {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "key")
		}
		p := &kd.Parts[i]
		if !valueMatches(p.Type, body[:sz], p.IsNullable && allowNullable) {
			return boxerr.New(boxerr.ER_KEY_PART_TYPE, i, p.Type.String())
		}
		body = body[sz:]
	}
	return nil
}

// ExtractKey returns a msgpack array of t's values of the key parts, nil
// for absent fields.
func (kd *KeyDef) ExtractKey(t *Tuple) []byte {
	out := msgpack.AppendArrayHeader(nil, uint32(len(kd.Parts)))
	for _, p := range kd.Parts {
		out = append(out, fieldValue(t, p.FieldNo)...)
	}
	return out
}

// CompareTuples compares two tuples by the key parts (no primary key
// tie-break): <0, 0, >0.
func (kd *KeyDef) CompareTuples(a, b *Tuple) int {
	cd, err := newCmpDef(kd.Parts, len(kd.Parts), false)
	if err != nil {
		// Unknown collation: fall back to binary string order; the
		// definition could not have produced an index anyway.
		cd = binaryCmpDef(kd.Parts)
	}
	return cd.compareTuples(a, b)
}

// fieldValue returns the single msgpack value of a field, mpNil if absent.
func fieldValue(t *Tuple, fieldno uint32) []byte {
	b := t.field(fieldno)
	if b == nil {
		return mpNil
	}
	n, err := msgpack.Skip(b)
	if err != nil {
		return mpNil
	}
	return b[:n]
}

// cmpPart is a key part prepared for comparisons.
type cmpPart struct {
	fieldNo  uint32
	typ      FieldType
	nullable bool
	coll     *collator
}

// cmpDef is the comparison definition of an index (Tarantool's cmp_def):
// the index's key parts followed by the primary key parts the key lacks.
//
// Invariant: ordering by cmpDef is total over the tuples of one space
// (ties are broken by the primary key), so a B-tree keyed by it holds each
// tuple once.
type cmpDef struct {
	parts []cmpPart
	// keyParts is how many of parts come from the index's own key def;
	// search keys never have more.
	keyParts int
	// unique: tuples equal on the key parts compare equal, unless one of
	// those parts is nil (a unique nullable index admits many nils, which
	// the primary key parts then order).
	unique bool
	// sequential: field numbers never decrease along parts, so a tuple's
	// fields can be read in one forward pass.
	sequential bool
	// exact: one unsigned or integer part, hinted by exactIntHint, so
	// equal exact hints mean equal keys (exactHint).
	exact bool
}

func newCmpDef(parts []KeyPart, keyParts int, unique bool) (*cmpDef, error) {
	cd := &cmpDef{parts: make([]cmpPart, len(parts)), keyParts: keyParts, unique: unique, sequential: true}
	for i, p := range parts {
		c, err := newCollator(p.Collation)
		if err != nil {
			return nil, err
		}
		cd.parts[i] = cmpPart{fieldNo: p.FieldNo, typ: p.Type, nullable: p.IsNullable, coll: c}
		if i > 0 && p.FieldNo < parts[i-1].FieldNo {
			cd.sequential = false
		}
	}
	cd.exact = len(parts) == 1 && (parts[0].Type == FieldUnsigned || parts[0].Type == FieldInteger)
	return cd, nil
}

func binaryCmpDef(parts []KeyPart) *cmpDef {
	bin := make([]KeyPart, len(parts))
	copy(bin, parts)
	for i := range bin {
		bin[i].Collation = ""
	}
	cd, _ := newCmpDef(bin, len(bin), false)
	return cd
}

// extendWithPrimary appends the primary key parts that key does not already
// cover, giving a secondary index's cmp_def.
func extendWithPrimary(key, primary []KeyPart) []KeyPart {
	out := append([]KeyPart(nil), key...)
next:
	for _, p := range primary {
		for _, k := range key {
			if k.FieldNo == p.FieldNo {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// fieldCursor walks a tuple's fields forward so that sequential key defs
// read each field once.
type fieldCursor struct {
	rest []byte
	next uint32
	n    uint32
}

// init starts the walk over t. n is the header's count as it is, so
// that init inlines into the comparators: countInData for a tuple of that
// many fields or more, where at finds the end by the bytes running out.
func (c *fieldCursor) init(t *Tuple) {
	c.rest = t.data()[t.bodyOff:]
	c.next = 0
	c.n = uint32(t.count)
}

// at returns field i (i >= the previous call's i) or nil when absent.
func (c *fieldCursor) at(i uint32) []byte {
	if i >= c.n && c.n != countInData {
		return nil
	}
	for c.next < i {
		sz, err := msgpack.Skip(c.rest)
		if err != nil {
			c.n = 0
			return nil
		}
		c.rest = c.rest[sz:]
		c.next++
	}
	if len(c.rest) == 0 {
		return nil // past the last field of a wide tuple
	}
	return c.rest
}

// compareTuples orders two stored tuples.
func (cd *cmpDef) compareTuples(a, b *Tuple) int {
	if cd.sequential {
		var ca, cb fieldCursor
		ca.init(a)
		cb.init(b)
		sawNil := false
		for i := range cd.parts {
			p := &cd.parts[i]
			if i == cd.keyParts && cd.unique && !sawNil {
				return 0
			}
			va, vb := ca.at(p.fieldNo), cb.at(p.fieldNo)
			if c := compareValues(p.typ, p.coll, va, vb); c != 0 {
				return c
			}
			if p.nullable && classOf(va) == classNil {
				sawNil = true
			}
		}
		return 0
	}
	sawNil := false
	for i := range cd.parts {
		p := &cd.parts[i]
		if i == cd.keyParts && cd.unique && !sawNil {
			return 0
		}
		va, vb := a.field(p.fieldNo), b.field(p.fieldNo)
		if c := compareValues(p.typ, p.coll, va, vb); c != 0 {
			return c
		}
		if p.nullable && classOf(va) == classNil {
			sawNil = true
		}
	}
	return 0
}

// compareKey compares a search key (its parts' bytes and count, count <=
// keyParts) with a tuple's key prefix: 0 means the tuple's first count key
// parts equal the key.
func (cd *cmpDef) compareKey(key []byte, count uint32, t *Tuple) int {
	var c fieldCursor
	c.init(t)
	for i := uint32(0); i < count; i++ {
		p := &cd.parts[i]
		var v []byte
		if cd.sequential {
			v = c.at(p.fieldNo)
		} else {
			v = t.field(p.fieldNo)
		}
		if r := compareValues(p.typ, p.coll, key, v); r != 0 {
			return r
		}
		sz, err := msgpack.Skip(key)
		if err != nil {
			return 0
		}
		key = key[sz:]
	}
	return 0
}

// compare orders any two B-tree items, one of which may be a search pivot.
func (cd *cmpDef) compare(a, b *Tuple) int {
	switch {
	case a.pivot != notPivot:
		return cd.comparePivot(a, b)
	case b.pivot != notPivot:
		return -cd.comparePivot(b, a)
	}
	return cd.compareTuples(a, b)
}

func (cd *cmpDef) comparePivot(p, t *Tuple) int {
	if c := cd.compareKey(p.data(), p.fieldCount(), t); c != 0 {
		return c
	}
	switch p.pivot {
	case pivotLow:
		return -1
	case pivotHigh:
		return 1
	}
	return 0
}
