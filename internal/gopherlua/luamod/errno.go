package luamod

import (
	"strconv"
	"syscall"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// PreloadErrno registers the errno module: E* constants (Linux values),
// errno.strerror(n) with glibc's messages, and errno()/errno(n) reading
// or setting the state's last errno (Spindle has no C errno; it starts at
// 0 and changes only through errno(n)).
func PreloadErrno(L *lua.LState) {
	register(L, "errno", loadErrno)
}

var errnoConstants = map[string]syscall.Errno{
	"E2BIG": syscall.E2BIG, "EACCES": syscall.EACCES, "EADDRINUSE": syscall.EADDRINUSE,
	"EADDRNOTAVAIL": syscall.EADDRNOTAVAIL, "EAFNOSUPPORT": syscall.EAFNOSUPPORT,
	"EAGAIN": syscall.EAGAIN, "EALREADY": syscall.EALREADY, "EBADF": syscall.EBADF,
	"EBADMSG": syscall.EBADMSG, "EBUSY": syscall.EBUSY, "ECANCELED": syscall.ECANCELED,
	"ECHILD": syscall.ECHILD, "ECONNABORTED": syscall.ECONNABORTED,
	"ECONNREFUSED": syscall.ECONNREFUSED, "ECONNRESET": syscall.ECONNRESET,
	"EDEADLK": syscall.EDEADLK, "EDESTADDRREQ": syscall.EDESTADDRREQ, "EDOM": syscall.EDOM,
	"EDQUOT": syscall.EDQUOT, "EEXIST": syscall.EEXIST, "EFAULT": syscall.EFAULT,
	"EFBIG": syscall.EFBIG, "EHOSTUNREACH": syscall.EHOSTUNREACH, "EIDRM": syscall.EIDRM,
	"EILSEQ": syscall.EILSEQ, "EINPROGRESS": syscall.EINPROGRESS, "EINTR": syscall.EINTR,
	"EINVAL": syscall.EINVAL, "EIO": syscall.EIO, "EISCONN": syscall.EISCONN,
	"EISDIR": syscall.EISDIR, "ELOOP": syscall.ELOOP, "EMFILE": syscall.EMFILE,
	"EMLINK": syscall.EMLINK, "EMSGSIZE": syscall.EMSGSIZE, "EMULTIHOP": syscall.EMULTIHOP,
	"ENAMETOOLONG": syscall.ENAMETOOLONG, "ENETDOWN": syscall.ENETDOWN,
	"ENETRESET": syscall.ENETRESET, "ENETUNREACH": syscall.ENETUNREACH,
	"ENFILE": syscall.ENFILE, "ENOBUFS": syscall.ENOBUFS, "ENODATA": syscall.ENODATA,
	"ENODEV": syscall.ENODEV, "ENOENT": syscall.ENOENT, "ENOEXEC": syscall.ENOEXEC,
	"ENOLCK": syscall.ENOLCK, "ENOLINK": syscall.ENOLINK, "ENOMEM": syscall.ENOMEM,
	"ENOMSG": syscall.ENOMSG, "ENOPROTOOPT": syscall.ENOPROTOOPT, "ENOSPC": syscall.ENOSPC,
	"ENOSR": syscall.ENOSR, "ENOSTR": syscall.ENOSTR, "ENOSYS": syscall.ENOSYS,
	"ENOTCONN": syscall.ENOTCONN, "ENOTDIR": syscall.ENOTDIR, "ENOTEMPTY": syscall.ENOTEMPTY,
	"ENOTSOCK": syscall.ENOTSOCK, "ENOTSUP": syscall.ENOTSUP, "ENOTTY": syscall.ENOTTY,
	"ENXIO": syscall.ENXIO, "EOPNOTSUPP": syscall.EOPNOTSUPP, "EOVERFLOW": syscall.EOVERFLOW,
	"EPERM": syscall.EPERM, "EPIPE": syscall.EPIPE, "EPROTO": syscall.EPROTO,
	"EPROTONOSUPPORT": syscall.EPROTONOSUPPORT, "EPROTOTYPE": syscall.EPROTOTYPE,
	"ERANGE": syscall.ERANGE, "EROFS": syscall.EROFS, "ESPIPE": syscall.ESPIPE,
	"ESRCH": syscall.ESRCH, "ESTALE": syscall.ESTALE, "ETIME": syscall.ETIME,
	"ETIMEDOUT": syscall.ETIMEDOUT, "ETXTBSY": syscall.ETXTBSY,
	"EWOULDBLOCK": syscall.EWOULDBLOCK, "EXDEV": syscall.EXDEV,
}

// Strerror is glibc's strerror text: Go's messages come from the same
// table with the first letter lowered.
func Strerror(n int) string {
	if n <= 0 || n >= 134 {
		return "Unknown error " + strconv.Itoa(n)
	}
	msg := syscall.Errno(n).Error()
	if len(msg) >= 5 && msg[:5] == "errno" {
		return "Unknown error " + strconv.Itoa(n)
	}
	r, size := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[size:]
}

func loadErrno(L *lua.LState) int {
	mod := L.NewTable()
	for name, v := range errnoConstants {
		mod.RawSetString(name, lua.LNumber(v))
	}
	mod.RawSetString("strerror", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(Strerror(L.CheckInt(1))))
		return 1
	}))
	last := 0
	meta := L.NewTable()
	meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 2 {
			last = L.CheckInt(2)
		}
		L.Push(lua.LNumber(last))
		return 1
	}))
	mod.Metatable = meta
	L.Push(mod)
	return 1
}
