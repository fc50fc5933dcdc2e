package say

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf)
	l.now = func() time.Time { return time.Date(2017, 6, 14, 14, 12, 3, 847e6, time.Local) }
	l.pid = 18933
	l.Log("main/101/master.lua", Info, "ready to accept requests")
	want := "2017-06-14 14:12:03.847 [18933] main/101/master.lua I> ready to accept requests\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf)
	l.Log("main", Verbose, "hidden")
	l.Log("main", Warn, "shown")
	l.SetLevel(Error)
	l.Log("main", Warn, "hidden too")
	l.Log("main", Crit, "hidden at log level 2, as in 2.6")
	l.SetLevel(Crit)
	l.Log("main", Crit, "log level 3")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "W> shown") || !strings.Contains(out, "C> log level 3") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	re := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\d+\] main W> shown$`)
	if !re.MatchString(strings.Split(out, "\n")[0]) {
		t.Fatalf("line does not match the format: %q", out)
	}
}

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	l := New(&bytes.Buffer{})
	if err := l.Open("file:" + path); err != nil {
		t.Fatal(err)
	}
	l.Log("main/101/x", Info, "to file")
	l.Close()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "I> to file") {
		t.Fatalf("file content %q, %v", b, err)
	}
	if err := l.Open("syslog:identity=x"); err == nil {
		t.Fatal("syslog destination accepted")
	}
}

// TestRotate: after the file is renamed away, Rotate makes the log go to
// a new file at the old path, which starts with 2.6's line about it.
func TestRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.log")
	l := New(io.Discard)
	if err := l.Open("file:" + path); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Log("main", Info, "before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	l.Log("main", Info, "after")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(old), "main I> before\n") || strings.Contains(string(old), "after") {
		t.Fatalf("old file:\n%s", old)
	}
	lines := strings.Split(strings.TrimSpace(string(cur)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " coio I> log file has been reopened") || !strings.HasSuffix(lines[1], "main I> after") {
		t.Fatalf("new file:\n%s", cur)
	}
	// A log that is not a file has nothing to reopen.
	if err := New(io.Discard).Rotate(); err != nil {
		t.Fatal(err)
	}
}
