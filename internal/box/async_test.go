package box

import (
	"errors"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/xrow"
)

// asyncJournal holds submitted entries until the test completes them.
type asyncJournal struct {
	entries []*fakeEntry
	instant bool // complete entries on submit, as wal_mode=none does
}

type fakeEntry struct {
	rows     []*xrow.Row
	done     chan struct{}
	err      error
	released bool
}

func (e *fakeEntry) Done() <-chan struct{} { return e.done }
func (e *fakeEntry) Wait() error           { <-e.done; return e.err }
func (e *fakeEntry) Release()              { e.released = true }

func (j *asyncJournal) Write(rows []*xrow.Row) error { return nil }

func (j *asyncJournal) Submit(rows []*xrow.Row) JournalEntry {
	e := &fakeEntry{rows: rows, done: make(chan struct{})}
	if j.instant {
		close(e.done)
	}
	j.entries = append(j.entries, e)
	return e
}

func (j *asyncJournal) SubmitDeferred(rows []*xrow.Row) JournalEntry { return j.Submit(rows) }

// TestExecuteAsync: the change is visible at once, the reply waits for the
// journal, a failed write rolls back exactly that statement, newest first.
func TestExecuteAsync(t *testing.T) {
	j := &asyncJournal{}
	b := New(Options{InstanceUUID: testUUID, Journal: j})
	if err := b.Bootstrap(testRS, 1); err != nil {
		t.Fatal(err)
	}
	admin := b.AdminSession()
	exec(t, b, admin, nil, ins(spaceSpaceID, 600, 1, "t", "memtx", 0, map[string]any{}, []any{}))
	exec(t, b, admin, nil, ins(indexSpaceID, 600, 0, "pk", "tree", map[string]any{"unique": true}, []any{[]any{0, "unsigned"}}))
	for _, e := range j.entries { // the DDL above went through Execute: complete it
		close(e.done)
	}
	j.entries = nil

	var pend []*PendingCommit
	for i := 1; i <= 3; i++ {
		r := ins(600, i, "v")
		tup, p, err := b.ExecuteAsync(admin, &r)
		if err != nil || p == nil || tup == nil {
			t.Fatalf("ExecuteAsync %d: %v %v %v", i, tup, p, err)
		}
		if p.NeedsBaton() {
			t.Fatal("a plain insert needs no baton to finish")
		}
		pend = append(pend, p)
	}
	if n := b.Space(600).Len(); n != 3 {
		t.Fatalf("uncommitted changes are visible in memory as in 2.6: len %d, want 3", n)
	}
	if len(j.entries) != 3 || j.entries[2].rows[0].Type != reqInsert || !j.entries[2].rows[0].IsCommit {
		t.Fatalf("journal got %d entries", len(j.entries))
	}
	// Entry 1 succeeds; 2 and 3 fail and roll back newest first.
	close(j.entries[0].done)
	if err := pend[0].Finish(); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 1} {
		j.entries[i].err = errors.New("disk full")
		close(j.entries[i].done)
		err := pend[i].Finish()
		var be *boxerr.Error
		if !errors.As(err, &be) || be.Code != boxerr.ER_WAL_IO || !j.entries[i].released {
			t.Fatalf("entry %d: %v, released %v", i, err, j.entries[i].released)
		}
	}
	if n := b.Space(600).Len(); n != 1 {
		t.Fatalf("after two failed writes len %d, want 1", n)
	}
	// An entry complete on submit (wal_mode none) finishes at once.
	j.instant = true
	r := ins(600, 7, "w")
	if _, p, err := b.ExecuteAsync(admin, &r); err != nil || p != nil {
		t.Fatalf("instant journal: %v %v", p, err)
	}
}
