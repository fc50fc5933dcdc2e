package tupleupdate

import (
	"bytes"
	"math"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// updateCase is one update with its expected outcome. Every message and
// every base-1 result below was observed from Tarantool 2.6.0 (the
// differential test re-checks the base-1 cases against the binary when
// it is installed).
type updateCase struct {
	name  string
	tuple []byte
	ops   []any
	base0 bool // index base 0 (IPROTO) instead of 1 (Lua)
	want  []byte
	code  boxerr.Code
	msg   string
}

func (c updateCase) indexBase() int {
	if c.base0 {
		return 0
	}
	return 1
}

var t3 = arr(1, 2, "abc") // [1, 2, 'abc']

var updateCases = []updateCase{
	// Arithmetic.
	{name: "add", tuple: t3, ops: []any{[]any{"+", 2, 5}}, want: arr(1, 7, "abc")},
	{name: "sub to negative", tuple: t3, ops: []any{[]any{"-", 2, 5}}, want: arr(1, -3, "abc")},
	{name: "add negative field no", tuple: t3, ops: []any{[]any{"+", -2, 1}}, want: arr(1, 3, "abc")},
	{name: "add by name", tuple: t3, ops: []any{[]any{"+", "b", 1}}, want: arr(1, 3, "abc")},
	{name: "add by path", tuple: t3, ops: []any{[]any{"+", "[2]", 1}}, want: arr(1, 3, "abc")},
	{name: "add double", tuple: t3, ops: []any{[]any{"+", 2, 0.5}}, want: arr(1, float32(2.5), "abc")},
	{name: "add double inexact", tuple: t3, ops: []any{[]any{"+", 2, 0.1}}, want: arr(1, 2.1, "abc")},
	{name: "add huge double", tuple: t3, ops: []any{[]any{"+", 2, 1e100}}, want: arr(1, 1e100, "abc")},
	{name: "uint max", tuple: arr(1, 0), ops: []any{[]any{"+", 2, uint64(math.MaxUint64)}}, want: arr(1, uint64(math.MaxUint64))},
	{name: "uint overflow", tuple: arr(1, 1), ops: []any{[]any{"+", 2, uint64(math.MaxUint64)}},
		code: boxerr.ER_UPDATE_INTEGER_OVERFLOW, msg: "Integer overflow when performing '+' operation on field 2"},
	{name: "int min", tuple: arr(1, -1), ops: []any{[]any{"+", 2, int64(math.MinInt64 + 1)}}, want: arr(1, int64(math.MinInt64))},
	{name: "int underflow", tuple: arr(1, -2), ops: []any{[]any{"+", 2, int64(math.MinInt64 + 1)}},
		code: boxerr.ER_UPDATE_INTEGER_OVERFLOW, msg: "Integer overflow when performing '+' operation on field 2"},
	{name: "sub underflow", tuple: arr(1, 0), ops: []any{[]any{"-", 2, uint64(math.MaxUint64)}},
		code: boxerr.ER_UPDATE_INTEGER_OVERFLOW, msg: "Integer overflow when performing '-' operation on field 2"},
	{name: "neg plus big uint", tuple: arr(1, -5), ops: []any{[]any{"+", 2, uint64(math.MaxUint64)}}, want: arr(1, uint64(math.MaxUint64-5))},
	{name: "add to string", tuple: t3, ops: []any{[]any{"+", 3, 1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '+' on field 3 does not match field type: expected a number"},
	{name: "add string arg by name", tuple: t3, ops: []any{[]any{"+", "b", "x"}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '+' on field 'b' does not match field type: expected a number"},
	{name: "add error negative field printed positive", tuple: t3, ops: []any{[]any{"-", -1, 1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '-' on field 3 does not match field type: expected a number"},
	// Bitwise.
	{name: "and", tuple: arr(1, 6), ops: []any{[]any{"&", 2, 3}}, want: arr(1, 2)},
	{name: "or", tuple: arr(1, 6), ops: []any{[]any{"|", 2, 3}}, want: arr(1, 7)},
	{name: "xor", tuple: arr(1, 6), ops: []any{[]any{"^", 2, 3}}, want: arr(1, 5)},
	{name: "and negative arg", tuple: arr(1, 6), ops: []any{[]any{"&", 2, -1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '&' on field 2 does not match field type: expected a positive integer"},
	{name: "or negative field", tuple: arr(1, -6), ops: []any{[]any{"|", 2, 1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '|' on field 2 does not match field type: expected a positive integer"},
	{name: "xor double field", tuple: arr(1, 1.5), ops: []any{[]any{"^", 2, 1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '^' on field 2 does not match field type: expected a positive integer"},
	// Splice.
	{name: "splice middle", tuple: arr(1, "abcdef"), ops: []any{[]any{":", 2, 2, 2, "XY"}}, want: arr(1, "aXYdef")},
	{name: "splice negative offset", tuple: arr(1, "abcdef"), ops: []any{[]any{":", 2, -1, 0, "Z"}}, want: arr(1, "abcdefZ")},
	{name: "splice offset past end", tuple: arr(1, "abc"), ops: []any{[]any{":", 2, 10, 5, "Z"}}, want: arr(1, "abcZ")},
	{name: "splice negative cut", tuple: arr(1, "abcdef"), ops: []any{[]any{":", 2, 2, -2, ""}}, want: arr(1, "aef")},
	{name: "splice big negative cut", tuple: arr(1, "abcdef"), ops: []any{[]any{":", 2, 2, -20, "-"}}, want: arr(1, "a-bcdef")},
	{name: "splice -len-1", tuple: arr(1, "abc"), ops: []any{[]any{":", 2, -4, 1, "Z"}}, want: arr(1, "Zbc")},
	{name: "splice -len-2", tuple: arr(1, "abc"), ops: []any{[]any{":", 2, -5, 1, "Z"}},
		code: boxerr.ER_UPDATE_SPLICE, msg: "SPLICE error on field 2: offset is out of bound"},
	{name: "splice offset 0 base 1", tuple: arr(1, "abc"), ops: []any{[]any{":", 2, 0, 1, "Z"}},
		code: boxerr.ER_UPDATE_SPLICE, msg: "SPLICE error on field 2: offset is out of bound"},
	{name: "splice offset 0 base 0", base0: true, tuple: arr(1, "abc"), ops: []any{[]any{":", 1, 0, 1, "Z"}}, want: arr(1, "Zbc")},
	{name: "splice non-string field", tuple: t3, ops: []any{[]any{":", 2, 1, 1, "Z"}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation ':' on field 2 does not match field type: expected a string"},
	{name: "splice non-string paste", tuple: t3, ops: []any{[]any{":", 3, 1, 1, 5}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation ':' on field 3 does not match field type: expected a string"},
	{name: "splice big offset", tuple: t3, ops: []any{[]any{":", 3, 1 << 31, 1, "x"}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation ':' on field 3 does not match field type: expected an integer"},
	{name: "splice string cut", tuple: t3, ops: []any{[]any{":", 3, 1, "x", "x"}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation ':' on field 3 does not match field type: expected an integer"},
	// Insert, delete, assign.
	{name: "insert before", tuple: t3, ops: []any{[]any{"!", 2, "x"}}, want: arr(1, "x", 2, "abc")},
	{name: "insert append", tuple: t3, ops: []any{[]any{"!", 4, "x"}}, want: arr(1, 2, "abc", "x")},
	{name: "insert -1 appends", tuple: t3, ops: []any{[]any{"!", -1, "x"}}, want: arr(1, 2, "abc", "x")},
	{name: "insert -4 prepends", tuple: t3, ops: []any{[]any{"!", -4, "x"}}, want: arr("x", 1, 2, "abc")},
	{name: "insert past end", tuple: t3, ops: []any{[]any{"!", 5, "x"}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field 5 was not found in the tuple"},
	{name: "insert -5", tuple: t3, ops: []any{[]any{"!", -5, "x"}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field -5 was not found in the tuple"},
	{name: "delete one", tuple: t3, ops: []any{[]any{"#", 2, 1}}, want: arr(1, "abc")},
	{name: "delete clamps", tuple: t3, ops: []any{[]any{"#", 2, 100}}, want: arr(1)},
	{name: "delete all", tuple: t3, ops: []any{[]any{"#", 1, 3}}, want: arr()},
	{name: "delete negative", tuple: t3, ops: []any{[]any{"#", -1, 1}}, want: arr(1, 2)},
	{name: "delete zero", tuple: t3, ops: []any{[]any{"#", 2, 0}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field 2 UPDATE error: cannot delete 0 fields"},
	{name: "delete 2^32 wraps to zero", tuple: t3, ops: []any{[]any{"#", 2, uint64(1) << 32}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field 2 UPDATE error: cannot delete 0 fields"},
	{name: "delete negative count", tuple: t3, ops: []any{[]any{"#", 2, -1}},
		code: boxerr.ER_UPDATE_ARG_TYPE, msg: "Argument type in operation '#' on field 2 does not match field type: expected a positive integer"},
	{name: "delete missing", tuple: t3, ops: []any{[]any{"#", 4, 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field 4 was not found in the tuple"},
	{name: "assign", tuple: t3, ops: []any{[]any{"=", 3, []any{1, 2}}}, want: arr(1, 2, []any{1, 2})},
	{name: "assign append", tuple: t3, ops: []any{[]any{"=", 4, nil}}, want: arr(1, 2, "abc", nil)},
	{name: "assign past end", tuple: t3, ops: []any{[]any{"=", 5, 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field 5 was not found in the tuple"},
	{name: "assign base 0", base0: true, tuple: t3, ops: []any{[]any{"=", 0, "z"}}, want: arr("z", 2, "abc")},
	{name: "field 0 base 1", tuple: t3, ops: []any{[]any{"=", 0, 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field 0 was not found in the tuple"},
	{name: "missing field printed 1-based in base 0", base0: true, tuple: t3, ops: []any{[]any{"+", 5, 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NO, msg: "Field 6 was not found in the tuple"},
	{name: "empty tuple", tuple: arr(), ops: []any{[]any{"=", 1, 1}}, want: arr(1)},
	// Several operations.
	{name: "ops apply in order", tuple: t3, ops: []any{[]any{"#", 1, 1}, []any{"+", 1, 1}}, want: arr(3, "abc")},
	{name: "insert then add inserted", tuple: t3, ops: []any{[]any{"!", 2, 10}, []any{"+", 2, 1}}, want: arr(1, 11, 2, "abc")},
	{name: "double add", tuple: t3, ops: []any{[]any{"+", 2, 1}, []any{"+", 2, 1}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field 2 UPDATE error: double update of the same field"},
	{name: "assign then add", tuple: t3, ops: []any{[]any{"=", 2, 1}, []any{"+", 2, 1}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field 2 UPDATE error: double update of the same field"},
	{name: "add then assign", tuple: t3, ops: []any{[]any{"+", 2, 1}, []any{"=", 2, 7}}, want: arr(1, 7, "abc")},
	{name: "assign twice", tuple: t3, ops: []any{[]any{"=", 2, 1}, []any{"=", 2, 9}}, want: arr(1, 9, "abc")},
	{name: "decode errors first", tuple: t3, ops: []any{[]any{"+", 9, 1}, []any{"?", 2, 1}},
		code: boxerr.ER_UNKNOWN_UPDATE_OP, msg: `Unknown UPDATE operation #2: "?"`},
	// JSON paths.
	{name: "path into map", tuple: arr(1, map[string]any{"x": 1}), ops: []any{[]any{"+", "[2].x", 5}}, want: arr(1, map[string]any{"x": 6})},
	{name: "path by name", tuple: arr(1, map[string]any{"x": 1}), ops: []any{[]any{"=", "b.y", 5}}, want: arr(1, raw(mp2("y", 5, "x", 1)))},
	{name: "path into array", tuple: arr(1, []any{1, 2}), ops: []any{[]any{"!", "[2][1]", 0}}, want: arr(1, []any{0, 1, 2})},
	{name: "two paths", tuple: arr(1, map[string]any{"x": 1, "y": 2}), ops: []any{[]any{"+", "[2].x", 1}, []any{"+", "[2].y", 1}},
		want: arr(1, raw(mp2("y", 3, "x", 2)))},
	{name: "path twice", tuple: arr(1, map[string]any{"x": 1}), ops: []any{[]any{"=", "[2].x", 1}, []any{"=", "[2].x", 2}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field '[2].x' UPDATE error: double update of the same field"},
	{name: "path missing", tuple: t3, ops: []any{[]any{"+", "b.c", 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NAME, msg: "Field ''b.c'' was not found in the tuple"},
	{name: "bad json", tuple: t3, ops: []any{[]any{"+", "[1", 1}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field '[1' UPDATE error: invalid JSON in position 3"},
	{name: "map delete two", tuple: arr(1, map[string]any{"x": 1}), ops: []any{[]any{"#", "[2].x", 2}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field '[2].x' UPDATE error: can delete only 1 field from a map in a row"},
	{name: "map insert duplicate", tuple: arr(1, map[string]any{"x": 1}), ops: []any{[]any{"!", "[2].x", 2}},
		code: boxerr.ER_UPDATE_FIELD, msg: "Field '[2].x' UPDATE error: the key exists already"},
	// Names and ids.
	{name: "unknown name", tuple: t3, ops: []any{[]any{"+", "zz", 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NAME, msg: "Field 'zz' was not found in the tuple"},
	{name: "empty name", tuple: t3, ops: []any{[]any{"+", "", 1}},
		code: boxerr.ER_NO_SUCH_FIELD_NAME, msg: "Field '' was not found in the tuple"},
	{name: "field id double", tuple: t3, ops: []any{[]any{"+", 2.5, 1}},
		code: boxerr.ER_ILLEGAL_PARAMS, msg: "Illegal parameters, field id must be a number or a string"},
	{name: "field id array", tuple: t3, ops: []any{[]any{"+", []any{}, 1}},
		code: boxerr.ER_ILLEGAL_PARAMS, msg: "Illegal parameters, field id must be a number or a string"},
	// Shape of the operation list.
	{name: "unknown op", tuple: t3, ops: []any{[]any{"x", 2, 1}},
		code: boxerr.ER_UNKNOWN_UPDATE_OP, msg: `Unknown UPDATE operation #1: "x"`},
	{name: "long op name", tuple: t3, ops: []any{[]any{"++", 2, 1}},
		code: boxerr.ER_UNKNOWN_UPDATE_OP, msg: `Unknown UPDATE operation #1: "++"`},
	{name: "wrong arg count", tuple: t3, ops: []any{[]any{"+", 2}},
		code: boxerr.ER_UNKNOWN_UPDATE_OP, msg: "Unknown UPDATE operation #1: wrong number of arguments, expected 3, got 2"},
	{name: "splice arg count", tuple: t3, ops: []any{[]any{":", 3, 1, 1}},
		code: boxerr.ER_UNKNOWN_UPDATE_OP, msg: "Unknown UPDATE operation #1: wrong number of arguments, expected 5, got 4"},
	{name: "empty op", tuple: t3, ops: []any{[]any{}},
		code: boxerr.ER_ILLEGAL_PARAMS, msg: "Illegal parameters, update operation must be an array {op,..}, got empty array"},
	{name: "op not array", tuple: t3, ops: []any{5},
		code: boxerr.ER_ILLEGAL_PARAMS, msg: "Illegal parameters, update operation must be an array {op,..}"},
	{name: "op name not string", tuple: t3, ops: []any{[]any{2}},
		code: boxerr.ER_ILLEGAL_PARAMS, msg: "Illegal parameters, update operation name must be a string"},
	{name: "no ops", tuple: t3, ops: []any{}, want: t3},
}

// mp2 encodes a map with keys in the given order.
func mp2(kv ...any) []byte {
	b := msgpack.AppendMapHeader(nil, uint32(len(kv)/2))
	for _, v := range kv {
		b = msgpack.MustAppend(b, v)
	}
	return b
}

func checkResult(t *testing.T, name string, got []byte, err error, want []byte, code boxerr.Code, msg string) {
	t.Helper()
	if code != 0 {
		e := boxerr.From(err)
		if err == nil || e.Code != code || e.Message != msg {
			t.Errorf("%s: got %x, %v (code %d); want error %d %q", name, got, err, boxerr.CodeOf(err), code, msg)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: unexpected error %v", name, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %x, want %x", name, got, want)
	}
}

func TestApplyTable(t *testing.T) {
	for _, c := range updateCases {
		got, err := Apply(c.tuple, mp(c.ops), c.indexBase(), testNames)
		checkResult(t, c.name, got, err, c.want, c.code, c.msg)
		if err == nil && msgpack.Validate(got) != nil {
			t.Errorf("%s: invalid result %x", c.name, got)
		}
	}
}

func TestOpsListErrors(t *testing.T) {
	cases := []struct {
		name string
		ops  []byte
		code boxerr.Code
		msg  string
	}{
		{"not array", mp(5), boxerr.ER_ILLEGAL_PARAMS, "Illegal parameters, update operations must be an array {{op,..}, {op,..}}"},
		{"trailing bytes", append(arr(), 0x01), boxerr.ER_ILLEGAL_PARAMS, "Illegal parameters, can't unpack update operations"},
		{"truncated", []byte{0x91, 0x93}, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"empty", nil, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - packet body"},
		{"too many", tooManyOps(), boxerr.ER_ILLEGAL_PARAMS, "Illegal parameters, too many operations for update"},
	}
	for _, c := range cases {
		_, err := Apply(t3, c.ops, 1, nil)
		checkResult(t, c.name, nil, err, nil, c.code, c.msg)
		checkResult(t, c.name+" (check)", nil, CheckOps(c.ops, 1, nil), nil, c.code, c.msg)
	}
	_, err := Apply([]byte{0x93, 0x01}, arr(), 1, nil)
	checkResult(t, "bad tuple", nil, err, nil, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - tuple")
	_, err = Apply(mp(5), arr(), 1, nil)
	checkResult(t, "tuple not array", nil, err, nil, boxerr.ER_INVALID_MSGPACK, "Invalid MsgPack - tuple")
}

func tooManyOps() []byte {
	b := msgpack.AppendArrayHeader(nil, MaxOps+1)
	for i := 0; i <= MaxOps; i++ {
		b = msgpack.MustAppend(b, []any{"=", 1, 1})
	}
	return b
}

func TestCheckOps(t *testing.T) {
	// Decoding errors are found without a tuple; execution errors
	// are not.
	if err := CheckOps(mp([]any{[]any{"+", 100, "x"}}), 1, nil); boxerr.CodeOf(err) != boxerr.ER_UPDATE_ARG_TYPE {
		t.Errorf("bad argument: %v", err)
	}
	if err := CheckOps(mp([]any{[]any{"+", 100, 1}, []any{":", -1, 1, 0, ""}}), 1, nil); err != nil {
		t.Errorf("valid ops: %v", err)
	}
	if err := CheckOps(mp([]any{[]any{"=", "zz", 1}}), 0, testNames); boxerr.CodeOf(err) != boxerr.ER_NO_SUCH_FIELD_NAME {
		t.Errorf("unknown name: %v", err)
	}
}

func TestUpsertSkipsFailedOps(t *testing.T) {
	ops := mp([]any{
		[]any{"+", 3, 1},         // string field: skipped
		[]any{"+", 2, 1},         // applies
		[]any{"+", 2, 1},         // double update: skipped
		[]any{"!", 9, 1},         // no such field: skipped
		[]any{":", 3, 2, 1, "X"}, // applies
	})
	var skipped []string
	got, err := ApplyUpsertFunc(t3, ops, 1, nil, func(e *boxerr.Error) {
		skipped = append(skipped, e.Code.Name()+": "+e.Message)
	})
	checkResult(t, "upsert", got, err, arr(1, 3, "aXc"), 0, "")
	// Lines Tarantool 2.6 logged for the same upsert, after
	// "UPSERT operation failed:".
	want := []string{
		"ER_UPDATE_ARG_TYPE: Argument type in operation '+' on field 3 does not match field type: expected a number",
		"ER_UPDATE_FIELD: Field 2 UPDATE error: double update of the same field",
		"ER_NO_SUCH_FIELD_NO: Field 9 was not found in the tuple",
	}
	if len(skipped) != len(want) {
		t.Fatalf("skipped %q, want %q", skipped, want)
	}
	for i := range want {
		if skipped[i] != want[i] {
			t.Errorf("skipped[%d] = %q, want %q", i, skipped[i], want[i])
		}
	}
	// A malformed operation fails the whole upsert.
	_, err = ApplyUpsert(t3, mp([]any{[]any{"+", 2, 1}, []any{"?", 2, 1}}), 1, nil)
	checkResult(t, "upsert bad op", nil, err, nil, boxerr.ER_UNKNOWN_UPDATE_OP, `Unknown UPDATE operation #2: "?"`)
}

func TestDoubleField(t *testing.T) {
	opt := Options{IndexBase: 1, DoubleField: func(no int) bool { return no == 1 }}
	for _, ops := range [][]any{{[]any{"+", 2, 0.5}}, {[]any{"+", 2, 0.5}, []any{"!", 1, 0}}} {
		got, err := opt.Apply(arr(1, 2), mp(ops))
		want := arr(1, 2.5)
		if len(ops) == 2 {
			want = arr(0, 1, float32(2.5)) // field moved: no longer field 2
		}
		checkResult(t, "double field", got, err, want, 0, "")
	}
}
