package luabox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/popen"
)

// The popen module of 2.6 (src/lua/popen.c) over package popen. A handle
// is a userdata whose metatable holds the methods; a closed handle keeps
// answering the methods with errors, as 2.6's popen_handle_closed type.
// Reads and writes give the baton up while they wait: the I/O runs on a
// goroutine of its own and the fiber parks until it ends, a timeout
// passes, or the fiber is cancelled.

// popenHandle is a handle's state.
type popenHandle struct {
	proc    *popen.Process
	command string
	opts    popenOpts
	closed  bool
	// pending holds bytes a read got after its fiber stopped waiting for
	// it (cancelled): the next read returns them first.
	pending [3][]byte
}

// popenOpts are the options a handle was made with, as ph.opts shows
// them.
type popenOpts struct {
	stdio                                                           [3]popen.Stdio
	shell, setsid, closeFDs, restoreSignals, groupSignal, keepChild bool
}

// popenReadSize is 2.6's POPEN_LUA_READ_BUF_SIZE: what one read returns
// at most.
const popenReadSize = 4096

// popenWaitDelay is 2.6's POPEN_LUA_WAIT_DELAY: ph:wait() looks at the
// process this often.
const popenWaitDelay = 100 * time.Millisecond

var stdioNames = [...]string{popen.Inherit: "inherit", popen.DevNull: "devnull", popen.Close: "close", popen.Pipe: "pipe"}

var stdNames = [3]string{"stdin", "stdout", "stderr"}

// popenSignals are the signals popen.signal names, as 2.6 lists them for
// Linux.
var popenSignals = []struct {
	name string
	sig  syscall.Signal
}{
	{"SIGHUP", syscall.SIGHUP}, {"SIGINT", syscall.SIGINT}, {"SIGQUIT", syscall.SIGQUIT},
	{"SIGILL", syscall.SIGILL}, {"SIGTRAP", syscall.SIGTRAP}, {"SIGABRT", syscall.SIGABRT},
	{"SIGIOT", syscall.SIGIOT}, {"SIGBUS", syscall.SIGBUS}, {"SIGFPE", syscall.SIGFPE},
	{"SIGKILL", syscall.SIGKILL}, {"SIGUSR1", syscall.SIGUSR1}, {"SIGSEGV", syscall.SIGSEGV},
	{"SIGUSR2", syscall.SIGUSR2}, {"SIGPIPE", syscall.SIGPIPE}, {"SIGALRM", syscall.SIGALRM},
	{"SIGTERM", syscall.SIGTERM}, {"SIGSTKFLT", syscall.SIGSTKFLT}, {"SIGCHLD", syscall.SIGCHLD},
	{"SIGCONT", syscall.SIGCONT}, {"SIGSTOP", syscall.SIGSTOP}, {"SIGTSTP", syscall.SIGTSTP},
	{"SIGTTIN", syscall.SIGTTIN}, {"SIGTTOU", syscall.SIGTTOU}, {"SIGURG", syscall.SIGURG},
	{"SIGXCPU", syscall.SIGXCPU}, {"SIGXFSZ", syscall.SIGXFSZ}, {"SIGVTALRM", syscall.SIGVTALRM},
	{"SIGPROF", syscall.SIGPROF}, {"SIGWINCH", syscall.SIGWINCH}, {"SIGIO", syscall.SIGIO},
	{"SIGPOLL", syscall.SIGPOLL}, {"SIGPWR", syscall.SIGPWR}, {"SIGSYS", syscall.SIGSYS},
}

