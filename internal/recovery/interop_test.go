package recovery

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/snapshot"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/wal"
	"github.com/spindledb/spindle/internal/xrow"
)

func needTarantool(t *testing.T) string {
	p, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH: interop test skipped")
	}
	return p
}

func runTarantool(t *testing.T, bin, dir, script string) string {
	t.Helper()
	f := filepath.Join(dir, "script.lua")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, f)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tarantool: %v\n%s", err, out)
	}
	return string(out)
}

// dumpLua prints "space hex-tuple" for every tuple of spaces t and loc.
const dumpLua = `
for _, name in ipairs({'t', 'loc'}) do
  for _, tu in box.space[name]:pairs() do
    print('TUPLE ' .. name .. ' ' .. require('msgpack').encode(tu):gsub('.', function(c) return string.format('%02x', c:byte()) end))
  end
end
`

func tarantoolTuples(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "TUPLE ") {
			lines = append(lines, strings.TrimPrefix(l, "TUPLE "))
		}
	}
	sort.Strings(lines)
	return lines
}

func boxTuples(b *box.Box) []string {
	var lines []string
	for _, name := range []string{"t", "loc"} {
		sp := b.SpaceByName(name)
		if sp == nil {
			continue
		}
		sp.ReadView().Iterate(func(tu *memtx.Tuple) bool {
			lines = append(lines, name+" "+hex.EncodeToString(tu.Data()))
			return true
		})
	}
	sort.Strings(lines)
	return lines
}

func recoverBox(t *testing.T, dir string) (*box.Box, *Result) {
	t.Helper()
	r, err := Open(vfs.OS{}, Options{MemtxDir: dir, WALDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := box.New(box.Options{InstanceUUID: r.InstanceUUID()})
	b.SetRecovering(true)
	res, err := r.Run(b)
	if err != nil {
		t.Fatal(err)
	}
	b.SetRecovering(false)
	return b, res
}

// TestInterop: Spindle recovers a directory written by Tarantool (with
// inserts, updates, deletes, a local space and two checkpoints), then
// writes a new snapshot and more WAL rows of its own, and Tarantool
// recovers that directory to the same tuples.
func TestInterop(t *testing.T) {
	bin := needTarantool(t)
	dir := t.TempDir()
	out := runTarantool(t, bin, dir, `
box.cfg{log_level = 1}
local s = box.schema.space.create('t')
s:create_index('pk')
local l = box.schema.space.create('loc', {is_local = true})
l:create_index('pk')
for i = 1, 50 do s:insert{i, 'x', i * 2} end
box.snapshot()
for i = 51, 60 do s:replace{i, string.rep('y', i)} end
s:update(1, {{'=', 2, 'z'}, {'+', 3, 5}})
s:delete(2)
s:upsert({3, 'u', 0}, {{'+', 3, 100}})
l:replace{1, 'local'}
box.begin() s:insert{1000} s:delete(4) l:replace{2} box.commit()
`+dumpLua+`
os.exit(0)`)
	want := tarantoolTuples(out)
	if len(want) < 50 {
		t.Fatalf("tarantool printed %d tuples:\n%s", len(want), out)
	}
	b, res := recoverBox(t, dir)
	if got := boxTuples(b); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("spindle recovered\n%s\ntarantool has\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Now Spindle writes: a checkpoint of every memtx space, then WAL rows.
	var spaces []snapshot.Space
	for _, sp := range b.Spaces() {
		if sp.Engine != "memtx" || sp.Temporary || sp.Primary() == nil {
			continue
		}
		g := uint32(0)
		if sp.IsLocal {
			g = 1
		}
		spaces = append(spaces, snapshot.Space{ID: sp.ID, GroupID: g, View: sp.ReadView()})
	}
	if _, err := snapshot.Write(context.Background(), vfs.OS{}, dir, snapshot.Meta{InstanceUUID: res.InstanceUUID, VClock: res.VClock}, spaces, snapshot.Options{}); err != nil {
		t.Fatal(err)
	}
	w, err := wal.Open(vfs.OS{}, dir, wal.Options{Mode: wal.ModeFsync, VClock: res.VClock, InstanceUUID: res.InstanceUUID, InstanceID: vclock.ReplicaID(b.InstanceID())})
	if err != nil {
		t.Fatal(err)
	}
	// Rows go to the WAL here, so box applies them as recovered rows.
	b.SetRecovering(true)
	tID := b.SpaceByName("t").ID
	locID := b.SpaceByName("loc").ID
	local := replaceRow(locID, 3, "spindle-local")
	local.GroupID = 1
	update := func() *xrow.Row {
		key := []byte{0x91, 0x05}
		ops := []byte{0x91, 0x93, 0xa1, '=', 0x02, 0xa3, 'u', 'p', 'd'}
		req := xrow.Request{Type: 4, SpaceID: tID, Key: key, Tuple: ops}
		return &xrow.Row{Type: 4, Body: xrow.AppendDMLBody(nil, &req)}
	}()
	for _, txn := range [][]*xrow.Row{
		{replaceRow(tID, 2000, "spindle")},
		{deleteRow(tID, 6), replaceRow(tID, 7, "changed"), local},
		{update},
	} {
		if err := w.Submit(txn).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, r := range txn {
			if err := b.ApplyRow(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Close()
	got := boxTuples(b)
	out = runTarantool(t, bin, dir, "box.cfg{log_level = 1}\n"+dumpLua+"\nos.exit(0)")
	if want := tarantoolTuples(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("spindle has\n%s\ntarantool recovered\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
}
