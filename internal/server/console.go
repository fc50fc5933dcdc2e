package server

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/console"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
)

// consoleEval evaluates console requests: each runs in a fiber of its own
// as the admin user, with the tx baton held, like Tarantool's console
// fibers. A console is one session ("repl" for the local console,
// "console" for console.listen, whose connections share it).
type consoleEval struct {
	s    *Server
	tr   *consoleTransport
	sess *box.Session
}

func newConsoleEval(s *Server, kind string) *consoleEval {
	return &consoleEval{s: s, tr: &consoleTransport{kind: kind, sched: s.Sched,
		pushed: make(map[*fiber.Fiber]*strings.Builder)}}
}

// Eval implements console.Evaluator.
func (e *consoleEval) Eval(chunk string) string {
	f := e.s.Sched.New("console")
	f.Acquire()
	defer f.Finish()
	return e.evalIn(f, chunk)
}

// evalIn evaluates chunk on behalf of fiber f, which holds the baton.
// Documents the request pushed come before its output.
func (e *consoleEval) evalIn(f *fiber.Fiber, chunk string) string {
	if e.sess == nil && e.s.Box != nil {
		e.sess = e.s.Box.AdminSession()
	}
	fc := e.s.RT.NewFiberCtx(f, e.sess)
	fc.Transport = e.tr
	defer e.s.RT.ReleaseFiberCtx(fc)
	var pushed strings.Builder
	e.tr.pushed[f] = &pushed
	defer delete(e.tr.pushed, f)
	ev := console.LuaEvaluator{L: fc.L}
	out := ev.Eval(chunk)
	if pushed.Len() == 0 {
		return out
	}
	return pushed.String() + out
}

// openConsoleModule registers require('console'): start() runs the local
// console on the terminal, listen(uri) serves the text console protocol,
// eval(chunk) returns a request's YAML (what `spindle connect` calls over
// IPROTO), connect(uri) opens a console to another instance.
func (s *Server) openConsoleModule() {
	L := s.RT.L
	L.GetGlobal("package")
	L.RawGetField(-1, "preload")
	L.PushFunction(func(L lua.State) int {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"start": func(L lua.State) int {
				f := s.Sched.Current()
				var err error
				f.Block(func() { err = s.runREPL(console.NewSession(newConsoleEval(s, "repl"))) })
				if err != nil {
					L.Errorf("%s", err.Error())
				}
				return 0
			},
			"listen": func(L lua.State) int {
				L.CheckAny(1)
				uri, err := L.ToStringMeta(1)
				if err != nil {
					L.RaiseString(err.Error())
				}
				srv, err := console.Listen(uri, newConsoleEval(s, "console"))
				if err != nil {
					L.Errorf("%s", err.Error())
				}
				s.Log.Logf("main", 5, "started console listener on %s", srv.Addr())
				s.consoles = append(s.consoles, srv)
				L.CreateTable(0, 2)
				L.PushString(srv.Addr().String())
				L.RawSetField(-2, "address")
				L.PushFunction(func(L lua.State) int { srv.Close(); return 0 })
				L.RawSetField(-2, "close")
				return 1
			},
			"eval": func(L lua.State) int {
				chunk := L.CheckString(1)
				var out string
				s.RT.WithThread(func(th lua.State) {
					ev := console.LuaEvaluator{L: th}
					out = ev.Eval(chunk)
				})
				L.PushString(out)
				return 1
			},
			"connect": func(L lua.State) int {
				uri := L.CheckString(1)
				f := s.Sched.Current()
				var err error
				f.Block(func() { err = Connect(uri) })
				if err != nil {
					L.Errorf("%s", err.Error())
				}
				return 0
			},
			"delimiter": func(L lua.State) int {
				L.PushString("")
				return 1
			},
		})
		return 1
	})
	L.RawSetField(-2, "console")
	L.Pop(2)
}

// runREPL runs the local console on the terminal until end of input.
func (s *Server) runREPL(h console.Handler) error {
	in, err := console.NewLineReader(os.Stdin, os.Stdout, console.DefaultHistoryFile())
	if err != nil {
		return err
	}
	defer in.Close()
	r := &console.REPL{Handler: h, In: in, Out: os.Stdout}
	return r.Run()
}

// RunConsole is `spindle` with no instance file: an interactive console
// before box.cfg, as `tarantool` with no arguments.
func (s *Server) RunConsole() error {
	if err := s.runREPL(console.NewSession(newConsoleEval(s, "repl"))); err != nil {
		return err
	}
	if s.Box != nil {
		s.shutdown()
	}
	return nil
}

// Connect opens a console to a running instance: a text console port or
// an IPROTO port (requests go through EVAL).
func Connect(uri string) error {
	r, err := console.Dial(uri, 10*time.Second)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", uri, err)
	}
	defer r.Close()
	in, err := console.NewLineReader(os.Stdin, os.Stdout, console.DefaultHistoryFile())
	if err != nil {
		return err
	}
	defer in.Close()
	repl := &console.REPL{Handler: r, In: in, Out: os.Stdout, Prompt: r.Prompt()}
	return repl.Run()
}
