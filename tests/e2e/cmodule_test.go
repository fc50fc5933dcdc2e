package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cModuleSource is a Lua module in C, as rocks ship them: it calls the
// Lua C API, which the spindle binary must export for it to load.
const cModuleSource = `
#include <lua.h>
#include <lauxlib.h>
static int hello(lua_State *L) {
	lua_pushfstring(L, "hello %s", luaL_checkstring(L, 1));
	return 1;
}
int luaopen_cmod(lua_State *L) {
	lua_newtable(L);
	lua_pushcfunction(L, hello);
	lua_setfield(L, -2, "hello");
	return 1;
}
`

// TestCModule builds a C module and requires it from .rocks/lib/tarantool
// next to the script, as tarantool finds installed rocks.
func TestCModule(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, ".rocks", "lib", "tarantool")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "cmod.c")
	if err := os.WriteFile(src, []byte(cModuleSource), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("gcc", "-shared", "-fPIC", "-I/usr/include/luajit-2.1", "-o",
		filepath.Join(lib, "cmod.so"), src).CombinedOutput()
	if err != nil {
		t.Skipf("cannot build a C module here: %v\n%s", err, out)
	}
	stdout, _ := runStep(t, spindleBin, dir, "print(require('cmod').hello('rocks')) os.exit(0)")
	if strings.TrimSpace(stdout) != "hello rocks" {
		t.Fatalf("got %q", stdout)
	}
}
