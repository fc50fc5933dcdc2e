package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDirs hold Lua scripts whose expected stdout, produced by the
// reference tarantool 2.6, sits next to each script as NAME.result.
var corpusDirs = []string{
	"../../internal/luabox/testdata/schema",
	"testdata/corpus",
}

// TestLuaCorpus runs every corpus script under spindle and compares its
// stdout with the reference output line by line.
func TestLuaCorpus(t *testing.T) {
	var scripts []string
	for _, d := range corpusDirs {
		m, _ := filepath.Glob(filepath.Join(d, "*.lua"))
		scripts = append(scripts, m...)
	}
	if len(scripts) == 0 {
		t.Fatal("no corpus scripts found")
	}
	for _, script := range scripts {
		script := script
		want, err := os.ReadFile(strings.TrimSuffix(script, ".lua") + ".result")
		if err != nil {
			continue // a helper module, not a test script
		}
		t.Run(strings.TrimSuffix(filepath.Base(script), ".lua"), func(t *testing.T) {
			got := runSpindleScript(t, script)
			compareLines(t, string(want), got)
		})
	}
}

// runSpindleScript runs a script with a fresh work dir and returns stdout.
func runSpindleScript(t *testing.T, script string) string {
	t.Helper()
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Scripts are run by base name from their own directory so that error
	// messages name them as the reference run did.
	cmd := exec.Command(spindleBin, filepath.Base(abs))
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(os.Environ(), "TEST_WORK_DIR="+dir, "WORK_DIR="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("script timed out; stderr:\n%s", stderr.String())
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("stderr:\n%s", stderr.String())
	}
	return stdout.String()
}

func compareLines(t *testing.T, want, got string) {
	t.Helper()
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	bad := 0
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			bad++
			if bad <= 30 {
				t.Errorf("line %d differs:\n  tarantool: %s\n  spindle:   %s", i+1, w, g)
			}
		}
	}
	if bad > 30 {
		t.Errorf("... %d differing lines in all", bad)
	}
}
