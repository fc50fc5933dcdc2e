package lua

/*
#include "sp.h"
*/
import "C"

import "unsafe"

// IbufView returns the unread bytes (from rpos to wpos) of the ibuf at
// idx (a struct ibuf or a struct ibuf *), and false when idx holds no
// ibuf. The bytes stay valid until the buffer is written or freed.
func (L State) IbufView(idx int) ([]byte, bool) {
	var p *C.char
	var n C.size_t
	if C.sp_ibuf_view(L.p, C.int(idx), &p, &n) == 0 {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), true
}

// IbufConsume moves the rpos of the ibuf at idx n bytes on.
func (L State) IbufConsume(idx, n int) { C.sp_ibuf_consume(L.p, C.int(idx), C.size_t(n)) }

// IbufAppend writes b at the wpos of the ibuf at idx, growing it; false
// when out of memory or idx holds no ibuf.
func (L State) IbufAppend(idx int, b []byte) bool {
	if len(b) == 0 {
		return isIbuf(L, idx)
	}
	return C.sp_ibuf_append(L.p, C.int(idx), (*C.char)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b))) != 0
}

func isIbuf(L State, idx int) bool { return C.sp_checkibuf(L.p, C.int(idx)) != nil }
