package luabox

import (
	"math"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Sequences in Lua: the primitives under box.internal.sequence and the
// box.sequence table (Tarantool 2.6's src/box/lua/sequence.c). The Lua
// side (lua/schema.lua) builds box.schema.sequence.* and the sequence
// methods on top of them.
//
// Values are int64 in the core; Lua numbers are doubles, so values beyond
// 2^53 reach Lua rounded (2.6 returns int64 cdata there). That is why the
// _sequence tuples are built here and not in Lua: the default bounds
// (INT64_MIN, INT64_MAX) and the bounds of an existing sequence being
// altered go from Go to the tuple without passing through a double.
//
// box.sequence is refreshed from the core's catalog whenever
// box.Box.SequenceVersion or the schema version changes (refreshSequences,
// called from Runtime.Refresh and after every sequence primitive): objects
// keep their identity across ALTER, as 2.6's lbox_sequence_new does, and
// the primary-key objects of box.space get sequence_id, sequence_fieldno
// and sequence_path.

// sequenceState is what the runtime keeps for box.sequence.
type sequenceState struct {
	table   *lua.LTable // box.sequence
	methods *lua.LTable // box.internal.sequence_mt: methods of sequence objects
	objMT   *lua.LTable // {__index = methods}
	objs    map[uint32]*lua.LTable
	// Versions box.sequence and the primary-key objects were built for.
	seenSeq, seenSchema uint64
	built               bool
}

// openSequence registers box.sequence, box.internal.sequence.* and
// box.internal.sequence_mt. It runs while openBox builds the box table.
func (rt *Runtime) openSequence(boxT *lua.LTable) {
	L := rt.L
	st := &sequenceState{table: L.NewTable(), methods: L.NewTable(), objMT: L.NewTable(),
		objs: make(map[uint32]*lua.LTable)}
	st.objMT.RawSetString("__index", st.methods)
	rt.seq = st
	boxT.RawSetString("sequence", st.table)

	internal, ok := boxT.RawGetString("internal").(*lua.LTable)
	if !ok {
		internal = L.NewTable()
		boxT.RawSetString("internal", internal)
	}
	internal.RawSetString("sequence_mt", st.methods)
	fns := map[string]lua.LGFunction{
		"next":         rt.sequenceNext,
		"current":      rt.sequenceCurrent,
		"set":          rt.sequenceSet,
		"reset":        rt.sequenceReset,
		"bless":        rt.sequenceBless,
		"refresh":      func(L *lua.LState) int { rt.refreshSequences(); return 0 },
		"create_tuple": rt.sequenceCreateTuple,
		"alter_tuple":  rt.sequenceAlterTuple,
	}
	seq := L.NewTable()
	for k, f := range fns {
		seq.RawSetString(k, L.NewFunction(f))
	}
	internal.RawSetString("sequence", seq)
}

func (rt *Runtime) sequenceState() *sequenceState { return rt.seq }

// checkSequenceID reads argument n as a sequence id (luaL_checkinteger).
func checkSequenceID(L *lua.LState, n int) uint32 {
	v := L.CheckNumber(n)
	if v < 0 || v > math.MaxUint32 {
		return math.MaxUint32 // no such sequence
	}
	return uint32(v)
}

// luaToInt64 converts a Lua number to int64 the way luaL_checkint64 does
// (truncation toward zero), saturating at the int64 bounds: 2^63 is the
// double a Lua script gets for INT64_MAX.
func luaToInt64(n lua.LNumber) int64 {
	f := math.Trunc(float64(n))
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// int64Value is luaL_pushint64 with doubles only.
func int64Value(v int64) lua.LValue { return lua.LNumber(float64(v)) }

func (rt *Runtime) sequenceNext(L *lua.LState) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	v, err := b.SequenceNext(rt.session(L), rt.ctx(L).Txn, id)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(int64Value(v))
	return 1
}

func (rt *Runtime) sequenceCurrent(L *lua.LState) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	v, err := b.SequenceCurrent(rt.session(L), id)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(int64Value(v))
	return 1
}

