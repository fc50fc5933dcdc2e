package luamod

/*
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// sp_sock_resolve fills *ss with the address of host and port as 2.6's
// lbox_socket_local_resolve reads them: "unix/" and a path, an IPv4
// address in inet_addr(3)'s forms, or an IPv6 address; the port is
// atoi(3)'s. No name lookup. -1 with errno (ENOBUFS: the path does not
// fit, EINVAL: not an address).
static int
sp_sock_resolve(const char *host, const char *port,
		struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "unix/") == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		if (strlen(port) >= sizeof(un->sun_path)) {
			errno = ENOBUFS;
			return -1;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, port);
		*len = sizeof(*un);
		return 0;
	}
	in_addr_t v4 = inet_addr(host);
	if (v4 != (in_addr_t)-1) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = v4;
		in->sin_port = htons(atoi(port));
		*len = sizeof(*in);
		return 0;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(atoi(port));
		*len = sizeof(*in6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

// sp_sock_numeric writes the numeric host and service of an inet
// address (getnameinfo(3) with NI_NUMERICHOST | NI_NUMERICSERV); 0 on
// success.
static int
sp_sock_numeric(const struct sockaddr_storage *ss, socklen_t len,
		char *host, size_t hostlen, char *serv, size_t servlen)
{
	return getnameinfo((const struct sockaddr *)ss, len, host, hostlen,
			   serv, servlen, NI_NUMERICHOST | NI_NUMERICSERV);
}

static const char *
sp_sock_path(const struct sockaddr_storage *ss)
{
	return ((const struct sockaddr_un *)ss)->sun_path;
}

static int
sp_sock_connect(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	return connect(fd, (const struct sockaddr *)ss, len);
}

static int
sp_sock_bind(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	return bind(fd, (const struct sockaddr *)ss, len);
}

static ssize_t
sp_sock_sendto(int fd, const char *p, size_t n, int flags,
	       const struct sockaddr_storage *ss, socklen_t len)
{
	return sendto(fd, p, n, flags, (const struct sockaddr *)ss, len);
}

static int
sp_sock_accept(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
	return accept4(fd, (struct sockaddr *)ss, len, SOCK_CLOEXEC);
}

static int
sp_sock_getname(int fd, int peer, struct sockaddr_storage *ss, socklen_t *len)
{
	if (peer)
		return getpeername(fd, (struct sockaddr *)ss, len);
	return getsockname(fd, (struct sockaddr *)ss, len);
}

static ssize_t
sp_sock_recvfrom(int fd, void *p, size_t n, int flags,
		 struct sockaddr_storage *ss, socklen_t *len)
{
	return recvfrom(fd, p, n, flags, (struct sockaddr *)ss, len);
}

static int
sp_sock_getint(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);
	return getsockopt(fd, level, name, v, &len);
}

// sp_sock_getaddrinfo is 2.6's getaddrinfo task: a failure for the flags
// (EAI_BADFLAGS, EAI_ADDRFAMILY) with AI_ADDRCONFIG is retried without
// it. An empty host is no host.
static int
sp_sock_getaddrinfo(const char *host, const char *port, int family,
		    int type, int protocol, int flags, struct addrinfo **res)
{
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = type;
	hints.ai_protocol = protocol;
	hints.ai_flags = flags;
	if (host != NULL && *host == '\0')
		host = NULL;
	int rc = getaddrinfo(host, port, &hints, res);
	if ((rc == EAI_BADFLAGS || rc == EAI_ADDRFAMILY) &&
	    (hints.ai_flags & AI_ADDRCONFIG)) {
		hints.ai_flags &= ~AI_ADDRCONFIG;
		rc = getaddrinfo(host, port, &hints, res);
	}
	return rc;
}

static const char *
sp_sock_protoname(int proto)
{
	struct protoent *p = getprotobynumber(proto);
	return p == NULL ? NULL : p->p_name;
}

static int
sp_sock_protonumber(const char *name)
{
	struct protoent *p = getprotobyname(name);
	return p == NULL ? -1 : p->p_proto;
}
*/
import "C"

