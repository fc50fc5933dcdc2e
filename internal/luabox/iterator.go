package luabox

import (
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/memtx"
)

// iterators are the index iterators Lua holds: luafun iterators whose
// state is a struct iterator pointer naming one of them (lua/iterator.lua).
type iterators struct {
	live map[uintptr]*indexIterator
	next uintptr
	// ctor (a registry ref) makes the luafun iterator of an id and a
	// key; ptrCT is the ctype of its state.
	ctor  int
	ptrCT uint32
}

// indexIterator is a Go iterator and the space whose tuple format its
// tuples carry.
type indexIterator struct {
	it      memtx.Iterator
	spaceID uint32
}

// openIterators loads lua/iterator.lua with the helpers it needs.
func (rt *Runtime) openIterators() {
	L := rt.L
	rt.iters = iterators{live: map[uintptr]*indexIterator{}}
	src, err := libFS.ReadFile("lua/iterator.lua")
	if err != nil {
		panic("luabox: missing embedded iterator.lua")
	}
	if err := L.Load(string(src), "@builtin/box/iterator.lua"); err != nil {
		panic("luabox: iterator.lua: " + err.Error())
	}
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"setup": func(L lua.State) int {
			rt.iters.ptrCT = L.CtypeOf(1)
			L.PushValue(2)
			rt.iters.ctor = L.Ref()
			return 0
		},
		// next(state) returns the iterator's next tuple, nothing at the
		// end; an ended iterator is forgotten at once.
		"next": func(L lua.State) int {
			if L.CdataType(1) != rt.iters.ptrCT {
				return 0
			}
			id := L.CdataPointee(1)
			ii := rt.iters.live[id]
			if ii == nil {
				return 0
			}
			t := ii.it.Next()
			if t == nil {
				delete(rt.iters.live, id)
				return 0
			}
			rt.pushTuple(L, t, rt.formatOf(ii.spaceID))
			return 1
		},
		"free": func(L lua.State) int {
			if L.CdataType(1) == rt.iters.ptrCT {
				delete(rt.iters.live, L.CdataPointee(1))
			}
			return 0
		},
		// set_tuple_ipairs(fn) makes fn tuple:pairs, tuple:ipairs, their
		// box.tuple aliases and the tuples' __pairs and __ipairs.
		"set_tuple_ipairs": func(L lua.State) int {
			for _, ref := range []int{rt.tupleMethodsRef, rt.tupleMTRef} {
				L.PushRef(ref)
				for _, k := range []string{"pairs", "ipairs", "__pairs", "__ipairs"} {
					if (ref == rt.tupleMTRef) != (k[0] == '_') {
						continue
					}
					L.PushValue(1)
					L.RawSetField(-2, k)
				}
				L.Pop(1)
			}
			L.PushRef(rt.boxRef)
			L.RawGetField(-1, "tuple")
			L.PushValue(1)
			L.RawSetField(-2, "pairs")
			L.PushValue(1)
			L.RawSetField(-2, "ipairs")
			L.Pop(2)
			return 0
		},
	})
	L.PushCFunction(lua.TupleNext, 0)
	L.RawSetField(-2, "tuple_next")
	L.PushCFunction(lua.TupleIs, 0)
	L.RawSetField(-2, "is_tuple")
	if err := L.PCall(1, 0); err != nil {
		panic("luabox: iterator.lua: " + err.Error())
	}
}

// pushIterator pushes the three values of index:pairs() for it (over a
// space of id spaceID; key is the encoded search key): the luafun
// iterator, its param and its state.
func (rt *Runtime) pushIterator(L lua.State, it memtx.Iterator, spaceID uint32, key []byte) int {
	rt.iters.next++
	id := rt.iters.next
	rt.iters.live[id] = &indexIterator{it: it, spaceID: spaceID}
	L.PushRef(rt.iters.ctor)
	L.PushNumber(float64(id))
	L.PushBytes(key)
	L.Call(2, 3)
	return 3
}
