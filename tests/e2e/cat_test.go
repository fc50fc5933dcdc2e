package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCatMatchesTarantoolctl writes xlogs with spindle and requires
// `spindle cat` to print them exactly as `tarantoolctl cat` does, in YAML
// and JSON, with and without filters.
func TestCatMatchesTarantoolctl(t *testing.T) {
	tarantoolBin(t)
	ctl, err := exec.LookPath("tarantoolctl")
	if err != nil {
		t.Skip("tarantoolctl is not installed (it comes with the tarantool package)")
	}
	dir := t.TempDir()
	script := `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.schema.space.create('kv')
s:create_index('pk')
local l = box.schema.space.create('loc', {is_local = true})
l:create_index('pk')
for i = 1, 5 do s:insert{i, 'v' .. i, {nested = {i, i * 1.5}}} end
s:update({1}, {{'=', 2, 'x'}, {'+', 1, 0}})
s:upsert({9, 'n'}, {{'=', 2, 'y'}})
s:delete{2}
l:insert{1, 'local'}
box.begin() s:replace{10, 'a'} l:replace{2} s:replace{11, 'b'} box.commit()
os.exit(0)`
	if err := os.WriteFile(filepath.Join(dir, "w.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(spindleBin, "w.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WORK_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	xlogs, _ := filepath.Glob(filepath.Join(dir, "*.xlog"))
	if len(xlogs) == 0 {
		t.Fatal("no xlog written")
	}
	run := func(bin string, args ...string) string {
		c := exec.Command(bin, args...)
		c.Dir = dir
		var out bytes.Buffer
		c.Stdout = &out
		if err := c.Run(); err != nil {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return out.String()
	}
	for _, x := range xlogs {
		name := filepath.Base(x)
		for _, opts := range [][]string{{}, {"--format=json"}, {"--show-system"}, {"--from=3", "--to=8"}, {"--replica=1"}} {
			args := append([]string{"cat", name}, opts...)
			want := run(ctl, args...)
			got := run(spindleBin, args...)
			if got != want {
				t.Errorf("spindle %v differs from tarantoolctl:\n--- tarantoolctl\n%s\n--- spindle\n%s", args, want, got)
			}
		}
	}
}

// TestPlay replays an xlog written by one instance into another.
func TestPlay(t *testing.T) {
	dir := t.TempDir()
	script := `
box.cfg{work_dir = os.getenv('WORK_DIR'), log_level = 2}
local s = box.schema.space.create('kv')
s:create_index('pk')
for i = 1, 50 do s:insert{i, 'v' .. i} end
s:update({1}, {{'=', 2, 'x'}})
s:delete{2}
os.exit(0)`
	if err := os.WriteFile(filepath.Join(dir, "w.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(spindleBin, "w.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WORK_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	xlogs, _ := filepath.Glob(filepath.Join(dir, "*.xlog"))
	in := start(t, spindleBin, `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.grant('guest', 'read,write,execute', 'universe')
box.schema.space.create('kv'):create_index('pk')
function check() return box.space.kv:count(), box.space.kv:get{1}[2], box.space.kv:get{2} == nil end`)
	play := exec.Command(spindleBin, append([]string{"play", in.Addr}, xlogs...)...)
	if out, err := play.CombinedOutput(); err != nil {
		t.Fatalf("play: %v\n%s", err, out)
	}
	c := dialT(t, in.Addr, clientOptions())
	res, err := c.Call(ctxT(t), "check", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || toU64(res[0]) != 49 || res[1] != "x" || res[2] != true {
		t.Fatalf("after play: %v", res)
	}
}
