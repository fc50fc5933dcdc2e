package luabox

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/tupleupdate"
)

// tupleFormat is the field-name map of a space format, shared by every
// tuple of the space that Lua sees: a registry reference to its Lua form
// (name -> 1-based field number, [0] = the list of names), the
// environment of the tuples.
type tupleFormat struct {
	ref int
}

func (rt *Runtime) newTupleFormat(fields []memtx.FormatField) *tupleFormat {
	if len(fields) == 0 {
		return nil
	}
	f := &tupleFormat{}
	L := rt.L
	L.CreateTable(0, len(fields)+1)
	L.CreateTable(len(fields), 0)
	for i, fd := range fields {
		L.PushString(fd.Name)
		L.RawSetI(-2, i+1)
	}
	L.RawSetI(-2, 0)
	for i, fd := range fields {
		L.PushNumber(float64(i + 1))
		L.RawSetField(-2, fd.Name)
	}
	f.ref = L.Ref()
	return f
}

// release drops the Lua form (tuples already pushed keep it alive).
func (f *tupleFormat) release(L lua.State) {
	if f != nil {
		L.Unref(f.ref)
	}
}

func (f *tupleFormat) luaRef() int {
	if f == nil {
		return 0
	}
	return f.ref
}

// openTuple builds box.tuple and the tuple metatable. Field access,
// length, unpacking and serialization are C (package lua); what needs box
// (update, transform, new) is Go.
func (rt *Runtime) openTuple() {
	L := rt.L
	L.CreateTable(0, 16)
	methods := L.GetTop()
	for name, f := range map[string]lua.CFunction{
		"totable": lua.TupleToTable,
		"unpack":  lua.TupleUnpack,
		"tomap":   lua.TupleToMap,
		"bsize":   lua.TupleBsize,
		"next":    lua.TupleNext,
	} {
		L.PushCFunction(f, 0)
		L.RawSetField(methods, name)
	}
	L.SetFuncs(methods, map[string]lua.Function{
		"update":    func(L lua.State) int { return rt.tupleUpdate(L, false) },
		"upsert":    func(L lua.State) int { return rt.tupleUpdate(L, true) },
		"transform": rt.tupleTransform,
		"find":      func(L lua.State) int { return rt.tupleFind(L, false) },
		"findall":   func(L lua.State) int { return rt.tupleFind(L, true) },
		"slice":     rt.tupleSlice,
	})
	L.PushValue(methods)
	rt.tupleMethodsRef = L.Ref()

	L.CreateTable(0, 8)
	mt := L.GetTop()
	L.PushValue(methods)
	L.PushCFunction(lua.TupleIndex, 1)
	L.RawSetField(mt, "__index")
	L.PushCFunction(lua.TupleLen, 0)
	L.RawSetField(mt, "__len")
	L.PushCFunction(lua.TupleEq, 0)
	L.RawSetField(mt, "__eq")
	L.PushFunction(func(L lua.State) int {
		L.PushString(tupleString(rt.checkTuple(L, 1)))
		return 1
	})
	L.RawSetField(mt, "__tostring")
	L.PushString("tuple")
	L.RawSetField(mt, "__name")
	L.PushValue(mt)
	rt.tupleMTRef = L.Ref()
	L.PushValue(mt)
	L.SetTupleMetatable()

	// box.tuple: new, is, and every method as a function (box.tuple.totable(t)).
	L.CreateTable(0, 16)
	L.PushNil()
	for L.Next(methods) {
		L.PushValue(-2)
		L.Insert(-2)
		L.RawSet(-4)
	}
	L.PushFunction(rt.tupleNew)
	L.RawSetField(-2, "new")
	L.PushCFunction(lua.TupleIs, 0)
	L.RawSetField(-2, "is")
	L.PushRef(rt.boxRef)
	L.Insert(-2)
	L.RawSetField(-2, "tuple")
	L.SetTop(methods - 1)
}

// pushTuple pushes t with format f; nil pushes nil.
func (rt *Runtime) pushTuple(L lua.State, t *memtx.Tuple, f *tupleFormat) {
	if t == nil {
		L.PushNil()
		return
	}
	L.PushTuple(t.Data(), uint64(uintptr(unsafe.Pointer(t))), f.luaRef())
}

// checkTuple returns the MessagePack of the tuple argument n.
func (rt *Runtime) checkTuple(L lua.State, n int) []byte {
	data, ok := L.TupleData(n)
	if !ok {
		L.ArgError(n, "Usage: tuple:method()")
	}
	return data
}

// tupleFormatOf returns the format of the tuple at n (its environment's
// names), for update by field name.
func (rt *Runtime) tupleNames(L lua.State, n int) tupleupdate.FieldResolver {
	L.GetFenv(n)
	defer L.Pop(1)
	if !L.IsTable(-1) {
		return nil
	}
	L.RawGetI(-1, 0)
	defer L.Pop(1)
	if !L.IsTable(-1) {
		return nil
	}
	cnt := L.ObjLen(-1)
	index := make(map[string]int, cnt)
	for i := 1; i <= cnt; i++ {
		L.RawGetI(-1, i)
		if s, ok := L.ToString(-1); ok {
			index[s] = i - 1
		}
		L.Pop(1)
	}
	return func(name string) (int, bool) {
		i, ok := index[name]
		return i, ok
	}
}