// openPopen makes the popen module, present in package.loaded as in 2.6.
func (rt *Runtime) openPopen() {
	L := rt.L
	L.CreateTable(0, 16)
	mt := L.GetTop()
	L.SetFuncs(mt, map[string]lua.Function{
		"signal":      rt.popenSignal,
		"terminate":   func(L lua.State) int { return rt.popenSendSignal(L, syscall.SIGTERM, "ph:terminate()") },
		"kill":        func(L lua.State) int { return rt.popenSendSignal(L, syscall.SIGKILL, "ph:kill()") },
		"wait":        rt.popenWait,
		"read":        rt.popenRead,
		"write":       rt.popenWrite,
		"shutdown":    rt.popenShutdown,
		"info":        rt.popenInfo,
		"close":       rt.popenClose,
		"__index":     rt.popenIndex,
		"__serialize": rt.popenSerialize,
	})
	rt.popenType = L.NewObjectType("popen_handle")
	// A handle Lua collects is deleted as ph:close() deletes it.
	rt.popenType.Finalize = func(L lua.State, v any) {
		if h := v.(*popenHandle); !h.closed {
			h.delete()
		}
	}

	L.CreateTable(0, 4)
	mod := L.GetTop()
	L.SetFuncs(mod, map[string]lua.Function{
		"new":   rt.popenNew,
		"shell": rt.popenShell,
	})
	L.CreateTable(0, len(popenSignals))
	for _, s := range popenSignals {
		L.PushNumber(float64(s.sig))
		L.RawSetField(-2, s.name)
	}
	L.RawSetField(mod, "signal")
	L.CreateTable(0, 4)
	for i, name := range []string{"INHERIT", "DEVNULL", "CLOSE", "PIPE"} {
		L.PushString(stdioNames[i])
		L.RawSetField(-2, name)
	}
	L.RawSetField(mod, "opts")
	L.PushGo(map[string]any{"OPEN": "open", "CLOSED": "closed"})
	L.RawSetField(mod, "stream")
	L.PushGo(map[string]any{"ALIVE": "alive", "EXITED": "exited", "SIGNALED": "signaled"})
	L.RawSetField(mod, "state")
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(mod)
	L.RawSetField(-2, "popen")
	L.SetTop(mt - 1)
}

// popenError raises an error of class typ with a message.
func (rt *Runtime) popenError(L lua.State, typ, format string, args ...any) int {
	e := &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: typ, Message: boxerr.Truncate(fmt.Sprintf(format, args...))}
	if typ == "SystemError" || typ == "SocketError" || typ == "TimedOut" {
		e.Code = boxerr.ER_SYSTEM
	}
	return rt.raise(L, e)
}

// pushNilAndError pushes nil and an error object (luaT_push_nil_and_error).
func (rt *Runtime) pushNilAndError(L lua.State, e *boxerr.Error) int {
	rt.ctx().LastError = e
	L.PushNil()
	rt.pushError(L, e)
	return 2
}

// checkPopen returns the handle at idx, nil for other values.
func (rt *Runtime) checkPopen(L lua.State, idx int) *popenHandle {
	v, ok := L.ToObject(idx, rt.popenType)
	if !ok {
		return nil
	}
	return v.(*popenHandle)
}

// openHandle returns the handle at idx for method what, raising
// IllegalParams with the usage for another value and for a closed
// handle.
func (rt *Runtime) openHandle(L lua.State, idx int, usage string) *popenHandle {
	h := rt.checkPopen(L, idx)
	if h == nil {
		rt.popenError(L, "IllegalParams", "Bad params, use: %s", usage)
	}
	if h.closed {
		rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed handle")
	}
	return h
}

// popenParamType raises 2.6's error for a parameter of the wrong type.
func (rt *Runtime) popenParamType(L lua.State, idx int, fn, param, want string) {
	rt.popenError(L, "IllegalParams", "%s: wrong parameter \"%s\": expected %s, got %s", fn, param, want, L.TypeName(idx))
}

