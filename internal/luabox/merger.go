package luabox

import (
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// The merger module of 2.6: merge sources yield tuples, from Lua
// iterators over tables of tuples, over buffers of MessagePack tuples,
// or over tuples, and a merger is a source that merges sources ordered
// by a key_def (a heap laid out as 2.6's salad heap, so tuples with equal
// keys come out in 2.6's order).

// mergeSources are the merge sources Lua holds; an object is a reference
// to a block of C memory (lua.AllocBlock) naming its source.
type mergeSources struct {
	byBlock map[uintptr]*mergeSource
	refCT   uint32
	// ctor makes the object of a block; wrap is fun.wrap; gen is the
	// generator of merge_source:ipairs().
	ctor, wrap, gen int
}

type sourceKind uint8

const (
	tableSource sourceKind = iota
	bufferSource
	tupleSource
	mergerSource
)

// mergeSource is a source. refs counts its holders: its Lua object and
// the mergers it is a source of; the last one gone releases what it
// keeps in the Lua registry.
type mergeSource struct {
	refs  int
	kind  sourceKind
	block uintptr // the C block of its Lua object (for messages)
	// Iterator sources: the Lua iterator (gen, param, state refs) giving
	// chunks (tables, buffers) or tuples.
	gen, param, state int
	// chunk is the current table or buffer (a ref, 0 for none); nextIdx
	// the table's next element, remaining the buffer's tuples left.
	chunk     int
	nextIdx   int
	remaining uint32
	// A merger's key_def, order, sources (their heap nodes) and heap.
	kd      *keyDef
	reverse bool
	started bool
	nodes   []*heapNode
	heap    []*heapNode
}

// heapNode is a source of a merger with its current tuple.
type heapNode struct {
	src *mergeSource
	t   mtuple
	pos int
}

// mtuple is a tuple a source yields: a registry ref of its Lua value,
// owned by whoever holds the mtuple, and its fields.
type mtuple struct {
	ref    int
	data   []byte
	fields [][]byte
}

// mergerNewUsage is merger.new's usage message.
const mergerNewUsage = "merger.new(key_def, {source, source, ...}[, {reverse = <boolean> or <nil>}])"

// mergerSelectUsage is merge_source:select's usage message.
const mergerSelectUsage = "merge_source:select([{buffer = <cdata<struct ibuf>> or <nil>, " +
	"limit = <number> or <nil>}])"

// openMerger makes the merger module, present in package.loaded as in
// 2.6.
func (rt *Runtime) openMerger() {
	L := rt.L
	rt.mergers = mergeSources{byBlock: map[uintptr]*mergeSource{}}
	L.NewTable()
	mod := L.GetTop()
	L.SetFuncs(mod, map[string]lua.Function{
		"new":               rt.mergerNew,
		"new_table_source":  func(L lua.State) int { return rt.newIterSource(L, tableSource, "merger.new_table_source") },
		"new_buffer_source": func(L lua.State) int { return rt.newIterSource(L, bufferSource, "merger.new_buffer_source") },
		"new_tuple_source":  func(L lua.State) int { return rt.newIterSource(L, tupleSource, "merger.new_tuple_source") },
	})
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"select": rt.mergeSourceSelect,
		"ipairs": rt.mergeSourceIpairs,
	})
	L.RawSetField(mod, "internal")
	L.PushFunction(rt.mergeSourceGen)
	rt.mergers.gen = L.Ref()
	src, err := libFS.ReadFile("lua/merger.lua")
	if err != nil {
		panic("luabox: missing embedded merger.lua")
	}
	if err := L.Load(string(src), "@builtin/box/merger.lua"); err != nil {
		panic("luabox: merger.lua: " + err.Error())
	}
	L.NewTable()
	L.PushValue(mod)
	L.RawSetField(-2, "module")
	L.SetFuncs(-1, map[string]lua.Function{
		"setup": func(L lua.State) int {
			rt.mergers.refCT = L.CtypeOf(1)
			L.PushValue(2)
			rt.mergers.ctor = L.Ref()
			L.PushValue(3)
			rt.mergers.wrap = L.Ref()
			return 0
		},
		"gc": func(L lua.State) int {
			if L.CdataType(1) == rt.mergers.refCT {
				p := L.CdataPointee(1)
				if s, ok := rt.mergers.byBlock[p]; ok {
					delete(rt.mergers.byBlock, p)
					lua.FreeBlock(p)
					s.release(L)
				}
			}
			return 0
		},
	})
	if err := L.PCall(1, 0); err != nil {
		panic("luabox: merger.lua: " + err.Error())
	}
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(mod)
	L.RawSetField(-2, "merger")
	L.SetTop(mod - 1)
}

