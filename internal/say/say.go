package say

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Level is a Tarantool log level.
type Level int

// Log levels, numbered as Tarantool's box.cfg.log_level.
const (
	Fatal Level = iota
	SysError
	Error
	Crit
	Warn
	Info
	Verbose
	Debug
)

const letters = "F!ECWIVD"

// Letter returns the level's one-letter mark.
func (l Level) Letter() byte {
	if l < 0 || int(l) >= len(letters) {
		return '?'
	}
	return letters[l]
}

// Logger writes log lines. The zero value is not usable; use New.
type Logger struct {
	mu    sync.Mutex
	out   io.Writer
	file  *os.File // non-nil when out is a file this logger opened
	path  string   // file's path, for Rotate
	level atomic.Int32
	pid   int
	now   func() time.Time
}

// New returns a logger writing to w at level Info.
func New(w io.Writer) *Logger {
	l := &Logger{out: w, pid: os.Getpid(), now: time.Now}
	l.level.Store(int32(Info))
	return l
}

// SetLevel sets the highest level that is written.
func (l *Logger) SetLevel(level Level) { l.level.Store(int32(level)) }

// Level returns the current log level.
func (l *Logger) Level() Level { return Level(l.level.Load()) }

// Enabled reports whether lines of level are written.
func (l *Logger) Enabled(level Level) bool { return level <= l.Level() }

// Open redirects the log to the destination of box.cfg.log: "file:PATH"
// or a plain path. "pipe:" and "syslog:" destinations are reported as
// unsupported so that box.cfg fails instead of silently losing lines.
func (l *Logger) Open(dest string) error {
	path := dest
	switch {
	case strings.HasPrefix(dest, "file:"):
		path = strings.TrimPrefix(dest, "file:")
	case strings.HasPrefix(dest, "pipe:"), strings.HasPrefix(dest, "syslog:"):
		return fmt.Errorf("log destination %q is not supported", dest)
	}
	return l.openFile(path)
}

// openFile makes path, created rw-r----- as 2.6 does, the log's file in
// place of the one it had.
func (l *Logger) openFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.file
	l.out, l.file, l.path = f, f, path
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Rotate reopens a log file by its path (say_logrotate, on SIGHUP and
// log.rotate()), so that lines go to a new file once the old one has
// been renamed away, and logs that it did as 2.6 does (from its coio
// thread). A log that is not a file is left alone.
func (l *Logger) Rotate() error {
	l.mu.Lock()
	path, isFile := l.path, l.file != nil
	l.mu.Unlock()
	if !isFile {
		return nil
	}
	if err := l.openFile(path); err != nil {
		return fmt.Errorf("logrotate can't open %s: %w", path, err)
	}
	l.Log("coio", Info, "log file has been reopened")
	return nil
}

// Close closes a log file opened by Open.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	l.out = io.Discard
	return err
}

// Log writes msg at level on behalf of who ("main/101/init.lua").
func (l *Logger) Log(who string, level Level, msg string) {
	if !l.Enabled(level) {
		return
	}
	var b []byte
	b = l.now().AppendFormat(b, "2006-01-02 15:04:05.000")
	b = append(b, " ["...)
	b = fmt.Appendf(b, "%d", l.pid)
	b = append(b, "] "...)
	b = append(b, who...)
	b = append(b, ' ', level.Letter(), '>', ' ')
	b = append(b, msg...)
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		b = append(b, '\n')
	}
	l.mu.Lock()
	l.out.Write(b)
	l.mu.Unlock()
}

// Logf formats and writes a line.
func (l *Logger) Logf(who string, level Level, format string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	l.Log(who, level, fmt.Sprintf(format, args...))
}

// Writer returns the current destination, for output that must go where
// the log goes (such as a crash trace).
func (l *Logger) Writer() io.Writer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out
}
