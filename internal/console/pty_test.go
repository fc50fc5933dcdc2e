package console

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen collects what the terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// text is the screen output without cursor control sequences and CRs.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(ansiEscape.ReplaceAllString(s.buf.String(), ""), "\r", "")
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.text(), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q; screen:\n%s", want, s.text())
}

// TestREPLTerminal drives the local console through a pseudo-terminal:
// typing, a multi-line request, Ctrl-C dropping a line, line editing
// keys, history and Ctrl-D on an empty line.
func TestREPLTerminal(t *testing.T) {
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	defer tty.Close()
	pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 120})
	scr := &screen{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			scr.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	history := filepath.Join(t.TempDir(), "history")
	in, err := NewLineReader(tty, tty, history)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in.(*editor); !ok {
		t.Fatalf("a terminal got %T, want the line editor", in)
	}
	L := newTestState(t)
	done := make(chan error, 1)
	go func() {
		r := &REPL{Handler: NewSession(&LuaEvaluator{L: L}), In: in, Out: tty}
		done <- r.Run()
		in.Close()
	}()
	typeKeys := func(s string) {
		if _, err := master.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	scr.waitFor(t, "tarantool> ")
	typeKeys("1 + 2\r")
	scr.waitFor(t, "---\n- 3\n...\n")

	typeKeys("function sq(x)\r")
	scr.waitFor(t, "         > ")
	typeKeys("return x * x end\r")
	typeKeys("sq(7)\r")
	scr.waitFor(t, "- 49\n")

	// Ctrl-C drops the line typed so far.
	typeKeys("error('dropped')\x03")
	time.Sleep(50 * time.Millisecond)
	typeKeys("'after'\r")
	scr.waitFor(t, "- after\n")
	if strings.Contains(scr.text(), "error: dropped") {
		t.Fatal("Ctrl-C did not drop the line")
	}

	// Ctrl-A goes to the start, Ctrl-K kills to the end, Ctrl-E to the end.
	typeKeys("xx\x01\x0b10 + 1\x05\r")
	scr.waitFor(t, "- 11\n")
	// Ctrl-U kills the line before the cursor, Ctrl-W the word before it.
	typeKeys("junk\x15'kept' .. wordy\x17'w'\r")
	scr.waitFor(t, "- keptw\n")

	// Up arrow recalls the previous request.
	typeKeys("\x1b[A\r")
	time.Sleep(50 * time.Millisecond)
	if n := strings.Count(scr.text(), "- keptw\n"); n != 2 {
		t.Fatalf("history recall printed the result %d times; screen:\n%s", n, scr.text())
	}

	typeKeys("\x04")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-D on an empty line did not end the console")
	}
	data, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 + 2", "function sq(x) return x * x end", "sq(7)"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("history file lacks %q:\n%s", want, data)
		}
	}
}