// popenNew is popen.new(argv[, opts]).
func (rt *Runtime) popenNew(L lua.State) int {
	if !L.IsTable(1) {
		rt.popenParamType(L, 1, "popen.new", "argv", "table")
	}
	if !L.IsNoneOrNil(2) && !L.IsTable(2) {
		rt.popenParamType(L, 2, "popen.new", "opts", "table or nil")
	}
	o := popenOpts{closeFDs: true, restoreSignals: true}
	var env []string
	if L.IsTable(2) {
		for i, name := range stdNames {
			if rt.popenOptField(L, name) {
				if L.Type(-1) != lua.TypeString {
					rt.popenParamType(L, -1, "popen.new", "opts."+name, "string or nil")
				}
				s, _ := L.ToString(-1)
				o.stdio[i] = popenStdio(L, rt, s, name)
			}
			L.Pop(1)
		}
		if rt.popenOptField(L, "env") {
			env = rt.popenEnv(L)
		}
		L.Pop(1)
		for _, b := range []struct {
			name string
			dst  *bool
		}{{"shell", &o.shell}, {"setsid", &o.setsid}, {"close_fds", &o.closeFDs},
			{"restore_signals", &o.restoreSignals}, {"group_signal", &o.groupSignal}, {"keep_child", &o.keepChild}} {
			if rt.popenOptField(L, b.name) {
				if L.Type(-1) != lua.TypeBoolean {
					rt.popenParamType(L, -1, "popen.new", "opts."+b.name, "boolean or nil")
				}
				*b.dst = L.ToBool(-1)
			}
			L.Pop(1)
		}
	}
	n := L.ObjLen(1)
	argv := make([]string, 0, n+2)
	if o.shell {
		argv = append(argv, "sh", "-c")
	}
	for i := 1; i <= n; i++ {
		L.RawGetI(1, i)
		if L.Type(-1) != lua.TypeString {
			rt.popenError(L, "IllegalParams", "popen.new: wrong parameter \"argv[%d]\": expected string, got %s", i, L.TypeName(-1))
		}
		s, _ := L.ToString(-1)
		argv = append(argv, s)
		L.Pop(1)
	}
	if o.groupSignal && !o.setsid {
		rt.popenError(L, "IllegalParams", "popen: group signal without setting sid")
	}
	h := &popenHandle{opts: o, command: popen.Command(argv)}
	exec := argv
	if o.shell {
		// 2.6 runs the shell by its path.
		exec = append([]string{"/bin/sh"}, argv[1:]...)
	}
	if len(exec) == 0 {
		return rt.pushNilAndError(L, &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SystemError",
			Message: "vfork() fails", Errno: int(syscall.EINVAL)})
	}
	proc, err := popen.Spawn(popen.Options{Argv: exec, Env: env, Stdio: o.stdio, Setsid: o.setsid,
		CloseFDs: o.closeFDs, RestoreSignals: o.restoreSignals})
	if err != nil {
		var errno syscall.Errno
		errors.As(err, &errno)
		return rt.pushNilAndError(L, &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SystemError",
			Message: "popen: " + err.Error(), Errno: int(errno)})
	}
	h.proc = proc
	L.PushObject(rt.popenType, h)
	return 1
}

// popenOptField pushes opts[name] (argument 2, lua_getfield) and reports
// whether it is set.
func (rt *Runtime) popenOptField(L lua.State, name string) bool {
	if err := L.GetField(2, name); err != nil {
		L.RaiseString(err.Error())
	}
	return !L.IsNil(-1)
}

// popenStdio is a stream action by name: as 2.6 compares with strncmp
// over the given length, a prefix of a name is that name (the empty
// string is "inherit").
func popenStdio(L lua.State, rt *Runtime, s, name string) popen.Stdio {
	for i, n := range stdioNames {
		if strings.HasPrefix(n, s) {
			return popen.Stdio(i)
		}
	}
	rt.popenError(L, "IllegalParams", "popen.new: wrong parameter \"opts.%s\": expected popen.opts.<...> constant, got %s", name, s)
	return 0
}

