package luamod

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runTarantool runs script (a file) with tarantool in dir with env and
// returns its output; it skips the test without tarantool.
func runTarantool(t *testing.T, dir string, env []string, script string) string {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, script)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tarantool: %v\n%s", err, out)
	}
	return string(out)
}

// envWith is the test's environment with the variables in set replaced
// or added ("NAME=value") and those in unset removed.
func envWith(set []string, unset ...string) []string {
	drop := map[string]bool{"TT_LOG": true}
	for _, name := range unset {
		drop[name] = true
	}
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		drop[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// TestPackagePathsLikeTarantool compares package.path and package.cpath
// with Tarantool's for several environments: with and without HOME,
// with LUA_PATH/LUA_CPATH replacing the default or extending it (;;).
func TestPackagePathsLikeTarantool(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "paths.lua")
	if err := os.WriteFile(script, []byte("print(package.path)\nprint(package.cpath)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		set   []string
		unset []string
	}{
		{set: []string{"HOME=/home/someone"}, unset: []string{"LUA_PATH", "LUA_CPATH"}},
		{unset: []string{"HOME", "LUA_PATH", "LUA_CPATH"}},
		{set: []string{"HOME=", "LUA_PATH=/x/?.lua;;", "LUA_CPATH=/y/?.so"}},
		{set: []string{"HOME=/h", "LUA_PATH=;;;/z/?.lua", "LUA_CPATH=;;"}},
	}
	for _, c := range cases {
		env := envWith(c.set, c.unset...)
		want := runTarantool(t, dir, env, script)
		path, cpath := packagePaths(lookupEnv(func() []string { return env }), runtime.GOOS, runtime.GOARCH, fileExists)
		if got := path + "\n" + cpath + "\n"; got != want {
			t.Errorf("env %v %v:\n tarantool: %q\n spindle:   %q", c.set, c.unset, want, got)
		}
	}
}

// TestPackagePathsLayouts checks the directories of other distributions'
// layouts, which this machine cannot show.
func TestPackagePathsLayouts(t *testing.T) {
	getenv := func(string) (string, bool) { return "", false }
	only := func(files ...string) func(string) bool {
		return func(p string) bool {
			for _, f := range files {
				if p == f {
					return true
				}
			}
			return false
		}
	}
	_, cpath := packagePaths(getenv, "linux", "amd64", only())
	if want := "/usr/local/lib64/tarantool/?.so;/usr/lib64/tarantool/?.so;/usr/local/lib64/lua/5.1/?.so;/usr/lib64/lua/5.1/?.so;"; cpath != want {
		t.Errorf("non-Debian cpath %q, want %q", cpath, want)
	}
	_, cpath = packagePaths(getenv, "linux", "arm64", only("/etc/debian_version"))
	if !strings.HasPrefix(cpath, "/usr/local/lib/aarch64-linux-gnu/tarantool/?.so;/usr/lib/aarch64-linux-gnu/tarantool/?.so;/usr/local/lib/tarantool/?.so;") {
		t.Errorf("Debian arm64 cpath %q", cpath)
	}
	_, cpath = packagePaths(getenv, "linux", "amd64", only("/etc/alpine-release"))
	if !strings.Contains(cpath, "/usr/lib64/tarantool/?.so;/usr/local/lib/tarantool/?.so;") {
		t.Errorf("Alpine cpath %q", cpath)
	}
	path, _ := packagePaths(getenv, "linux", "amd64", only("/etc/gentoo-release"))
	if !strings.Contains(path, "/usr/share/tarantool/?/init.lua;/usr/lib64/lua/luarocks/share/tarantool/?.lua;") {
		t.Errorf("Gentoo path %q", path)
	}
	_, cpath = packagePaths(getenv, "darwin", "arm64", only())
	if !strings.HasPrefix(cpath, "/usr/local/lib/tarantool/?.dylib;") {
		t.Errorf("macOS cpath %q", cpath)
	}
}

// searchScript exercises the search-root loaders from a directory inside
// a tree with .rocks directories above it.
const searchScript = `
local function short(p)
    if p == nil then return 'nil' end
    local out, i = {}, 1
    while true do
        local b, e = p:find(ROOT, i, true)
        if not b then break end
        out[#out + 1] = p:sub(i, b - 1) .. '<root>'
        i = e + 1
    end
    return table.concat(out) .. p:sub(i)
end
print(short(package.searchroot()))
print(require('localmod'), require('localdir'), require('rockmod'), require('uprock'))
print(short(package.search('localmod')), short(package.search('rockmod')))
print(short(package.search('uprock')), short(package.search('nosuch')))
print(short(select(2, pcall(require, 'nosuch.mod'))):match('^[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*'))
package.setsearchroot('..')
print(short(package.searchroot()), require('sibling'))
package.setsearchroot(ROOT .. '/x/../a/./b//')
print(short(package.searchroot()))
dofile(ROOT .. '/x/setroot.lua')
print(short(package.searchroot()), require('xmod'))
package.setsearchroot(box and box.NULL or require('ffi').cast('void *', 0))
print(short(package.searchroot()))
local f = package.loaders[2]('localmod')
print(type(f), f and f('localmod'))
print(short(package.loaders[3]('nolib')))
print(short(package.loaders[5]('v1-some.lib')))
`

// TestSearchRootLikeTarantool runs searchScript under Tarantool and
// Spindle in the same directory tree and compares the output.
func TestSearchRootLikeTarantool(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"a/b/localmod.lua":                       "return 'local'",
		"a/b/localdir/init.lua":                  "return 'localdir'",
		"a/b/.rocks/share/tarantool/rockmod.lua": "return 'rock'",
		".rocks/share/tarantool/uprock/init.lua": "return 'uprock'",
		"a/sibling.lua":                          "return 'sibling'",
		"x/xmod.lua":                             "return 'xmod'",
		"x/setroot.lua":                          "package.setsearchroot()",
	}
	for name, src := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := "local ROOT = " + luaQuote(root) + "\n" + searchScript
	script := filepath.Join(root, "search.lua")
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cwd := filepath.Join(root, "a", "b")
	want := runTarantool(t, cwd, envWith(nil), script)

	t.Chdir(cwd)
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	if err := L.DoString(src, "@"+script); err != nil {
		t.Fatal(err)
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(out.String(), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("line %d:\n tarantool: %q\n spindle:   %q", i+1, w, g)
		}
	}
}

// luaQuote is a Lua string literal of s.
func luaQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