// pushSource pushes a new Lua object for s, which it holds.
func (rt *Runtime) pushSource(L lua.State, s *mergeSource) {
	p := lua.AllocBlock(keyDefBlockSize)
	if p == 0 {
		s.release(L)
		rt.raise(L, boxerr.New(boxerr.ER_MEMORY_ISSUE, keyDefBlockSize, "malloc", "merge_source"))
	}
	s.block = p
	rt.mergers.byBlock[p] = s
	L.PushRef(rt.mergers.ctor)
	L.PushLightUserdata(p)
	L.Call(1, 1)
}

// checkSource is 2.6's luaT_check_merge_source: the source of the object
// at idx, nil for cdata of another type; a value that is no cdata at all
// raises luaL_checkcdata's error.
func (rt *Runtime) checkSource(L lua.State, idx int) *mergeSource {
	if L.Type(idx) != lua.TypeCdata {
		L.Errorf("expected cdata as %d argument", L.AbsIndex(idx))
	}
	if L.CdataType(idx) != rt.mergers.refCT {
		return nil
	}
	return rt.mergers.byBlock[L.CdataPointee(idx)]
}

// release drops a holder of s; the last one unreferences what s keeps.
func (s *mergeSource) release(L lua.State) {
	s.refs--
	if s.refs > 0 {
		return
	}
	for _, r := range []int{s.gen, s.param, s.state, s.chunk} {
		L.Unref(r)
	}
	s.gen, s.param, s.state, s.chunk = 0, 0, 0, 0
	for _, n := range s.nodes {
		L.Unref(n.t.ref)
		n.src.release(L)
	}
	s.nodes, s.heap = nil, nil
}

// isCallable is 2.6's luaL_iscallable: a function, or a value whose
// metatable has __call.
func isCallable(L lua.State, idx int) bool {
	if L.IsFunction(idx) {
		return true
	}
	if !L.GetMetatable(idx) {
		return false
	}
	L.RawGetField(-1, "__call")
	ok := !L.IsNil(-1)
	L.Pop(2)
	return ok
}

// newIterSource makes a source of kind from the Lua iterator gen, param,
// state given (lbox_merge_source_new).
func (rt *Runtime) newIterSource(L lua.State, kind sourceKind, name string) int {
	top := L.GetTop()
	if top < 1 || top > 3 || !isCallable(L, 1) {
		L.Errorf("Usage: %s(gen, param, state)", name)
	}
	L.SetTop(3)
	s := &mergeSource{refs: 1, kind: kind}
	L.PushValue(1)
	s.gen = L.Ref()
	L.PushValue(2)
	s.param = L.Ref()
	L.PushValue(3)
	s.state = L.Ref()
	rt.pushSource(L, s)
	return 1
}

