package memtx

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
)

// diffCase runs the same operation in real Tarantool (lua, an expression
// evaluated inside pcall in a prepared schema) and in memtx (run), and
// expects the same outcome: the error message, or "ok".
type diffCase struct {
	name string
	lua  string
	run  func(s map[string]*Space) error
}

const diffSchema = `
local f = box.schema.space.create('fmt', {format={{name='id',type='unsigned'},{name='name',type='string'},{name='opt',type='unsigned',is_nullable=true}}})
f:create_index('primary')
local u = box.schema.space.create('unf')
u:create_index('primary')
u:create_index('sec', {parts={{3,'string'}}})
u:insert{1, 2, 'a'}
local h = box.schema.space.create('h')
h:create_index('primary', {type='hash', parts={1,'unsigned',2,'string'}})
local sc = box.schema.space.create('sc')
sc:create_index('primary', {parts={{1,'scalar'}}})
sc:insert{1}
sc:insert{2^63}
`

func diffSpaces(t *testing.T) map[string]*Space {
	f := formattedSpace(t)
	u := unformattedSpace(t)
	_, err := u.Replace(nil, mk(t, 1, 2, "a"), DupInsert)
	mustOK(t, err)
	h := NewSpace(1, "h")
	_, err = h.CreateIndex(IndexDef{ID: 0, Name: "primary", Type: IndexHash, Unique: true,
		Key: KeyDef{Parts: []KeyPart{part(0, FieldUnsigned), part(1, FieldString)}}})
	mustOK(t, err)
	sc := NewSpace(2, "sc")
	_, err = sc.CreateIndex(treeDef(0, "primary", true, part(0, FieldScalar)))
	mustOK(t, err)
	for _, v := range []any{1, uint64(1) << 63} {
		_, err = sc.Replace(nil, mk(t, v), DupInsert)
		mustOK(t, err)
	}
	return map[string]*Space{"fmt": f, "unf": u, "h": h, "sc": sc}
}

func ins(s *Space, t *testing.T, vals ...any) error {
	_, err := s.Replace(nil, mk(t, vals...), DupInsert)
	return err
}

func iter(ix *Index, typ IterType, k []byte) error {
	_, err := ix.Iterator(typ, k)
	return err
}

func TestAgainstTarantool(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH; skipping the comparison with real Tarantool 2.6")
	}
	cases := []diffCase{
		{"str into unsigned", "box.space.fmt:insert{'a','b'}", func(s map[string]*Space) error { return ins(s["fmt"], t, "a", "b") }},
		{"num into string", "box.space.fmt:insert{1,2}", func(s map[string]*Space) error { return ins(s["fmt"], t, 1, 2) }},
		{"too few", "box.space.fmt:insert{1}", func(s map[string]*Space) error { return ins(s["fmt"], t, 1) }},
		{"nil non-nullable", "box.space.fmt:insert{1, box.NULL}", func(s map[string]*Space) error { return ins(s["fmt"], t, 1, nil) }},
		{"nullable wrong type", "box.space.fmt:insert{2, 'x', 'y'}", func(s map[string]*Space) error { return ins(s["fmt"], t, 2, "x", "y") }},
		{"unformatted index part", "box.space.unf:insert{1, 2, 3}", func(s map[string]*Space) error { return ins(s["unf"], t, 1, 2, 3) }},
		{"unformatted missing", "box.space.unf:insert{5, 2}", func(s map[string]*Space) error { return ins(s["unf"], t, 5, 2) }},
		{"dup secondary", "box.space.unf:insert{2, 2, 'a'}", func(s map[string]*Space) error { return ins(s["unf"], t, 2, 2, "a") }},
		{"dup primary", "box.space.unf:insert{1, 2, 'b'}", func(s map[string]*Space) error { return ins(s["unf"], t, 1, 2, "b") }},
		{"key part type", "box.space.unf:select{'a'}", func(s map[string]*Space) error { return iter(s["unf"].Primary(), IterEQ, key("a")) }},
		{"key part count", "box.space.unf:select{1, 2}", func(s map[string]*Space) error { return iter(s["unf"].Primary(), IterEQ, key(1, 2)) }},
		{"exact match", "box.space.unf.index.sec:get{}", func(s map[string]*Space) error { _, err := s["unf"].Index(1).Get(key()); return err }},
		{"hash partial", "box.space.h:select({1}, {iterator='LT'})", func(s map[string]*Space) error { return iter(s["h"].Primary(), IterLT, key(1)) }},
		{"hash GE", "box.space.h:select({1, 'a'}, {iterator='GE'})", func(s map[string]*Space) error { return iter(s["h"].Primary(), IterGE, key(1, "a")) }},
		{"hash GT empty", "box.space.h:select({}, {iterator='GT'})", func(s map[string]*Space) error { return iter(s["h"].Primary(), IterGT, key()) }},
		{"hash min", "box.space.h.index.primary:min()", func(s map[string]*Space) error { _, err := s["h"].Primary().Min(key()); return err }},
		{"tree bits", "box.space.fmt:select({1}, {iterator='BITS_ALL_SET'})", func(s map[string]*Space) error {
			return iter(s["fmt"].Primary(), IterBitsAllSet, key(1))
		}},
		{"scalar 1.0 dup", "box.space.sc:insert{1.0}", func(s map[string]*Space) error { return ins(s["sc"], t, 1.0) }},
		{"scalar 2^63 float dup", "box.space.sc:insert{9223372036854775808.0}", func(s map[string]*Space) error { return ins(s["sc"], t, 9223372036854775808.0) }},
		{"scalar 9.3e18 ok", "box.space.sc:insert{9.3e18 + 0.5}", func(s map[string]*Space) error { return ins(s["sc"], t, 9.3e18+0.5) }},
		{"scalar nil", "box.space.sc:insert{box.NULL}", func(s map[string]*Space) error { return ins(s["sc"], t, nil) }},
	}

	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("box.cfg{work_dir='" + dir + "', log='" + filepath.Join(dir, "log.txt") + "'}\n")
	script.WriteString(diffSchema)
	for _, c := range cases {
		script.WriteString("do local ok, e = pcall(function() return " + c.lua + " end) print('" + c.name + "\\t' .. (ok and 'ok' or tostring(e))) end\n")
	}
	script.WriteString("os.exit(0)\n")
	path := filepath.Join(dir, "diff.lua")
	mustOK(t, os.WriteFile(path, []byte(script.String()), 0o644))
	cmd := exec.Command(bin, path)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tarantool: %v\n%s", err, out)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, msg, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			want[name] = msg
		}
	}
	sp := diffSpaces(t)
	for _, c := range cases {
		w, ok := want[c.name]
		if !ok {
			t.Errorf("%s: no output from tarantool", c.name)
			continue
		}
		got := "ok"
		if err := c.run(sp); err != nil {
			got = boxerr.From(err).Message
		}
		if got != w {
			t.Errorf("%s: memtx %q, tarantool %q", c.name, got, w)
		}
	}
}
