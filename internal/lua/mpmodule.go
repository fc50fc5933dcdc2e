package lua

/*
#include "sp.h"
*/
import "C"

import "unsafe"

// MsgpackModule is the loader of require('msgpack'), written in C
// (mpmodule.c): encode, decode, decode_unchecked, ibuf_decode,
// decode_array_header, decode_map_header, new, cfg, NULL, array_mt and
// map_mt. Its configuration is the VM's (MsgpackSerializer), the one
// tuples and CALL use, so msgpack.cfg{} changes them as in Tarantool.
var MsgpackModule = CFunction(C.sp_msgpack_module)

// PushBufferHelpers pushes the table the buffer module's Lua half is
// given: register(ctypes of struct ibuf, struct ibuf *, char *, const
// char *), which tells the C serializers those types, and the ibuf
// functions (ibuf_create, ibuf_reinit, ibuf_reserve_slow) and
// mp_checklen as lightuserdata for ffi.cast, since the C symbols of the
// binary are not visible to ffi.C.
func (L State) PushBufferHelpers() { C.sp_push_buffer_helpers(L.p) }

// PushSerializerCfg pushes the cfg table of s: its current option
// values, callable as cfg{...} to change them (values are read as
// Tarantool reads them, without type errors, and stored in the table as
// given).
func (L State) PushSerializerCfg(s *Serializer) {
	C.lua_pushlightuserdata(L.p, unsafe.Pointer(s.c))
	C.sp_push_serializer_cfg(L.p, -1)
	L.Remove(-2)
}

// ParseSerializerOptions sets dst to base with the options of the table
// at idx applied, as a per-call options argument (yaml.encode(v, opts)).
// Lookups run metamethods; an error raised there is raised again, so it
// may be called only inside a Function.
func (L State) ParseSerializerOptions(idx int, base, dst *Serializer) {
	*dst.c = *base.c
	if C.sp_pparse_options(L.p, C.int(idx), dst.c) != 0 {
		L.Raise()
	}
}