import (
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"github.com/spindledb/spindle/internal/lua"
)

// The socket module's system side. Addresses stay in C's struct
// sockaddr_storage from the system call to the Lua table, so that their
// text is the C library's (getnameinfo's IPv6 forms and scopes, the
// inet_addr forms an address may be written in), as 2.6 shows them.

// sockAddr is a socket address as the system calls take and return it.
type sockAddr struct {
	ss  C.struct_sockaddr_storage
	len C.socklen_t
}

// resolveAddr is 2.6's lbox_socket_local_resolve: a numeric address, or
// "unix/" and a path; the errno of a failure (EINVAL, ENOBUFS).
func resolveAddr(host, port string) (*sockAddr, syscall.Errno) {
	a := new(sockAddr)
	ch, cp := C.CString(host), C.CString(port)
	defer C.free(unsafe.Pointer(ch))
	defer C.free(unsafe.Pointer(cp))
	if r, err := C.sp_sock_resolve(ch, cp, &a.ss, &a.len); r != 0 {
		return nil, errnoOf(err)
	}
	return a, 0
}

// errnoOf is the errno of a failed C call (EIO when the call did not
// leave one).
func errnoOf(err error) syscall.Errno {
	if en, ok := err.(syscall.Errno); ok && en != 0 {
		return en
	}
	return syscall.EIO
}

// familyNames are the names 2.6 gives address families in results.
var familyNames = map[int]string{
	C.AF_UNIX: "AF_UNIX", C.AF_INET: "AF_INET", C.AF_INET6: "AF_INET6",
	C.AF_IPX: "AF_IPX", C.AF_NETLINK: "AF_NETLINK", C.AF_X25: "AF_X25",
	C.AF_AX25: "AF_AX25", C.AF_ATMPVC: "AF_ATMPVC",
	C.AF_APPLETALK: "AF_APPLETALK", C.AF_PACKET: "AF_PACKET",
}

// typeNames are the names of socket types in results.
var typeNames = map[int]string{
	C.SOCK_STREAM: "SOCK_STREAM", C.SOCK_DGRAM: "SOCK_DGRAM",
	C.SOCK_SEQPACKET: "SOCK_SEQPACKET", C.SOCK_RAW: "SOCK_RAW",
	C.SOCK_RDM: "SOCK_RDM", C.SOCK_PACKET: "SOCK_PACKET",
}

func pushFamily(L lua.State, family int) {
	if n, ok := familyNames[family]; ok {
		L.PushString(n)
		return
	}
	L.PushInt(family)
}

// pushSockType pushes a type's name; the flags a type may carry
// (SOCK_NONBLOCK, SOCK_CLOEXEC) are not part of it.
func pushSockType(L lua.State, t int) {
	t &^= C.SOCK_NONBLOCK | C.SOCK_CLOEXEC
	if n, ok := typeNames[t]; ok {
		L.PushString(n)
		return
	}
	L.PushInt(t)
}

// protoNames caches getprotobynumber's answers (the C library's
// protocols database, which does not change while a process runs).
var protoNames sync.Map // int -> string ("" for none)

// pushProtocol pushes a protocol's name, or its number when it has none
// (0 is always the number).
func pushProtocol(L lua.State, proto int) {
	if proto == 0 {
		L.PushInt(0)
		return
	}
	name, ok := protoNames.Load(proto)
	if !ok {
		s := ""
		if p := C.sp_sock_protoname(C.int(proto)); p != nil {
			s = C.GoString(p)
		}
		name, _ = protoNames.LoadOrStore(proto, s)
	}
	if s := name.(string); s != "" {
		L.PushString(s)
		return
	}
	L.PushInt(proto)
}

// protoNumber is getprotobyname(3); -1 for an unknown name.
func protoNumber(name string) int {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return int(C.sp_sock_protonumber(cn))
}

