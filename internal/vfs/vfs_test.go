package vfs

import (
	"bytes"
	"errors"
	"io"
	"path"
	"syscall"
	"testing"
)

// implementations runs fn against every FS, each rooted in a fresh dir.
func implementations(t *testing.T, fn func(t *testing.T, fs FS, dir string)) {
	t.Run("OS", func(t *testing.T) { fn(t, OS{}, t.TempDir()) })
	t.Run("Mem", func(t *testing.T) {
		m := NewMemFS()
		if err := m.MkdirAll("/data/x"); err != nil {
			t.Fatal(err)
		}
		fn(t, m, "/data/x")
	})
}

func readAll(t *testing.T, fs FS, name string) []byte {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, err := fs.Size(name)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, size)
	if n, err := f.ReadAt(buf, 0); n != len(buf) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	// Reading past the end reports io.EOF as io.ReaderAt requires.
	if _, err := f.ReadAt(make([]byte, 1), size); err != io.EOF {
		t.Fatalf("ReadAt past end: %v", err)
	}
	return buf
}

func TestConformance(t *testing.T) {
	implementations(t, func(t *testing.T, fs FS, dir string) {
		a := path.Join(dir, "a")
		f, err := fs.Create(a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Create(a); !IsExist(err) {
			t.Fatalf("second Create: %v, want ErrExist", err)
		}
		if _, err := f.WriteAt([]byte("hello world"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("W"), 6); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(8); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, fs, a); string(got) != "hello Wo" {
			t.Fatalf("contents %q", got)
		}
		b := path.Join(dir, "b")
		if err := fs.Rename(a, b); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Open(a); !IsNotExist(err) {
			t.Fatalf("Open after rename: %v", err)
		}
		if err := fs.SyncDir(dir); err != nil {
			t.Fatal(err)
		}
		if err := fs.Truncate(b, 5); err != nil {
			t.Fatal(err)
		}
		if n, _ := fs.Size(b); n != 5 {
			t.Fatalf("Size = %d", n)
		}
		names, err := fs.ReadDir(dir)
		if err != nil || len(names) != 1 || names[0] != "b" {
			t.Fatalf("ReadDir = %v, %v", names, err)
		}
		if err := fs.Remove(b); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remove(b); !IsNotExist(err) {
			t.Fatalf("second Remove: %v", err)
		}
		if _, err := fs.ReadDir(path.Join(dir, "missing")); !IsNotExist(err) {
			t.Fatalf("ReadDir of a missing dir: %v", err)
		}
		if _, err := fs.Create(path.Join(dir, "missing", "f")); !IsNotExist(err) {
			t.Fatalf("Create in a missing dir: %v", err)
		}
	})
}

func TestCrashKeepsOnlySynced(t *testing.T) {
	m := NewMemFS()
	m.MkdirAll("d")
	f, _ := m.Create("d/f")
	f.WriteAt([]byte("durable"), 0)
	f.Sync()
	f.WriteAt([]byte("+lost"), 7)

	// The file's data is synced but its directory entry is not: gone.
	if names, _ := m.Crash().ReadDir("d"); len(names) != 0 {
		t.Fatalf("unsynced entry survived: %v", names)
	}
	m.SyncDir("d")
	c := m.Crash()
	if got, _ := c.ReadFile("d/f"); string(got) != "durable" {
		t.Fatalf("after crash %q", got)
	}
	// An unsynced rename is undone; an unsynced remove is too.
	m.Rename("d/f", "d/g")
	if _, err := m.Crash().ReadFile("d/f"); err != nil {
		t.Fatalf("unsynced rename survived: %v", err)
	}
	m.SyncDir("d")
	m.Remove("d/g")
	if _, err := m.Crash().ReadFile("d/g"); err != nil {
		t.Fatalf("unsynced remove survived: %v", err)
	}
	// The crashed FS is independent of the original.
	c.WriteFile("d/f", []byte("x"))
	if got, _ := m.Crash().ReadFile("d/g"); !bytes.HasPrefix(got, []byte("durable")) {
		t.Fatalf("crash copy shares data: %q", got)
	}
	// Truncate is durable at once.
	m.WriteFile("d/t", []byte("durable"))
	if err := m.Truncate("d/t", 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Crash().ReadFile("d/t"); string(got) != "dur" {
		t.Fatalf("after truncate+crash %q", got)
	}
}

func TestFaults(t *testing.T) {
	m := NewMemFS()
	m.MkdirAll("d")
	boom := errors.New("boom")
	m.Inject(Fault{Op: OpWrite, After: 2, Short: 3})
	m.Inject(Fault{Op: OpSync, Match: "g", Err: boom})
	f, _ := m.Create("d/f")
	for i := 0; i < 2; i++ {
		if _, err := f.WriteAt([]byte("ab"), int64(2*i)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	n, err := f.WriteAt([]byte("123456"), 4)
	if n != 3 || !errors.Is(err, syscall.EIO) {
		t.Fatalf("third write = %d, %v; want a short write with EIO", n, err)
	}
	if got, _ := m.ReadFile("d/f"); string(got) != "abab123" {
		t.Fatalf("contents %q", got)
	}
	// The fault fires once.
	if _, err := f.WriteAt([]byte("x"), 7); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync of f matched a fault for g: %v", err)
	}
	g, _ := m.Create("d/g")
	g.WriteAt([]byte("data"), 0)
	if err := g.Sync(); err != boom {
		t.Fatalf("sync of g: %v", err)
	}
	m.SyncDir("d")
	// A failed fsync makes nothing durable.
	if got, _ := m.Crash().ReadFile("d/g"); len(got) != 0 {
		t.Fatalf("failed sync persisted %q", got)
	}
	if m.Count(OpWrite) != 5 || m.Count(OpSync) != 2 {
		t.Fatalf("counts: writes %d syncs %d", m.Count(OpWrite), m.Count(OpSync))
	}
	m.Inject(Fault{Op: OpRename, Repeat: true})
	for i := 0; i < 2; i++ {
		if err := m.Rename("d/g", "d/h"); !errors.Is(err, syscall.EIO) {
			t.Fatalf("rename %d: %v", i, err)
		}
	}
	m.ClearFaults()
	if err := m.Rename("d/g", "d/h"); err != nil {
		t.Fatal(err)
	}
}
