package luabox

import (
	"math"

	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Sequences in Lua: the primitives under box.internal.sequence and the
// box.sequence table (Tarantool 2.6's src/box/lua/sequence.c). The Lua
// side (lua/schema.lua) builds box.schema.sequence.* and the sequence
// methods on top of them.
//
// Values are int64 in the core and reach Lua exactly (numbers below 1e14,
// int64 cdata beyond, as 2.6). The _sequence tuples are built here so the
// default bounds (INT64_MIN, INT64_MAX) and the bounds of an existing
// sequence being altered go from Go to the tuple unchanged.
//
// box.sequence is refreshed from the core's catalog whenever
// box.Box.SequenceVersion or the schema version changes (refreshSequences,
// called from Runtime.Refresh and after every sequence primitive): objects
// keep their identity across ALTER, as 2.6's lbox_sequence_new does, and
// the primary-key objects of box.space get sequence_id, sequence_fieldno
// and sequence_path.

// sequenceState is what the runtime keeps for box.sequence.
type sequenceState struct {
	tableRef int            // box.sequence
	objMTRef int            // {__index = box.internal.sequence_mt}
	objs     map[uint32]int // sequence objects by id: registry refs
	// Versions box.sequence and the primary-key objects were built for.
	seenSeq, seenSchema uint64
	built               bool
}

// openSequence registers box.sequence, box.internal.sequence.* and
// box.internal.sequence_mt. It runs while openBox builds the box table.
func (rt *Runtime) openSequence() {
	L := rt.L
	st := &sequenceState{objs: make(map[uint32]int)}
	rt.seq = st
	L.PushRef(rt.boxRef)
	boxT := L.GetTop()
	L.NewTable()
	L.PushValue(-1)
	st.tableRef = L.Ref()
	L.RawSetField(boxT, "sequence")
	L.RawGetField(boxT, "internal")
	internal := L.GetTop()
	L.NewTable() // methods
	L.PushValue(-1)
	L.RawSetField(internal, "sequence_mt")
	L.CreateTable(0, 1)
	L.Insert(-2)
	L.RawSetField(-2, "__index")
	st.objMTRef = L.Ref()
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"next":         rt.sequenceNext,
		"current":      rt.sequenceCurrent,
		"set":          rt.sequenceSet,
		"reset":        rt.sequenceReset,
		"bless":        rt.sequenceBless,
		"refresh":      func(L lua.State) int { rt.refreshSequences(); return 0 },
		"create_tuple": rt.sequenceCreateTuple,
		"alter_tuple":  rt.sequenceAlterTuple,
	})
	L.RawSetField(internal, "sequence")
	L.SetTop(boxT - 1)
}

// checkSequenceID reads argument n as a sequence id (luaL_checkinteger).
func checkSequenceID(L lua.State, n int) uint32 {
	v := L.CheckNumber(n)
	if v < 0 || v > math.MaxUint32 {
		return math.MaxUint32 // no such sequence
	}
	return uint32(v)
}

// checkInt64 is luaL_checkint64: a number (truncated toward zero and
// saturated at the int64 bounds) or an integer cdata.
func checkInt64(L lua.State, n int) (int64, bool) {
	switch L.Type(n) {
	case lua.TypeNumber:
		f := math.Trunc(L.ToNumber(n))
		switch {
		case f != f:
			return 0, true
		case f >= math.MaxInt64:
			return math.MaxInt64, true
		case f <= math.MinInt64:
			return math.MinInt64, true
		}
		return int64(f), true
	case lua.TypeCdata:
		u, i, sign := L.Integer(n)
		switch sign {
		case 1:
			return int64(u), true
		case -1:
			return i, true
		}
	}
	return 0, false
}

func (rt *Runtime) sequenceNext(L lua.State) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	v, err := b.SequenceNext(rt.session(), rt.ctx().Txn, id)
	if err != nil {
		return rt.raise(L, err)
	}
	L.PushInt64(v)
	return 1
}

func (rt *Runtime) sequenceCurrent(L lua.State) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	v, err := b.SequenceCurrent(rt.session(), id)
	if err != nil {
		return rt.raise(L, err)
	}
	L.PushInt64(v)
	return 1
}