// pushAddr pushes the table of an address as 2.6 shows it: family, and
// host and port (a number for inet addresses; "unix/" and the path, ""
// for an unnamed socket, for unix ones); nil for no address or an
// unknown family.
func pushAddr(L lua.State, a *sockAddr) {
	if a.len == 0 {
		L.PushNil()
		return
	}
	family := int(*(*C.sa_family_t)(unsafe.Pointer(&a.ss)))
	switch family {
	case C.AF_INET, C.AF_INET6:
		L.CreateTable(0, 5)
		pushFamily(L, family)
		L.RawSetField(-2, "family")
		var host [C.NI_MAXHOST]C.char
		var serv [C.NI_MAXSERV]C.char
		if C.sp_sock_numeric(&a.ss, a.len, &host[0], C.size_t(len(host)), &serv[0], C.size_t(len(serv))) == 0 {
			L.PushString(C.GoString(&host[0]))
			L.RawSetField(-2, "host")
			port, _ := strconv.Atoi(C.GoString(&serv[0]))
			L.PushInt(port)
			L.RawSetField(-2, "port")
		}
	case C.AF_UNIX:
		L.CreateTable(0, 5)
		pushFamily(L, family)
		L.RawSetField(-2, "family")
		L.PushString("unix/")
		L.RawSetField(-2, "host")
		if uintptr(a.len) > unsafe.Sizeof(C.sa_family_t(0)) {
			L.PushString(C.GoString(C.sp_sock_path(&a.ss)))
		} else {
			L.PushString("")
		}
		L.RawSetField(-2, "port")
	default:
		L.PushNil()
	}
}

// sockName is getsockname(2), or getpeername(2) with peer.
func sockName(fd int, peer bool) (*sockAddr, syscall.Errno) {
	a := new(sockAddr)
	a.len = C.socklen_t(unsafe.Sizeof(a.ss))
	p := C.int(0)
	if peer {
		p = 1
	}
	if r, err := C.sp_sock_getname(C.int(fd), p, &a.ss, &a.len); r != 0 {
		return nil, errnoOf(err)
	}
	return a, 0
}

// sockIntOpt is getsockopt(2) of an int option.
func sockIntOpt(fd, level, name int) (int, bool) {
	var v C.int
	if C.sp_sock_getint(C.int(fd), C.int(level), C.int(name), &v) != 0 {
		return 0, false
	}
	return int(v), true
}

// sockConnect is connect(2) to a resolved address.
func sockConnect(fd int, a *sockAddr) syscall.Errno {
	if r, err := C.sp_sock_connect(C.int(fd), &a.ss, a.len); r != 0 {
		return errnoOf(err)
	}
	return 0
}

// sockBind is bind(2) to a resolved address.
func sockBind(fd int, a *sockAddr) syscall.Errno {
	if r, err := C.sp_sock_bind(C.int(fd), &a.ss, a.len); r != 0 {
		return errnoOf(err)
	}
	return 0
}

// sockSendto is sendto(2) of b; the count sent.
func sockSendto(fd int, b []byte, flags int, a *sockAddr) (int, syscall.Errno) {
	var p *C.char
	if len(b) > 0 {
		p = (*C.char)(unsafe.Pointer(unsafe.SliceData(b)))
	}
	r, err := C.sp_sock_sendto(C.int(fd), p, C.size_t(len(b)), C.int(flags), &a.ss, a.len)
	if r < 0 {
		return 0, errnoOf(err)
	}
	return int(r), 0
}

// sockAccept is accept(2); the new descriptor is close-on-exec, as every
// descriptor Spindle's Lua modules open (Go's process starts inherit
// descriptors that are not).
func sockAccept(fd int) (int, *sockAddr, syscall.Errno) {
	a := new(sockAddr)
	a.len = C.socklen_t(unsafe.Sizeof(a.ss))
	r, err := C.sp_sock_accept(C.int(fd), &a.ss, &a.len)
	if r < 0 {
		return -1, nil, errnoOf(err)
	}
	return int(r), a, 0
}

