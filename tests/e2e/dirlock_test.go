package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWALDirLock: an instance holds its wal_dir, so a second one on the
// same directory - Spindle or tarantool 2.6, either way round - refuses
// to start with 2.6's ER_ALREADY_RUNNING instead of writing the files
// the first one is writing.
func TestWALDirLock(t *testing.T) {
	second := func(t *testing.T, bin, dir, cfg string) string {
		t.Helper()
		stdout, stderr, err := runLua(t, bin, dir, "box.cfg{"+cfg+"} os.exit(0)")
		if err == nil {
			t.Fatalf("%s started on a directory in use:\n%s%s", filepath.Base(bin), stdout, stderr)
		}
		return stdout + stderr
	}
	const holder = "box.cfg{listen = os.getenv('LISTEN')}"
	bin := func(t *testing.T, name string) string {
		if name == "tarantool" {
			return tarantoolBin(t)
		}
		return spindleBin
	}
	for _, c := range []struct{ first, second string }{
		{"tarantool", "spindle"}, {"spindle", "tarantool"}, {"spindle", "spindle"},
	} {
		t.Run(c.second+" after "+c.first, func(t *testing.T) {
			dir := t.TempDir()
			first := startIn(t, bin(t, c.first), dir, holder)
			out := second(t, bin(t, c.second), dir, "")
			if !strings.Contains(out, "Failed to lock WAL directory . and hot_standby mode is off") {
				t.Fatalf("second instance:\n%s", out)
			}
			// The first one goes on; once it is gone the directory is free.
			first.Stop(t)
			after := startIn(t, bin(t, c.second), dir, holder)
			after.Stop(t)
		})
	}
	t.Run("hot standby", func(t *testing.T) {
		dir := t.TempDir()
		startIn(t, spindleBin, dir, holder)
		if out := second(t, spindleBin, dir, "hot_standby = true"); !strings.Contains(out, "Spindle does not support hot standby") {
			t.Fatalf("second instance:\n%s", out)
		}
	})
}