// popenEnv reads opts.env (on top): {[string] = string, ...}.
func (rt *Runtime) popenEnv(L lua.State) []string {
	if !L.IsTable(-1) {
		rt.popenParamType(L, -1, "popen.new", "opts.env", "table or nil")
	}
	t := L.AbsIndex(-1)
	env := []string{}
	L.PushNil()
	for L.Next(t) {
		if L.Type(-2) != lua.TypeString || L.Type(-1) != lua.TypeString {
			rt.popenError(L, "IllegalParams", "popen.new: wrong parameter \"opts.env\": expected {[<string>] = <string>, ...}, got a non-string key or value")
		}
		k, _ := L.ToString(-2)
		v, _ := L.ToString(-1)
		env = append(env, k+"="+v)
		L.Pop(1)
	}
	return env
}

// popenShell is popen.shell(command[, mode]): the command run by sh -c
// in a new session whose group the signals go to; mode's r, R and w
// pipe stdout, stderr and stdin.
func (rt *Runtime) popenShell(L lua.State) int {
	if L.Type(1) != lua.TypeString {
		rt.popenParamType(L, 1, "popen.shell", "command", "string")
	}
	switch L.Type(2) {
	case lua.TypeString, lua.TypeNone, lua.TypeNil:
	default:
		rt.popenParamType(L, 2, "popen.shell", "mode", "string or nil")
	}
	L.CreateTable(1, 0)
	L.PushValue(1)
	L.RawSetI(-2, 1)
	argv := L.GetTop()
	L.CreateTable(0, 6)
	opts := L.GetTop()
	for _, k := range []string{"shell", "setsid", "group_signal"} {
		L.PushBool(true)
		L.RawSetField(opts, k)
	}
	mode, _ := L.ToString(2)
	if L.Type(2) == lua.TypeString {
		for i := 0; i < len(mode); i++ {
			switch mode[i] {
			case 'r':
				L.PushString("pipe")
				L.RawSetField(opts, "stdout")
			case 'R':
				L.PushString("pipe")
				L.RawSetField(opts, "stderr")
			case 'w':
				L.PushString("pipe")
				L.RawSetField(opts, "stdin")
			default:
				rt.popenError(L, "IllegalParams", "popen.shell: wrong parameter \"mode\": expected 'r', 'w', 'R' or its combination, got %s", mode)
			}
		}
	}
	L.PushValue(argv)
	L.Replace(1)
	L.PushValue(opts)
	if L.GetTop() < 2 {
		L.SetTop(2)
	}
	L.Replace(2)
	L.SetTop(2)
	return rt.popenNew(L)
}

// sendSignal is popen_send_signal: kill, or killpg with group_signal;
// a SystemError for a process that has ended or a failed call.
func (h *popenHandle) sendSignal(sig syscall.Signal) *boxerr.Error {
	err := h.proc.Signal(sig, h.opts.groupSignal)
	if err == nil {
		return nil
	}
	errno, _ := err.(syscall.Errno)
	if errno == syscall.ESRCH {
		return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SystemError", Errno: int(errno),
			Message: fmt.Sprintf("Attempt to send a signal %d to a process that does not exist anymore", int(sig))}
	}
	op := "kill"
	if h.opts.groupSignal {
		op = "killpg"
	}
	return &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SystemError", Errno: int(errno),
		Message: fmt.Sprintf("Unable to %s %d signo %d", op, h.proc.Pid(), int(sig))}
}

func (rt *Runtime) popenSignal(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil || !L.IsNumber(2) {
		return rt.popenError(L, "IllegalParams", "Bad params, use: ph:signal(signo)")
	}
	if h.closed {
		return rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed handle")
	}
	return rt.popenSignalResult(L, h, syscall.Signal(int(L.ToNumber(2))))
}

func (rt *Runtime) popenSendSignal(L lua.State, sig syscall.Signal, usage string) int {
	return rt.popenSignalResult(L, rt.openHandle(L, 1, usage), sig)
}