// sockRecvfrom is recvfrom(2) of up to n bytes.
func sockRecvfrom(fd, n, flags int) ([]byte, *sockAddr, syscall.Errno) {
	a := new(sockAddr)
	a.len = C.socklen_t(unsafe.Sizeof(a.ss))
	buf := make([]byte, n+1) // +1: a valid pointer for n == 0
	r, err := C.sp_sock_recvfrom(C.int(fd), unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(n), C.int(flags), &a.ss, &a.len)
	if r < 0 {
		return nil, nil, errnoOf(err)
	}
	return buf[:min(int(r), n)], a, 0
}

// addrInfo is one getaddrinfo result.
type addrInfo struct {
	addr      sockAddr
	protocol  int
	sockType  int
	canonName *string
}

// getAddrInfo is getaddrinfo(3) with 2.6's retry; the results, or the
// error code (EAI_*) and its gai_strerror text.
func getAddrInfo(host, port *string, family, sockType, protocol, flags int) ([]addrInfo, int, string) {
	var ch, cp *C.char
	if host != nil {
		ch = C.CString(*host)
		defer C.free(unsafe.Pointer(ch))
	}
	if port != nil {
		cp = C.CString(*port)
		defer C.free(unsafe.Pointer(cp))
	}
	var res *C.struct_addrinfo
	rc := C.sp_sock_getaddrinfo(ch, cp, C.int(family), C.int(sockType), C.int(protocol), C.int(flags), &res)
	if rc != 0 {
		return nil, int(rc), C.GoString(C.gai_strerror(rc))
	}
	defer C.freeaddrinfo(res)
	var out []addrInfo
	for p := res; p != nil; p = p.ai_next {
		var ai addrInfo
		if p.ai_addr != nil && p.ai_addrlen <= C.socklen_t(unsafe.Sizeof(ai.addr.ss)) {
			C.memcpy(unsafe.Pointer(&ai.addr.ss), unsafe.Pointer(p.ai_addr), C.size_t(p.ai_addrlen))
			ai.addr.len = p.ai_addrlen
		}
		ai.protocol = int(p.ai_protocol)
		ai.sockType = int(p.ai_socktype)
		if p.ai_canonname != nil {
			s := C.GoString(p.ai_canonname)
			ai.canonName = &s
		}
		out = append(out, ai)
	}
	return out, 0, ""
}

// Constants of the module's tables, as the C library defines them.
const (
	sockSolSocket   = C.SOL_SOCKET
	sockIPProtoTCP  = C.IPPROTO_TCP
	sockSOProtocol  = C.SO_PROTOCOL
	sockSOType      = C.SO_TYPE
	sockStream      = C.SOCK_STREAM
	sockNonblock    = C.SOCK_NONBLOCK
	sockCloexec     = C.SOCK_CLOEXEC
	sockAFUnix      = C.AF_UNIX
	sockAFInet      = C.AF_INET
	sockAFInet6     = C.AF_INET6
	sockMsgNoSignal = C.MSG_NOSIGNAL
)

// sockDomains is socket.internal.DOMAIN's source: each PF_ name also
// gets its AF_ alias.
var sockDomains = []struct {
	name  string
	value int
}{
	{"PF_UNIX", C.PF_UNIX}, {"PF_LOCAL", C.PF_LOCAL}, {"PF_INET", C.PF_INET},
	{"PF_INET6", C.PF_INET6}, {"PF_IPX", C.PF_IPX}, {"PF_NETLINK", C.PF_NETLINK},
	{"PF_X25", C.PF_X25}, {"PF_AX25", C.PF_AX25}, {"PF_ATMPVC", C.PF_ATMPVC},
	{"PF_APPLETALK", C.PF_APPLETALK}, {"PF_PACKET", C.PF_PACKET},
}

