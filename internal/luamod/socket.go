package luamod

import (
	"math"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/lua"
)

// socket follows 2.6's split: socket.internal (src/lua/socket.c) is Go
// here — iowait, getaddrinfo, name, peer, recvfrom, accept and the
// constant tables — and builtin/socket.lua is lua/socket.lua, which also
// receives a table of Go helpers for what 2.6 calls through ffi from its
// own C (lbox_socket_local_resolve with connect, bind and sendto,
// coio_close, lbox_socket_nonblock). Reads and writes go through ffi to
// the C library, as in 2.6.
//
// Sockets are real descriptors, non-blocking and close-on-exec. Waits
// (iowait and everything built on it: read, write, accept, connect,
// readable) and name resolution run without the baton through
// Options.Block; a wakeup or cancellation of the fiber ends a wait, as
// in 2.6, and so does closing the descriptor through the module.
//
// Where Spindle differs from 2.6, on purpose:
//   - getaddrinfo's failures leave errno as 2.6 leaves it but do not set
//     box.error.last() (the module has no diagnostics area).
//   - An iowait of a fiber already cancelled or woken yields once
//     before it returns 0; 2.6's returns at once.

func init() { addModule("socket", 0, preloadSocket) }

func preloadSocket(L lua.State, opts *Options) {
	m := &socketModule{opts: opts}
	register(L, "socket", func(L lua.State) int {
		src, err := luaFS.ReadFile("lua/socket.lua")
		if err != nil {
			L.RaiseString("socket: missing embedded socket.lua")
		}
		if err := L.Load(string(src), "@builtin/socket.lua"); err != nil {
			L.RaiseString(err.Error())
		}
		L.PushString("socket")
		m.pushInternal(L)
		m.pushHelpers(L)
		L.Call(3, 1)
		return 1
	})
}

// socketModule is the Go side of one Lua universe's socket module.
type socketModule struct {
	opts *Options
}

// pushInternal pushes socket.internal as 2.6 builds it.
func (m *socketModule) pushInternal(L lua.State) {
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"iowait": m.iowait, "getaddrinfo": m.getaddrinfo, "name": m.name,
		"peer": m.peer, "recvfrom": m.recvfrom, "accept": m.accept,
	})
	L.NewTable()
	for _, d := range sockDomains {
		L.PushInt(d.value)
		L.RawSetField(-2, d.name)
		L.PushInt(d.value)
		L.RawSetField(-2, "AF_"+d.name[3:])
	}
	L.RawSetField(-2, "DOMAIN")
	for _, t := range []struct {
		name string
		m    map[string]int
	}{{"SO_TYPE", sockTypes}, {"SEND_FLAGS", sockSendFlags}, {"AI_FLAGS", sockAIFlags}} {
		L.CreateTable(0, len(t.m))
		for k, v := range t.m {
			L.PushInt(v)
			L.RawSetField(-2, k)
		}
		L.RawSetField(-2, t.name)
	}
	L.CreateTable(0, 3)
	for k, v := range map[string]int{"ip": 0, "tcp": int(syscall.IPPROTO_TCP), "udp": int(syscall.IPPROTO_UDP)} {
		L.PushInt(v)
		L.RawSetField(-2, k)
	}
	L.RawSetField(-2, "protocols")
	L.PushInt(sockSolSocket)
	L.RawSetField(-2, "SOL_SOCKET")
	L.CreateTable(0, 2)
	for _, level := range []struct {
		level int
		opts  []sockOpt
	}{{sockSolSocket, sockSolOpts}, {sockIPProtoTCP, sockTCPOpts}} {
		L.PushInt(level.level)
		L.CreateTable(0, len(level.opts))
		for _, o := range level.opts {
			L.CreateTable(0, 3)
			L.PushInt(o.value)
			L.RawSetField(-2, "iname")
			L.PushInt(o.kind)
			L.RawSetField(-2, "type")
			L.PushBool(o.rw)
			L.RawSetField(-2, "rw")
			L.RawSetField(-2, o.name)
		}
		L.RawSet(-3)
	}
	L.RawSetField(-2, "SO_OPT")
}

// pushHelpers pushes the table of socket.lua's private Go helpers.
func (m *socketModule) pushHelpers(L lua.State) {
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"socket": m.socket, "close": m.close, "connect": m.connect,
		"bind": m.bind, "sendto": m.sendto, "nonblock": m.nonblock,
		"protocol": m.protocol, "clock": m.clock,
	})
	L.PushInt(sockMsgNoSignal)
	L.RawSetField(-2, "MSG_NOSIGNAL")
}

// fail sets the C errno and pushes nil, as a failed call of 2.6's C.
func sockFail(L lua.State, errno syscall.Errno) int {
	SetErrno(L, int(errno))
	L.PushNil()
	return 1
}

// fdArg is lua_tointeger of argument n (0 for what is not a number).
func fdArg(L lua.State, n int) int {
	v := L.ToNumber(n)
	if math.IsNaN(v) || v < math.MinInt32 || v > math.MaxInt32 {
		return 0
	}
	return int(v)
}

