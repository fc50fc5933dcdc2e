package lua

/*
#include "sp.h"
*/
import "C"

// ErrorBlock is the C memory a box.error object points at: 2.6's struct
// error, holding a copy of the error's class, file, line, errno and
// message (errobj.c). Its reference count counts the Lua values that
// point at it; the last ErrorBlockUnref frees it.
type ErrorBlock uintptr

// NewErrorBlock allocates a block with no references; 0 when out of
// memory. class names the struct type_info the block points at (2.6's
// classes; any other name is a ClientError).
func NewErrorBlock(class, file string, line, errno int, msg string) ErrorBlock {
	return ErrorBlock(C.sp_error_new(cstr(class), C.size_t(len(class)), cstr(file), C.size_t(len(file)),
		C.unsigned(line), C.int(errno), cstr(msg), C.size_t(len(msg))))
}

// Ref counts one more reference to b.
func (b ErrorBlock) Ref() { C.sp_error_ref(C.uintptr_t(b)) }

// Unref drops a reference and reports whether that freed b.
func (b ErrorBlock) Unref() bool {
	return C.sp_error_unref(C.uintptr_t(b)) != 0
}

// PushLightUserdata pushes p as a light userdata (a bare address, which
// ffi.cast turns into a pointer).
func (L State) PushLightUserdata(p uintptr) {
	C.sp_pushaddress(L.p, C.uintptr_t(p))
}

// CdataPointee returns the address a pointer or reference cdata at idx
// holds; callers check the cdata's type first (CdataType).
func (L State) CdataPointee(idx int) uintptr {
	return uintptr(C.sp_cdata_pointee(L.p, C.int(idx)))
}

// CtypeOf returns the ctype id a ctype object at idx (ffi.typeof's
// result) stands for, comparable with CdataType; 0 for other values.
func (L State) CtypeOf(idx int) uint32 { return uint32(C.sp_ctype_of(L.p, C.int(idx))) }

// AllocBlock returns size bytes of zeroed C memory, for an object Lua
// code reaches through an ffi pointer or reference (the struct key_def
// of a key_def object); 0 when out of memory. FreeBlock releases it.
func AllocBlock(size int) uintptr { return uintptr(C.sp_block_alloc(C.size_t(size))) }

// FreeBlock releases memory AllocBlock returned.
func FreeBlock(p uintptr) { C.sp_block_free(C.uintptr_t(p)) }
