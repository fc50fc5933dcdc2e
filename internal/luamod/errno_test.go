package luamod

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
)

// TestStrerrorMatchesLibc compares the Go Strerror with the C library's
// strerror that errno.strerror calls.
func TestStrerrorMatchesLibc(t *testing.T) {
	out := runLua(t, Options{}, "local e = require('errno') for i = -2, 140 do print(e.strerror(i)) end")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, want := range lines {
		if got := Strerror(i - 2); got != want {
			t.Errorf("Strerror(%d) = %q, libc %q", i-2, got, want)
		}
	}
}

// TestSetErrno checks that a Go function's SetErrno is what errno() reads
// in the Lua code that called it.
func TestSetErrno(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	L.PushFunction(func(L lua.State) int {
		SetErrno(L, L.CheckInt(1))
		return 0
	})
	L.SetGlobal("fail_with")
	if err := L.DoString("local errno = require('errno') fail_with(errno.ENOENT) print(errno(), errno.strerror()) fail_with(7) print(errno())", "=t"); err != nil {
		t.Fatal(err)
	}
	if out.String() != strconv.Itoa(2)+"\tNo such file or directory\n7\n" {
		t.Fatalf("got %q", out.String())
	}
}