// iowait(fd, events, timeout) is coio_wait: the events (1 read, 2 write,
// or a string of r and w) fd has, or 0 (” in the string form) after the
// timeout or a wakeup. A negative fd with nil events sleeps. The string
// form's caller (socket.lua) tests for cancellation afterwards, as 2.6's
// C does.
func (m *socketModule) iowait(L lua.State) int {
	const usage = "Usage: iowait(fd, 1 | 'r' | 2 | 'w' | 3 | 'rw' [, timeout])"
	if L.GetTop() < 2 {
		L.RaiseString(usage)
	}
	fd := -1
	if !L.IsNoneOrNil(1) {
		fd = int(L.CheckNumber(1))
	}
	timeout := waitTimeout(L.OptNumber(3, 500*365*86400))
	if fd < 0 {
		if !L.IsNil(2) {
			L.RaiseString(usage)
		}
		m.opts.block(func(woken <-chan struct{}) { sleepWoken(timeout, woken) })
		return 0
	}
	var events int
	str := false
	if L.Type(2) == lua.TypeNumber {
		events = int(L.ToNumber(2))
		if events <= 0 || events > ioRead|ioWrite {
			L.RaiseString(usage)
		}
	} else {
		s, ok := L.ToString(2)
		if !ok {
			L.RaiseString(usage)
		}
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case 'r', 'R':
				events |= ioRead
			case 'w', 'W':
				events |= ioWrite
			case 0:
				i = len(s) // C stops at a NUL
			default:
				L.RaiseString(usage)
			}
		}
		if events == 0 {
			L.RaiseString(usage)
		}
		str = true
	}
	var got int
	m.opts.block(func(woken <-chan struct{}) { got = waitFd(fd, events, timeout, woken) })
	if str {
		L.PushString([]string{"", "R", "W", "RW"}[got])
	} else {
		L.PushInt(got)
	}
	return 1
}

// getaddrinfo(host, port, timeout, hints) resolves without the baton:
// the list of addresses, nil with errno EIO when the resolver fails,
// nil when the timeout passes or the fiber is woken first (the lookup
// then finishes unseen).
func (m *socketModule) getaddrinfo(L lua.State) int {
	var host, port *string
	if s, ok := L.ToString(1); ok {
		host = &s
	}
	if s, ok := L.ToString(2); ok {
		port = &s
	}
	timeout := waitTimeout(L.ToNumber(3))
	var family, sockType, protocol, flags int
	if L.IsTable(4) {
		for _, h := range []struct {
			key string
			dst *int
		}{{"family", &family}, {"type", &sockType}, {"protocol", &protocol}, {"flags", &flags}} {
			L.RawGetField(4, h.key)
			if L.IsNumber(-1) {
				*h.dst = int(L.ToNumber(-1))
			}
			L.Pop(1)
		}
	}
	type answer struct {
		list []addrInfo
		rc   int
	}
	done := make(chan answer, 1)
	go func() {
		list, rc, _ := getAddrInfo(host, port, family, sockType, protocol, flags)
		done <- answer{list, rc}
	}()
	var a answer
	finished := false
	m.opts.block(func(woken <-chan struct{}) {
		var expire <-chan time.Time
		if timeout >= 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expire = t.C
		}
		select {
		case a = <-done:
			finished = true
		case <-expire:
		case <-woken:
		}
	})
	if !finished {
		L.PushNil()
		return 1
	}
	if a.rc != 0 {
		return sockFail(L, syscall.EIO)
	}
	L.CreateTable(len(a.list), 0)
	i := 0
	for k := range a.list {
		ai := &a.list[k]
		pushAddr(L, &ai.addr)
		if L.IsNil(-1) {
			L.Pop(1)
			continue
		}
		pushProtocol(L, ai.protocol)
		L.RawSetField(-2, "protocol")
		pushSockType(L, ai.sockType)
		L.RawSetField(-2, "type")
		if ai.canonName != nil {
			L.PushString(*ai.canonName)
			L.RawSetField(-2, "canonname")
		}
		i++
		L.RawSetI(-2, i)
	}
	return 1
}

// name(fd) is the table of getsockname(2) with type and protocol; nil
// with errno on failure.
func (m *socketModule) name(L lua.State) int { return m.sockName(L, false) }

// peer(fd) is name for getpeername(2).
func (m *socketModule) peer(L lua.State) int { return m.sockName(L, true) }

func (m *socketModule) sockName(L lua.State, peer bool) int {
	fd := fdArg(L, 1)
	a, errno := sockName(fd, peer)
	if errno != 0 {
		return sockFail(L, errno)
	}
	pushAddr(L, a)
	if L.IsNil(-1) {
		return 1
	}
	if t, ok := sockIntOpt(fd, sockSolSocket, sockSOType); ok {
		pushSockType(L, t)
		L.RawSetField(-2, "type")
	}
	if p, ok := sockIntOpt(fd, sockSolSocket, sockSOProtocol); ok {
		pushProtocol(L, p)
		L.RawSetField(-2, "protocol")
	}
	return 1
}