func (rt *Runtime) popenSignalResult(L lua.State, h *popenHandle, sig syscall.Signal) int {
	if e := h.sendSignal(sig); e != nil {
		return rt.pushNilAndError(L, e)
	}
	L.PushBool(true)
	return 1
}

// popenWait is ph:wait(): the process's status once it has ended,
// looked at every popenWaitDelay as 2.6 does; a cancellation point.
func (rt *Runtime) popenWait(L lua.State) int {
	h := rt.openHandle(L, 1, "ph:wait()")
	f := rt.ctx().F
	for {
		if st, _ := h.proc.State(); st != popen.Alive {
			break
		}
		f.Sleep(popenWaitDelay)
		rt.testCancel(L)
	}
	rt.pushProcessStatus(L, h)
	return 1
}

// pushProcessStatus pushes {state =, exit_code = | signo =, signame =}.
func (rt *Runtime) pushProcessStatus(L lua.State, h *popenHandle) {
	st, code := h.proc.State()
	L.CreateTable(0, 3)
	switch st {
	case popen.Alive:
		L.PushString("alive")
		L.RawSetField(-2, "state")
	case popen.Exited:
		L.PushString("exited")
		L.RawSetField(-2, "state")
		L.PushNumber(float64(code))
		L.RawSetField(-2, "exit_code")
	case popen.Signaled:
		L.PushString("signaled")
		L.RawSetField(-2, "state")
		L.PushNumber(float64(code))
		L.RawSetField(-2, "signo")
		name := "unknown"
		for _, s := range popenSignals {
			if int(s.sig) == code {
				name = s.name
			}
		}
		L.PushString(name)
		L.RawSetField(-2, "signame")
	}
}

// readUsage and the like are the usages of the I/O methods.
const (
	readUsage     = "ph:read([{stdout = <boolean>, stderr = <boolean>, timeout = <number>}])"
	writeUsage    = "ph:write(str[, {timeout = <number>}])"
	shutdownUsage = "ph:shutdown({stdin = <boolean>, stdout = <boolean>, stderr = <boolean>})"
)

// popenBoolOpt reads opts[name] (at idx) as a boolean; ok is false for
// another type.
func popenBoolOpt(L lua.State, idx int, name string) (set, value, ok bool) {
	if err := L.GetField(idx, name); err != nil {
		L.RaiseString(err.Error())
	}
	defer L.Pop(1)
	if L.IsNil(-1) {
		return false, false, true
	}
	if L.Type(-1) != lua.TypeBoolean {
		return false, false, false
	}
	return true, L.ToBool(-1), true
}

// popenTimeout reads opts.timeout (at idx): a non-negative number, or
// none (no limit).
func popenTimeout(L lua.State, idx int) (time.Duration, bool) {
	if err := L.GetField(idx, "timeout"); err != nil {
		L.RaiseString(err.Error())
	}
	defer L.Pop(1)
	if L.IsNil(-1) {
		return fiber.Infinite, true
	}
	if L.Type(-1) != lua.TypeNumber || L.ToNumber(-1) < 0 {
		return 0, false
	}
	return seconds(L.ToNumber(-1)), true
}

// streamCheck is popen_may_io: the stream must be piped and open.
func (rt *Runtime) streamCheck(L lua.State, h *popenHandle, idx int) {
	if h.opts.stdio[idx] != popen.Pipe {
		rt.popenError(L, "IllegalParams", "popen: handle does not support the requested IO operation")
	}
	if h.proc.Pipes[idx] == nil {
		rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed file descriptor")
	}
}