func (rt *Runtime) sequenceSet(L lua.State) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	v, ok := checkInt64(L, 2)
	if !ok {
		L.Errorf("expected int64_t as 2 argument")
	}
	if err := b.SequenceSet(rt.session(), rt.ctx().Txn, id, v); err != nil {
		return rt.raise(L, err)
	}
	return 0
}

func (rt *Runtime) sequenceReset(L lua.State) int {
	b := rt.requireBox(L)
	id := checkSequenceID(L, 1)
	if err := b.SequenceReset(rt.session(), rt.ctx().Txn, id); err != nil {
		return rt.raise(L, err)
	}
	return 0
}

// sequenceBless gives a table the methods of sequence objects
// (box.schema.sequence.bless).
func (rt *Runtime) sequenceBless(L lua.State) int {
	L.CheckType(1, lua.TypeTable)
	L.PushRef(rt.seq.objMTRef)
	L.SetMetatable(1)
	return 0
}

// sequenceOptions are the numeric options of a sequence, in _sequence
// field order after the name.
var sequenceOptions = [...]string{"step", "min", "max", "start", "cache"}

// sequenceCreateTuple is box.internal.sequence.create_tuple(id, uid,
// name, opts): the _sequence tuple of box.schema.sequence.create with
// 2.6's defaults (ascending unless step < 0: min 1, max INT64_MAX, start
// min; descending: min INT64_MIN, max -1, start max; cache 0, cycle
// false). opts has been type-checked by the caller.
func (rt *Runtime) sequenceCreateTuple(L lua.State) int {
	id := L.CheckNumber(1)
	uid := L.CheckNumber(2)
	name := L.CheckString(3)
	if !L.IsTable(4) {
		L.NewTable()
		L.Replace(4)
	}
	L.SetTop(4)
	// opt pushes opts[k] (box.NULL as nil) and reports whether it is set.
	opt := func(k string) bool {
		L.RawGetField(4, k)
		if L.IsNilOrNull(-1) {
			L.Pop(1)
			L.PushNil()
			return false
		}
		return true
	}
	ascending := true
	if opt("step") && L.Type(-1) == lua.TypeNumber && !(L.ToNumber(-1) > 0) {
		ascending = false
	}
	L.Pop(1)
	t := msgpack.AppendArrayHeader(nil, 9)
	t = msgpack.AppendUint(t, uint64(id))
	t = msgpack.AppendUint(t, uint64(uid))
	t = msgpack.AppendString(t, name)
	var err error
	for _, k := range sequenceOptions {
		if opt(k) {
			t, err = L.Encode(t, -1, nil)
			L.Pop(1)
			if err != nil {
				return rt.raise(L, err)
			}
			continue
		}
		L.Pop(1)
		// Defaults exact in int64, and the fallbacks 2.6 computes from
		// other options (start defaults to the user's min or max).
		var def int64
		switch k {
		case "step":
			def = 1
		case "cache":
			def = 0
		case "min":
			def = 1
			if !ascending {
				def = math.MinInt64
			}
		case "max":
			def = math.MaxInt64
			if !ascending {
				def = -1
			}
		case "start":
			from, d := "min", int64(1)
			if !ascending {
				from, d = "max", -1
			}
			if opt(from) {
				t, err = L.Encode(t, -1, nil)
				L.Pop(1)
				if err != nil {
					return rt.raise(L, err)
				}
				continue
			}
			L.Pop(1)
			def = d
		}
		t = msgpack.AppendInt(t, def)
	}
	if opt("cycle") {
		t, err = L.Encode(t, -1, nil)
		if err != nil {
			return rt.raise(L, err)
		}
	} else {
		t = msgpack.AppendBool(t, false)
	}
	L.Pop(1)
	return rt.pushRawTuple(L, t)
}

// sequenceAlterTuple is box.internal.sequence.alter_tuple(old, opts): the
// _sequence tuple old with the options of box.schema.sequence.alter
// (name, step, min, max, start, cache, cycle) put over its fields; the
// other fields keep their exact bytes.
func (rt *Runtime) sequenceAlterTuple(L lua.State) int {
	old := tupleFields(rt.checkTuple(L, 1))
	if !L.IsTable(2) {
		L.NewTable()
		L.Replace(2)
	}
	L.SetTop(2)
	keys := [...]string{"", "", "name", "step", "min", "max", "start", "cache", "cycle"}
	n := max(len(old), len(keys))
	t := msgpack.AppendArrayHeader(nil, uint32(n))
	var err error
	for i := 0; i < n; i++ {
		set := false
		if i < len(keys) && keys[i] != "" {
			L.RawGetField(2, keys[i])
			set = !L.IsNilOrNull(-1)
			if set {
				t, err = L.Encode(t, -1, nil)
			}
			L.Pop(1)
			if err != nil {
				return rt.raise(L, err)
			}
		}
		switch {
		case set:
		case i < len(old):
			t = append(t, old[i]...)
		default:
			t = msgpack.AppendNil(t)
		}
	}
	return rt.pushRawTuple(L, t)
}

