//go:build !linux

package memtx

import "unsafe"

// adviseHugePages does nothing where transparent huge pages are not
// asked for with madvise.
func adviseHugePages(p unsafe.Pointer, n int) {}