// pushDerived pushes a new tuple made from the tuple at n, sharing its
// format.
func (rt *Runtime) pushDerived(L lua.State, n int, data []byte) {
	L.GetFenv(n)
	ref := 0
	if L.IsTable(-1) {
		ref = L.Ref()
	} else {
		L.Pop(1)
	}
	L.PushTuple(data, 0, ref)
	L.Unref(ref)
}

// tupleNew implements box.tuple.new(table) and box.tuple.new(v1, v2, ...).
func (rt *Runtime) tupleNew(L lua.State) int {
	var data []byte
	var err error
	top := L.GetTop()
	switch {
	case top == 1 && L.IsTable(1):
		data, err = rt.encodeArray(L, 1)
	case top == 1:
		if _, ok := L.TupleData(1); ok {
			L.PushValue(1)
			return 1
		}
		data, err = L.EncodeMulti(nil, 1, nil)
	default:
		L.CheckStack(2)
		data, err = rt.encodeArgs(L, 1, top)
	}
	if err != nil {
		return rt.raise(L, err)
	}
	if _, err := memtx.NewTuple(data); err != nil {
		return rt.raise(L, err)
	}
	L.PushTuple(data, 0, 0)
	return 1
}

// tupleUpdate implements tuple:update(ops) and tuple:upsert(ops) with
// Lua's index base 1.
func (rt *Runtime) tupleUpdate(L lua.State, upsert bool) int {
	data := rt.checkTuple(L, 1)
	if !L.IsTable(2) {
		if upsert {
			L.Errorf("Usage: tuple:upsert({ { op, field, arg}+ })")
		}
		L.Errorf("Usage: tuple:update({ { op, field, arg}+ })")
	}
	ops, err := L.Encode(nil, 2, nil)
	if err != nil {
		return rt.raise(L, err)
	}
	var out []byte
	if upsert {
		out, err = tupleupdate.ApplyUpsert(data, ops, 1, rt.tupleNames(L, 1))
	} else {
		out, err = tupleupdate.Apply(data, ops, 1, rt.tupleNames(L, 1))
	}
	if err != nil {
		return rt.raise(L, err)
	}
	if _, err := memtx.NewTuple(out); err != nil {
		return rt.raise(L, err)
	}
	rt.pushDerived(L, 1, out)
	return 1
}

// tupleFields splits a tuple's MessagePack into its fields.
func tupleFields(data []byte) [][]byte {
	cnt, pos, err := msgpack.ReadArrayHeader(data)
	if err != nil {
		return nil
	}
	fields := make([][]byte, 0, cnt)
	for i := uint32(0); i < cnt; i++ {
		n, err := msgpack.Skip(data[pos:])
		if err != nil {
			return fields
		}
		fields = append(fields, data[pos:pos+n])
		pos += n
	}
	return fields
}

// tupleTransform implements tuple:transform(start, delete_count, ...).
func (rt *Runtime) tupleTransform(L lua.State) int {
	data := rt.checkTuple(L, 1)
	fields := tupleFields(data)
	n := len(fields)
	start := L.CheckInt(2)
	cnt := L.CheckInt(3)
	if start < 0 {
		start = n + start + 1
	}
	if start < 1 || start > n+1 {
		return rt.raiseCode(L, boxerr.ER_ILLEGAL_PARAMS, "tuple.transform(): offset is out of bound")
	}
	if cnt < 0 {
		return rt.raiseCode(L, boxerr.ER_ILLEGAL_PARAMS, "tuple.transform(): len is negative")
	}
	ins := L.GetTop() - 3
	end := min(start-1+cnt, n)
	total := (start - 1) + ins + (n - end)
	out := msgpack.AppendArrayHeader(make([]byte, 0, len(data)+16), uint32(total))
	for i := 0; i < start-1; i++ {
		out = append(out, fields[i]...)
	}
	for i := 4; i <= L.GetTop(); i++ {
		var err error
		if out, err = L.Encode(out, i, nil); err != nil {
			return rt.raise(L, err)
		}
	}
	for i := end; i < n; i++ {
		out = append(out, fields[i]...)
	}
	if _, err := memtx.NewTuple(out); err != nil {
		return rt.raise(L, err)
	}
	rt.pushDerived(L, 1, out)
	return 1
}

// tupleFind implements tuple:find([offset,] value) and findall: fields
// equal (==, as luafun's index does) to value.
func (rt *Runtime) tupleFind(L lua.State, all bool) int {
	data := rt.checkTuple(L, 1)
	offset := 0
	val := 2
	if L.GetTop() >= 3 {
		offset = L.CheckInt(2)
		val = 3
	}
	fields := tupleFields(data)
	if all {
		L.NewTable()
	}
	found := 0
	for i := max(offset, 0); i < len(fields); i++ {
		if _, err := L.PushMsgpack(fields[i], nil); err != nil {
			continue
		}
		eq := L.Equal(-1, val)
		L.Pop(1)
		if !eq {
			continue
		}
		if !all {
			L.PushNumber(float64(i + 1))
			return 1
		}
		found++
		L.PushNumber(float64(i + 1))
		L.RawSetI(-2, found)
	}
	if !all {
		L.PushNil()
	}
	return 1
}

