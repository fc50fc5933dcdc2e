package iproto

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// Socket I/O with raw system calls.
//
// A connection's socket is non-blocking: read and write return at once,
// with data or EAGAIN. net.Conn makes them ordinary system calls, which
// put the goroutine's P in the runtime's syscall state; when a call lasts
// longer than one tick of the runtime's monitor (20 µs) and other
// goroutines are runnable, the monitor hands the P to another thread, and
// as long as it keeps finding such calls it wakes every 20 µs. On
// loopback a write does the receiving side's TCP work in the same call,
// so under load it does find them: the monitor's wake-ups and the thread
// hand-offs took about a tenth of the server's CPU (perf, 4 connections
// x 32 requests in flight). RawSyscall keeps the P: the call is on the
// CPU all along anyway. Waiting for readiness stays with the runtime's
// poller (syscall.RawConn), as do deadlines and Close.

// sockReader reads a connection's socket. One goroutine reads at a time.
type sockReader struct {
	rc  syscall.RawConn
	p   []byte
	n   int
	err syscall.Errno
	// fn is the method value of do, made once: a closure per call would
	// be an allocation per read.
	fn func(fd uintptr) bool
}

// sockWriter writes a connection's socket. One goroutine writes at a
// time.
type sockWriter struct {
	rc  syscall.RawConn
	p   []byte
	n   int
	err syscall.Errno
	fn  func(fd uintptr) bool
}

// newSockIO returns the reader and writer of nc's socket, or nc itself
// for both when nc has no file descriptor.
func newSockIO(nc net.Conn) (io.Reader, io.Writer) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc, nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc, nc
	}
	r := &sockReader{rc: rc}
	r.fn = r.do
	w := &sockWriter{rc: rc}
	w.fn = w.do
	return r, w
}

// do is one read attempt; false asks the poller to wait for readability.
func (r *sockReader) do(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.p[0])), uintptr(len(r.p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.n, r.err = int(n), e
		return true
	}
}

func (r *sockReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.p, r.n, r.err = p, 0, 0
	err := r.rc.Read(r.fn)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.err != 0:
		return 0, r.err
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// do writes what is left of w.p; false asks the poller to wait for
// writability.
func (w *sockWriter) do(fd uintptr) bool {
	for len(w.p) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.p[0])), uintptr(len(w.p)))
		switch e {
		case 0:
			w.n += int(n)
			w.p = w.p[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			w.err = e
			return true
		}
	}
	return true
}

func (w *sockWriter) Write(p []byte) (int, error) {
	w.p, w.n, w.err = p, 0, 0
	err := w.rc.Write(w.fn)
	w.p = nil
	switch {
	case err != nil:
		return w.n, err
	case w.err != 0:
		return w.n, w.err
	}
	return w.n, nil
}
