package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLogToFile checks box.cfg{log=...} and log_level: lines go to the
// file in Tarantool's format and levels above log_level are dropped.
func TestLogToFile(t *testing.T) {
	dir := t.TempDir()
	script := `
box.cfg{work_dir = os.getenv('WORK_DIR'), log = 'file:' .. os.getenv('WORK_DIR') .. '/spindle.log', log_level = 'info'}
local log = require('log')
log.info('hello %s', 'world')
log.verbose('not shown')
log.warn({a = 1})
box.cfg{log_level = 6}
log.verbose('shown now')
os.exit(0)
`
	path := filepath.Join(dir, "log.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(spindleBin, "log.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WORK_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(out) != 0 {
		t.Errorf("output went to the terminal instead of the log file:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "spindle.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\d+\] main/103/log\.lua I> hello world$`)
	if !line.MatchString(log) {
		t.Errorf("no Tarantool-format info line in:\n%s", log)
	}
	for _, want := range []string{`W> {"a":1}`, "V> shown now", "I> ready to accept requests", "C> log level 5"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "not shown") {
		t.Errorf("a verbose line was written at log_level 5:\n%s", log)
	}
}
