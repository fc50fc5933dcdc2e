package luamod

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// TestFioLuaLineMarks checks that every statement of lua/fio.lua marked
// --@N sits on line N, the line of its counterpart in 2.6's
// builtin/fio.lua, so that error positions match Tarantool's.
func TestFioLuaLineMarks(t *testing.T) {
	src, err := luaFS.ReadFile("lua/fio.lua")
	if err != nil {
		t.Fatal(err)
	}
	mark := regexp.MustCompile(`--@(\d+)\s*$`)
	sc := bufio.NewScanner(bytes.NewReader(src))
	marks := 0
	for line := 1; sc.Scan(); line++ {
		m := mark.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		marks++
		if want, _ := strconv.Atoi(m[1]); want != line {
			t.Errorf("mark --@%d is on line %d", want, line)
		}
	}
	if marks < 40 {
		t.Errorf("%d marks, want the 40 raising statements", marks)
	}
}

// runFio runs chunk with fio required as a global and returns its output.
func runFio(t *testing.T, opts Options, chunk string) string {
	t.Helper()
	var out bytes.Buffer
	L := newState(t, opts, &out)
	if err := L.DoString("fio = require('fio') ffi = require('ffi')\n"+chunk, "=test"); err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	return out.String()
}

func fioFdOpen(fd int) bool {
	_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return errno == 0
}

// TestFioHandleClosedByGC checks that a handle dropped without close is
// closed when collected, and that a closed one does not close its old
// descriptor number again (by then another file's).
func TestFioHandleClosedByGC(t *testing.T) {
	out := runFio(t, Options{}, `
		local h = fio.open('/dev/null')
		print(h.fh)
		h = nil
		collectgarbage() collectgarbage()
	`)
	fd, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("output %q", out)
	}
	if fioFdOpen(fd) {
		t.Errorf("descriptor %d of a collected handle is still open", fd)
	}

	out = runFio(t, Options{}, `
		local h = fio.open('/dev/null')
		local old = h.fh
		assert(h:close() == true and h.fh == -1)
		keep = fio.open('/dev/null')
		assert(keep.fh == old, 'the lowest free descriptor is reused')
		h = nil
		collectgarbage() collectgarbage()
		print(keep.fh)
	`)
	fd, err = strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("output %q", out)
	}
	if !fioFdOpen(fd) {
		t.Errorf("collecting a closed handle closed descriptor %d, which another handle holds", fd)
	}
}

// TestFioCloseOnExec checks that fio's descriptors do not leak into
// child processes.
func TestFioCloseOnExec(t *testing.T) {
	out := runFio(t, Options{}, `
		local h = fio.open('/dev/null')
		print(h.fh)
		_G.h = h
	`)
	fd, _ := strconv.Atoi(strings.TrimSpace(out))
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("descriptor %d: flags %#x, errno %v; want FD_CLOEXEC", fd, flags, errno)
	}
}

// TestFioErrorObjects checks that failures carry the object
// Options.NewError makes, and that the default one reads as box.error.
func TestFioErrorObjects(t *testing.T) {
	var got []*boxerr.Error
	hook := func(L lua.State, e *boxerr.Error) {
		got = append(got, e)
		L.PushString("E:" + e.Message)
	}
	out := runFio(t, Options{NewError: hook}, `
		print(fio.stat('/nonexistent/x'))
		print(fio.open('/nonexistent/x'))
		print(fio.listdir('/nonexistent/x'))
		print(fio.mkdir('/'))
	`)
	want := "nil\tE:fio: No such file or directory\n" +
		"nil\tE:fio: No such file or directory\n" +
		"nil\tcan't listdir /nonexistent/x: E:fio: No such file or directory\n" +
		"false\tE:fio: File exists\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if len(got) != 4 || got[0].Type != "SystemError" || got[0].Errno != int(syscall.ENOENT) ||
		got[0].Code != boxerr.ER_SYSTEM || got[3].Errno != int(syscall.EEXIST) {
		t.Errorf("errors %+v", got)
	}

	out = runFio(t, Options{}, `
		local _, e = fio.stat('/nonexistent/x')
		print(type(e), tostring(e), e.type, e.base_type, e.message, e.errno, e.code)
		print(getmetatable(e) == getmetatable(select(2, fio.lstat('/nonexistent/y'))))
	`)
	want = "table\tfio: No such file or directory\tSystemError\tSystemError\tfio: No such file or directory\t2\tnil\ntrue\n"
	if out != want {
		t.Errorf("default object: got\n%s\nwant\n%s", out, want)
	}
}

