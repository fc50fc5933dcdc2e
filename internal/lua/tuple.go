package lua

/*
#include "sp.h"
*/
import "C"

import "unsafe"

// C functions of box.tuple objects, for the metatable and methods that
// package luabox assembles.
var (
	TupleIndex   = CFunction(C.sp_tuple_index) // __index; upvalue 1: methods
	TupleLen     = CFunction(C.sp_tuple_len)
	TupleEq      = CFunction(C.sp_tuple_eq)
	TupleBsize   = CFunction(C.sp_tuple_bsize)
	TupleToTable = CFunction(C.sp_tuple_totable)
	TupleUnpack  = CFunction(C.sp_tuple_unpack)
	TupleToMap   = CFunction(C.sp_tuple_tomap)
	TupleNext    = CFunction(C.sp_tuple_next)
	TupleIs      = CFunction(C.sp_tuple_is)
)

// SetTupleMetatable makes the table on top (popped) the metatable of
// every tuple pushed from now on.
func (L State) SetTupleMetatable() {
	C.sp_tuple_setmt(L.p, C.luaL_ref(L.p, C.LUA_REGISTRYINDEX))
}

// PushTuple pushes a tuple holding a copy of data, a MessagePack array
// the caller has validated. ident identifies the stored tuple for ==
// (0: equal only to itself). fmtRef is the registry reference of the
// format table (field name -> 1-based number, [0] = list of names), or 0.
func (L State) PushTuple(data []byte, ident uint64, fmtRef int) {
	C.sp_tuple_push(L.p, (*C.char)(unsafe.Pointer(unsafe.SliceData(data))), C.size_t(len(data)), C.uint64_t(ident), C.int(fmtRef))
}

// TupleData returns a view of the MessagePack array of the tuple at idx
// (valid while the tuple is reachable), and whether idx is a tuple.
func (L State) TupleData(idx int) ([]byte, bool) {
	var n C.size_t
	p := C.sp_tuple_data(L.p, C.int(idx), &n)
	if p == nil {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), true
}

// TupleIdent returns the identity PushTuple recorded.
func (L State) TupleIdent(idx int) uint64 { return uint64(C.sp_tuple_ident(L.p, C.int(idx))) }