// popenRead is ph:read([opts]): up to 4096 bytes of stdout (or stderr),
// "" at the end of the stream, nil and an error for a timeout.
func (rt *Runtime) popenRead(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil {
		return rt.popenError(L, "IllegalParams", "Bad params, use: %s", readUsage)
	}
	if h.closed {
		return rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed handle")
	}
	stdout, stderr := false, false
	timeout := fiber.Infinite
	if !L.IsNoneOrNil(2) {
		if !L.IsTable(2) {
			return rt.popenError(L, "IllegalParams", "Bad params, use: %s", readUsage)
		}
		for _, o := range []struct {
			name string
			dst  *bool
		}{{"stdout", &stdout}, {"stderr", &stderr}} {
			set, v, ok := popenBoolOpt(L, 2, o.name)
			if !ok {
				return rt.popenError(L, "IllegalParams", "Bad params, use: %s", readUsage)
			}
			if set {
				*o.dst = v
			}
		}
		var ok bool
		if timeout, ok = popenTimeout(L, 2); !ok {
			return rt.popenError(L, "IllegalParams", "Bad params, use: %s", readUsage)
		}
	}
	if !stdout && !stderr {
		stdout = true
	}
	if stdout && stderr {
		return rt.popenError(L, "IllegalParams", "popen: reading from both stdout and stderr at one call is not supported")
	}
	idx := 1
	if stderr {
		idx = 2
	}
	rt.streamCheck(L, h, idx)
	data, e := rt.popenIO(h, idx, nil, timeout)
	if e != nil {
		if e.Type == "FiberIsCancelled" {
			return rt.raise(L, e)
		}
		return rt.pushNilAndError(L, e)
	}
	L.PushBytes(data)
	return 1
}

// popenWrite is ph:write(str[, opts]): the whole string to stdin.
func (rt *Runtime) popenWrite(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil || L.Type(2) != lua.TypeString {
		return rt.popenError(L, "IllegalParams", "Bad params, use: %s", writeUsage)
	}
	if h.closed {
		return rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed handle")
	}
	timeout := fiber.Infinite
	if !L.IsNoneOrNil(3) {
		if !L.IsTable(3) {
			return rt.popenError(L, "IllegalParams", "Bad params, use: %s", writeUsage)
		}
		var ok bool
		if timeout, ok = popenTimeout(L, 3); !ok {
			return rt.popenError(L, "IllegalParams", "Bad params, use: %s", writeUsage)
		}
	}
	rt.streamCheck(L, h, 0)
	s, _ := L.ToString(2)
	if _, e := rt.popenIO(h, 0, []byte(s), timeout); e != nil {
		if e.Type == "FiberIsCancelled" {
			return rt.raise(L, e)
		}
		return rt.pushNilAndError(L, e)
	}
	L.PushBool(true)
	return 1
}

// popenIO reads from (out == nil) or writes all of out to stream idx of
// h on a goroutine, while the running fiber parks: the baton goes to
// other fibers meanwhile. The wait ends with the I/O, at the timeout
// (TimedOut), or when the fiber is cancelled (FiberIsCancelled): the
// I/O is then interrupted through its deadline, and bytes a read got
// meanwhile are kept for the next read.
func (rt *Runtime) popenIO(h *popenHandle, idx int, out []byte, timeout time.Duration) ([]byte, *boxerr.Error) {
	if out == nil && len(h.pending[idx]) > 0 {
		n := min(len(h.pending[idx]), popenReadSize)
		data := h.pending[idx][:n:n]
		h.pending[idx] = h.pending[idx][n:]
		return data, nil
	}
	fc := rt.ctx()
	if fc.F.IsCancelled() {
		return nil, errCancelled()
	}
	file := h.proc.Pipes[idx]
	fd := h.proc.Fds[idx]
	deadline := time.Time{}
	if timeout != fiber.Infinite {
		deadline = time.Now().Add(timeout)
	}
	if out == nil {
		file.SetReadDeadline(deadline)
	} else {
		file.SetWriteDeadline(deadline)
	}
	done := make(chan struct{})
	var data []byte
	var ioErr error
	f := fc.F
	go func() {
		if out == nil {
			buf := make([]byte, popenReadSize)
			n, err := file.Read(buf)
			data, ioErr = buf[:n], err
		} else {
			_, ioErr = file.Write(out)
		}
		close(done)
		f.Wakeup()
	}()
	cancelled := false
	for {
		select {
		case <-done:
		default:
			f.Park(nil, fiber.Infinite)
			if f.IsCancelled() && !cancelled {
				cancelled = true
				file.SetDeadline(time.Now())
			}
			continue
		}
		break
	}
	if cancelled {
		if len(data) > 0 {
			h.pending[idx] = append(h.pending[idx], data...)
		}
		return nil, errCancelled()
	}
	switch {
	case ioErr == nil:
		return data, nil
	case errors.Is(ioErr, os.ErrDeadlineExceeded):
		if len(data) > 0 {
			return data, nil
		}
		return nil, &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "TimedOut", Message: "timed out"}
	case out == nil && errors.Is(ioErr, io.EOF):
		return []byte{}, nil
	}
	// 2.6's coio reports "read(size)" or "write(size)" on the
	// descriptor, the errno beside the message.
	var errno syscall.Errno
	if !errors.As(ioErr, &errno) && errors.Is(ioErr, os.ErrClosed) {
		errno = syscall.EBADF
	}
	what := fmt.Sprintf("read(%d)", popenReadSize)
	if out != nil {
		what = fmt.Sprintf("write(%d)", len(out))
	}
	return nil, &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SocketError", Errno: int(errno),
		Message: fmt.Sprintf("%s, called on fd %d", what, fd)}
}