// TestFioUndefinedArguments covers what 2.6 leaves undefined (and
// Tarantool hangs or corrupts memory on): negative sizes fail with
// EINVAL, offsets past off_t mean the current offset, and a huge size
// reads what there is without allocating it.
func TestFioUndefinedArguments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runFio(t, Options{}, `
		local fh = fio.open(`+strconv.Quote(path)+`, 'O_RDWR')
		local buf = ffi.cast('char *', ffi.new('char[16]'))
		print(fh:read(-1))
		print(fh:read(0/0))
		print(fh:read(buf, -1))
		print(fh:pread(-5, 0))
		print(fh:write(buf, -1))
		print(fh:pwrite(buf, -1, 0))
		print(fh:read(2), fh:pread(2, 1e30), fh:pread(2, 0/0), fh:read(2))
		print(fh:seek(0), fh:read(1e15), fh:seek(3), fh:read(2^62), fh:pread(1e12, 8), fh:pread(1e12, 20))
		print(fh:seek(0, 'SEEK_END'), fh:read(1e12), fh:read(5))
		print(fh:close())
	`)
	want := "nil\tfio: Invalid argument\n" +
		"nil\tfio: Invalid argument\n" +
		"nil\tfio: Invalid argument\n" +
		"nil\tfio: Invalid argument\n" +
		"false\tfio: Invalid argument\n" +
		"false\tfio: Invalid argument\n" +
		"01\t23\t45\t67\n" +
		"0\t0123456789\t3\t3456789\t89\t\n" +
		"10\t\t\n" +
		"true\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestFioReadSize(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 3<<20)); err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	for _, c := range []struct {
		n    uint64
		off  int64
		want uint64
	}{
		{10, -1, 10}, {1 << 20, 0, 1 << 20}, {1 << 40, 0, 3 << 20}, {1 << 40, 1 << 20, 2 << 20},
		{1 << 40, 5 << 20, 0}, {2 << 20, -1, 0}, // the offset is at the end after the write
	} {
		got, err := fioReadSize(fd, c.n, c.off)
		if err != nil || got != c.want {
			t.Errorf("fioReadSize(%d, %d) = %d, %v; want %d", c.n, c.off, got, err, c.want)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got, _ := fioReadSize(int(r.Fd()), 1<<40, -1); got != fioMaxRW {
		t.Errorf("pipe: %d, want one read(2)'s most", got)
	}
	if _, err := fioReadSize(-1, 1<<40, -1); err != syscall.EBADF {
		t.Errorf("bad descriptor: %v", err)
	}
}

// TestFioCopyFile checks copies through sendfile and through the buffer
// that stands in where sendfile is refused.
func TestFioCopyFile(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 50000) // 800000 bytes
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o640); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	if err := fioCopyFile(src, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Errorf("sendfile copy differs (%d bytes)", len(got))
	}
	if st, _ := os.Stat(dst); st.Mode().Perm() != 0o640&^fioUmask() {
		t.Errorf("mode %v", st.Mode())
	}

	in, _ := syscall.Open(src, syscall.O_RDONLY, 0)
	defer syscall.Close(in)
	out, _ := syscall.Open(filepath.Join(dir, "rest"), syscall.O_WRONLY|syscall.O_CREAT, 0o600)
	defer syscall.Close(out)
	if err := fioCopyRest(out, in, 100, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "rest"))
	if len(got) != len(data) || !bytes.Equal(got[100:], data[100:]) || !bytes.Equal(got[:100], make([]byte, 100)) {
		t.Errorf("buffered copy differs (%d bytes)", len(got))
	}
}

