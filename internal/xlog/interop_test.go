package xlog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// genScript is the workload behind testdata/tarantool-2.6.0, extended with
// a bulk transaction (one block well over 128 KiB) and a second snapshot
// (several blocks). It runs with the work dir as its first argument.
const genScript = `
box.cfg{work_dir=arg[1], log='tt.log', instance_uuid='11111111-2222-3333-4444-555555555555'}
local s = box.schema.space.create('t')
s:create_index('pk')
local l = box.schema.space.create('loc', {is_local=true})
l:create_index('pk')
box.snapshot()
s:insert{1, 'a', 5}
s:replace{2, 'b', 3.5}
s:update({1}, {{'=', 2, 'z'}, {'+', 3, 1}})
s:upsert({3, 'c'}, {{'+', 2, 1}})
s:delete{2}
box.begin() s:insert{10} s:insert{11} s:insert{12} box.commit()
s:insert{20, string.rep('x', 5000)}
l:insert{1, 'local'}
box.begin() s:insert{30} l:insert{2} box.commit()
box.begin() for i = 1, 3000 do s:insert{1000 + i, string.rep('y', 100)} end box.commit()
box.snapshot()
os.exit(0)
`

func needTarantool(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH; skipping interop test with Tarantool 2.6.0")
	}
	return bin
}

func runTarantool(t *testing.T, dir, script string, args ...string) string {
	t.Helper()
	bin := needTarantool(t)
	path := filepath.Join(dir, "script.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{path}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(dir, "tt.log"))
		t.Fatalf("tarantool: %v\n%s\nlog:\n%s", err, out, logs)
	}
	return string(out)
}

