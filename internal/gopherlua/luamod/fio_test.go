package luamod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestDirname(t *testing.T) {
	// glibc's results, checked against fio.dirname in Tarantool 2.6.
	cases := map[string]string{"": ".", "/": "/", "//": "//", "///": "/", "a": ".", "a/": ".", "/a": "/",
		"/a/": "/", "/a//": "/", "a/b": "a", "a/b/": "a", "//a": "//", "//a/b": "//a", "/a/b//c//": "/a/b",
		".": ".", "..": ".", "../x": "..", "a\x00/b": "."}
	for in, want := range cases {
		if got := Dirname(in); got != want {
			t.Errorf("Dirname(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPathJoin(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, "."}, {[]string{""}, "."}, {[]string{"/", ""}, "/"}, {[]string{"a/", "/b//"}, "a/b"},
		{[]string{"a", "", "b"}, "a/b"}, {[]string{"//x//", "y/"}, "/x/y"}, {[]string{"/"}, "/"},
	}
	for _, c := range cases {
		if got := PathJoin(c.in...); got != c.want {
			t.Errorf("PathJoin(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestGlobModel compares Glob with filepath.Glob on patterns where the
// two agree (no leading-dot names, no backslashes) over a random tree.
func TestGlobModel(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a1", "a2", "b10", "c-d", "x/y1", "x/y2", "x/z", ".h", "x/.h"} {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, pat := range []string{"*", "a?", "[ab]*", "[^a]*", "x/*", "*/y*", "x/[y-z]*", "nope", "a1", "*/z", "?-?"} {
		want, _ := filepath.Glob(filepath.Join(dir, pat))
		var keep []string
		for _, w := range want {
			if !strings.HasPrefix(filepath.Base(w), ".") {
				keep = append(keep, w)
			}
		}
		got := Glob(filepath.Join(dir, pat))
		if strings.Join(got, "|") != strings.Join(keep, "|") {
			t.Errorf("Glob(%q) = %q, want %q", pat, got, keep)
		}
	}
	if got := Glob(filepath.Join(dir, ".*")); len(got) != 3 {
		t.Errorf("Glob(.*) = %q, want ., .. and .h", got)
	}
}

// TestFioErrorObjectHook checks that Options.NewError wraps fio's
// SystemErrors and that the default object reads like box.error.
func TestFioErrorObjectHook(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	Preload(L, Options{})
	if err := L.DoString(`
		local fio = require('fio')
		local r, e = fio.stat('/nonexistent/x')
		assert(r == nil and tostring(e) == 'fio: No such file or directory')
		assert(e.type == 'SystemError' and e.errno == 2 and e.code == nil)
		local h = fio.open('/dev/null', 'O_RDONLY')
		assert(h:read(10) == '' and h:close() == true and h.fh == -1)
	`); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkFioPathJoin(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = PathJoin("/var/lib/tarantool/", "//instance", "00000000000000000000.xlog")
	}
}
