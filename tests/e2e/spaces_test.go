package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// catRow is one row of `spindle cat --format=json --show-system`.
type catRow struct {
	Header struct {
		Type      string `json:"type"`
		ReplicaID uint64 `json:"replica_id"`
		GroupID   uint64 `json:"group_id"`
		LSN       uint64 `json:"lsn"`
	} `json:"HEADER"`
	Body struct {
		SpaceID uint64 `json:"space_id"`
		Tuple   []any  `json:"tuple"`
	} `json:"BODY"`
}

// catDir returns every row of the .xlog files of dir in file order, as
// `spindle cat` prints them.
func catDir(t *testing.T, dir string) []catRow {
	t.Helper()
	xlogs, err := filepath.Glob(filepath.Join(dir, "*.xlog"))
	if err != nil || len(xlogs) == 0 {
		t.Fatalf("no xlog in %s (%v)", dir, err)
	}
	sort.Strings(xlogs)
	var rows []catRow
	for _, x := range xlogs {
		cmd := exec.Command(spindleBin, "cat", "--format=json", "--show-system", filepath.Base(x))
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("spindle cat %s: %v", x, err)
		}
		dec := json.NewDecoder(&out)
		for dec.More() {
			var r catRow
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("spindle cat %s: %v", x, err)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// firstField returns the first field of a row's tuple as printed.
func firstField(r catRow) string {
	if len(r.Body.Tuple) == 0 {
		return ""
	}
	return fmt.Sprint(r.Body.Tuple[0])
}

// TestTemporaryAndLocalSpaces checks on a two-master set, for Spindle and
// for the reference: a temporary space's definition is logged and
// replicated but its rows are in no xlog, reach no peer and are gone
// after a restart; an is_local space's rows are logged in group 1 with
// replica id 0 (vclock component 0), survive a restart and reach no
// peer; a Lua procedure is not logged, only the rows it changes.
func TestTemporaryAndLocalSpaces(t *testing.T) {
	bins := map[string]string{"spindle": spindleBin}
	if p, err := exec.LookPath("tarantool"); err == nil {
		bins["tarantool"] = p
	}
	for name, bin := range bins {
		t.Run(name, func(t *testing.T) { testTemporaryAndLocal(t, bin) })
	}
}

func testTemporaryAndLocal(t *testing.T, bin string) {
	m1, m2 := newMember(t, bin, "m1"), newMember(t, bin, "m2")
	startMesh(t, m1, m2)
	ids := m1.Eval(`
        local tmp = box.schema.space.create('tmp', {temporary = true})
        tmp:create_index('pk')
        local loc = box.schema.space.create('loc', {is_local = true})
        loc:create_index('pk')
        for i = 1, 3 do tmp:insert{i, 'temporary'} loc:insert{i, 'local'} end
        box.space.test:insert{1, 'replicated'}
        function put(k) box.space.test:insert{k, 'from put'} return k end
        return tmp.id, loc.id`)
	tmpID, locID := fmt.Sprint(ids[0]), fmt.Sprint(ids[1])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m1.Conn().Call(ctx, "put", []any{7}); err != nil {
		t.Fatal(err)
	}

	// Definitions reach m2, rows do not.
	waitEval(t, m2.Conn(), "return box.space.test:get{7} ~= nil", "true")
	defs := "return box.space.tmp.temporary, box.space.loc.is_local, box.space.tmp:count(), box.space.loc:count()"
	if got := fmt.Sprint(m2.Eval(defs)); got != "[true true 0 0]" {
		t.Fatalf("m2: temporary, is_local, counts = %s", got)
	}
	// m2's own local and temporary rows stay on m2: the row written
	// after them reaches m1, they do not.
	m2.Eval("box.space.loc:insert{100, 'local on m2'} box.space.tmp:insert{100} box.space.test:insert{8, 'after'}")
	waitEval(t, m1.Conn(), "return box.space.test:get{8} ~= nil", "true")
	if got := fmt.Sprint(m1.Eval("return box.space.loc:get{100} == nil, box.space.tmp:get{100} == nil, box.space.loc:count()")); got != "[true true 3]" {
		t.Fatalf("m1 got m2's local or temporary rows: %s", got)
	}
	if got := fmt.Sprint(m1.Eval("return box.info.vclock[0]")) + fmt.Sprint(m2.Eval("return box.info.vclock[0]")); got != "[3][1]" {
		t.Fatalf("vclock[0] of m1, m2 = %s, want 3 and 1", got)
	}
	waitConverged(t, 30*time.Second, nil, m1, m2)

	// The xlogs: stop m1 so that its files are complete.
	m1.In.Stop(t)
	var locRows, tmpRows, tmpDefs, puts int
	for _, r := range catDir(t, m1.Dir) {
		space := fmt.Sprint(r.Body.SpaceID)
		switch {
		case r.Header.Type != "INSERT" && r.Header.Type != "REPLACE" && r.Header.Type != "UPDATE" &&
			r.Header.Type != "DELETE" && r.Header.Type != "UPSERT" && r.Header.Type != "NOP":
			t.Errorf("m1 logged a %s row: %+v", r.Header.Type, r)
		case space == tmpID:
			tmpRows++
		case space == locID:
			locRows++
			if r.Header.GroupID != 1 || r.Header.ReplicaID != 0 {
				t.Errorf("local row not in group 1 with replica id 0: %+v", r.Header)
			}
		case space == "280" && firstField(r) == tmpID:
			tmpDefs++
		case space == "512" && firstField(r) == "7":
			puts++
		}
	}
	if tmpRows != 0 || locRows != 3 || tmpDefs != 1 || puts != 1 {
		t.Fatalf("m1's xlogs: %d temporary rows (want 0), %d local rows (want 3), %d _space rows of tmp (want 1), %d rows of put(7) (want 1)",
			tmpRows, locRows, tmpDefs, puts)
	}
	// m2's xlogs hold its own local row and none of m1's.
	locRows = 0
	for _, r := range catDir(t, m2.Dir) {
		if fmt.Sprint(r.Body.SpaceID) == locID {
			locRows++
		}
		if fmt.Sprint(r.Body.SpaceID) == tmpID {
			t.Errorf("m2 logged a temporary row: %+v", r)
		}
	}
	if locRows != 1 {
		t.Fatalf("m2 logged %d local rows, want 1", locRows)
	}

	// After a restart: temporary rows gone, local rows kept.
	m1.Restart()
	m1.Ready(60 * time.Second)
	if got := fmt.Sprint(m1.Eval("return box.space.tmp.temporary, box.space.tmp:count(), box.space.loc:count(), box.info.vclock[0]")); got != "[true 0 3 3]" {
		t.Fatalf("m1 after restart: temporary, tmp count, loc count, vclock[0] = %s", got)
	}
	waitConverged(t, 30*time.Second, nil, m1, m2)
}
