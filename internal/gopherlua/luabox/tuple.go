package luabox

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/tupleupdate"
)

// luaTuple is the Go value behind a box.tuple userdata.
type luaTuple struct {
	t *memtx.Tuple
	// format names the fields; nil for tuples without a format.
	format *tupleFormat
}

// tupleFormat is the field-name map of a space format, shared by every
// tuple of the space that Lua sees.
type tupleFormat struct {
	names []string
	index map[string]int
}

func newTupleFormat(fields []memtx.FormatField) *tupleFormat {
	if len(fields) == 0 {
		return nil
	}
	f := &tupleFormat{names: make([]string, len(fields)), index: make(map[string]int, len(fields))}
	for i, fd := range fields {
		f.names[i] = fd.Name
		f.index[fd.Name] = i
	}
	return f
}

// fieldNo resolves a field name to its 0-based number.
func (f *tupleFormat) fieldNo(name string) (int, bool) {
	if f == nil {
		return 0, false
	}
	i, ok := f.index[name]
	return i, ok
}

// MsgpackRaw lets luaconv encode a tuple as its msgpack array.
func (lt *luaTuple) MsgpackRaw() []byte { return lt.t.Data() }

func (rt *Runtime) openTuple(boxT *lua.LTable) {
	L := rt.L
	rt.tupleMethods = L.NewTable()
	m := map[string]lua.LGFunction{
		"unpack":    rt.tupleUnpack,
		"totable":   rt.tupleToTable,
		"tomap":     rt.tupleToMap,
		"update":    rt.tupleUpdate,
		"transform": rt.tupleTransform,
		"find":      func(L *lua.LState) int { return rt.tupleFind(L, false) },
		"findall":   func(L *lua.LState) int { return rt.tupleFind(L, true) },
		"pairs":     rt.tuplePairs,
		"ipairs":    rt.tuplePairs,
		"bsize":     func(L *lua.LState) int { L.Push(lua.LNumber(checkTuple(L, 1).t.Bsize())); return 1 },
		"tostring":  func(L *lua.LState) int { L.Push(lua.LString(tupleString(checkTuple(L, 1).t.Data()))); return 1 },
	}
	for k, f := range m {
		rt.tupleMethods.RawSetString(k, L.NewFunction(f))
	}
	rt.tupleMT = L.NewTable()
	rt.tupleMT.RawSetString("__index", L.NewFunction(rt.tupleIndex))
	rt.tupleMT.RawSetString("__len", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(checkTuple(L, 1).t.Len()))
		return 1
	}))
	rt.tupleMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(tupleString(checkTuple(L, 1).t.Data())))
		return 1
	}))
	rt.tupleMT.RawSetString("__eq", L.NewFunction(func(L *lua.LState) int {
		a, b := checkTuple(L, 1), checkTuple(L, 2)
		L.Push(lua.LBool(a.t == b.t))
		return 1
	}))
	rt.tupleMT.RawSetString("__name", lua.LString("tuple"))

	tt := L.NewTable()
	tt.RawSetString("new", L.NewFunction(rt.tupleNew))
	tt.RawSetString("is", L.NewFunction(func(L *lua.LState) int {
		ud, ok := L.Get(1).(*lua.LUserData)
		if ok {
			_, ok = ud.Value.(*luaTuple)
		}
		L.Push(lua.LBool(ok))
		return 1
	}))
	boxT.RawSetString("tuple", tt)
}

// pushTuple pushes t (nil pushes nothing useful: nil).
func (rt *Runtime) tupleValue(L *lua.LState, t *memtx.Tuple, format *tupleFormat) lua.LValue {
	if t == nil {
		return lua.LNil
	}
	ud := L.NewUserData()
	ud.Value = &luaTuple{t: t, format: format}
	ud.Metatable = rt.tupleMT
	return ud
}

func checkTuple(L *lua.LState, n int) *luaTuple {
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if t, ok := ud.Value.(*luaTuple); ok {
			return t
		}
	}
	L.ArgError(n, "Usage: tuple:method()")
	return nil
}

