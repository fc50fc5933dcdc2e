package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// runBoth runs a script with args under spindle and, when present, the
// reference tarantool, and returns stdout and the exit code of each.
func runScript(t *testing.T, bin, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TEST_WORK_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// TestScriptArgsAndExit checks arg, varargs, os.exit codes and a fatal
// error in the instance file against the reference.
func TestScriptArgsAndExit(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"args.lua": `print(arg[0], arg[1], arg[2], arg[3], #arg, select('#', ...), ...)
os.exit(3)`,
		"fail.lua": `print('before')
error('instance file failed')`,
		"boxfail.lua": `box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), bad_option = 1}`,
		"plain.lua":   `print('no box.cfg: the process ends with the script')`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type run struct {
		args []string
		code int
		out  string
	}
	runs := []run{
		{[]string{"args.lua", "a", "b c"}, 3, "args.lua\ta\tb c\tnil\t2\t2\ta\tb c\n"},
		{[]string{"fail.lua"}, 1, "before\n"},
		{[]string{"boxfail.lua"}, 1, ""},
		{[]string{"plain.lua"}, 0, "no box.cfg: the process ends with the script\n"},
	}
	for _, r := range runs {
		out, code := runScript(t, spindleBin, dir, r.args...)
		if out != r.out || code != r.code {
			t.Errorf("spindle %v: exit %d, stdout %q; want %d %q", r.args, code, out, r.code, r.out)
		}
	}
	tarantool, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool 2.6 is not installed: the expectations above were taken from it")
	}
	for _, r := range runs {
		out, code := runScript(t, tarantool, dir, r.args...)
		if out != r.out || code != r.code {
			t.Errorf("tarantool %v: exit %d, stdout %q; the test expects %d %q", r.args, code, out, r.code, r.out)
		}
	}
}

// TestStopOnSignal checks that a serving instance exits cleanly on SIGINT.
func TestStopOnSignal(t *testing.T) {
	in := start(t, spindleBin, `box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}`)
	in.Stop(t)
	if in.waitErr != nil {
		t.Fatalf("exit status after SIGINT: %v\n%s", in.waitErr, in.Output())
	}
}
