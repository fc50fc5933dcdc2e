package luamod

import (
	"math"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Waiting for a descriptor without the baton: ppoll(2) on the descriptor
// and, when the fiber can be woken, on an eventfd that a helper
// goroutine signals when the woken channel closes. The wait is level
// triggered, as libev's ev_io is, and reports what Tarantool's
// coio_wait reports: the events asked for that the descriptor has.

// Event bits of iowait (COIO_READ, COIO_WRITE).
const (
	ioRead  = 1
	ioWrite = 2
)

// Poll bits (<poll.h>).
const (
	pollIn   = 0x1
	pollPri  = 0x2
	pollOut  = 0x4
	pollErr  = 0x8
	pollHup  = 0x10
	pollNval = 0x20
)

type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

// maxWait is the longest timeout a single ppoll gets; longer ones (2.6's
// TIMEOUT_INFINITY is 500 years) wait without one.
const maxWait = 100 * 365 * 24 * time.Hour

// waitTimeout converts a timeout in seconds: negative and NaN ones are
// 0, as an expired timer; huge ones are infinite (-1).
func waitTimeout(seconds float64) time.Duration {
	if !(seconds > 0) {
		return 0
	}
	if seconds >= maxWait.Seconds() || math.IsInf(seconds, 1) {
		return -1
	}
	return time.Duration(seconds * float64(time.Second))
}

// ppoll polls fds for d (-1: no timeout), retrying on EINTR with the
// time that is left.
func ppoll(fds []pollFd, d time.Duration) (int, syscall.Errno) {
	var deadline time.Time
	if d >= 0 {
		deadline = time.Now().Add(d)
	}
	for {
		var ts *syscall.Timespec
		if d >= 0 {
			left := max(time.Until(deadline), 0)
			t := syscall.NsecToTimespec(int64(left))
			ts = &t
		}
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)),
			uintptr(unsafe.Pointer(ts)), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(n), 0
	}
}

// ioEvents converts poll's revents into iowait's bits, as libev reports
// them: an error or hang-up makes the descriptor both readable and
// writable, an invalid one reports what was asked (libev then stops
// the watcher with every event); masked by what was asked.
func ioEvents(revents int16, asked int) int {
	got := 0
	if revents&(pollIn|pollPri|pollErr|pollHup) != 0 {
		got |= ioRead
	}
	if revents&(pollOut|pollErr|pollHup) != 0 {
		got |= ioWrite
	}
	if revents&pollNval != 0 {
		got = asked
	}
	return got & asked
}

// fdWaiter is one waitFd in progress: the eventfd that ends its poll
// early, and whether the descriptor was closed meanwhile.
type fdWaiter struct {
	efd     int
	closing bool // guarded by fdWaiters.mu
}

// fdWaiters are the waits in progress by descriptor. Closing a
// descriptor through the module ends the waits on it, as libev's
// ev_io_closing does in 2.6's coio_close: poll(2) would not notice the
// close and, holding the file, would keep a listening socket bound.
var fdWaiters = struct {
	mu   sync.Mutex
	byFd map[int][]*fdWaiter
}{byFd: make(map[int][]*fdWaiter)}

// wakeClosing ends every wait on fd before fd is closed: they report the
// events they asked for, as libev reports every event to the watchers of
// a descriptor that is closing.
func wakeClosing(fd int) {
	fdWaiters.mu.Lock()
	defer fdWaiters.mu.Unlock()
	for _, w := range fdWaiters.byFd[fd] {
		w.closing = true
		signalEventfd(w.efd)
	}
}

func signalEventfd(efd int) {
	one := uint64(1)
	syscall.Write(efd, (*[8]byte)(unsafe.Pointer(&one))[:])
}

// waitFd waits until fd has one of the events (ioRead|ioWrite), the
// timeout passes (-1: none), woken closes or fd is closed through the
// module, and returns the events it has (0 for a timeout or a wakeup).
// It runs without the baton.
func waitFd(fd int, events int, timeout time.Duration, woken <-chan struct{}) int {
	select {
	case <-woken: // a nil channel never fires
		return 0
	default:
	}
	var pev int16
	if events&ioRead != 0 {
		pev |= pollIn
	}
	if events&ioWrite != 0 {
		pev |= pollOut
	}
	fds := []pollFd{{fd: int32(fd), events: pev}}
	efd, err := newEventfd()
	if err != nil {
		// No descriptor to end the poll with (EMFILE): wait in slices
		// so that a wakeup still ends the wait soon.
		return waitFdSliced(fds, events, timeout, woken)
	}
	w := &fdWaiter{efd: efd}
	fdWaiters.mu.Lock()
	fdWaiters.byFd[fd] = append(fdWaiters.byFd[fd], w)
	fdWaiters.mu.Unlock()
	fds = append(fds, pollFd{fd: int32(efd), events: pollIn})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if woken != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-woken:
				signalEventfd(efd)
			case <-stop:
			}
		}()
	}
	_, errno := ppoll(fds, timeout)
	close(stop)
	wg.Wait() // the helper is done with efd before it is closed
	fdWaiters.mu.Lock()
	closing := w.closing
	list := fdWaiters.byFd[fd]
	for i, x := range list {
		if x == w {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(fdWaiters.byFd, fd)
	} else {
		fdWaiters.byFd[fd] = list
	}
	fdWaiters.mu.Unlock()
	syscall.Close(efd)
	if closing {
		return events
	}
	if errno != 0 {
		return 0
	}
	return ioEvents(fds[0].revents, events)
}

// waitFdSliced is waitFd without an eventfd: polls of at most 10 ms
// between looks at woken.
func waitFdSliced(fds []pollFd, events int, timeout time.Duration, woken <-chan struct{}) int {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		slice := 10 * time.Millisecond
		if timeout >= 0 {
			slice = min(slice, max(time.Until(deadline), 0))
		}
		if _, errno := ppoll(fds[:1], slice); errno != 0 {
			return 0
		}
		if ev := ioEvents(fds[0].revents, events); ev != 0 {
			return ev
		}
		select {
		case <-woken:
			return 0
		default:
		}
		if timeout >= 0 && !time.Now().Before(deadline) {
			return 0
		}
	}
}

func newEventfd() (int, error) {
	const efdCloexec, efdNonblock = 0x80000, 0x800
	fd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdCloexec|efdNonblock, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// sleepWoken sleeps for d (-1: until woken) or until woken closes.
func sleepWoken(d time.Duration, woken <-chan struct{}) {
	if d < 0 {
		if woken != nil {
			<-woken
		}
		return // no fiber to wake and no end: 2.6 would hang; return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-woken:
	}
}