// sockTypes is socket.internal.SO_TYPE.
var sockTypes = map[string]int{
	"SOCK_STREAM": C.SOCK_STREAM, "SOCK_DGRAM": C.SOCK_DGRAM,
	"SOCK_SEQPACKET": C.SOCK_SEQPACKET, "SOCK_RAW": C.SOCK_RAW, "SOCK_RDM": C.SOCK_RDM,
}

// sockSendFlags is socket.internal.SEND_FLAGS.
var sockSendFlags = map[string]int{
	"MSG_OOB": C.MSG_OOB, "MSG_PEEK": C.MSG_PEEK, "MSG_DONTROUTE": C.MSG_DONTROUTE,
	"MSG_TRYHARD": C.MSG_TRYHARD,
	"MSG_CTRUNC":  C.MSG_CTRUNC, "MSG_PROXY": C.MSG_PROXY, "MSG_TRUNC": C.MSG_TRUNC,
	"MSG_DONTWAIT": C.MSG_DONTWAIT, "MSG_EOR": C.MSG_EOR, "MSG_WAITALL": C.MSG_WAITALL,
	"MSG_FIN": C.MSG_FIN, "MSG_SYN": C.MSG_SYN, "MSG_CONFIRM": C.MSG_CONFIRM,
	"MSG_RST": C.MSG_RST, "MSG_ERRQUEUE": C.MSG_ERRQUEUE, "MSG_NOSIGNAL": C.MSG_NOSIGNAL,
	"MSG_MORE": C.MSG_MORE, "MSG_WAITFORONE": C.MSG_WAITFORONE,
	"MSG_FASTOPEN": C.MSG_FASTOPEN, "MSG_CMSG_CLOEXEC": C.MSG_CMSG_CLOEXEC,
}

// sockAIFlags is socket.internal.AI_FLAGS.
var sockAIFlags = map[string]int{
	"AI_PASSIVE": C.AI_PASSIVE, "AI_CANONNAME": C.AI_CANONNAME,
	"AI_NUMERICHOST": C.AI_NUMERICHOST, "AI_V4MAPPED": C.AI_V4MAPPED,
	"AI_ALL": C.AI_ALL, "AI_ADDRCONFIG": C.AI_ADDRCONFIG, "AI_IDN": C.AI_IDN,
	"AI_CANONIDN": C.AI_CANONIDN, "AI_NUMERICSERV": C.AI_NUMERICSERV,
}

// sockOpt is one entry of socket.internal.SO_OPT: kind 1 is an int
// option, 2 a string one (size_t in 2.6's terms), 0 one the generic
// calls refuse (SO_LINGER has linger(), TCP_INFO nothing).
type sockOpt struct {
	name  string
	value int
	kind  int
	rw    bool
}

// sockSolOpts are the SOL_SOCKET options 2.6 knows.
var sockSolOpts = []sockOpt{
	{"SO_ACCEPTCONN", C.SO_ACCEPTCONN, 1, false}, {"SO_BINDTODEVICE", C.SO_BINDTODEVICE, 2, true},
	{"SO_BROADCAST", C.SO_BROADCAST, 1, true}, {"SO_DEBUG", C.SO_DEBUG, 1, true},
	{"SO_DOMAIN", C.SO_DOMAIN, 1, false}, {"SO_ERROR", C.SO_ERROR, 1, false},
	{"SO_DONTROUTE", C.SO_DONTROUTE, 1, true}, {"SO_KEEPALIVE", C.SO_KEEPALIVE, 1, true},
	{"SO_LINGER", C.SO_LINGER, 0, false}, {"SO_MARK", C.SO_MARK, 1, true},
	{"SO_OOBINLINE", C.SO_OOBINLINE, 1, true}, {"SO_PASSCRED", C.SO_PASSCRED, 1, true},
	{"SO_PEERCRED", C.SO_PEERCRED, 1, false}, {"SO_PRIORITY", C.SO_PRIORITY, 1, true},
	{"SO_RCVBUF", C.SO_RCVBUF, 1, true}, {"SO_RCVBUFFORCE", C.SO_RCVBUFFORCE, 1, true},
	{"SO_RCVLOWAT", C.SO_RCVLOWAT, 1, true}, {"SO_SNDLOWAT", C.SO_SNDLOWAT, 1, true},
	{"SO_RCVTIMEO", C.SO_RCVTIMEO, 1, true}, {"SO_SNDTIMEO", C.SO_SNDTIMEO, 1, true},
	{"SO_REUSEADDR", C.SO_REUSEADDR, 1, true}, {"SO_SNDBUF", C.SO_SNDBUF, 1, true},
	{"SO_SNDBUFFORCE", C.SO_SNDBUFFORCE, 1, true}, {"SO_TIMESTAMP", C.SO_TIMESTAMP, 1, true},
	{"SO_PROTOCOL", C.SO_PROTOCOL, 1, false}, {"SO_TYPE", C.SO_TYPE, 1, false},
}

