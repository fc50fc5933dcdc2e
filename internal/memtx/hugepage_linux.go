package memtx

import (
	"syscall"
	"unsafe"
)

const hugePage = 2 << 20

// adviseHugePages asks for transparent huge pages (MADV_HUGEPAGE) over
// the huge pages that [p, p+n) touches, before the memory is first
// written. The range is widened to whole huge pages: what it covers
// beyond the block is Go heap as well, and the advice is only a hint. The
// call fails harmlessly where the kernel has THP disabled.
func adviseHugePages(p unsafe.Pointer, n int) {
	start := uintptr(p) &^ (hugePage - 1)
	end := (uintptr(p) + uintptr(n) + hugePage - 1) &^ (hugePage - 1)
	syscall.Syscall(syscall.SYS_MADVISE, start, end-start, 14 /* MADV_HUGEPAGE */)
}