// accept(fd) is accept(2): the new descriptor and the peer's address, or
// nil with errno.
func (m *socketModule) accept(L lua.State) int {
	nfd, a, errno := sockAccept(fdArg(L, 1))
	if errno != 0 {
		return sockFail(L, errno)
	}
	L.PushInt(nfd)
	pushAddr(L, a)
	return 2
}

// recvfrom(fd, size, flags) is recvfrom(2): the data and the sender's
// address, or nil with errno.
func (m *socketModule) recvfrom(L lua.State) int {
	fd := fdArg(L, 1)
	size := fdArg(L, 2)
	flags := fdArg(L, 3)
	if size < 0 {
		return sockFail(L, syscall.ENOMEM) // 2.6's malloc of a negative size fails
	}
	data, a, errno := sockRecvfrom(fd, size, flags)
	if errno != 0 {
		return sockFail(L, errno)
	}
	L.PushBytes(data)
	pushAddr(L, a)
	return 2
}

// socket(domain, type, protocol) is socket(2) of a non-blocking,
// close-on-exec socket: the descriptor, or nil with errno.
func (m *socketModule) socket(L lua.State) int {
	fd, err := syscall.Socket(fdArg(L, 1), fdArg(L, 2)|sockNonblock|sockCloexec, fdArg(L, 3))
	if err != nil {
		return sockFail(L, errnoOf(err))
	}
	L.PushInt(fd)
	return 1
}

// close(fd) ends the waits on fd and closes it: true, or false with
// errno.
func (m *socketModule) close(L lua.State) int {
	fd := fdArg(L, 1)
	wakeClosing(fd)
	if err := syscall.Close(fd); err != nil {
		SetErrno(L, int(errnoOf(err)))
		L.PushBool(false)
		return 1
	}
	L.PushBool(true)
	return 1
}

// addrArgs resolves arguments host and port at n, n+1 (tostring'd by
// the caller).
func addrArgs(L lua.State, n int) (*sockAddr, syscall.Errno) {
	host, _ := L.ToString(n)
	port, _ := L.ToString(n + 1)
	return resolveAddr(fioCPath(host), fioCPath(port))
}

// connect(fd, host, port) is connect(2) to a numeric address: true, or
// false with errno (EINPROGRESS for a connection under way).
func (m *socketModule) connect(L lua.State) int {
	a, errno := addrArgs(L, 2)
	if errno == 0 {
		errno = sockConnect(fdArg(L, 1), a)
	}
	return sockBool(L, errno)
}

// bind(fd, host, port) is bind(2) to a numeric address.
func (m *socketModule) bind(L lua.State) int {
	a, errno := addrArgs(L, 2)
	if errno == 0 {
		errno = sockBind(fdArg(L, 1), a)
	}
	return sockBool(L, errno)
}

func sockBool(L lua.State, errno syscall.Errno) int {
	if errno != 0 {
		SetErrno(L, int(errno))
		L.PushBool(false)
		return 1
	}
	L.PushBool(true)
	return 1
}

// sendto(fd, host, port, data, flags) is sendto(2): the count sent, or
// nil with errno.
func (m *socketModule) sendto(L lua.State) int {
	a, errno := addrArgs(L, 2)
	if errno != 0 {
		return sockFail(L, errno)
	}
	data, _ := L.ToBytesView(4)
	n, errno := sockSendto(fdArg(L, 1), data, fdArg(L, 5)|sockMsgNoSignal, a)
	if errno != 0 {
		return sockFail(L, errno)
	}
	L.PushInt(n)
	return 1
}

// nonblock(fd, mode) is lbox_socket_nonblock: mode 0x80 asks, 1 sets, 0
// clears O_NONBLOCK; 1 or 0 for the resulting state, nil with errno.
func (m *socketModule) nonblock(L lua.State) int {
	fd := fdArg(L, 1)
	mode := fdArg(L, 2)
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 {
		return sockFail(L, e)
	}
	on := flags&syscall.O_NONBLOCK != 0
	if mode != 0x80 && on != (mode != 0) {
		if mode != 0 {
			flags |= syscall.O_NONBLOCK
		} else {
			flags &^= syscall.O_NONBLOCK
		}
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFL, flags); e != 0 {
			return sockFail(L, e)
		}
		on = mode != 0
	}
	if on {
		L.PushInt(1)
	} else {
		L.PushInt(0)
	}
	return 1
}

// protocol(name) is getprotobyname(3)'s number, or nil.
func (m *socketModule) protocol(L lua.State) int {
	name, _ := L.ToString(1)
	if p := protoNumber(fioCPath(name)); p >= 0 {
		L.PushInt(p)
		return 1
	}
	L.PushNil()
	return 1
}

// clock() is a monotonic clock in seconds, for deadlines where the
// fiber module is missing.
func (m *socketModule) clock(L lua.State) int {
	L.PushNumber(float64(time.Since(processStart)) / float64(time.Second))
	return 1
}
