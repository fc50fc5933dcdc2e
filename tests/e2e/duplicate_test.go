package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuplicateReplicationSources: two sources that lead to one master —
// the same address twice, or two addresses of one instance found out by
// its UUID at bootstrap — are refused with 2.6's ER_CFG message, at the
// first box.cfg and at run time (where the running links stay).
func TestDuplicateReplicationSources(t *testing.T) {
	master := start(t, spindleBin, replMaster)
	port := master.Addr[strings.LastIndex(master.Addr, ":")+1:]
	script := fmt.Sprintf(`
local ok, err = pcall(box.cfg, {work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1,
    replication = {'replicator:password@127.0.0.1:%[1]s', 'replicator:password@localhost:%[1]s'},
    replication_connect_timeout = 10})
print(ok, err)
box.cfg{work_dir = os.getenv('TEST_WORK_DIR'), log_level = 1,
    replication = {'replicator:password@127.0.0.1:%[1]s'}, read_only = true}
print(box.info.replication[1].upstream ~= nil)
ok, err = pcall(box.cfg, {replication = {'replicator:password@127.0.0.1:%[1]s',
    'replicator:password@127.0.0.1:%[1]s'}})
print(ok, err, #box.cfg.replication)
os.exit(0)
`, port)
	dir := t.TempDir()
	out, code := runScriptSource(t, dir, script)
	want := "false\tIncorrect value for option 'replication': duplicate connection to the same replica\n" +
		"true\n" +
		"false\tIncorrect value for option 'replication': duplicate connection to the same replica\t1\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
}

// runScriptSource writes src as an instance file in dir and runs it with
// spindle; it returns stdout and the exit code.
func runScriptSource(t *testing.T, dir, src string) (string, int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return runScript(t, spindleBin, dir, "instance.lua")
}