// mergerNew is merger.new(key_def, sources[, {reverse = bool}]).
func (rt *Runtime) mergerNew(L lua.State) int {
	top := L.GetTop()
	var kd *keyDef
	if top == 2 || top == 3 {
		kd = rt.toKeyDef(L, 1)
	}
	if kd == nil || !L.IsTable(2) || !(L.IsNoneOrNil(3) || L.IsTable(3)) {
		L.Errorf("Bad params, use: %s", mergerNewUsage)
	}
	reverse := false
	if !L.IsNoneOrNil(3) {
		if err := L.GetField(3, "reverse"); err != nil {
			L.RaiseString(err.Error())
		}
		if !L.IsNil(-1) {
			if L.Type(-1) != lua.TypeBoolean {
				L.Errorf("Bad param \"reverse\", use: %s", mergerNewUsage)
			}
			reverse = L.ToBool(-1)
		}
		L.Pop(1)
	}
	n := L.ObjLen(2)
	m := &mergeSource{refs: 1, kind: mergerSource, kd: kd, reverse: reverse}
	for i := 1; i <= n; i++ {
		L.PushInt(i)
		if err := L.GetTable(2); err != nil {
			L.RaiseString(err.Error())
		}
		s := rt.checkSource(L, -1)
		if s == nil {
			m.release(L)
			rt.illegalParams(L, "Unknown source type at index %d", i)
		}
		L.Pop(1)
		s.refs++
		m.nodes = append(m.nodes, &heapNode{src: s})
	}
	rt.pushSource(L, m)
	return 1
}

// mergeSourceSelect is merge_source:select([{buffer =, limit =}]): the
// source's tuples, at most limit of them, in a table, or appended to the
// buffer as a MessagePack array whose header is always 5 bytes long.
func (rt *Runtime) mergeSourceSelect(L lua.State) int {
	top := L.GetTop()
	var s *mergeSource
	if top == 1 || top == 2 {
		s = rt.checkSource(L, 1)
	}
	if s == nil || !(L.IsNoneOrNil(2) || L.IsTable(2)) {
		L.Errorf("Bad params, use: %s", mergerSelectUsage)
	}
	limit := uint32(0xFFFFFFFF)
	buf := 0
	if !L.IsNoneOrNil(2) {
		if err := L.GetField(2, "buffer"); err != nil {
			L.RaiseString(err.Error())
		}
		if !L.IsNil(-1) {
			if _, ok := L.IbufView(-1); !ok {
				L.Errorf("Bad param \"buffer\", use: %s", mergerSelectUsage)
			}
			buf = L.GetTop()
		} else {
			L.Pop(1)
		}
		if err := L.GetField(2, "limit"); err != nil {
			L.RaiseString(err.Error())
		}
		if !L.IsNil(-1) {
			if !L.IsNumber(-1) {
				L.Errorf("Bad param \"limit\", use: %s", mergerSelectUsage)
			}
			limit = uint32(int64(L.ToNumber(-1)))
		}
		L.Pop(1)
	}
	if buf == 0 {
		L.NewTable()
		out := L.GetTop()
		for i := uint32(0); i < limit; i++ {
			t, ok := rt.sourceNext(L, s, nil)
			if !ok {
				break
			}
			L.PushRef(t.ref)
			L.Unref(t.ref)
			L.RawSetI(out, int(i)+1)
		}
		return 1
	}
	// The count goes in the header once known: encode_header reserves
	// room for UINT32_MAX, which mp_store_u32 overwrites.
	var out []byte
	count := uint32(0)
	for count < limit {
		t, ok := rt.sourceNext(L, s, nil)
		if !ok {
			break
		}
		out = append(out, t.data...)
		L.Unref(t.ref)
		count++
	}
	hdr := []byte{0xdd, byte(count >> 24), byte(count >> 16), byte(count >> 8), byte(count)}
	if !L.IbufAppend(buf, append(hdr, out...)) {
		rt.raise(L, boxerr.New(boxerr.ER_MEMORY_ISSUE, len(out)+5, "ibuf", "merger result"))
	}
	return 0
}

// mergeSourceIpairs is merge_source:ipairs() (and pairs):
// fun.wrap(gen, nil, source).
func (rt *Runtime) mergeSourceIpairs(L lua.State) int {
	if L.GetTop() != 1 || rt.checkSource(L, 1) == nil {
		L.Errorf("Usage: merge_source:ipairs()")
	}
	L.PushRef(rt.mergers.wrap)
	L.PushRef(rt.mergers.gen)
	L.PushNil()
	L.PushValue(1)
	L.Call(3, 3)
	return 3
}

