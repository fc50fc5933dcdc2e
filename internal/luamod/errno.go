package luamod

import (
	"strconv"
	"syscall"

	"github.com/spindledb/spindle/internal/lua"
)

func init() {
	addModule("errno", 0, func(L lua.State, _ *Options) {
		registerLua(L, "errno", "errno.lua", func(L lua.State) {
			L.CreateTable(0, len(errnoConstants))
			for _, c := range errnoConstants {
				L.PushInt(int(c.value))
				L.RawSetField(-2, c.name)
			}
		})
	})
}

// errnoConstants are the names errno.c of Tarantool 2.6 exports, with
// their Linux values.
var errnoConstants = []struct {
	name  string
	value syscall.Errno
}{
	{"E2BIG", syscall.E2BIG}, {"EACCES", syscall.EACCES}, {"EADDRINUSE", syscall.EADDRINUSE},
	{"EADDRNOTAVAIL", syscall.EADDRNOTAVAIL}, {"EAFNOSUPPORT", syscall.EAFNOSUPPORT},
	{"EAGAIN", syscall.EAGAIN}, {"EALREADY", syscall.EALREADY}, {"EBADF", syscall.EBADF},
	{"EBADMSG", syscall.EBADMSG}, {"EBUSY", syscall.EBUSY}, {"ECANCELED", syscall.ECANCELED},
	{"ECHILD", syscall.ECHILD}, {"ECONNABORTED", syscall.ECONNABORTED},
	{"ECONNREFUSED", syscall.ECONNREFUSED}, {"ECONNRESET", syscall.ECONNRESET},
	{"EDEADLK", syscall.EDEADLK}, {"EDESTADDRREQ", syscall.EDESTADDRREQ}, {"EDOM", syscall.EDOM},
	{"EDQUOT", syscall.EDQUOT}, {"EEXIST", syscall.EEXIST}, {"EFAULT", syscall.EFAULT},
	{"EFBIG", syscall.EFBIG}, {"EHOSTUNREACH", syscall.EHOSTUNREACH}, {"EIDRM", syscall.EIDRM},
	{"EILSEQ", syscall.EILSEQ}, {"EINPROGRESS", syscall.EINPROGRESS}, {"EINTR", syscall.EINTR},
	{"EINVAL", syscall.EINVAL}, {"EIO", syscall.EIO}, {"EISCONN", syscall.EISCONN},
	{"EISDIR", syscall.EISDIR}, {"ELOOP", syscall.ELOOP}, {"EMFILE", syscall.EMFILE},
	{"EMLINK", syscall.EMLINK}, {"EMSGSIZE", syscall.EMSGSIZE}, {"EMULTIHOP", syscall.EMULTIHOP},
	{"ENAMETOOLONG", syscall.ENAMETOOLONG}, {"ENETDOWN", syscall.ENETDOWN},
	{"ENETRESET", syscall.ENETRESET}, {"ENETUNREACH", syscall.ENETUNREACH},
	{"ENFILE", syscall.ENFILE}, {"ENOBUFS", syscall.ENOBUFS}, {"ENODATA", syscall.ENODATA},
	{"ENODEV", syscall.ENODEV}, {"ENOENT", syscall.ENOENT}, {"ENOEXEC", syscall.ENOEXEC},
	{"ENOLCK", syscall.ENOLCK}, {"ENOLINK", syscall.ENOLINK}, {"ENOMEM", syscall.ENOMEM},
	{"ENOMSG", syscall.ENOMSG}, {"ENOPROTOOPT", syscall.ENOPROTOOPT}, {"ENOSPC", syscall.ENOSPC},
	{"ENOSR", syscall.ENOSR}, {"ENOSTR", syscall.ENOSTR}, {"ENOSYS", syscall.ENOSYS},
	{"ENOTCONN", syscall.ENOTCONN}, {"ENOTDIR", syscall.ENOTDIR}, {"ENOTEMPTY", syscall.ENOTEMPTY},
	{"ENOTSOCK", syscall.ENOTSOCK}, {"ENOTSUP", syscall.ENOTSUP}, {"ENOTTY", syscall.ENOTTY},
	{"ENXIO", syscall.ENXIO}, {"EOPNOTSUPP", syscall.EOPNOTSUPP}, {"EOVERFLOW", syscall.EOVERFLOW},
	{"EPERM", syscall.EPERM}, {"EPIPE", syscall.EPIPE}, {"EPROTO", syscall.EPROTO},
	{"EPROTONOSUPPORT", syscall.EPROTONOSUPPORT}, {"EPROTOTYPE", syscall.EPROTOTYPE},
	{"ERANGE", syscall.ERANGE}, {"EROFS", syscall.EROFS}, {"ESPIPE", syscall.ESPIPE},
	{"ESRCH", syscall.ESRCH}, {"ESTALE", syscall.ESTALE}, {"ETIME", syscall.ETIME},
	{"ETIMEDOUT", syscall.ETIMEDOUT}, {"ETXTBSY", syscall.ETXTBSY},
	{"EWOULDBLOCK", syscall.EWOULDBLOCK}, {"EXDEV", syscall.EXDEV},
}

// Strerror is glibc's strerror(3) text for Go code that reports errors
// as Tarantool's C code does (fio's "fio: No such file or directory").
// Go's messages come from the same table with the first letter lowered;
// numbers outside it read "Unknown error N" and 0 reads "Success".
func Strerror(n int) string {
	if n == 0 {
		return "Success"
	}
	if n < 0 || n >= 134 {
		return "Unknown error " + strconv.Itoa(n)
	}
	msg := syscall.Errno(n).Error()
	if len(msg) >= 5 && msg[:5] == "errno" {
		if n == 133 { // EHWPOISON, missing from Go's table
			return "Memory page has hardware error"
		}
		return "Unknown error " + strconv.Itoa(n)
	}
	if msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}

// SetErrno sets the C errno that errno() and ffi.errno() read, as a
// failed C call leaves it in Tarantool, so that Go implementations of
// such calls (fio) report their failures the same way. It must be
// called from a Function, on the OS thread of the Lua code that will
// read it.
func SetErrno(L lua.State, n int) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.RawGetField(-1, "ffi")
	if !L.IsTable(-1) {
		return
	}
	L.RawGetField(-1, "errno")
	L.PushInt(n)
	_ = L.PCall(1, 0) // ffi.errno(n) cannot fail for a number
}
