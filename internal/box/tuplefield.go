package box

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// fieldU32 is tuple_field_u32 (fieldno is 0-based).
func fieldU32(t *memtx.Tuple, fieldno int, _ string) (uint32, error) {
	f := t.Field(fieldno)
	if f == nil {
		return 0, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, fieldno+1)
	}
	if msgpack.TypeOf(f) == msgpack.Uint {
		if v, _, err := msgpack.ReadUint(f); err == nil && v <= 0xffffffff {
			return uint32(v), nil
		}
	}
	return 0, boxerr.New(boxerr.ER_FIELD_TYPE, itoa(uint32(fieldno+1)), "unsigned")
}

// fieldStr is tuple_field_str.
func fieldStr(t *memtx.Tuple, fieldno int, _ string) (string, error) {
	f := t.Field(fieldno)
	if f == nil {
		return "", boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, fieldno+1)
	}
	if msgpack.TypeOf(f) == msgpack.Str {
		if v, _, err := msgpack.ReadString(f); err == nil {
			return v, nil
		}
	}
	return "", boxerr.New(boxerr.ER_FIELD_TYPE, itoa(uint32(fieldno+1)), "string")
}

// fieldTyped returns the raw field if it has the msgpack type want
// (tuple_field_with_type).
func fieldTyped(t *memtx.Tuple, fieldno int, want msgpack.Type, typeName string) ([]byte, error) {
	f := t.Field(fieldno)
	if f == nil {
		return nil, boxerr.New(boxerr.ER_NO_SUCH_FIELD_NO, fieldno+1)
	}
	if msgpack.TypeOf(f) != want {
		return nil, boxerr.New(boxerr.ER_FIELD_TYPE, itoa(uint32(fieldno+1)), typeName)
	}
	return f, nil
}

// checkIdentifier is identifier_check: printable UTF-8, not empty.
func checkIdentifier(name string) error {
	ok := name != "" && utf8.ValidString(name)
	for _, r := range name {
		if !ok {
			break
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || !(unicode.IsPrint(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)) {
			ok = false
		}
	}
	if !ok {
		return boxerr.New(boxerr.ER_IDENTIFIER, name)
	}
	return nil
}

func keyU32(v uint32) []byte {
	return msgpack.AppendUint(msgpack.AppendArrayHeader(nil, 1), uint64(v))
}

// forEach visits every tuple of sp in primary-key order.
func forEach(sp *Space, fn func(*memtx.Tuple)) {
	pk := sp.Primary()
	if pk == nil {
		return
	}
	it, err := pk.Iterator(memtx.IterALL, emptyKey)
	if err != nil {
		return
	}
	for t := it.Next(); t != nil; t = it.Next() {
		fn(t)
	}
}

var emptyKey = []byte{0x90}

// mapEntries walks a msgpack map with string keys, calling fn with each
// key and raw value. Non-string keys produce keyErr.
func mapEntries(m []byte, keyErr func() error, fn func(key string, val []byte) error) error {
	n, pos, err := msgpack.ReadMapHeader(m)
	if err != nil {
		return boxerr.New(boxerr.ER_INVALID_MSGPACK, "map")
	}
	for i := uint32(0); i < n; i++ {
		if msgpack.TypeOf(m[pos:]) != msgpack.Str {
			return keyErr()
		}
		k, sz, err := msgpack.ReadString(m[pos:])
		if err != nil {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "map key")
		}
		pos += sz
		vs, err := msgpack.Skip(m[pos:])
		if err != nil {
			return boxerr.New(boxerr.ER_INVALID_MSGPACK, "map value")
		}
		if err := fn(k, m[pos:pos+vs]); err != nil {
			return err
		}
		pos += vs
	}
	return nil
}