// sockTCPOpts are the IPPROTO_TCP options 2.6 knows.
var sockTCPOpts = []sockOpt{
	{"TCP_NODELAY", C.TCP_NODELAY, 1, true}, {"TCP_MAXSEG", C.TCP_MAXSEG, 1, true},
	{"TCP_CORK", C.TCP_CORK, 1, true}, {"TCP_KEEPIDLE", C.TCP_KEEPIDLE, 1, true},
	{"TCP_KEEPINTVL", C.TCP_KEEPINTVL, 1, true}, {"TCP_KEEPCNT", C.TCP_KEEPCNT, 1, true},
	{"TCP_SYNCNT", C.TCP_SYNCNT, 1, true}, {"TCP_LINGER2", C.TCP_LINGER2, 1, true},
	{"TCP_DEFER_ACCEPT", C.TCP_DEFER_ACCEPT, 1, true}, {"TCP_WINDOW_CLAMP", C.TCP_WINDOW_CLAMP, 1, true},
	{"TCP_INFO", C.TCP_INFO, 0, false}, {"TCP_QUICKACK", C.TCP_QUICKACK, 1, true},
	{"TCP_CONGESTION", C.TCP_CONGESTION, 1, true}, {"TCP_MD5SIG", C.TCP_MD5SIG, 1, true},
	// TCP_COOKIE_TRANSACTIONS is gone from today's headers; 2.6 was
	// built with its value.
	{"TCP_COOKIE_TRANSACTIONS", 15, 1, true},
	{"TCP_THIN_LINEAR_TIMEOUTS", C.TCP_THIN_LINEAR_TIMEOUTS, 1, true},
	{"TCP_THIN_DUPACK", C.TCP_THIN_DUPACK, 1, true}, {"TCP_USER_TIMEOUT", C.TCP_USER_TIMEOUT, 1, true},
	{"TCP_REPAIR", C.TCP_REPAIR, 1, true}, {"TCP_REPAIR_QUEUE", C.TCP_REPAIR_QUEUE, 1, true},
	{"TCP_QUEUE_SEQ", C.TCP_QUEUE_SEQ, 1, true}, {"TCP_REPAIR_OPTIONS", C.TCP_REPAIR_OPTIONS, 1, true},
	{"TCP_FASTOPEN", C.TCP_FASTOPEN, 1, true}, {"TCP_TIMESTAMP", C.TCP_TIMESTAMP, 1, true},
	{"TCP_NOTSENT_LOWAT", C.TCP_NOTSENT_LOWAT, 1, true}, {"TCP_CC_INFO", C.TCP_CC_INFO, 1, true},
	{"TCP_SAVE_SYN", C.TCP_SAVE_SYN, 1, true}, {"TCP_SAVED_SYN", C.TCP_SAVED_SYN, 1, true},
}
