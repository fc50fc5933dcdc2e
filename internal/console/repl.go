package console

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
)

// DefaultPrompt is the prompt name Tarantool 2.6 always shows for the
// local console ("tarantool> "), whatever the instance is called.
const DefaultPrompt = "tarantool"

// HistoryFileName is the file in $HOME that keeps the local console's
// history (Tarantool uses .tarantool_history).
const HistoryFileName = ".spindle_history"

// ErrInterrupt is returned by a LineReader when the user pressed Ctrl-C:
// the REPL drops the request typed so far and prompts again.
var ErrInterrupt = errors.New("console: interrupted")

// LineReader reads the lines of the local console. ReadLine returns the
// line without its terminator, io.EOF at the end of input (Ctrl-D on an
// empty line) and ErrInterrupt on Ctrl-C.
type LineReader interface {
	ReadLine(prompt string) (string, error)
	// AddHistory records one complete request.
	AddHistory(request string)
	Close() error
}

// REPL is the local console (console.lua's start(): local_read,
// local_eval, local_print).
type REPL struct {
	// Handler evaluates requests: a *Session locally, a *Remote for
	// `spindle connect`.
	Handler Handler
	In      LineReader
	Out     io.Writer
	// Prompt is the name before "> "; DefaultPrompt when empty.
	Prompt string
}

// Run reads requests until end of input or "\quit" and prints each
// output followed by a newline (Lua's print). It returns nil at the end
// of input and the first write error otherwise.
func (r *REPL) Run() error {
	prompt := r.Prompt
	if prompt == "" {
		prompt = DefaultPrompt
	}
	for {
		request, err := r.read(prompt)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		out, ok := r.Handler.Eval(request)
		if !ok && out == "" {
			return nil
		}
		if _, err := io.WriteString(r.Out, out+"\n"); err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
}

// read collects one request (local_read): a backslash command is one
// line; otherwise lines are joined with "\n" until they form a complete
// Lua statement, or until the buffer ends with the delimiter when one is
// set. Continuation lines are prompted with spaces as wide as the name.
func (r *REPL) read(name string) (string, error) {
	var buf strings.Builder
	prompt := name + "> "
	for {
		line, err := r.In.ReadLine(prompt)
		if errors.Is(err, ErrInterrupt) {
			buf.Reset()
			prompt = name + "> "
			continue
		}
		if err != nil {
			return "", err
		}
		buf.WriteString(line)
		s := buf.String()
		if complete, request := r.complete(s); complete {
			r.In.AddHistory(request)
			return request, nil
		}
		buf.WriteByte('\n')
		prompt = strings.Repeat(" ", len(name)) + "> "
	}
}

func (r *REPL) complete(buf string) (bool, string) {
	if strings.HasPrefix(buf, "\\") {
		return true, buf
	}
	delim := r.Handler.Delimiter()
	if delim == "" {
		if r.Handler.Language() != LanguageLua {
			return true, buf
		}
		return IsCompleteLua(buf), buf
	}
	if strings.HasSuffix(buf, delim) {
		return true, strings.TrimSuffix(buf, delim)
	}
	return false, buf
}

// NewLineReader returns the line reader for the local console: a
// line editor with history in historyFile when in and out are a terminal,
// otherwise a plain reader that, like GNU readline without a terminal,
// prints the prompt and echoes each line it reads. An empty historyFile
// keeps no history file.
func NewLineReader(in *os.File, out *os.File, historyFile string) (LineReader, error) {
	if readline.IsTerminal(int(in.Fd())) && readline.IsTerminal(int(out.Fd())) {
		return newEditor(in, out, historyFile)
	}
	return NewPlainReader(in, out), nil
}

// DefaultHistoryFile is $HOME/.spindle_history, or "" without $HOME.
func DefaultHistoryFile() string {
	home := os.Getenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, HistoryFileName)
}

// editor is the terminal line editor: emacs keys (arrows, Ctrl-A/E/K/U/W),
// history search, Ctrl-D on an empty line ends input, Ctrl-C drops the
// line.
type editor struct {
	rl *readline.Instance
}

func newEditor(in, out *os.File, historyFile string) (*editor, error) {
	// The terminal hooks default to os.Stdin; bind them to in so any
	// terminal (a pty in tests) works.
	fd := int(in.Fd())
	var saved *readline.State
	rl, err := readline.NewEx(&readline.Config{
		HistoryFile:            historyFile,
		DisableAutoSaveHistory: true, // history keeps whole requests, not lines
		HistorySearchFold:      true,
		Stdin:                  in,
		Stdout:                 out,
		Stderr:                 out,
		FuncIsTerminal:         func() bool { return readline.IsTerminal(fd) },
		FuncMakeRaw: func() error {
			st, err := readline.MakeRaw(fd)
			saved = st
			return err
		},
		FuncExitRaw: func() error {
			if saved == nil {
				return nil
			}
			return readline.Restore(fd, saved)
		},
		FuncGetWidth: func() int {
			if w, _, err := readline.GetSize(int(out.Fd())); err == nil && w > 0 {
				return w
			}
			return 80
		},
	})
	if err != nil {
		return nil, err
	}
	return &editor{rl: rl}, nil
}

func (e *editor) ReadLine(prompt string) (string, error) {
	e.rl.SetPrompt(prompt)
	line, err := e.rl.Readline()
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return "", ErrInterrupt
	case err == io.EOF:
		return "", io.EOF
	}
	return line, err
}

func (e *editor) AddHistory(request string) {
	// The history file holds one entry per line.
	_ = e.rl.SaveHistory(strings.ReplaceAll(request, "\n", " "))
}

func (e *editor) Close() error { return e.rl.Close() }

// PlainReader reads lines from a non-terminal. It writes the prompt and
// echoes the line, which is what Tarantool's readline prints when stdin
// is a pipe.
type PlainReader struct {
	in  *bufio.Reader
	out io.Writer
}

// NewPlainReader returns a PlainReader over in and out.
func NewPlainReader(in io.Reader, out io.Writer) *PlainReader {
	return &PlainReader{in: bufio.NewReader(in), out: out}
}

// ReadLine implements LineReader. A last line without a newline is still
// returned; io.EOF comes after it.
func (p *PlainReader) ReadLine(prompt string) (string, error) {
	if _, err := io.WriteString(p.out, prompt); err != nil {
		return "", err
	}
	line, err := p.in.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	if _, err := io.WriteString(p.out, line+"\n"); err != nil {
		return "", err
	}
	return line, nil
}

// AddHistory implements LineReader; a plain reader keeps no history.
func (p *PlainReader) AddHistory(string) {}

// Close implements LineReader.
func (p *PlainReader) Close() error { return nil }
