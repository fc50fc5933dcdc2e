package tupleupdate

import (
	"bytes"
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// MaxOps is Tarantool's BOX_UPDATE_OP_CNT_MAX: the largest number of
// operations one request may carry.
const MaxOps = 4000

// tupleIndexBase is TUPLE_INDEX_BASE: field numbers in messages and JSON
// path indexes are always 1-based, whatever the request's index base.
const tupleIndexBase = 1

// opKind selects the argument reader, executor and argument count of an
// operation (Tarantool's xrow_update_op_meta).
type opKind uint8

const (
	kindSet opKind = iota
	kindInsert
	kindArith
	kindBit
	kindSplice
	kindDelete
)

// argCount is the array length of each kind, the opcode included.
var argCount = [...]uint32{kindSet: 3, kindInsert: 3, kindArith: 3, kindBit: 3, kindSplice: 5, kindDelete: 3}

// op is one decoded operation and, once executed, its result: scalar
// operations keep their computed value here until the tuple is stored.
type op struct {
	kind   opKind
	opcode byte

	// Addressing. fieldNo and key hold the current path token: the
	// field number for a numeric token, the key for a string one.
	tokenType     tokenType
	tokenConsumed bool
	fieldNo       int32
	key           []byte
	lex           lexer // lex.src == nil for a numeric field id

	// Arguments.
	value    []byte // '=' and '!': one MessagePack value, aliases ops
	delCount uint32
	arith    arithVal
	bit      uint64
	splice   spliceArg

	// newFieldLen is an upper bound of the stored size of a scalar
	// result (a float result is accounted as a double, as Tarantool does).
	newFieldLen int
}

// isTerm reports whether the operation applies at the current node: its
// path is fully consumed.
func (o *op) isTerm() bool { return o.lex.eof() }

// fieldStr is how error messages name the field of o: the quoted path or
// field name when one was given, otherwise the 1-based field number (a
// negative number as it was given).
func (o *op) fieldStr() string {
	if o.lex.src != nil {
		return "'" + cstr(o.lex.src) + "'"
	}
	if o.fieldNo >= 0 {
		return fmt.Sprint(o.fieldNo + tupleIndexBase)
	}
	return fmt.Sprint(o.fieldNo)
}

// cstr cuts b at the first NUL, as C's "%.*s" prints it.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func (o *op) errArgType(needed string) error {
	return boxerr.New(boxerr.ER_UPDATE_ARG_TYPE, o.opcode, o.fieldStr(), needed)
}

func (o *op) errIntOverflow() error {
	return boxerr.New(boxerr.ER_UPDATE_INTEGER_OVERFLOW, o.opcode, o.fieldStr())
}

func (o *op) errDecimalOverflow() error {
	return boxerr.New(boxerr.ER_UPDATE_DECIMAL_OVERFLOW, o.opcode, o.fieldStr())
}

func (o *op) errSpliceBound() error {
	return boxerr.New(boxerr.ER_UPDATE_SPLICE, o.fieldStr(), "offset is out of bound")
}

func (o *op) errNoSuchField() error {
	if o.lex.src == nil {
		n := o.fieldNo
		if n >= 0 {
			n += tupleIndexBase
		}
		return boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, n)
	}
	return boxerr.New(boxerr.ER_NO_SUCH_FIELD_NAME, o.fieldStr())
}

func (o *op) err(reason string) error {
	return boxerr.New(boxerr.ER_UPDATE_FIELD, o.fieldStr(), reason)
}

func (o *op) errDouble() error    { return o.err("double update of the same field") }
func (o *op) errDelete1() error   { return o.err("can delete only 1 field from a map in a row") }
func (o *op) errDuplicate() error { return o.err("the key exists already") }
func (o *op) errBadJSON(pos int) error {
	return o.err(fmt.Sprintf("invalid JSON in position %d", pos))
}

func illegal(msg string) error { return boxerr.New(boxerr.ER_ILLEGAL_PARAMS, msg) }

// nextToken fetches the next path token to choose a child of the current
// array or map; the end of the path here means the path named a field
// that does not exist below.
func (o *op) nextToken() error {
	t, rc := o.lex.next()
	if rc != 0 {
		return o.errBadJSON(rc)
	}
	if t.typ == tokenEnd {
		return o.errNoSuchField()
	}
	o.tokenConsumed = false
	o.tokenType = t.typ
	o.key = t.str
	o.fieldNo = t.num
	return nil
}

// readInt32 reads an integer that fits int32 (msgpuck's mp_read_int32).
func readInt32(b []byte) (int32, int, bool) {
	switch msgpack.TypeOf(b) {
	case msgpack.Uint, msgpack.Int:
	default:
		return 0, 0, false
	}
	u, i, neg, n, err := msgpack.ReadInteger(b)
	if err != nil {
		return 0, 0, false
	}
	if neg {
		if i < -1<<31 {
			return 0, 0, false
		}
		return int32(i), n, true
	}
	if u > 1<<31-1 {
		return 0, 0, false
	}
	return int32(u), n, true
}

// skip returns the size of the value at the start of b, which the caller
// has validated.
func skip(b []byte) int {
	n, err := msgpack.Skip(b)
	if err != nil {
		panic("tupleupdate: skip over unvalidated MessagePack")
	}
	return n
}