// tupleNew implements box.tuple.new(table) and box.tuple.new(v1, v2, ...).
func (rt *Runtime) tupleNew(L *lua.LState) int {
	var data []byte
	var err error
	if tbl, ok := L.Get(1).(*lua.LTable); ok && L.GetTop() == 1 {
		data, err = rt.encodeArray(L, tbl)
	} else if ud, ok := L.Get(1).(*lua.LUserData); ok && L.GetTop() == 1 {
		if _, ok := ud.Value.(*luaTuple); ok {
			L.Push(ud)
			return 1
		}
		data, err = rt.encodeArgs(L, 1, L.GetTop())
	} else {
		data, err = rt.encodeArgs(L, 1, L.GetTop())
	}
	if err != nil {
		return rt.raise(L, err)
	}
	t, err := memtx.NewTuple(data)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(rt.tupleValue(L, t, nil))
	return 1
}

func (rt *Runtime) tupleIndex(L *lua.LState) int {
	lt := checkTuple(L, 1)
	switch k := L.Get(2).(type) {
	case lua.LNumber:
		i := int(k)
		if float64(i) != float64(k) {
			L.Push(lua.LNil)
			return 1
		}
		if i < 0 {
			i = lt.t.Len() + i + 1
		}
		L.Push(rt.fieldValue(L, lt.t, i-1))
		return 1
	case lua.LString:
		if m := rt.tupleMethods.RawGetString(string(k)); m != lua.LNil {
			L.Push(m)
			return 1
		}
		if no, ok := lt.format.fieldNo(string(k)); ok {
			L.Push(rt.fieldValue(L, lt.t, no))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// fieldValue decodes 0-based field i of t (nil when absent).
func (rt *Runtime) fieldValue(L *lua.LState, t *memtx.Tuple, i int) lua.LValue {
	f := t.Field(i)
	if f == nil {
		return lua.LNil
	}
	v, _, err := luaconv.Decode(L, f)
	if err != nil {
		return lua.LNil
	}
	return v
}

// fieldRange normalizes Lua's 1-based [from, to] arguments at base.
func fieldRange(L *lua.LState, t *memtx.Tuple, base int) (int, int) {
	n := t.Len()
	from, to := 1, n
	if L.GetTop() >= base {
		from = L.CheckInt(base)
	}
	if L.GetTop() >= base+1 {
		to = L.CheckInt(base + 1)
	}
	if from < 1 {
		from = 1
	}
	if to > n {
		to = n
	}
	return from, to
}

func (rt *Runtime) tupleUnpack(L *lua.LState) int {
	lt := checkTuple(L, 1)
	from, to := fieldRange(L, lt.t, 2)
	for i := from; i <= to; i++ {
		L.Push(rt.fieldValue(L, lt.t, i-1))
	}
	if to < from {
		return 0
	}
	return to - from + 1
}

func (rt *Runtime) tupleToTable(L *lua.LState) int {
	lt := checkTuple(L, 1)
	from, to := fieldRange(L, lt.t, 2)
	tbl := L.CreateTable(max(to-from+1, 0), 0)
	for i := from; i <= to; i++ {
		tbl.RawSetInt(i-from+1, rt.fieldValue(L, lt.t, i-1))
	}
	L.Push(tbl)
	return 1
}

// tupleToMap returns named fields by name and every field by number
// (names_only = true leaves the numbers out), as 2.6 does.
func (rt *Runtime) tupleToMap(L *lua.LState) int {
	lt := checkTuple(L, 1)
	namesOnly := false
	if opts, ok := L.Get(2).(*lua.LTable); ok {
		namesOnly = lua.LVAsBool(opts.RawGetString("names_only"))
	}
	tbl := L.NewTable()
	for i := 0; i < lt.t.Len(); i++ {
		v := rt.fieldValue(L, lt.t, i)
		if !namesOnly {
			tbl.RawSetInt(i+1, v)
		}
		if lt.format != nil && i < len(lt.format.names) {
			tbl.RawSetString(lt.format.names[i], v)
		}
	}
	L.Push(tbl)
	return 1
}

// tupleUpdate implements tuple:update(ops) with Lua's index base 1.
func (rt *Runtime) tupleUpdate(L *lua.LState) int {
	lt := checkTuple(L, 1)
	ops, err := rt.encodeValue(L, L.CheckTable(2))
	if err != nil {
		return rt.raise(L, err)
	}
	var names tupleupdate.FieldResolver
	if lt.format != nil {
		names = lt.format.fieldNo
	}
	data, err := tupleupdate.Apply(lt.t.Data(), ops, 1, names)
	if err != nil {
		return rt.raise(L, err)
	}
	t, err := memtx.NewTuple(data)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(rt.tupleValue(L, t, lt.format))
	return 1
}

// tupleTransform implements tuple:transform(start, delete_count, ...).
func (rt *Runtime) tupleTransform(L *lua.LState) int {
	lt := checkTuple(L, 1)
	n := lt.t.Len()
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
	out := msgpack.AppendArrayHeader(make([]byte, 0, len(lt.t.Data())+16), uint32(total))
	for i := 0; i < start-1; i++ {
		out = append(out, lt.t.Field(i)...)
	}
	for i := 4; i <= L.GetTop(); i++ {
		var err error
		out, err = luaconv.Encode(out, L.Get(i))
		if err != nil {
			return rt.raise(L, err)
		}
	}
	for i := end; i < n; i++ {
		out = append(out, lt.t.Field(i)...)
	}
	t, err := memtx.NewTuple(out)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(rt.tupleValue(L, t, lt.format))
	return 1
}

// tupleFind implements tuple:find([from,] value) and findall.
func (rt *Runtime) tupleFind(L *lua.LState, all bool) int {
	lt := checkTuple(L, 1)
	from := 0
	val := L.Get(2)
	if L.GetTop() >= 3 {
		from = L.CheckInt(2) - 1
		val = L.Get(3)
	}
	res := L.NewTable()
	for i := max(from, 0); i < lt.t.Len(); i++ {
		if lua.LVAsString(rt.fieldValue(L, lt.t, i)) == lua.LVAsString(val) && rt.fieldValue(L, lt.t, i).Type() == val.Type() {
			if !all {
				L.Push(lua.LNumber(i + 1))
				return 1
			}
			res.Append(lua.LNumber(i + 1))
		}
	}
	if all {
		L.Push(res)
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// tuplePairs returns an iterator over (fieldno, value).
func (rt *Runtime) tuplePairs(L *lua.LState) int {
	lt := checkTuple(L, 1)
	i := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if i >= lt.t.Len() {
			L.Push(lua.LNil)
			return 1
		}
		i++
		L.Push(lua.LNumber(i))
		L.Push(rt.fieldValue(L, lt.t, i-1))
		return 2
	}))
	L.Push(L.Get(1))
	L.Push(lua.LNil)
	return 3
}

// tupleString renders msgpack as Tarantool prints tuples: YAML flow style,
// e.g. [1, 'a', [2, 3], {'k': true}].
func tupleString(b []byte) string {
	var sb strings.Builder
	writeFlow(&sb, b)
	return sb.String()
}

func writeFlow(sb *strings.Builder, b []byte) int {
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
			pos += writeFlow(sb, b[pos:])
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
			pos += writeFlow(sb, b[pos:])
			sb.WriteString(": ")
			pos += writeFlow(sb, b[pos:])
		}
		sb.WriteByte('}')
		return pos
	}
	n, err := msgpack.Skip(b)
	if err != nil {
		return len(b)
	}
	sb.WriteString("<ext>")
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

// FlowString renders a msgpack value as Tarantool prints tuples and
// values in YAML flow style, e.g. [1, 'a', {'k': true}].
func FlowString(b []byte) string { return tupleString(b) }

// FormatNumber prints a double as LuaJIT's %.14g does.
func FormatNumber(v float64) string { return formatNumber(v) }