func (rt *Runtime) sequenceSet(L *lua.LState) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	n, ok := L.Get(2).(lua.LNumber)
	if !ok {
		L.RaiseError("expected int64_t as 2 argument")
		return 0
	}
	if err := b.SequenceSet(rt.session(L), rt.ctx(L).Txn, id, luaToInt64(n)); err != nil {
		return rt.raise(L, err)
	}
	return 0
}

func (rt *Runtime) sequenceReset(L *lua.LState) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	if err := b.SequenceReset(rt.session(L), rt.ctx(L).Txn, id); err != nil {
		return rt.raise(L, err)
	}
	return 0
}

// sequenceBless gives a table the methods of sequence objects
// (box.schema.sequence.bless).
func (rt *Runtime) sequenceBless(L *lua.LState) int {
	t := L.CheckTable(1)
	if st := rt.sequenceState(); st != nil {
		L.SetMetatable(t, st.objMT)
	}
	return 0
}

// sequenceOptions are the numeric options of a sequence, in _sequence
// field order after the name.
var sequenceOptions = [...]string{"step", "min", "max", "start", "cache"}

// encodeOption encodes a Lua option value as a tuple field: numbers follow
// the tuple encoder's rules (an integral double is an integer), so what
// 2.6 would reject the core rejects with the same message.
func encodeOption(b []byte, v lua.LValue) ([]byte, error) {
	return luaconv.Encode(b, v)
}

// sequenceCreateTuple is box.internal.sequence.create_tuple(id, uid,
// name, opts): the _sequence tuple of box.schema.sequence.create with
// 2.6's defaults (ascending unless step < 0: min 1, max INT64_MAX, start
// min; descending: min INT64_MIN, max -1, start max; cache 0, cycle
// false). opts has been type-checked by the caller.
func (rt *Runtime) sequenceCreateTuple(L *lua.LState) int {
	id := L.CheckNumber(1)
	uid := L.CheckNumber(2)
	name := L.CheckString(3)
	opts := L.OptTable(4, L.NewTable())
	opt := func(k string) lua.LValue {
		v := opts.RawGetString(k)
		if luaconv.IsNULL(v) {
			return lua.LNil
		}
		return v
	}
	ascending := true
	if s, ok := opt("step").(lua.LNumber); ok && !(s > 0) {
		ascending = false
	}
	// Defaults exact in int64, and the fallbacks 2.6 computes from
	// other options (start defaults to the user's min or max).
	defaults := map[string]any{"step": int64(1), "cache": int64(0)}
	if ascending {
		defaults["min"], defaults["max"] = int64(1), int64(math.MaxInt64)
		defaults["start"] = int64(1)
		if v := opt("min"); v != lua.LNil {
			defaults["start"] = v
		}
	} else {
		defaults["min"], defaults["max"] = int64(math.MinInt64), int64(-1)
		defaults["start"] = int64(-1)
		if v := opt("max"); v != lua.LNil {
			defaults["start"] = v
		}
	}
	t := msgpack.AppendArrayHeader(nil, 9)
	t = msgpack.AppendUint(t, uint64(luaToInt64(id)))
	t = msgpack.AppendUint(t, uint64(luaToInt64(uid)))
	t = msgpack.AppendString(t, name)
	var err error
	for _, k := range sequenceOptions {
		if t, err = appendOptionOr(t, opt(k), defaults[k]); err != nil {
			return rt.raise(L, err)
		}
	}
	if t, err = appendOptionOr(t, opt("cycle"), false); err != nil {
		return rt.raise(L, err)
	}
	return rt.pushRawTuple(L, t)
}

// appendOptionOr appends the Lua value v, or def when v is nil; def is
// an int64, a bool or a Lua value.
func appendOptionOr(t []byte, v lua.LValue, def any) ([]byte, error) {
	if v != lua.LNil {
		return encodeOption(t, v)
	}
	switch d := def.(type) {
	case int64:
		return msgpack.AppendInt(t, d), nil
	case bool:
		return msgpack.AppendBool(t, d), nil
	case lua.LValue:
		return encodeOption(t, d)
	}
	return msgpack.AppendNil(t), nil
}

