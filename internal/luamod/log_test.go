package luamod

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

type recLogger struct{ lines []string }

func (r *recLogger) Log(level int, msg string) {
	r.lines = append(r.lines, fmt.Sprintf("%d %s", level, msg))
}

func TestLogRouting(t *testing.T) {
	rec := &recLogger{}
	runLua(t, Options{Logger: rec}, `
		local log = require('log')
		log.info('plain')
		log.warn('%d-%s', 5, 'x')
		log.debug('hidden at info level')
		log.verbose('hidden too')
		log.level('debug')
		log.debug('now shown')
		log.info(nil)
		log.error(1/0)
		log.level('info')
		log.verbose('hidden again')
	`)
	want := []string{"5 plain", "4 5-x", "7 log: level set to 7", "7 now shown", "5 nil", "2 inf"}
	if strings.Join(rec.lines, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", rec.lines, want)
	}
}

// TestLogTable checks that a lone table is logged as JSON without the
// keys the JSON log format owns; it needs the json module.
func TestLogTable(t *testing.T) {
	rec := &recLogger{}
	var out bytes.Buffer
	L := newState(t, Options{Logger: rec}, &out)
	if err := L.DoString("assert(package.preload.json or package.loaded.json)", "=t"); err != nil {
		t.Skip("no json module in this build")
	}
	if err := L.DoString("require('log').error({a = 1, file = 'dropped', pid = 5})", "=t"); err != nil {
		t.Fatal(err)
	}
	if len(rec.lines) != 1 || rec.lines[0] != `2 {"a":1}` {
		t.Fatalf("got %q", rec.lines)
	}
}

type sourceLogger struct{ recLogger }

func (s *sourceLogger) LogSource(level int, file string, line int, msg string) {
	s.lines = append(s.lines, fmt.Sprintf("%d%s %s", level, FormatLogSource(level, file, line), msg))
}

func TestLogSource(t *testing.T) {
	rec := &sourceLogger{}
	var out bytes.Buffer
	L := newState(t, Options{Logger: rec}, &out)
	err := L.DoString(`local log = require('log')
log.info('i')
log.warn('w')
local function f() log.error('e') end
f()`, "@/srv/app/init.lua")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"5 i", "4 init.lua:3 w", "2 init.lua:4 e"}
	if strings.Join(rec.lines, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", rec.lines, want)
	}
	if got := FormatLogSource(LevelError, "a/b/", 1); got != " b/:1" {
		t.Fatalf("basename %q", got)
	}
}

type confLogger struct {
	recLogger
	inits       []string
	initialized bool
	format      string
}

func (c *confLogger) InitLog(dest string, nonblock bool, format string) error {
	if dest == "bad" {
		return errors.New("can't open 'bad'")
	}
	c.inits = append(c.inits, fmt.Sprintf("%s|%v|%s", dest, nonblock, format))
	c.initialized = true
	return nil
}
func (c *confLogger) LogInitialized() bool { return c.initialized }
func (c *confLogger) SetLogFormat(f string) error {
	c.format = f
	return nil
}
func (c *confLogger) LogPid() int { return 42 }

func TestLogConfigurer(t *testing.T) {
	c := &confLogger{}
	out := runLua(t, Options{Logger: c}, `
local log = require('log')
print(pcall(log.cfg, {log = 'bad'}))
print(pcall(log.cfg, {log = 'file.log', nonblock = true, format = 'json', level = 6}))
print(log.cfg.log, log.cfg.level, log.cfg.format, log.cfg.nonblock, log.pid())
print(pcall(log.cfg, {log = 'other.log'}))
log.log_format('plain')
print(log.cfg.format)
`)
	want := "false\tlog.cfg: can't open 'bad'\ntrue\nfile.log\t6\tjson\ttrue\t42\n" +
		"false\tbuiltin/log.lua:447: log.cfg: 'log' can't be set dynamically\nplain\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if strings.Join(c.inits, ",") != "file.log|true|json" || c.format != "plain" {
		t.Fatalf("inits %q format %q", c.inits, c.format)
	}
}

// TestLogNotConfigurable checks the errors for what only a LogConfigurer
// could do.
func TestLogNotConfigurable(t *testing.T) {
	out := runLua(t, Options{Logger: &recLogger{}}, `
local log = require('log')
print(pcall(log.cfg, {log = 'file.log'}))
print(pcall(log.log_format, 'json'))
print(pcall(log.cfg, {level = 6}), log.cfg.level)
`)
	want := "false\tlog.cfg: 'log' cannot be set: this server's logger is not configurable from Lua\n" +
		"false\tlog: the json format is not supported by this server's logger\ntrue\t6\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestSetLogLevel(t *testing.T) {
	rec := &recLogger{}
	var out bytes.Buffer
	L := newState(t, Options{Logger: rec}, &out)
	if LogLevel(L) != LevelInfo {
		t.Fatalf("default level %d", LogLevel(L))
	}
	SetLogLevel(L, LevelDebug) // before require('log'), as box.cfg may
	if err := L.DoString("local log = require('log') log.debug('d') print(log.cfg.level)", "=t"); err != nil {
		t.Fatal(err)
	}
	SetLogLevel(L, LevelWarn)
	if err := L.DoString("local log = require('log') log.info('hidden') log.warn('w') print(log.cfg.level)", "=t"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "7\n4\n" || strings.Join(rec.lines, "|") != "7 d|4 w" || LogLevel(L) != LevelWarn {
		t.Fatalf("out %q lines %q level %d", out.String(), rec.lines, LogLevel(L))
	}
}