func openFile(t *testing.T, path string) *Cursor {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCursor(bytesReaderAt(data), path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInteropReadTarantool(t *testing.T) {
	needTarantool(t)
	dir := t.TempDir()
	runTarantool(t, dir, genScript, dir)

	c := openFile(t, filepath.Join(dir, "00000000000000000006.xlog"))
	rows, err := readAll(t, c)
	if err != io.EOF {
		t.Fatalf("xlog end: %v", err)
	}
	if len(rows) != len(tarantoolXlogRows)+3000 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, want := range tarantoolXlogRows {
		if got := summarize(&rows[i]); got != want {
			t.Errorf("row %d: %+v, want %+v", i, got, want)
		}
	}
	for i, r := range rows[len(tarantoolXlogRows):] {
		want := rowSummary{2, 1, 0, int64(18 + i), 18, i == 2999}
		if got := summarize(&r); got != want {
			t.Fatalf("bulk row %d: %+v, want %+v", i, got, want)
		}
	}

	// The second snapshot spans several blocks, split at 128 KiB.
	snapName := FileName(3019, TypeSnap)
	c = openFile(t, filepath.Join(dir, snapName))
	if got := c.Meta().VClock.String(); got != "{0: 2, 1: 3017}" {
		t.Fatalf("snap vclock %s", got)
	}
	var r xrow.Row
	blocks, n, user := map[int64]bool{}, 0, 0
	for {
		err := c.Next(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		blocks[c.blockOff] = true
		if r.LSN != int64(n) {
			t.Fatalf("snap row %d has lsn %d", n, r.LSN)
		}
		n++
		req, err := xrow.DecodeDML(&r, xrow.RequiredKeys(r.Type))
		if err != nil {
			t.Fatal(err)
		}
		if req.SpaceID == 512 {
			user++
		}
		if req.SpaceID == 513 && r.GroupID != 1 {
			t.Errorf("is_local row without group_id: %+v", summarize(&r))
		}
	}
	if user != 3007 || len(blocks) < 3 {
		t.Errorf("snapshot: %d rows of space t, %d blocks", user, len(blocks))
	}
}

// writeMirror re-writes every row of a file read by c with our Writer.
func writeMirror(t *testing.T, c *Cursor, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, c.Meta(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, c)
	if err != io.EOF {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.WriteTxn([]*xrow.Row{&rows[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInteropTarantoolReadsOurs recovers a real Tarantool from a .snap and
// an .xlog written by this package and checks the data it loads, and that
// tarantoolctl cat decodes our xlog.
func TestInteropTarantoolReadsOurs(t *testing.T) {
	needTarantool(t)
	dir := t.TempDir()
	// The snapshot: Tarantool's rows (system spaces, spaces t and loc)
	// re-written block by block by our Writer.
	snap := readTestdata(t, "00000000000000000006.snap")
	c, err := NewCursor(bytesReaderAt(snap), "snap")
	if err != nil {
		t.Fatal(err)
	}
	writeMirror(t, c, filepath.Join(dir, "00000000000000000006.snap"))

	// The xlog: our own rows on top of snapshot vclock {1: 6}.
	vc, _ := vclock.Parse("{1: 6}")
	f, err := os.OpenFile(filepath.Join(dir, "00000000000000000006.xlog"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, &Meta{Type: TypeXlog, InstanceUUID: testUUID, VClock: &vc, PrevVClock: &vclock.VClock{}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := float64(time.Now().Unix())
	row := func(typ uint16, replica, group uint32, lsn, tsn int64, commit bool, req xrow.Request) *xrow.Row {
		return &xrow.Row{Type: typ, ReplicaID: replica, GroupID: group, LSN: lsn, TSN: tsn, IsCommit: commit,
			Timestamp: now, Body: xrow.AppendDMLBody(nil, &req)}
	}
	tuple := func(v ...any) []byte { return msgpack.MustAppend(nil, v) }
	batches := [][][]*xrow.Row{
		{
			{row(2, 1, 0, 7, 7, true, xrow.Request{SpaceID: 512, Tuple: tuple(1, "a", 5)})},
			{row(3, 1, 0, 8, 8, true, xrow.Request{SpaceID: 512, Tuple: tuple(2, "b")})},
		},
		{
			{
				row(2, 1, 0, 9, 9, false, xrow.Request{SpaceID: 512, Tuple: tuple(10)}),
				row(2, 1, 0, 10, 9, false, xrow.Request{SpaceID: 512, Tuple: tuple(11)}),
				row(2, 1, 0, 11, 9, true, xrow.Request{SpaceID: 512, Tuple: tuple(12)}),
			},
			{row(4, 1, 0, 12, 12, true, xrow.Request{SpaceID: 512, IndexBase: 1, Key: tuple(1),
				Tuple: msgpack.MustAppend(nil, []any{[]any{"=", 2, "z"}, []any{"+", 3, 1}})})},
			{row(9, 1, 0, 13, 13, true, xrow.Request{SpaceID: 512, IndexBase: 1, Tuple: tuple(2, "b"),
				Ops: msgpack.MustAppend(nil, []any{[]any{"=", 2, "upserted"}})})},
			{row(5, 1, 0, 14, 14, true, xrow.Request{SpaceID: 512, Key: tuple(10)})},
		},
		{
			{row(2, 1, 0, 15, 15, true, xrow.Request{SpaceID: 512, Tuple: tuple(20, strings.Repeat("x", 5000))})},
		},
		{
			{row(2, 0, 1, 1, 1, true, xrow.Request{SpaceID: 513, Tuple: tuple(1, "local")})},
			{
				row(2, 1, 0, 16, 16, false, xrow.Request{SpaceID: 512, Tuple: tuple(30)}),
				row(2, 0, 1, 2, 16, false, xrow.Request{SpaceID: 513, Tuple: tuple(2)}),
				{Type: 12, ReplicaID: 1, LSN: 17, TSN: 16, IsCommit: true, Timestamp: now},
			},
		},
	}
	for _, batch := range batches {
		for _, txn := range batch {
			if err := w.WriteTxn(txn); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	out := runTarantool(t, dir, `
box.cfg{work_dir=arg[1], log='tt.log', instance_uuid='11111111-2222-3333-4444-555555555555'}
local json = require('json')
local t = {}
for _, tup in box.space.t:pairs() do
  local v = tup:totable()
  if type(v[2]) == 'string' and #v[2] > 100 then v[2] = #v[2] end
  table.insert(t, v)
end
local loc = {}
for _, tup in box.space.loc:pairs() do table.insert(loc, tup:totable()) end
print(json.encode({t = t, loc = loc, vclock = box.info.vclock, signature = box.info.signature}))
os.exit(0)
`, dir)
	var got struct {
		T         []any          `json:"t"`
		Loc       []any          `json:"loc"`
		VClock    map[string]int `json:"vclock"`
		Signature int            `json:"signature"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("tarantool output %q: %v", out, err)
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if s := enc(got.T); s != `[[1,"z",6],[2,"upserted"],[11],[12],[20,5000],[30]]` {
		t.Errorf("space t: %s", s)
	}
	if s := enc(got.Loc); s != `[[1,"local"],[2]]` {
		t.Errorf("space loc: %s", s)
	}
	if got.Signature != 19 || got.VClock["1"] != 17 {
		t.Errorf("vclock %v signature %d", got.VClock, got.Signature)
	}

	// tarantoolctl cat decodes every row of our xlog.
	if ctl, err := exec.LookPath("tarantoolctl"); err == nil {
		cmd := exec.Command(ctl, "cat", filepath.Join(dir, "00000000000000000006.xlog"), "--format=json")
		cmd.Dir = dir
		catOut, err := cmd.Output()
		if err != nil {
			t.Fatalf("tarantoolctl cat: %v", err)
		}
		var lsns []int
		for _, line := range bytes.Split(catOut, []byte("\n")) {
			var rec struct {
				Header struct {
					LSN    int  `json:"lsn"`
					Commit bool `json:"commit"`
				} `json:"HEADER"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Header.LSN != 0 {
				lsns = append(lsns, rec.Header.LSN)
			}
		}
		if enc(lsns) != "[7,8,9,10,11,12,13,14,15,1,16,2,17]" {
			t.Errorf("tarantoolctl cat rows: %v\n%s", lsns, catOut)
		}
	}
}

// TestInteropVClockText checks vclock.Parse's acceptance and error offsets
// against Tarantool's meta parser (the xlog Lua module reads our files).
func TestInteropVClockText(t *testing.T) {
	needTarantool(t)
	dir := t.TempDir()
	cases := []string{"{}", "{1: 2,}", "{1", "{1:", "{1: x}", "{32: 1}", "{-1: 1}", "{1: -1}", "{1: 1 2}",
		"{1: 1, 1: 2}", "{1: 1}x", "{1: 99999999999999999999}", "{99999999999999999999: 1}",
		"{1: 0, 1: 5}", " \t{ } \t", "", "x", "{", "{0: 1, 1: 26}", "{ 1 :2 ,3: 4 }"}
	var script strings.Builder
	script.WriteString("local res = {}\n")
	for i, c := range cases {
		m := "XLOG\n0.13\nVersion: x\nInstance: " + testUUID + "\nVClock: " + c + "\n\n"
		name := filepath.Join(dir, FileName(int64(i), TypeXlog))
		if err := os.WriteFile(name, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		script.WriteString("do local ok, err = pcall(function() for _ in require('xlog').pairs('" + name +
			"') do end end) table.insert(res, ok and 'ok' or tostring(err)) end\n")
	}
	script.WriteString("print(require('json').encode(res)) os.exit(0)\n")
	out := runTarantool(t, dir, script.String())
	var res []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil || len(res) != len(cases) {
		t.Fatalf("output %q: %v", out, err)
	}
	for i, c := range cases {
		_, _, err := ParseMeta([]byte("XLOG\n0.13\nVersion: x\nInstance: " + testUUID + "\nVClock: " + c + "\n\n"))
		mine := "ok"
		if err != nil {
			mine = err.Error()
		}
		if mine != res[i] {
			t.Errorf("%q: ours %q, tarantool %q", c, mine, res[i])
		}
	}
}