// mergeSourceGen is the generator of merge_source:ipairs(): (source,
// tuple) while the source yields, nil and nil at its end.
func (rt *Runtime) mergeSourceGen(L lua.State) int {
	var s *mergeSource
	if L.GetTop() == 2 && L.IsNil(1) {
		s = rt.checkSource(L, 2)
	}
	if s == nil {
		L.Errorf("Bad params, use: lbox_merge_source_gen(nil, merge_source)")
	}
	t, ok := rt.sourceNext(L, s, nil)
	if !ok {
		L.PushNil()
		L.PushNil()
		return 2
	}
	L.PushValue(2)
	L.PushRef(t.ref)
	L.Unref(t.ref)
	return 2
}

// sourceNext returns the next tuple of s, checked against the fields of
// format (a merger's key_def) when not nil; false at the end. Errors
// raise.
func (rt *Runtime) sourceNext(L lua.State, s *mergeSource, format *keyDef) (mtuple, bool) {
	t, ok, err := rt.sourceNextErr(L, s, format)
	if err != nil {
		rt.raise(L, err)
	}
	return t, ok
}

func (rt *Runtime) sourceNextErr(L lua.State, s *mergeSource, format *keyDef) (mtuple, bool, error) {
	top := L.GetTop()
	defer L.SetTop(top)
	switch s.kind {
	case tableSource:
		return rt.tableSourceNext(L, s, format)
	case bufferSource:
		return rt.bufferSourceNext(L, s, format)
	case tupleSource:
		n, base, err := rt.iterNext(L, s)
		if err != nil || n == 0 {
			return mtuple{}, false, err
		}
		if n != 2 {
			return mtuple{}, false, illegalParamsError("Expected <state>, <tuple>, got %d return values", n)
		}
		t, err := rt.sourceTuple(L, base+2, format)
		return t, err == nil, err
	}
	return rt.mergerNext(L, s, format)
}

// iterNext calls the source's iterator as 2.6's luaL_iterator_next: the
// results are pushed above base, their count returned (0 at the end:
// none, or a nil first result, which becomes the new state otherwise).
func (rt *Runtime) iterNext(L lua.State, s *mergeSource) (n, base int, err error) {
	base = L.GetTop()
	L.PushRef(s.gen)
	L.PushRef(s.param)
	L.PushRef(s.state)
	if !L.PCallValue(2, lua.MultRet) {
		err := rt.errorOfTop(L)
		L.SetTop(base)
		return 0, base, err
	}
	n = L.GetTop() - base
	if n > 0 {
		L.Unref(s.state)
		L.PushValue(base + 1)
		s.state = L.Ref()
	}
	if n == 0 || L.IsNil(base+1) {
		L.SetTop(base)
		return 0, base, nil
	}
	return n, base, nil
}

// errorOfTop converts the Lua error value on top into a box error: an
// error object is itself, anything else a LuajitError.
func (rt *Runtime) errorOfTop(L lua.State) *boxerr.Error {
	if e := rt.toError(L, -1); e != nil {
		return e
	}
	return luajitError(L.ErrorString(-1))
}

func illegalParamsError(format string, args ...any) *boxerr.Error {
	boxerr.Made()
	return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "IllegalParams",
		Message: boxerr.Truncate(fmt.Sprintf(format, args...))}
}

// fetchChunk asks the iterator for the next table or buffer (what
// names it in messages); 0 at the end, 1 with the chunk in s.chunk.
func (rt *Runtime) fetchChunk(L lua.State, s *mergeSource, what string) (int, error) {
	n, base, err := rt.iterNext(L, s)
	if err != nil || n == 0 {
		return 0, err
	}
	if n != 2 {
		return 0, illegalParamsError("Expected <state>, <%s>, got %d return values", what, n)
	}
	L.Unref(s.chunk)
	s.chunk = 0
	ok := L.IsTable(base + 2)
	if what == "buffer" {
		_, ok = L.IbufView(base + 2)
	}
	if !ok {
		return 0, illegalParamsError("Expected <state>, <%s>", what)
	}
	L.PushValue(base + 2)
	s.chunk = L.Ref()
	L.SetTop(base)
	return 1, nil
}