// popenShutdown is ph:shutdown(opts): closes the parent's ends of the
// piped streams asked for, so the child reads the end of its input.
func (rt *Runtime) popenShutdown(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil {
		return rt.popenError(L, "IllegalParams", "Bad params, use: %s", shutdownUsage)
	}
	if h.closed {
		return rt.popenError(L, "IllegalParams", "popen: attempt to operate on a closed handle")
	}
	var want [3]bool
	if !L.IsNoneOrNil(2) {
		if !L.IsTable(2) {
			return rt.popenError(L, "IllegalParams", "Bad params, use: %s", shutdownUsage)
		}
		for i, name := range stdNames {
			set, v, ok := popenBoolOpt(L, 2, name)
			if !ok {
				return rt.popenError(L, "IllegalParams", "Bad params, use: %s", shutdownUsage)
			}
			if set {
				want[i] = v
			}
		}
	}
	if !want[0] && !want[1] && !want[2] {
		return rt.popenError(L, "IllegalParams", "popen: neither stdin, stdout nor stderr is set")
	}
	for i := range want {
		if want[i] && h.opts.stdio[i] != popen.Pipe {
			return rt.popenError(L, "IllegalParams", "popen: handle does not support the requested IO operation")
		}
	}
	for i := range want {
		if want[i] {
			h.closePipe(i)
		}
	}
	L.PushBool(true)
	return 1
}

// closePipe closes the parent's end of stream i; an I/O of another fiber
// on it ends with an error.
func (h *popenHandle) closePipe(i int) {
	if f := h.proc.Pipes[i]; f != nil {
		f.Close()
		h.proc.Pipes[i] = nil
		h.pending[i] = nil
	}
}

// delete is popen_delete: the child killed unless keep_child, the pipes
// closed. The error of a kill other than of an ended process is
// returned.
func (h *popenHandle) delete() *boxerr.Error {
	var e *boxerr.Error
	if !h.opts.keepChild {
		if err := h.sendSignal(syscall.SIGKILL); err != nil && err.Errno != int(syscall.ESRCH) {
			e = err
		}
	}
	for i := range h.proc.Pipes {
		h.closePipe(i)
	}
	h.closed = true
	return e
}

// popenInfo is ph:info().
func (rt *Runtime) popenInfo(L lua.State) int {
	h := rt.openHandle(L, 1, "ph:info()")
	rt.pushPopenInfo(L, h)
	return 1
}

