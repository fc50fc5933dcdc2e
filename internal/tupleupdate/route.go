package tupleupdate

import (
	"bytes"

	"github.com/spindledb/spindle/internal/msgpack"
)

// routeBranch splits the bar or route f where the path of the new
// operation o leaves it. The common prefix stays in f as a route (or f
// itself becomes the array/map when there is no common prefix); the old
// subtree becomes one child of the array/map at the branching point, and
// that array/map is returned for o to be applied to.
func routeBranch(f *field, o *op) (*field, error) {
	var oldPath []byte
	if f.typ == fieldBar {
		oldPath = f.bar.path
	} else {
		oldPath = f.route.path
	}
	oldLex := lexer{src: oldPath}
	parent := f.data
	var oldTok, newTok token
	var savedOldOffset int
	for {
		savedOldOffset = oldLex.offset
		oldTok, _ = oldLex.next() // validated when the old op ran
		var rc int
		newTok, rc = o.lex.next()
		if rc != 0 {
			return nil, o.errBadJSON(rc)
		}
		if !oldTok.equal(newTok) {
			break
		}
		var ok bool
		switch newTok.typ {
		case tokenNum:
			parent, ok = goToIndex(parent, newTok.num)
		case tokenStr:
			parent, ok = goToKey(parent, newTok.str)
		default:
			// Both paths ended: the same field again.
			return nil, o.errDouble()
		}
		if !ok {
			// The old operation created this step ('!' or
			// '=' of a new key or element), so the original
			// data does not have it. Tarantool walks on
			// through undefined memory here.
			return nil, o.errNoSuchField()
		}
	}
	typ := msgpack.TypeOf(parent)
	transformRoot := savedOldOffset == 0
	next := f
	if !transformRoot {
		next = new(field)
	}
	pathOffset := oldLex.offset
	child := *f
	if child.typ == fieldRoute {
		child.route.path = child.route.path[pathOffset:]
		if len(child.route.path) == 0 {
			child = *child.route.next
		}
	} else {
		// A bar path may become empty here; that is fine for a
		// scalar bar, and '!'/'#' bars are re-applied below.
		child.bar.path = child.bar.path[pathOffset:]
	}
	switch typ {
	case msgpack.Array:
		if newTok.typ != tokenNum {
			return nil, o.err("can not update array by non-integer index")
		}
		o.tokenConsumed = false
		o.tokenType = tokenNum
		o.fieldNo = newTok.num
		if err := branchArray(next, parent, &child, oldTok.num); err != nil {
			return nil, err
		}
	case msgpack.Map:
		if newTok.typ != tokenStr {
			return nil, o.err("can not update map by non-string key")
		}
		o.tokenConsumed = false
		o.tokenType = tokenStr
		o.key = newTok.str
		if err := branchMap(next, parent, &child, oldTok.str); err != nil {
			return nil, err
		}
	default:
		return nil, o.errNoSuchField()
	}
	if !transformRoot {
		f.typ = fieldRoute
		f.route = route{path: oldPath[:savedOldOffset], next: next}
	}
	return next, nil
}

// reapplicable reports whether child is a leaf bar of '!' or '#': such an
// operation changes its parent's header and neighbours, so it cannot be
// moved under a new parent and has to be executed again there.
func reapplicable(child *field) bool {
	return child.typ == fieldBar && len(child.bar.path) == 0 &&
		(child.op.opcode == '!' || child.op.opcode == '#')
}

func branchArray(next *field, parent []byte, child *field, fieldNo int32) error {
	if !reapplicable(child) {
		newArrayFieldWithChild(next, parent, child, fieldNo)
		return nil
	}
	o := child.op
	o.tokenConsumed = false
	o.tokenType = tokenNum
	o.fieldNo = fieldNo
	newArrayField(next, parent[:skip(parent)])
	return doField(o, next)
}

func branchMap(next *field, parent []byte, child *field, key []byte) error {
	if !reapplicable(child) {
		newMapFieldWithChild(next, parent, child, key)
		return nil
	}
	o := child.op
	o.tokenConsumed = false
	o.tokenType = tokenStr
	o.key = key
	newMapField(next, parent[:skip(parent)])
	return doField(o, next)
}

// doRoute follows a route: when o's path starts with the route's path
// the subtree is entered with no decoding, otherwise the route branches.
func doRoute(o *op, f *field) error {
	rest := o.lex.src[o.lex.offset:]
	var next *field
	if bytes.HasPrefix(rest, f.route.path) {
		o.lex.offset += len(f.route.path)
		next = f.route.next
	} else {
		var err error
		if next, err = routeBranch(f, o); err != nil {
			return err
		}
	}
	return doField(o, next)
}