func (rt *Runtime) tableSourceNext(L lua.State, s *mergeSource, format *keyDef) (mtuple, bool, error) {
	for {
		if s.chunk != 0 {
			L.PushRef(s.chunk)
			L.PushInt(s.nextIdx)
			if err := L.GetTable(-2); err != nil {
				return mtuple{}, false, luajitError(err.Error())
			}
			if !L.IsNil(-1) {
				break
			}
			L.Pop(2)
		}
		rc, err := rt.fetchChunk(L, s, "table")
		if err != nil || rc == 0 {
			return mtuple{}, false, err
		}
		s.nextIdx = 1
	}
	t, err := rt.sourceTuple(L, L.GetTop(), format)
	if err != nil {
		return mtuple{}, false, err
	}
	s.nextIdx++
	return t, true, nil
}

func (rt *Runtime) bufferSourceNext(L lua.State, s *mergeSource, format *keyDef) (mtuple, bool, error) {
	for s.remaining == 0 {
		rc, err := rt.fetchChunk(L, s, "buffer")
		if err != nil || rc == 0 {
			return mtuple{}, false, err
		}
		// The chunk is an array of tuples: its header is read once.
		L.PushRef(s.chunk)
		view, _ := L.IbufView(-1)
		if len(view) > 0 {
			n, hdr, err := msgpack.ReadArrayHeader(view)
			if err != nil {
				return mtuple{}, false, illegalParamsError("Invalid merge source %#x", s.block)
			}
			s.remaining = n
			L.IbufConsume(-1, hdr)
		}
		L.Pop(1)
	}
	L.PushRef(s.chunk)
	view, _ := L.IbufView(-1)
	n, ok := lua.CheckMsgpack(view, maxTupleDepth)
	if !ok {
		return mtuple{}, false, illegalParamsError("Unexpected msgpack buffer end")
	}
	s.remaining--
	data := append([]byte(nil), view[:n]...)
	L.IbufConsume(-1, n)
	L.Pop(1)
	if _, err := memtx.NewTuple(data); err != nil {
		return mtuple{}, false, err
	}
	if err := format.validate(tupleFields(data)); err != nil {
		return mtuple{}, false, err
	}
	L.PushTuple(data, 0, 0)
	return rt.refTuple(L), true, nil
}

// maxTupleDepth bounds the nesting of tuples read from buffers.
const maxTupleDepth = 255

// refTuple takes the tuple on top into an mtuple.
func (rt *Runtime) refTuple(L lua.State) mtuple {
	data, _ := L.TupleData(-1)
	return mtuple{ref: L.Ref(), data: data, fields: tupleFields(data)}
}

// sourceTuple makes the value at idx a tuple (2.6's luaT_gettuple): a
// tuple as it is, checked against format, a table a new tuple.
func (rt *Runtime) sourceTuple(L lua.State, idx int, format *keyDef) (mtuple, error) {
	if data, ok := L.TupleData(idx); ok {
		if err := format.validate(tupleFields(data)); err != nil {
			return mtuple{}, err
		}
		L.PushValue(idx)
		return rt.refTuple(L), nil
	}
	if !L.IsTable(idx) {
		return mtuple{}, illegalParamsError("A tuple or a table expected, got %s", L.TypeName(idx))
	}
	data, err := rt.encodeArray(L, idx)
	if err != nil {
		return mtuple{}, err
	}
	if _, err := memtx.NewTuple(data); err != nil {
		return mtuple{}, err
	}
	if err := format.validate(tupleFields(data)); err != nil {
		return mtuple{}, err
	}
	L.PushTuple(data, 0, 0)
	return rt.refTuple(L), nil
}

