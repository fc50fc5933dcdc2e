package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestartCorpus runs each testdata/restart script twice on one data
// directory (a first start and a recovery) under spindle and under the
// reference tarantool, and requires the same output from both.
func TestRestartCorpus(t *testing.T) {
	tarantool := tarantoolBin(t)
	scripts, _ := filepath.Glob("testdata/restart/*.lua")
	if len(scripts) == 0 {
		t.Fatal("no restart scripts")
	}
	for _, script := range scripts {
		script := script
		t.Run(strings.TrimSuffix(filepath.Base(script), ".lua"), func(t *testing.T) {
			src, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			run := func(bin string) string {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "s.lua"), src, 0o644); err != nil {
					t.Fatal(err)
				}
				var out strings.Builder
				for i := 0; i < 2; i++ {
					cmd := exec.Command(bin, "s.lua")
					cmd.Dir = dir
					cmd.Env = append(os.Environ(), "WORK_DIR="+dir)
					b, err := cmd.Output()
					if err != nil {
						var stderr []byte
						if ee, ok := err.(*exec.ExitError); ok {
							stderr = ee.Stderr
						}
						t.Fatalf("%s run %d: %v\n%s%s", filepath.Base(bin), i+1, err, b, stderr)
					}
					out.Write(b)
				}
				return out.String()
			}
			compareLines(t, run(tarantool), run(spindleBin))
		})
	}
}
