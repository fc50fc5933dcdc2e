package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirInterchange has spindle and the reference tarantool take turns
// on one data directory: each recovers what the other wrote (snapshot and
// xlogs with inserts, updates, deletes, upserts and a transaction), adds
// its own changes and checkpoints, and the final contents are checked by
// both.
func TestDataDirInterchange(t *testing.T) {
	tarantool := tarantoolBin(t)
	dir := t.TempDir()
	steps := []struct {
		bin    string
		script string
	}{
		{spindleBin, `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.schema.space.create('kv', {format = {{'k', 'unsigned'}, {'v', 'string'}, {'n', 'integer'}}})
s:create_index('pk')
s:create_index('by_v', {parts = {'v'}, unique = false})
for i = 1, 100 do s:insert{i, 'v' .. i, i} end
s:update({1}, {{'+', 'n', 1000}})
s:delete{2}
box.snapshot()
s:upsert({3, 'x', 0}, {{'=', 'v', 'upserted'}})
box.begin() s:replace{4, 'txn', 4} s:delete{5} box.commit()
os.exit(0)`},
		{tarantool, `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.space.kv
print('tarantool sees', s:count(), s:get{1}.n, s:get{2} == nil, s:get{3}.v, s:get{4}.v, s:get{5} == nil)
s:update({6}, {{'=', 'v', 'by tarantool'}})
s:insert{1000, 'tarantool', -1}
box.snapshot()
s:delete{7}
os.exit(0)`},
		{spindleBin, `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.space.kv
print('spindle sees', s:count(), s:get{6}.v, s:get{1000}.v, s:get{7} == nil, #s.index.by_v:select{'upserted'})
s:insert{2000, 'spindle', -2}
os.exit(0)`},
		{tarantool, `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.space.kv
print('tarantool sees', s:count(), s:get{2000}.v, box.info.signature > 0)
os.exit(0)`},
	}
	want := []string{
		"tarantool sees\t98\t1001\ttrue\tupserted\ttxn\ttrue",
		"spindle sees\t98\tby tarantool\ttarantool\ttrue\t1",
		"tarantool sees\t99\tspindle\ttrue",
	}
	var got []string
	for i, st := range steps {
		path := filepath.Join(dir, "step.lua")
		if err := os.WriteFile(path, []byte(st.script), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(st.bin, "step.lua")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "WORK_DIR="+dir)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("step %d (%s): %v\n%s%s", i, filepath.Base(st.bin), err, out, stderr)
		}
		if s := strings.TrimSpace(string(out)); s != "" {
			got = append(got, s)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
