// Package popen starts and watches child processes for the popen module
// of Spindle's Lua runtime, as Tarantool 2.6's src/lib/core/popen.c:
// standard streams inherited, sent to /dev/null, closed or piped to the
// parent; a new session on request; descriptors beyond the standard ones
// closed; signal dispositions restored; the exit status collected as
// soon as the child ends.
//
// The pipes' parent ends are non-blocking *os.File values, so reads and
// writes take deadlines and a goroutine blocked in one can be released
// at once (SetDeadline); the child's ends are blocking, as programs
// expect.
package popen

/*
#include <stdlib.h>
#include "spawn.h"
*/
import "C"

import (
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Stdio is what becomes of one of the child's standard streams.
type Stdio int

// Stream actions (popen.opts).
const (
	Inherit Stdio = iota
	DevNull
	Close
	Pipe
)

// Options describe a child to start.
type Options struct {
	// Argv is the command: Argv[0] is the program's path (no PATH
	// search), the whole is the child's argv.
	Argv []string
	// Env is the child's environment, nil for the parent's.
	Env []string
	// Stdio are the actions for stdin, stdout and stderr.
	Stdio [3]Stdio
	// Setsid starts the child in a new session; CloseFDs closes its
	// descriptors beyond the standard ones; RestoreSignals gives it
	// default signal dispositions and an empty signal mask.
	Setsid, CloseFDs, RestoreSignals bool
}

// Process is a started child.
type Process struct {
	pid int
	// Pipes holds the parent's ends of the piped streams (nil for the
	// others); Fds their descriptor numbers (for messages: os.File.Fd
	// would make a file blocking and end its deadlines).
	Pipes [3]*os.File
	Fds   [3]int

	mu     sync.Mutex
	ended  bool
	status syscall.WaitStatus
	done   chan struct{}
}

// State is a process's state.
type State int

// Process states (popen.state).
const (
	Alive State = iota
	Exited
	Signaled
)

// Spawn starts a child as o describes. A program that cannot be executed
// still gives a Process: the child exits with the errno of execve as its
// code, as in 2.6.
func Spawn(o Options) (p *Process, err error) {
	if len(o.Argv) == 0 {
		return nil, errors.New("popen: empty argv")
	}
	var fds [3]C.int
	var toClose []int
	p = &Process{done: make(chan struct{})}
	defer func() {
		for _, fd := range toClose {
			syscall.Close(fd)
		}
		if err != nil {
			for _, f := range p.Pipes {
				if f != nil {
					f.Close()
				}
			}
		}
	}()
	for i, act := range o.Stdio {
		switch act {
		case Inherit:
			fds[i] = C.int(i)
		case Close:
			fds[i] = -1
		case DevNull:
			mode := syscall.O_WRONLY
			if i == 0 {
				mode = syscall.O_RDONLY
			}
			fd, err := syscall.Open("/dev/null", mode|syscall.O_CLOEXEC, 0)
			if err != nil {
				return nil, err
			}
			toClose = append(toClose, fd)
			fds[i] = C.int(fd)
		case Pipe:
			var pfd [2]int
			if err := syscall.Pipe2(pfd[:], syscall.O_CLOEXEC); err != nil {
				return nil, err
			}
			parent, child := pfd[0], pfd[1]
			if i == 0 {
				parent, child = pfd[1], pfd[0]
			}
			toClose = append(toClose, child)
			// Non-blocking, the parent's end is one the runtime polls.
			if err := syscall.SetNonblock(parent, true); err != nil {
				syscall.Close(parent)
				return nil, err
			}
			p.Pipes[i] = os.NewFile(uintptr(parent), "popen pipe")
			p.Fds[i] = parent
			fds[i] = C.int(child)
		}
	}
	argv := cStrings(o.Argv)
	defer freeStrings(argv)
	var envp []*C.char
	if o.Env != nil {
		envp = cStrings(o.Env)
		defer freeStrings(envp)
	}
	flags := C.int(0)
	if o.Setsid {
		flags |= C.SP_SPAWN_SETSID
	}
	if o.CloseFDs {
		flags |= C.SP_SPAWN_CLOSE_FDS
	}
	if o.RestoreSignals {
		flags |= C.SP_SPAWN_RESTORE_SIGNALS
	}
	var envArg **C.char
	if envp != nil {
		envArg = &envp[0]
	}
	var pid C.int
	if rc := C.sp_spawn(&argv[0], envArg, &fds[0], flags, &pid); rc != 0 {
		return nil, syscall.Errno(rc)
	}
	p.pid = int(pid)
	go p.reap()
	return p, nil
}

// cStrings is a NULL-terminated array of C copies of ss.
func cStrings(ss []string) []*C.char {
	out := make([]*C.char, len(ss)+1)
	for i, s := range ss {
		out[i] = C.CString(s)
	}
	return out
}

func freeStrings(cs []*C.char) {
	for _, c := range cs {
		if c != nil {
			C.free(unsafe.Pointer(c))
		}
	}
}

// reap waits for the child's end and records its status, as 2.6's
// SIGCHLD watcher does.
func (p *Process) reap() {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// Reaped elsewhere: the status is unknown; report an
			// exit with code 0 rather than a child alive forever.
			ws = 0
		}
		break
	}
	p.mu.Lock()
	p.ended, p.status = true, ws
	p.mu.Unlock()
	close(p.done)
}

// Pid is the child's process id while it runs, -1 once it has ended.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return -1
	}
	return p.pid
}

// State returns the process's state and its exit code (Exited) or the
// signal that ended it (Signaled).
func (p *Process) State() (State, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.ended:
		return Alive, 0
	case p.status.Signaled():
		return Signaled, int(p.status.Signal())
	}
	return Exited, p.status.ExitStatus()
}

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Signal sends sig to the child, or to its process group with group.
// syscall.ESRCH when the child has ended.
func (p *Process) Signal(sig syscall.Signal, group bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return syscall.ESRCH
	}
	if group {
		return syscall.Kill(-p.pid, sig)
	}
	return syscall.Kill(p.pid, sig)
}

// Command is the command line 2.6 shows for argv: the arguments joined
// with spaces, those holding a space in single quotes.
func Command(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}