// validate checks fields against the tuple format a merger makes of its
// key_def (box_tuple_format_new): every part's field present unless
// nullable, and of its type. A nil keyDef accepts everything.
func (kd *keyDef) validate(fields [][]byte) error {
	if kd == nil {
		return nil
	}
	for i := range kd.parts {
		p := &kd.parts[i]
		name := fmt.Sprint(int32(p.fieldNo) + 1)
		if p.path != "" {
			name = "[" + name + "]" + p.path
		}
		f := p.field(fields)
		if f == nil {
			if p.nullable {
				continue
			}
			return boxerr.New(boxerr.ER_FIELD_MISSING, name)
		}
		if !p.typ.Accepts(f, p.nullable) {
			return boxerr.New(boxerr.ER_FIELD_TYPE, name, p.typ.String())
		}
	}
	return nil
}

// mergerNext is a merger's next tuple: the least (the greatest in
// reverse) of its sources' current tuples.
func (rt *Runtime) mergerNext(L lua.State, m *mergeSource, format *keyDef) (mtuple, bool, error) {
	if !m.started {
		for _, n := range m.nodes {
			t, ok, err := rt.sourceNextErr(L, n.src, m.kd)
			if err != nil {
				return mtuple{}, false, err
			}
			if ok {
				n.t = t
				m.heapInsert(n)
			}
		}
		m.started = true
	}
	if len(m.heap) == 0 {
		return mtuple{}, false, nil
	}
	n := m.heap[0]
	t := n.t
	if err := format.validate(t.fields); err != nil {
		return mtuple{}, false, err
	}
	next, ok, err := rt.sourceNextErr(L, n.src, m.kd)
	if err != nil {
		return mtuple{}, false, err
	}
	if ok {
		n.t = next
		m.heapUpdate(n)
	} else {
		n.t = mtuple{}
		m.heapDelete(n)
	}
	return t, true, nil
}

// less is merge_source_less: key order, reversed on request (where
// equal keys count as less, as 2.6's cmp >= 0).
func (m *mergeSource) less(a, b *heapNode) bool {
	c := m.kd.compareFields(a.t.fields, b.t.fields)
	if m.reverse {
		return c >= 0
	}
	return c < 0
}

// The heap operations follow salad/heap.h step by step.

func (m *mergeSource) heapInsert(n *heapNode) {
	n.pos = len(m.heap)
	m.heap = append(m.heap, n)
	m.siftUp(n)
}

func (m *mergeSource) heapUpdate(n *heapNode) {
	m.siftDown(n)
	m.siftUp(n)
}

func (m *mergeSource) heapDelete(n *heapNode) {
	last := len(m.heap) - 1
	pos := n.pos
	moved := m.heap[last]
	m.heap[last] = nil
	m.heap = m.heap[:last]
	if pos == last {
		return
	}
	m.heap[pos] = moved
	moved.pos = pos
	m.heapUpdate(moved)
}

func (m *mergeSource) siftUp(n *heapNode) {
	pos := n.pos
	for pos > 0 {
		parent := (pos - 1) / 2
		if !m.less(n, m.heap[parent]) {
			return
		}
		m.heap[pos], m.heap[parent] = m.heap[parent], m.heap[pos]
		m.heap[pos].pos, m.heap[parent].pos = pos, parent
		pos = parent
	}
}

func (m *mergeSource) siftDown(n *heapNode) {
	pos := n.pos
	size := len(m.heap)
	for {
		left, right := 2*pos+1, 2*pos+2
		minChild := left
		if right < size && m.less(m.heap[right], m.heap[left]) {
			minChild = right
		}
		if left >= size || m.less(m.heap[pos], m.heap[minChild]) {
			return
		}
		m.heap[pos], m.heap[minChild] = m.heap[minChild], m.heap[pos]
		m.heap[pos].pos, m.heap[minChild].pos = pos, minChild
		pos = minChild
	}
}