// sequenceAlterTuple is box.internal.sequence.alter_tuple(old, opts): the
// _sequence tuple old with the options of box.schema.sequence.alter
// (name, step, min, max, start, cache, cycle) put over its fields; the
// other fields keep their exact bytes.
func (rt *Runtime) sequenceAlterTuple(L *lua.LState) int {
	old := checkTuple(L, 1).t
	opts := L.OptTable(2, L.NewTable())
	keys := [...]string{"", "", "name", "step", "min", "max", "start", "cache", "cycle"}
	n := max(old.Len(), len(keys))
	t := msgpack.AppendArrayHeader(nil, uint32(n))
	var err error
	for i := 0; i < n; i++ {
		var v lua.LValue = lua.LNil
		if i < len(keys) && keys[i] != "" {
			v = opts.RawGetString(keys[i])
			if luaconv.IsNULL(v) {
				v = lua.LNil
			}
		}
		switch {
		case v != lua.LNil:
			if t, err = encodeOption(t, v); err != nil {
				return rt.raise(L, err)
			}
		case i < old.Len():
			t = append(t, old.Field(i)...)
		default:
			t = msgpack.AppendNil(t)
		}
	}
	return rt.pushRawTuple(L, t)
}

func (rt *Runtime) pushRawTuple(L *lua.LState, data []byte) int {
	tu, err := memtx.NewTuple(data)
	if err != nil {
		return rt.raise(L, err)
	}
	L.Push(rt.tupleValue(L, tu, nil))
	return 1
}

// refreshSequences brings box.sequence and the sequence fields of
// primary-key objects up to date with the core. It is cheap when nothing
// changed, so it can run after every statement.
func (rt *Runtime) refreshSequences() {
	b := rt.Box
	st := rt.sequenceState()
	if b == nil || st == nil {
		return
	}
	if st.built && st.seenSeq == b.SequenceVersion() && st.seenSchema == b.SchemaVersion() {
		return
	}
	st.built, st.seenSeq, st.seenSchema = true, b.SequenceVersion(), b.SchemaVersion()
	L := rt.L

	var keys []lua.LValue
	st.table.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		st.table.RawSet(k, lua.LNil)
	}
	live := make(map[uint32]bool)
	for _, seq := range b.Sequences() {
		live[seq.ID] = true
		o := st.objs[seq.ID]
		if o == nil {
			o = L.NewTable()
			L.SetMetatable(o, st.objMT)
			st.objs[seq.ID] = o
		}
		o.RawSetString("id", lua.LNumber(seq.ID))
		o.RawSetString("uid", lua.LNumber(seq.OwnerID))
		o.RawSetString("name", lua.LString(seq.Name))
		o.RawSetString("step", int64Value(seq.Step))
		o.RawSetString("min", int64Value(seq.Min))
		o.RawSetString("max", int64Value(seq.Max))
		o.RawSetString("start", int64Value(seq.Start))
		o.RawSetString("cache", int64Value(seq.Cache))
		o.RawSetString("cycle", lua.LBool(seq.Cycle))
		st.table.RawSetInt(int(seq.ID), o)
		st.table.RawSetString(seq.Name, o)
	}
	for id := range st.objs {
		if !live[id] {
			delete(st.objs, id)
		}
	}

	// sequence_id & co. of primary keys (lbox_fillspace): set on the
	// primary key of a space with a sequence, cleared everywhere else.
	for _, sp := range b.Spaces() {
		so, ok := rt.spaceTable.RawGet(lua.LNumber(sp.ID)).(*lua.LTable)
		if !ok {
			continue
		}
		idx, ok := so.RawGetString("index").(*lua.LTable)
		if !ok {
			continue
		}
		pk, ok := idx.RawGet(lua.LNumber(0)).(*lua.LTable)
		if !ok {
			continue
		}
		seq, fieldNo, path := sp.Sequence()
		var id, fno, p lua.LValue = lua.LNil, lua.LNil, lua.LNil
		if seq != nil {
			id, fno = lua.LNumber(seq.ID), lua.LNumber(fieldNo+1)
			if path != "" {
				p = lua.LString(path)
			}
		}
		pk.RawSetString("sequence_id", id)
		pk.RawSetString("sequence_fieldno", fno)
		pk.RawSetString("sequence_path", p)
	}
}