func (rt *Runtime) pushRawTuple(L lua.State, data []byte) int {
	if _, err := memtx.NewTuple(data); err != nil {
		return rt.raise(L, err)
	}
	L.PushTuple(data, 0, 0)
	return 1
}

// refreshSequences brings box.sequence and the sequence fields of
// primary-key objects up to date with the core. It is cheap when nothing
// changed, so it can run after every statement.
func (rt *Runtime) refreshSequences() {
	b := rt.Box
	st := rt.seq
	if b == nil || st == nil {
		return
	}
	if st.built && st.seenSeq == b.SequenceVersion() && st.seenSchema == b.SchemaVersion() {
		return
	}
	st.built, st.seenSeq, st.seenSchema = true, b.SequenceVersion(), b.SchemaVersion()
	L := rt.L
	top := L.GetTop()
	defer L.SetTop(top)

	L.PushRef(st.tableRef)
	tbl := L.GetTop()
	L.NewTable()
	keys, nkeys := L.GetTop(), 0
	L.PushNil()
	for L.Next(tbl) {
		L.Pop(1)
		L.PushValue(-1)
		nkeys++
		L.RawSetI(keys, nkeys)
	}
	for i := 1; i <= nkeys; i++ {
		L.RawGetI(keys, i)
		L.PushNil()
		L.RawSet(tbl)
	}
	live := make(map[uint32]bool)
	for _, seq := range b.Sequences() {
		live[seq.ID] = true
		ref, ok := st.objs[seq.ID]
		if !ok {
			L.NewTable()
			L.PushRef(st.objMTRef)
			L.SetMetatable(-2)
			ref = L.Ref()
			st.objs[seq.ID] = ref
		}
		L.PushRef(ref)
		o := L.GetTop()
		for _, f := range []struct {
			k string
			v any
		}{{"id", seq.ID}, {"uid", seq.OwnerID}, {"name", seq.Name}, {"step", seq.Step},
			{"min", seq.Min}, {"max", seq.Max}, {"start", seq.Start}, {"cache", seq.Cache},
			{"cycle", seq.Cycle}} {
			L.PushGo(f.v)
			L.RawSetField(o, f.k)
		}
		L.PushValue(o)
		L.RawSetI(tbl, int(seq.ID))
		L.RawSetField(tbl, seq.Name)
	}
	for id, ref := range st.objs {
		if !live[id] {
			L.Unref(ref)
			delete(st.objs, id)
		}
	}

	// sequence_id & co. of primary keys (lbox_fillspace): set on the
	// primary key of a space with a sequence, cleared everywhere else.
	L.PushRef(rt.spaceTableRef)
	spaces := L.GetTop()
	for _, sp := range b.Spaces() {
		L.SetTop(spaces)
		L.RawGetI(spaces, int(sp.ID))
		if !L.IsTable(-1) {
			continue
		}
		L.RawGetField(-1, "index")
		if !L.IsTable(-1) {
			continue
		}
		L.RawGetI(-1, 0)
		if !L.IsTable(-1) {
			continue
		}
		pk := L.GetTop()
		seq, fieldNo, path := sp.Sequence()
		if seq != nil {
			L.PushNumber(float64(seq.ID))
			L.RawSetField(pk, "sequence_id")
			L.PushNumber(float64(fieldNo + 1))
			L.RawSetField(pk, "sequence_fieldno")
			if path != "" {
				L.PushString(path)
			} else {
				L.PushNil()
			}
			L.RawSetField(pk, "sequence_path")
		} else {
			for _, k := range []string{"sequence_id", "sequence_fieldno", "sequence_path"} {
				L.PushNil()
				L.RawSetField(pk, k)
			}
		}
	}
}