func (rt *Runtime) pushPopenInfo(L lua.State, h *popenHandle) {
	L.CreateTable(0, 7)
	t := L.GetTop()
	if pid := h.proc.Pid(); pid >= 0 {
		L.PushNumber(float64(pid))
		L.RawSetField(t, "pid")
	}
	L.PushString(h.command)
	L.RawSetField(t, "command")
	rt.pushPopenOpts(L, h)
	L.RawSetField(t, "opts")
	rt.pushProcessStatus(L, h)
	L.RawSetField(t, "status")
	for i, name := range stdNames {
		if h.pushStreamStatus(L, i) {
			L.RawSetField(t, name)
		} else {
			L.Pop(1)
		}
	}
}

// pushStreamStatus pushes "open" or "closed" for a piped stream, nil
// for the others (false then).
func (h *popenHandle) pushStreamStatus(L lua.State, i int) bool {
	switch {
	case h.opts.stdio[i] != popen.Pipe:
		L.PushNil()
		return false
	case h.proc.Pipes[i] == nil:
		L.PushString("closed")
	default:
		L.PushString("open")
	}
	return true
}

func (rt *Runtime) pushPopenOpts(L lua.State, h *popenHandle) {
	o := h.opts
	L.CreateTable(0, 9)
	for i, name := range stdNames {
		L.PushString(stdioNames[o.stdio[i]])
		L.RawSetField(-2, name)
	}
	for _, b := range []struct {
		name string
		v    bool
	}{{"shell", o.shell}, {"setsid", o.setsid}, {"close_fds", o.closeFDs},
		{"restore_signals", o.restoreSignals}, {"group_signal", o.groupSignal}, {"keep_child", o.keepChild}} {
		L.PushBool(b.v)
		L.RawSetField(-2, b.name)
	}
}

// popenClose is ph:close(): the handle is deleted (its child killed
// unless keep_child); closing a closed handle does nothing.
func (rt *Runtime) popenClose(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil {
		return rt.popenError(L, "IllegalParams", "Bad params, use: ph:close()")
	}
	if h.closed {
		L.PushBool(true)
		return 1
	}
	if e := h.delete(); e != nil {
		return rt.pushNilAndError(L, e)
	}
	L.PushBool(true)
	return 1
}

// popenIndex is the handles' __index: the methods, then the fields pid,
// command, opts, status, stdin, stdout and stderr.
func (rt *Runtime) popenIndex(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil || L.Type(2) != lua.TypeString {
		return rt.popenError(L, "IllegalParams", "Bad params, use __index(ph, <string>)")
	}
	rt.popenType.PushMetatable(L)
	L.PushValue(2)
	L.RawGet(-2)
	if !L.IsNil(-1) {
		return 1
	}
	if h.closed {
		return rt.popenError(L, "IllegalParams", "Attempt to index a closed popen handle")
	}
	key, _ := L.ToString(2)
	switch key {
	case "pid":
		if pid := h.proc.Pid(); pid >= 0 {
			L.PushNumber(float64(pid))
		} else {
			L.PushNil()
		}
	case "command":
		L.PushString(h.command)
	case "opts":
		rt.pushPopenOpts(L, h)
	case "status":
		rt.pushProcessStatus(L, h)
	case "stdin", "stdout", "stderr":
		h.pushStreamStatus(L, map[string]int{"stdin": 0, "stdout": 1, "stderr": 2}[key])
	default:
		L.PushNil()
	}
	return 1
}

// popenSerialize is what serializers show of a handle: its info, or
// "<closed popen handle>".
func (rt *Runtime) popenSerialize(L lua.State) int {
	h := rt.checkPopen(L, 1)
	if h == nil {
		return rt.popenError(L, "IllegalParams", "Bad params, use: __serialize(ph)")
	}
	if h.closed {
		L.PushString("<closed popen handle>")
		return 1
	}
	rt.pushPopenInfo(L, h)
	return 1
}