func fioUmask() os.FileMode {
	old := syscall.Umask(0)
	syscall.Umask(old)
	return os.FileMode(old)
}

// TestFioLibc checks the C library wrappers on cases whose results
// Tarantool 2.6 shows.
func TestFioLibc(t *testing.T) {
	for in, want := range map[string]string{
		"": ".", "/": "/", "//": "//", "///": "/", "a": ".", "a/": ".", "/a": "/", "/a/": "/",
		"/a//": "/", "a/b": "a", "a/b/": "a", "//a": "//", "//a/b": "//a", "/a/b//c//": "/a/b",
		".": ".", "..": ".", "../x": "..", "a\x00/b": ".",
	} {
		if got := fioDirname(in); got != want {
			t.Errorf("fioDirname(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	for _, n := range []string{"a1", "a2", "b10", ".h", "x/y"} {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	for pattern, want := range map[string]string{
		"*": "a1 a2 b10 x", "a?": "a1 a2", "[!a]*": "b10 x", ".*": ". .. .h", "*/*": "x/y",
		"nope*": "", "a\\1": "",
	} {
		paths, ok := fioGlob(filepath.Join(dir, pattern))
		for i := range paths {
			paths[i] = strings.TrimPrefix(paths[i], dir+"/")
		}
		if !ok || strings.Join(paths, " ") != want {
			t.Errorf("fioGlob(%q) = %q, %v; want %q", pattern, paths, ok, want)
		}
	}
	t.Setenv("TMPDIR", dir)
	tmp, err := fioTempdir()
	if err != nil || filepath.Dir(tmp) != dir || len(filepath.Base(tmp)) != 6 {
		t.Errorf("fioTempdir() = %q, %v", tmp, err)
	}
	if st, err := os.Stat(tmp); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("tempdir mode: %v %v", st, err)
	}
	t.Setenv("TMPDIR", strings.Repeat("x", fioPathMax))
	if _, err := fioTempdir(); err != syscall.ENOMEM {
		t.Errorf("a template past PATH_MAX: %v", err)
	}
}

// TestFioConversions checks the C conversions of numbers.
func TestFioConversions(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int64
	}{{2.9, 2}, {-2.9, -2}, {1e300, -1 << 63}, {-1e300, -1 << 63}, {0, 0}} {
		if got := fioInt64(c.in); got != c.want {
			t.Errorf("fioInt64(%v) = %d, want %d", c.in, got, c.want)
		}
	}
	if n, ok := fioCount(-0.5); ok {
		t.Errorf("fioCount(-0.5) = %d, true", n)
	}
	if n, ok := fioCount(3.7); !ok || n != 3 {
		t.Errorf("fioCount(3.7) = %d, %v", n, ok)
	}
	if got := fioOffset(-1); got != -1 {
		t.Errorf("fioOffset(-1) = %d", got)
	}
	if got := fioOffset(1e19); got != -1 {
		t.Errorf("fioOffset(1e19) = %d", got)
	}
}

func BenchmarkFioStat(b *testing.B) {
	var out bytes.Buffer
	L := newState(b, Options{}, &out)
	if err := L.DoString(`fio = require('fio')`, "=b"); err != nil {
		b.Fatal(err)
	}
	if err := L.Load("local st = fio.stat('/') return st:is_dir()", "=b"); err != nil {
		b.Fatal(err)
	}
	fn := L.Ref()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		L.PushRef(fn)
		if err := L.PCall(0, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFioPread(b *testing.B) {
	var out bytes.Buffer
	L := newState(b, Options{}, &out)
	if err := L.DoString(`fio = require('fio') fh = fio.open('/proc/self/exe')`, "=b"); err != nil {
		b.Fatal(err)
	}
	if err := L.Load("return fh:pread(4096, 0)", "=b"); err != nil {
		b.Fatal(err)
	}
	fn := L.Ref()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		L.PushRef(fn)
		if err := L.PCall(0, 0); err != nil {
			b.Fatal(err)
		}
	}
}
