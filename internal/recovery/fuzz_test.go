package recovery

import (
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/wal"
	"github.com/spindledb/spindle/internal/xrow"
)

// FuzzRecoverXlog replaces the last xlog of a valid directory with
// arbitrary bytes: recovery must return rows or an error, never panic, and
// never apply a row twice.
func FuzzRecoverXlog(f *testing.F) {
	base := build(f, 2, [][]*xrow.Row{{replaceRow(512, 7, "a")}, {deleteRow(512, 1), replaceRow(512, 8, "b")}}, wal.Options{})
	good, _ := base.fs.ReadFile("data/00000000000000000003.xlog")
	f.Add(good)
	f.Add(good[:len(good)-4])
	f.Add(good[:len(good)/2])
	f.Add([]byte("XLOG\n0.13\n\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, force := range []bool{false, true} {
			fs := base.fs.Crash()
			fs.WriteFile("data/00000000000000000003.xlog", data)
			m, _, err := recoverInto(t, fs, force, &memLog{})
			if err != nil {
				continue
			}
			seen := map[[2]int64]bool{}
			for _, r := range m.rows {
				k := [2]int64{int64(r.ReplicaID), r.LSN}
				if seen[k] {
					t.Fatalf("row %v applied twice", k)
				}
				seen[k] = true
			}
		}
	})
}

// FuzzRecoverDirNames fills the directories with arbitrary file names
// (and the snapshot's bytes under each): scanning must not panic.
func FuzzRecoverDirNames(f *testing.F) {
	base := build(f, 1, nil, wal.Options{})
	snap, _ := base.fs.ReadFile("data/00000000000000000003.snap")
	f.Add("00000000000000000003.snap\n00000000000000000010.xlog")
	f.Add("99999999999999999999.snap\n-1.xlog\n.xlog\n00000000000000000003.xlog.inprogress")
	f.Add("1.snap\n01.snap\n00000000000000000005.xlog")
	f.Fuzz(func(t *testing.T, names string) {
		fs := base.fs.Crash()
		for _, n := range strings.Split(names, "\n") {
			if n == "" || strings.ContainsAny(n, "/\x00") || n == "." || n == ".." {
				continue
			}
			fs.WriteFile("data/"+n, snap)
		}
		if r, err := Open(fs, Options{MemtxDir: "data", WALDir: "data", ForceRecovery: true}); err == nil && r.HasSnapshot() {
			r.Run(newModel())
		}
	})
}
