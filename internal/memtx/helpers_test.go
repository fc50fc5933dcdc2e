package memtx

import (
	"fmt"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// mk builds a tuple from Go values; it fails the test on bad input.
func mk(t testing.TB, vals ...any) *Tuple {
	t.Helper()
	tu, err := NewTuple(msgpack.MustAppend(nil, vals))
	if err != nil {
		t.Fatalf("NewTuple(%v): %v", vals, err)
	}
	return tu
}

// key encodes a msgpack array key.
func key(vals ...any) []byte {
	if vals == nil {
		vals = []any{}
	}
	return msgpack.MustAppend(nil, vals)
}

// decode turns a tuple back into Go values for messages and comparisons.
func decode(t *Tuple) []any {
	if t == nil {
		return nil
	}
	v, _, err := msgpack.Decode(t.Data())
	if err != nil {
		panic(err)
	}
	return v.([]any)
}

// wantErr checks that err is a boxerr with the given code and message.
func wantErr(t testing.TB, err error, code boxerr.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s %q, got nil", code.Name(), msg)
	}
	e := boxerr.From(err)
	if e.Code != code || e.Message != msg {
		t.Fatalf("want %s %q, got %s %q", code.Name(), msg, e.Code.Name(), e.Message)
	}
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func part(fieldno uint32, typ FieldType) KeyPart { return KeyPart{FieldNo: fieldno, Type: typ} }

func treeDef(id uint32, name string, unique bool, parts ...KeyPart) IndexDef {
	return IndexDef{ID: id, Name: name, Type: IndexTree, Unique: unique, Key: KeyDef{Parts: parts}}
}

// collect drains an iterator into decoded tuples.
func collect(t testing.TB, it Iterator, limit int) [][]any {
	t.Helper()
	var out [][]any
	for len(out) < limit {
		tu := it.Next()
		if tu == nil {
			break
		}
		out = append(out, decode(tu))
	}
	return out
}

// fmtV formats decoded tuples compactly for comparisons.
func fmtV(v any) string { return fmt.Sprint(v) }