// decodeOp decodes operation number opNum (1-based) from the start of b
// and returns the bytes consumed. b holds validated MessagePack.
func decodeOp(o *op, opNum int, indexBase int, names FieldResolver, b []byte) (int, error) {
	if msgpack.TypeOf(b) != msgpack.Array {
		return 0, illegal("update operation must be an array {op,..}")
	}
	count, pos, _ := msgpack.ReadArrayHeader(b)
	if count < 1 {
		return 0, illegal("update operation must be an array {op,..}, got empty array")
	}
	if msgpack.TypeOf(b[pos:]) != msgpack.Str {
		return 0, illegal("update operation name must be a string")
	}
	name, n, _ := msgpack.ReadStr(b[pos:])
	pos += n
	kind, ok := opKindOf(name)
	if !ok {
		return 0, boxerr.New(boxerr.ER_UNKNOWN_UPDATE_OP, opNum, `"`+cstr(name)+`"`)
	}
	o.kind, o.opcode = kind, name[0]
	if count != argCount[kind] {
		return 0, boxerr.New(boxerr.ER_UNKNOWN_UPDATE_OP, opNum,
			fmt.Sprintf("wrong number of arguments, expected %d, got %d", argCount[kind], count))
	}
	// The first token is always a field number: a field name is
	// resolved to one through the space format.
	o.tokenType = tokenNum
	o.tokenConsumed = false
	switch msgpack.TypeOf(b[pos:]) {
	case msgpack.Uint, msgpack.Int:
		o.lex = lexer{}
		fieldNo, n, ok := readInt32(b[pos:])
		if !ok {
			// Tarantool prints whatever field number the
			// operation slot held; a fresh slot holds 0.
			o.fieldNo = 0
			return 0, o.errArgType("an integer")
		}
		pos += n
		switch {
		case int64(fieldNo)-int64(indexBase) >= 0:
			o.fieldNo = fieldNo - int32(indexBase)
		case fieldNo < 0:
			o.fieldNo = fieldNo
		default:
			return 0, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, fieldNo)
		}
	case msgpack.Str:
		path, n, _ := msgpack.ReadStr(b[pos:])
		pos += n
		o.lex = lexer{src: path}
		if o.lex.src == nil {
			o.lex.src = b[pos:pos] // an empty path is still a path
		}
		if fieldNo, ok := resolve(names, path); ok {
			o.fieldNo = fieldNo
			o.lex.offset = len(path)
			break
		}
		t, rc := o.lex.next()
		if rc != 0 {
			return 0, o.errBadJSON(rc)
		}
		switch t.typ {
		case tokenNum:
			o.fieldNo = t.num
		case tokenStr:
			if fieldNo, ok := resolve(names, t.str); ok {
				o.fieldNo = fieldNo
				break
			}
			return 0, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NAME, cstr(path))
		default:
			return 0, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NAME, cstr(path))
		}
	default:
		return 0, illegal("field id must be a number or a string")
	}
	n, err := o.readArg(b[pos:], indexBase)
	return pos + n, err
}

func resolve(names FieldResolver, name []byte) (int32, bool) {
	if names == nil {
		return 0, false
	}
	no, ok := names(string(name))
	if !ok || no < 0 || no > 1<<31-1 {
		return 0, false
	}
	return int32(no), true
}

func opKindOf(name []byte) (opKind, bool) {
	if len(name) != 1 {
		return 0, false
	}
	switch name[0] {
	case '=':
		return kindSet, true
	case '!':
		return kindInsert, true
	case '+', '-':
		return kindArith, true
	case '&', '|', '^':
		return kindBit, true
	case ':':
		return kindSplice, true
	case '#':
		return kindDelete, true
	}
	return 0, false
}

// readArg reads the arguments after the field id.
func (o *op) readArg(b []byte, indexBase int) (int, error) {
	switch o.kind {
	case kindSet, kindInsert:
		n := skip(b)
		o.value = b[:n]
		return n, nil
	case kindDelete:
		if msgpack.TypeOf(b) != msgpack.Uint {
			return 0, o.errArgType("a positive integer")
		}
		u, n, _ := msgpack.ReadUint(b)
		o.delCount = uint32(u) // Tarantool truncates to 32 bits
		if o.delCount == 0 {
			return 0, o.err("cannot delete 0 fields")
		}
		return n, nil
	case kindArith:
		v, n, err := o.readArith(b)
		o.arith = v
		return n, err
	case kindBit:
		if msgpack.TypeOf(b) != msgpack.Uint {
			return 0, o.errArgType("a positive integer")
		}
		u, n, _ := msgpack.ReadUint(b)
		o.bit = u
		return n, nil
	default: // kindSplice
		s := &o.splice
		off, n, ok := readInt32(b)
		if !ok {
			return 0, o.errArgType("an integer")
		}
		pos := n
		if off >= 0 {
			if int64(off)-int64(indexBase) < 0 {
				return 0, o.errSpliceBound()
			}
			off -= int32(indexBase)
		}
		s.offset = off
		cut, n, ok := readInt32(b[pos:])
		if !ok {
			return 0, o.errArgType("an integer")
		}
		pos += n
		s.cutLength = cut
		if msgpack.TypeOf(b[pos:]) != msgpack.Str {
			return 0, o.errArgType("a string")
		}
		paste, n, _ := msgpack.ReadStr(b[pos:])
		s.paste = paste
		return pos + n, nil
	}
}
