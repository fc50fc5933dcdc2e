package luamod

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestTitleCmdline checks that the title reaches the process's command
// line (what ps shows) while os.Args and the environment, moved away by
// the constructor, stay intact.
func TestTitleCmdline(t *testing.T) {
	args := append([]string(nil), os.Args...)
	path := os.Getenv("PATH")
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	const script = `
local title = require('title')
title.update({interpretor_name = 'spindle', script_name = '/x/inst.lua', status = 'running', custom_title = 'test'})
print(title.get())
print(os.getenv('PATH') ~= nil)
`
	if err := L.DoString(script, "=title"); err != nil {
		t.Fatal(err)
	}
	want := "spindle inst.lua <running>: test"
	if got := strings.SplitN(out.String(), "\t", 2)[0]; got != want {
		t.Fatalf("title.get() = %q, want %q", got, want)
	}
	cmdline, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		t.Skip("no /proc/self/cmdline")
	}
	if !bytes.HasPrefix(cmdline, []byte(want+"\x00")) {
		t.Errorf("cmdline %q does not show the title", cmdline)
	}
	for i := range args {
		if os.Args[i] != args[i] {
			t.Errorf("os.Args[%d] = %q, was %q", i, os.Args[i], args[i])
		}
	}
	if os.Getenv("PATH") != path || !strings.HasSuffix(out.String(), "true\n") {
		t.Errorf("environment damaged: PATH %q, Lua saw %q", os.Getenv("PATH"), out.String())
	}

	// A shorter title clears what remains of the longer one.
	SetTitleCustom("")
	SetTitleStatus("")
	UpdateTitle()
	cmdline, _ = os.ReadFile("/proc/self/cmdline")
	if !bytes.HasPrefix(cmdline, []byte("spindle inst.lua\x00")) || bytes.Contains(cmdline, []byte("running")) {
		t.Errorf("cmdline %q after a shorter title", cmdline)
	}
}
