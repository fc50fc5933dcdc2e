package luamod

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>

static int
fio_glob(const char *pattern, glob_t *g)
{
	return glob(pattern, GLOB_NOESCAPE, NULL, g);
}

static const char *
fio_glob_path(const glob_t *g, size_t i)
{
	return g->gl_pathv[i];
}
*/
import "C"

import (
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// The C library is called where fio's results are defined by it: glob(3)
// (match order, bracket and dot rules), dirname(3), mkdtemp(3)'s names,
// and the open(2) flag values of <fcntl.h> as Tarantool's fio.c.flag
// lists them.

// fioFlags is fio.c.flag.
var fioFlags = map[string]int{
	"O_APPEND": C.O_APPEND, "O_ASYNC": C.O_ASYNC, "O_CLOEXEC": C.O_CLOEXEC,
	"O_CREAT": C.O_CREAT, "O_DIRECT": C.O_DIRECT, "O_DIRECTORY": C.O_DIRECTORY,
	"O_EXCL": C.O_EXCL, "O_LARGEFILE": C.O_LARGEFILE, "O_NOATIME": C.O_NOATIME,
	"O_NOCTTY": C.O_NOCTTY, "O_NOFOLLOW": C.O_NOFOLLOW, "O_NONBLOCK": C.O_NONBLOCK,
	"O_NDELAY": C.O_NDELAY, "O_PATH": C.O_PATH, "O_SYNC": C.O_SYNC,
	"O_TMPFILE": C.O_TMPFILE, "O_TRUNC": C.O_TRUNC,
	"O_RDONLY": C.O_RDONLY, "O_WRONLY": C.O_WRONLY, "O_RDWR": C.O_RDWR,
}

// fioModes is fio.c.mode.
var fioModes = map[string]int{
	"S_IRWXU": 0o700, "S_IRUSR": 0o400, "S_IWUSR": 0o200, "S_IXUSR": 0o100,
	"S_IRWXG": 0o070, "S_IRGRP": 0o040, "S_IWGRP": 0o020, "S_IXGRP": 0o010,
	"S_IRWXO": 0o007, "S_IROTH": 0o004, "S_IWOTH": 0o002, "S_IXOTH": 0o001,
}

// fioSeeks is fio.c.seek.
var fioSeeks = map[string]int{"SEEK_SET": 0, "SEEK_CUR": 1, "SEEK_END": 2, "SEEK_DATA": 3, "SEEK_HOLE": 4}

// fioGlob is glob(3) with GLOB_NOESCAPE. ok is false when glob fails for
// a reason other than finding nothing (out of memory), where fio.glob
// returns a lone nil.
func fioGlob(pattern string) (paths []string, ok bool) {
	cp := C.CString(pattern)
	defer C.free(unsafe.Pointer(cp))
	var g C.glob_t
	switch C.fio_glob(cp, &g) {
	case 0:
	case C.GLOB_NOMATCH:
		return []string{}, true
	default:
		return nil, false
	}
	defer C.globfree(&g)
	paths = make([]string, int(g.gl_pathc))
	for i := range paths {
		paths[i] = C.GoString(C.fio_glob_path(&g, C.size_t(i)))
	}
	return paths, true
}

// fioDirname is dirname(3) of path (up to its first NUL, as C sees it).
func fioDirname(path string) string {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	return C.GoString(C.dirname(cp))
}

// fioPathMax is PATH_MAX, the buffer Tarantool gives getcwd, readlink and
// the mkdtemp template.
const fioPathMax = 4096

// fioTempdir makes a directory "$TMPDIR/XXXXXX" (TMPDIR defaults to
// /tmp) with mkdtemp(3), as coio_tempdir does.
func fioTempdir() (string, error) {
	dir, ok := os.LookupEnv("TMPDIR")
	if !ok {
		dir = "/tmp"
	}
	tpl := fioCPath(dir) + "/XXXXXX"
	if len(tpl) >= fioPathMax {
		return "", syscall.ENOMEM
	}
	cp := C.CString(tpl)
	defer C.free(unsafe.Pointer(cp))
	res, err := C.mkdtemp(cp)
	if res == nil {
		return "", err
	}
	return C.GoString(cp), nil
}

// fioCPath is a path as a C function sees it: up to its first NUL.
func fioCPath(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
