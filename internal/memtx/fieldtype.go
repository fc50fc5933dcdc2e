package memtx

import (
	"strings"

	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// FieldType is the type of a tuple field as a space format or an index part
// declares it, with Tarantool 2.6's names. The numeric order matches
// Tarantool's enum field_type minus uuid, which Spindle does not support
// yet.
type FieldType uint8

// Field types.
const (
	FieldAny FieldType = iota
	FieldUnsigned
	FieldString
	FieldNumber
	FieldDouble
	FieldInteger
	FieldBoolean
	FieldVarbinary
	FieldScalar
	FieldDecimal
	FieldArray
	FieldMap
	fieldTypeMax
)

var fieldTypeNames = [fieldTypeMax]string{
	"any", "unsigned", "string", "number", "double", "integer",
	"boolean", "varbinary", "scalar", "decimal", "array", "map",
}

// String returns Tarantool's name of the type, as error messages print it.
func (t FieldType) String() string {
	if t < fieldTypeMax {
		return fieldTypeNames[t]
	}
	return "unknown"
}

// ParseFieldType maps a type name from a space format or an index part to a
// FieldType. Besides the canonical names it accepts what 2.6's schema
// accepts: the deprecated "num"/"str" (any case), the Lua-side aliases
// "uint" and "int", and "*" for any.
func ParseFieldType(name string) (FieldType, bool) {
	// 2.6 matches type names case-insensitively ({'a', 'UNSIGNED'} is a
	// valid format) and stores them as given.
	for i, n := range fieldTypeNames {
		if strings.EqualFold(n, name) {
			return FieldType(i), true
		}
	}
	switch {
	case strings.EqualFold(name, "num"), name == "uint":
		return FieldUnsigned, true
	case strings.EqualFold(name, "str"):
		return FieldString, true
	case name == "int":
		return FieldInteger, true
	case name == "*":
		return FieldAny, true
	}
	return 0, false
}

// mpMask is a set of msgpack.Type values.
type mpMask uint32

func mpBit(t msgpack.Type) mpMask { return 1 << t }

var numberMask = mpBit(msgpack.Uint) | mpBit(msgpack.Int) | mpBit(msgpack.Float) | mpBit(msgpack.Double)

// fieldMPTypes lists the msgpack types each field type stores (Tarantool's
// field_mp_type). Extension values are handled separately by extAllowed.
var fieldMPTypes = [fieldTypeMax]mpMask{
	FieldAny:       ^mpMask(0) &^ mpBit(msgpack.Ext),
	FieldUnsigned:  mpBit(msgpack.Uint),
	FieldString:    mpBit(msgpack.Str),
	FieldNumber:    numberMask,
	FieldDouble:    mpBit(msgpack.Double),
	FieldInteger:   mpBit(msgpack.Uint) | mpBit(msgpack.Int),
	FieldBoolean:   mpBit(msgpack.Bool),
	FieldVarbinary: mpBit(msgpack.Bin),
	FieldScalar:    numberMask | mpBit(msgpack.Str) | mpBit(msgpack.Bin) | mpBit(msgpack.Bool),
	FieldDecimal:   0, // MP_DECIMAL only, an extension
	FieldArray:     mpBit(msgpack.Array),
	FieldMap:       mpBit(msgpack.Map),
}

// extAllowed reports whether a field of type t stores an extension value of
// extension type ext (Tarantool's field_ext_type): "any" holds every known
// extension (1..31: decimal, uuid, error), number, scalar and decimal hold
// decimals.
func extAllowed(t FieldType, ext int8) bool {
	switch t {
	case FieldAny:
		return ext > 0 && ext < 32
	case FieldNumber, FieldScalar, FieldDecimal:
		return ext == decimal.MPDecimal
	}
	return false
}

// valueMatches reports whether the msgpack value at the start of v is
// storable in a field of type t (Tarantool's field_mp_type_is_compatible).
// v must hold at least one complete value.
func valueMatches(t FieldType, v []byte, nullable bool) bool {
	mt := msgpack.TypeOf(v)
	switch mt {
	case msgpack.Invalid:
		return false
	case msgpack.Nil:
		if nullable {
			return true
		}
	case msgpack.Ext:
		typ, data, _, err := msgpack.ReadExt(v)
		if err != nil || !extAllowed(t, typ) {
			return false
		}
		// A decimal a typed field holds must decode: indexes compare
		// it. (2.6 checks the extension type only and then decodes
		// whatever the bytes are; a field of type any stays unchecked.)
		if typ == decimal.MPDecimal && t != FieldAny {
			_, err := decimal.Unpack(data)
			return err == nil
		}
		return true
	}
	return fieldMPTypes[t]&mpBit(mt) != 0
}

// typeContains reports whether every value of type b is also a value of type
// a (Tarantool's field_type1_contains_type2): the stricter of two types
// wins when a format and an index both describe a field.
func typeContains(a, b FieldType) bool {
	if a == b || a == FieldAny {
		return true
	}
	switch b {
	case FieldUnsigned:
		return a == FieldNumber || a == FieldInteger || a == FieldScalar
	case FieldInteger, FieldDouble:
		return a == FieldNumber || a == FieldScalar
	case FieldString, FieldNumber, FieldBoolean, FieldVarbinary:
		return a == FieldScalar
	case FieldDecimal:
		return a == FieldNumber || a == FieldScalar
	}
	return false
}

// indexable reports whether TREE and HASH indexes accept parts of type t.
func indexable(t FieldType) bool {
	return t > FieldAny && t < FieldArray
}
