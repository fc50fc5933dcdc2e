package memtx

// ValueComparator compares field values as an index part of one type
// and collation orders them (tuple_compare's field comparators), for
// code that compares values outside an index (the key_def module).
type ValueComparator struct {
	typ  FieldType
	coll *collator
}

// NewValueComparator returns the comparator of type t under collation
// ("" binary); ER_NO_SUCH_COLLATION for a collation memtx does not have.
func NewValueComparator(t FieldType, collation string) (*ValueComparator, error) {
	c, err := newCollator(collation)
	if err != nil {
		return nil, err
	}
	return &ValueComparator{typ: t, coll: c}, nil
}

// Compare orders two MessagePack values (nil or absent values first):
// <0, 0, >0. Like the comparators of indexes, it is not safe for
// concurrent use under a collation.
func (c *ValueComparator) Compare(a, b []byte) int { return compareValues(c.typ, c.coll, a, b) }

// Accepts reports whether the MessagePack value v is of type t, nil
// counting only when nullable (key_part_validate's check).
func (t FieldType) Accepts(v []byte, nullable bool) bool { return valueMatches(t, v, nullable) }