// tupleSlice is tuple:slice(start[, end]) as 2.6's lbox_tuple_slice: the
// fields from start (0-based; negative counts from the end) up to end
// (exclusive; negative counts from the end), as separate values.
func (rt *Runtime) tupleSlice(L lua.State) int {
	data, ok := L.TupleData(1)
	if !ok {
		L.Errorf("Invalid argument #1 (box.tuple expected, got %s)", L.TypeName(1))
	}
	argc := L.GetTop() - 1
	if argc == 0 || argc > 2 {
		L.Errorf("tuple.slice(): bad arguments")
	}
	fields := tupleFields(data)
	count := int32(len(fields))
	// lua_tonumber into an int32_t, as 2.6 converts.
	offset := int32(L.ToNumber(2))
	var start, end int32
	switch {
	case offset >= 0 && offset < count:
		start = offset
	case offset < 0 && -offset <= count:
		start = offset + count
	default:
		L.Errorf("tuple.slice(): start >= field count")
	}
	end = count
	if argc == 2 {
		offset = int32(L.ToNumber(3))
		switch {
		case offset > 0 && offset <= count:
			end = offset
		case offset < 0 && -offset < count:
			end = offset + count
		default:
			L.Errorf("tuple.slice(): end > field count")
		}
	}
	if end <= start {
		L.Errorf("tuple.slice(): start must be less than end")
	}
	if !L.CheckStack(int(end-start) + 1) {
		L.Errorf("too many results to unpack")
	}
	for _, f := range fields[start:end] {
		if _, err := L.PushMsgpack(f, nil); err != nil {
			return rt.raise(L, err)
		}
	}
	return int(end - start)
}

// tupleString renders msgpack as Tarantool prints tuples: YAML flow style,
// e.g. [1, 'a', [2, 3], {'k': true}].
func tupleString(b []byte) string {
	var sb strings.Builder
	writeFlow(&sb, b, false)
	return sb.String()
}

// writeFlow writes the value at b and returns its size. extText prints
// decimals as their text, as YAML of the decoded value does; otherwise an
// extension prints as null, as in tuple_to_yaml.
func writeFlow(sb *strings.Builder, b []byte, extText bool) int {
	switch msgpack.TypeOf(b) {
	case msgpack.Nil:
		sb.WriteString("null")
		return 1
	case msgpack.Bool:
		v, n, _ := msgpack.ReadBool(b)
		sb.WriteString(strconv.FormatBool(v))
		return n
	case msgpack.Uint:
		v, n, _ := msgpack.ReadUint(b)
		sb.WriteString(strconv.FormatUint(v, 10))
		return n
	case msgpack.Int:
		v, n, _ := msgpack.ReadInt(b)
		sb.WriteString(strconv.FormatInt(v, 10))
		return n
	case msgpack.Float, msgpack.Double:
		v, n, _ := msgpack.ReadFloat(b)
		sb.WriteString(formatNumber(v))
		return n
	case msgpack.Str:
		s, n, _ := msgpack.ReadStr(b)
		sb.WriteString(quoteFlow(string(s)))
		return n
	case msgpack.Bin:
		s, n, _ := msgpack.ReadBin(b)
		sb.WriteString(quoteFlow(string(s)))
		return n
	case msgpack.Array:
		cnt, pos, _ := msgpack.ReadArrayHeader(b)
		sb.WriteByte('[')
		for i := uint32(0); i < cnt; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			pos += writeFlow(sb, b[pos:], extText)
		}
		sb.WriteByte(']')
		return pos
	case msgpack.Map:
		cnt, pos, _ := msgpack.ReadMapHeader(b)
		sb.WriteByte('{')
		for i := uint32(0); i < cnt; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			pos += writeFlow(sb, b[pos:], extText)
			sb.WriteString(": ")
			pos += writeFlow(sb, b[pos:], extText)
		}
		sb.WriteByte('}')
		return pos
	}
	n, err := msgpack.Skip(b)
	if err != nil {
		return len(b)
	}
	if d, _, err := decimal.Decode(b); err == nil && extText {
		sb.WriteString(d.String())
		return n
	}
	// An extension (decimal, uuid): 2.6's tuple_to_yaml prints it as
	// it prints nil.
	sb.WriteString("null")
	return n
}

// formatNumber prints a double as LuaJIT's %.14g does.
func formatNumber(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', 14, 64)
}

// quoteFlow quotes a string for YAML flow output: single quotes, with an
// embedded quote doubled.
func quoteFlow(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// FlowString renders a msgpack value in YAML flow style, e.g. [1, 'a',
// {'k': true}], as YAML prints it decoded: decimals as their text.
func FlowString(b []byte) string {
	var sb strings.Builder
	writeFlow(&sb, b, true)
	return sb.String()
}

// FormatNumber prints a double as LuaJIT's %.14g does.
func FormatNumber(v float64) string { return formatNumber(v) }
