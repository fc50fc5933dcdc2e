package luamod

import (
	"errors"
	"os"
	"os/user"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	lua "github.com/yuin/gopher-lua"
)

// PreloadFio registers the fio module with Tarantool 2.6's functions,
// messages and return conventions: C-level functions raise "Usage: ..."
// without position and report failures as nil (or false) plus a
// SystemError "fio: <strerror>"; functions Tarantool writes in
// builtin/fio.lua raise with that file's line numbers and return its
// formatted messages. newError wraps the SystemError for Lua; nil uses
// DefaultErrorObject.
//
// Unlike Tarantool, which runs file operations in a thread pool and
// yields the fiber, every call here runs synchronously on the caller.
func PreloadFio(L *lua.LState, newError func(*lua.LState, *boxerr.Error) lua.LValue) {
	if newError == nil {
		newError = DefaultErrorObject
	}
	register(L, "fio", func(L *lua.LState) int {
		L.Push(newFio(L, newError))
		return 1
	})
}

// errorObjectMeta is the registry key of the default error metatable.
const errorObjectMeta = "luamod.error"

// DefaultErrorObject wraps e in a userdata that behaves like a box.error
// object for reading: tostring gives the message; .message, .type,
// .base_type, .errno and .code (nil for SystemError, as in 2.6) are
// fields. Its Value is e, so box-level code can recognise it.
func DefaultErrorObject(L *lua.LState, e *boxerr.Error) lua.LValue {
	mt := L.NewTypeMetatable(errorObjectMeta)
	if mt.RawGetString("__tostring") == lua.LNil {
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString(errorOf(L).Message))
			return 1
		}))
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			e := errorOf(L)
			switch L.CheckString(2) {
			case "message":
				L.Push(lua.LString(e.Message))
			case "type", "base_type":
				L.Push(lua.LString(e.Type))
			case "errno":
				if e.Errno != 0 {
					L.Push(lua.LNumber(e.Errno))
				} else {
					L.Push(lua.LNil)
				}
			case "code":
				if e.Type == "ClientError" {
					L.Push(lua.LNumber(e.Code))
				} else {
					L.Push(lua.LNil)
				}
			default:
				L.Push(lua.LNil)
			}
			return 1
		}))
	}
	ud := L.NewUserData()
	ud.Value = e
	ud.Metatable = mt
	return ud
}

func errorOf(L *lua.LState) *boxerr.Error {
	if e, ok := L.CheckUserData(1).Value.(*boxerr.Error); ok {
		return e
	}
	L.ArgError(1, "error object expected")
	return nil
}

// fioError is Tarantool's diag for a failed system call in fio.
func fioError(errno syscall.Errno) *boxerr.Error {
	e := boxerr.System("fio: " + Strerror(int(errno)))
	e.Errno = int(errno)
	return e
}

// errnoOf extracts the errno of a failed os/syscall call.
func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

// fio holds the module's state for one Lua state.
type fio struct {
	newError func(*lua.LState, *boxerr.Error) lua.LValue
	mod      *lua.LTable
	statMT   *lua.LTable
	handleMT *lua.LTable
	flags    map[string]int
	modes    map[string]int
	seeks    map[string]int
}

// fioFlags are Linux's open(2) flags as Tarantool's fio.c.flag lists them.
var fioFlags = map[string]int{
	"O_APPEND": syscall.O_APPEND, "O_ASYNC": syscall.O_ASYNC, "O_CLOEXEC": syscall.O_CLOEXEC,
	"O_CREAT": syscall.O_CREAT, "O_DIRECT": 0x4000, "O_DIRECTORY": 0x10000,
	"O_EXCL": syscall.O_EXCL, "O_LARGEFILE": 0, "O_NOATIME": 0x40000, "O_NOCTTY": syscall.O_NOCTTY,
	"O_NOFOLLOW": 0x20000, "O_NONBLOCK": syscall.O_NONBLOCK, "O_NDELAY": syscall.O_NDELAY,
	"O_PATH": 0x200000, "O_SYNC": syscall.O_SYNC, "O_TMPFILE": 0x410000, "O_TRUNC": syscall.O_TRUNC,
	"O_RDONLY": syscall.O_RDONLY, "O_WRONLY": syscall.O_WRONLY, "O_RDWR": syscall.O_RDWR,
}

var fioModes = map[string]int{
	"S_IRWXU": 0o700, "S_IRUSR": 0o400, "S_IWUSR": 0o200, "S_IXUSR": 0o100,
	"S_IRWXG": 0o070, "S_IRGRP": 0o040, "S_IWGRP": 0o020, "S_IXGRP": 0o010,
	"S_IRWXO": 0o007, "S_IROTH": 0o004, "S_IWOTH": 0o002, "S_IXOTH": 0o001,
}

var fioSeeks = map[string]int{"SEEK_SET": 0, "SEEK_CUR": 1, "SEEK_END": 2, "SEEK_DATA": 3, "SEEK_HOLE": 4}

func newFio(L *lua.LState, newError func(*lua.LState, *boxerr.Error) lua.LValue) *lua.LTable {
	f := &fio{newError: newError, flags: fioFlags, modes: fioModes, seeks: fioSeeks}
	mod := L.NewTable()
	f.mod = mod
	setFuncs(L, mod, map[string]lua.LGFunction{
		"lstat": f.lstat, "stat": f.stat, "mkdir": f.mkdir, "rmdir": f.rmdir, "glob": f.glob,
		"link": f.link, "symlink": f.symlink, "readlink": f.readlink, "unlink": f.unlink,
		"rename": f.rename, "chown": f.chown, "chmod": f.chmod, "truncate": f.truncate,
		"tempdir": f.tempdir, "cwd": f.cwd, "sync": f.sync,
		"open": f.open, "pathjoin": f.pathjoinLua, "basename": f.basename, "dirname": f.dirname,
		"umask": f.umask, "abspath": f.abspathLua, "chdir": f.chdir, "listdir": f.listdirLua,
		"mktree": f.mktreeLua, "rmtree": f.rmtreeLua, "copyfile": f.copyfileLua,
		"copytree": f.copytreeLua, "utime": f.utime,
	})
	c := L.NewTable()
	for name, tbl := range map[string]map[string]int{"flag": fioFlags, "mode": fioModes, "seek": fioSeeks} {
		t := L.NewTable()
		for k, v := range tbl {
			t.RawSetString(k, lua.LNumber(v))
		}
		c.RawSetString(name, t)
	}
	mod.RawSetString("c", c)
	path := L.NewTable()
	setFuncs(L, path, map[string]lua.LGFunction{
		"is_file": f.pathIs(false, 525, func(m uint32) bool { return m&syscall.S_IFMT == syscall.S_IFREG }),
		"is_dir":  f.pathIs(false, 535, func(m uint32) bool { return m&syscall.S_IFMT == syscall.S_IFDIR }),
		"is_link": f.pathIs(true, 530, func(m uint32) bool { return m&syscall.S_IFMT == syscall.S_IFLNK }),
		"exists":  f.pathIs(false, 540, nil),
		"lexists": f.pathIs(true, 544, nil),
	})
	mod.RawSetString("path", path)
	f.initStatMT(L)
	f.initHandleMT(L)
	return mod
}

// pushFail pushes nil (or false) and the SystemError of errno.
func (f *fio) pushFail(L *lua.LState, first lua.LValue, errno syscall.Errno) int {
	L.Push(first)
	L.Push(f.newError(L, fioError(errno)))
	return 2
}

// pushBool is lbox_fio_pushbool: true, or false and the error.
func (f *fio) pushBool(L *lua.LState, err error) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	return f.pushFail(L, lua.LFalse, errnoOf(err))
}

// cStr is lua_tostring: strings and numbers convert, anything else
// is absent. C functions see the string up to its first NUL.
func cStr(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		s := string(v)
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return s, true
	case lua.LNumber:
		return luaNumberString(v), true
	}
	return "", false
}

// luaNumberString formats n as LuaJIT's tostring does ("%.14g").
func luaNumberString(n lua.LNumber) string {
	return lua.LVAsString(n)
}

// raiseC raises msg as luaL_error does from a C function under LuaJIT:
// prefixed with the position of the calling Lua function, and bare when
// the caller is not Lua (pcall(fio.stat) gives the message alone).
func raiseC(L *lua.LState, msg string) {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 && dbg.What != "G" {
			msg = dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": " + msg
		}
	}
	raise(L, msg)
}

// cArgs checks that at least n arguments are given and the first n are
// strings (or numbers), raising usage otherwise.
func cArgs(L *lua.LState, n int, usage string) []string {
	if L.GetTop() < n {
		raiseC(L, usage)
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		s, ok := cStr(L.Get(i + 1))
		if !ok {
			raiseC(L, usage)
		}
		out[i] = s
	}
	return out
}

// cInteger is lua_tointeger: numbers and numeric strings truncate
// toward zero; anything else is 0.
func cInteger(v lua.LValue) int64 {
	n, ok := cNumber(v)
	if !ok {
		return 0
	}
	return int64(n)
}

// cNumber is lua_tonumber: a number, or a string Lua reads as a number.
func cNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
		if err != nil {
			if i, err2 := strconv.ParseInt(strings.TrimSpace(string(v)), 0, 64); err2 == nil {
				return float64(i), true
			}
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// --- stat -----------------------------------------------------------------

func (f *fio) initStatMT(L *lua.LState) {
	methods := L.NewTable()
	kinds := map[string]uint32{
		"is_reg": syscall.S_IFREG, "is_dir": syscall.S_IFDIR, "is_chr": syscall.S_IFCHR,
		"is_blk": syscall.S_IFBLK, "is_fifo": syscall.S_IFIFO, "is_link": syscall.S_IFLNK,
		"is_sock": syscall.S_IFSOCK,
	}
	for name, kind := range kinds {
		name, kind := name, kind
		methods.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			t, ok := L.Get(1).(*lua.LTable)
			if L.GetTop() < 1 || !ok {
				raiseC(L, "usage: stat:"+name+"()")
			}
			mode := uint32(cInteger(L.GetField(t, "mode")))
			L.Push(lua.LBool(mode&syscall.S_IFMT == kind))
			return 1
		}))
	}
	f.statMT = L.NewTable()
	f.statMT.RawSetString("__index", methods)
}

func timespecSeconds(ts syscall.Timespec) lua.LNumber {
	return lua.LNumber(float64(ts.Sec) + float64(ts.Nsec)/1e9)
}

func (f *fio) pushStat(L *lua.LState, st *syscall.Stat_t, err error) int {
	if err != nil {
		return f.pushFail(L, lua.LNil, errnoOf(err))
	}
	t := L.NewTable()
	for _, kv := range []struct {
		k string
		v lua.LNumber
	}{
		{"dev", lua.LNumber(st.Dev)}, {"inode", lua.LNumber(st.Ino)}, {"mode", lua.LNumber(st.Mode)},
		{"nlink", lua.LNumber(st.Nlink)}, {"uid", lua.LNumber(st.Uid)}, {"gid", lua.LNumber(st.Gid)},
		{"rdev", lua.LNumber(st.Rdev)}, {"size", lua.LNumber(st.Size)}, {"blksize", lua.LNumber(st.Blksize)},
		{"blocks", lua.LNumber(st.Blocks)}, {"ctime", timespecSeconds(st.Ctim)},
		{"mtime", timespecSeconds(st.Mtim)}, {"atime", timespecSeconds(st.Atim)},
	} {
		t.RawSetString(kv.k, kv.v)
	}
	t.Metatable = f.statMT
	L.Push(t)
	return 1
}

func (f *fio) stat(L *lua.LState) int {
	p := cArgs(L, 1, "Usage: fio.stat(pathname)")[0]
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Stat(p, &st))
}

func (f *fio) lstat(L *lua.LState) int {
	p := cArgs(L, 1, "pathname is absent")[0]
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Lstat(p, &st))
}

// statMode stats (or lstats) p for the Lua-level helpers; ok is false
// when the call fails, as fio.stat returning nil.
func statMode(p string, link bool) (uint32, bool) {
	var st syscall.Stat_t
	var err error
	if link {
		err = syscall.Lstat(p, &st)
	} else {
		err = syscall.Stat(p, &st)
	}
	return st.Mode, err == nil
}

func isDirMode(m uint32) bool { return m&syscall.S_IFMT == syscall.S_IFDIR }

// pathIs builds fio.path.*: the stat (or lstat) must succeed and, when
// test is set, pass it. Arguments are checked as fio.stat/lstat do.
// line is where builtin/fio.lua makes that call, which prefixes the
// usage error.
func (f *fio) pathIs(link bool, line int, test func(uint32) bool) lua.LGFunction {
	return func(L *lua.LState) int {
		usage := "Usage: fio.stat(pathname)"
		if link {
			usage = "pathname is absent"
		}
		p, ok := cStr(L.Get(1))
		if !ok {
			fioRaise(L, line, usage)
		}
		m, ok := statMode(p, link)
		L.Push(lua.LBool(ok && (test == nil || test(m))))
		return 1
	}
}

// --- C-level path functions -----------------------------------------------

func (f *fio) mkdir(L *lua.LState) int {
	p := cArgs(L, 1, "Usage fio.mkdir(pathname[, mode])")[0]
	mode := int64(0o777)
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		mode = cInteger(L.Get(2))
	}
	return f.pushBool(L, syscall.Mkdir(p, uint32(mode)))
}

func (f *fio) rmdir(L *lua.LState) int {
	return f.pushBool(L, syscall.Rmdir(cArgs(L, 1, "Usage: fio.rmdir(pathname)")[0]))
}

func (f *fio) unlink(L *lua.LState) int {
	return f.pushBool(L, syscall.Unlink(cArgs(L, 1, "Usage: fio.unlink(pathname)")[0]))
}

func (f *fio) rename(L *lua.LState) int {
	a := cArgs(L, 2, "Usage: fio.rename(oldpath, newpath)")
	return f.pushBool(L, syscall.Rename(a[0], a[1]))
}

func (f *fio) link(L *lua.LState) int {
	a := cArgs(L, 2, "Usage: fio.link(target, linkpath)")
	return f.pushBool(L, syscall.Link(a[0], a[1]))
}

func (f *fio) symlink(L *lua.LState) int {
	a := cArgs(L, 2, "Usage: fio.symlink(target, linkpath)")
	return f.pushBool(L, syscall.Symlink(a[0], a[1]))
}

func (f *fio) readlink(L *lua.LState) int {
	p := cArgs(L, 1, "Usage: fio.readlink(pathname)")[0]
	buf := make([]byte, 4096) // PATH_MAX
	n, err := syscall.Readlink(p, buf)
	if err != nil {
		return f.pushFail(L, lua.LNil, errnoOf(err))
	}
	L.Push(lua.LString(buf[:n]))
	return 1
}

func (f *fio) chmod(L *lua.LState) int {
	p := cArgs(L, 1, "Usage: fio.chmod(pathname, mode)")[0]
	if L.GetTop() < 2 {
		raiseC(L, "Usage: fio.chmod(pathname, mode)")
	}
	return f.pushBool(L, syscall.Chmod(p, uint32(cInteger(L.Get(2)))))
}

func (f *fio) truncate(L *lua.LState) int {
	p := cArgs(L, 1, "Usage: fio.truncate(pathname[, newlen])")[0]
	var length float64
	if L.GetTop() >= 2 {
		length, _ = cNumber(L.Get(2))
	}
	return f.pushBool(L, syscall.Truncate(p, int64(length)))
}

// chown resolves user and group names through os/user; an unknown name
// returns a lone nil, as Tarantool's getpwnam branch does.
func (f *fio) chown(L *lua.LState) int {
	if L.GetTop() < 3 {
		raiseC(L, "Usage: fio.chown(pathname, owner, group)")
	}
	p, ok := cStr(L.Get(1))
	if !ok {
		raiseC(L, "Usage: fio.chown(pathname, owner, group)")
	}
	resolve := func(v lua.LValue, lookup func(string) (string, error)) (int, bool) {
		if n, ok := cNumber(v); ok {
			return int(n), true
		}
		name, _ := cStr(v)
		id, err := lookup(name)
		if err != nil {
			return 0, false
		}
		n, err := strconv.Atoi(id)
		return n, err == nil
	}
	uid, ok := resolve(L.Get(2), func(n string) (string, error) {
		u, err := user.Lookup(n)
		if err != nil {
			return "", err
		}
		return u.Uid, nil
	})
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	gid, ok := resolve(L.Get(3), func(n string) (string, error) {
		g, err := user.LookupGroup(n)
		if err != nil {
			return "", err
		}
		return g.Gid, nil
	})
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	return f.pushBool(L, syscall.Chown(p, uid, gid))
}

func (f *fio) glob(L *lua.LState) int {
	pattern := cArgs(L, 1, "Usage: fio.glob(pattern)")[0]
	t := L.NewTable()
	for _, m := range Glob(pattern) {
		t.Append(lua.LString(m))
	}
	L.Push(t)
	return 1
}

// tempdir is mkdtemp("$TMPDIR/XXXXXX") (TMPDIR defaults to /tmp).
func (f *fio) tempdir(L *lua.LState) int {
	base := os.Getenv("TMPDIR")
	if _, set := os.LookupEnv("TMPDIR"); !set {
		base = "/tmp"
	}
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	seed := uint64(time.Now().UnixNano()) ^ uint64(os.Getpid())<<32
	for try := 0; try < 100; try++ {
		var suffix [6]byte
		for i := range suffix {
			seed = seed*6364136223846793005 + 1442695040888963407
			suffix[i] = letters[(seed>>33)%uint64(len(letters))]
		}
		p := base + "/" + string(suffix[:])
		err := syscall.Mkdir(p, 0o700)
		if err == nil {
			L.Push(lua.LString(p))
			return 1
		}
		if err != syscall.EEXIST {
			return f.pushFail(L, lua.LNil, errnoOf(err))
		}
	}
	return f.pushFail(L, lua.LNil, syscall.EEXIST)
}

func (f *fio) cwd(L *lua.LState) int {
	wd, err := syscall.Getwd()
	if err != nil {
		return f.pushFail(L, lua.LNil, errnoOf(err))
	}
	L.Push(lua.LString(wd))
	return 1
}

func (f *fio) sync(L *lua.LState) int {
	syscall.Sync()
	L.Push(lua.LTrue)
	return 1
}

// --- functions of builtin/fio.lua --------------------------------------------

// fioRaise raises msg at line of builtin/fio.lua.
func fioRaise(L *lua.LState, line int, msg string) {
	raiseAt(L, "builtin/fio.lua:"+strconv.Itoa(line), msg)
}

// checkString raises usage at line unless argument n is a Lua string
// (type(x) ~= 'string' in builtin/fio.lua).
func checkString(L *lua.LState, n, line int, usage string) string {
	s, ok := L.Get(n).(lua.LString)
	if !ok {
		fioRaise(L, line, usage)
	}
	return string(s)
}

func (f *fio) chdir(L *lua.LState) int {
	p := checkString(L, 1, 351, "Usage: fio.chdir(path)")
	if i := strings.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	L.Push(lua.LBool(syscall.Chdir(p) == nil))
	return 1
}

func (f *fio) umask(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		old := syscall.Umask(0)
		syscall.Umask(old)
		L.Push(lua.LNumber(old))
		return 1
	}
	n, _ := cNumber(L.Get(1))
	L.Push(lua.LNumber(syscall.Umask(int(n))))
	return 1
}

// luaToString is Lua's tostring for the value kinds fio joins.
func luaToString(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return luaNumberString(n)
	}
	return lua.LVAsString(L.ToStringMeta(v))
}

// PathJoin is fio.pathjoin over strings: empty parts are skipped, runs
// of slashes collapse and one trailing slash is dropped (except for
// "/"); no parts give ".".
func PathJoin(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "."
	}
	s := b.String()
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && i > 0 && s[i-1] == '/' {
			continue
		}
		out.WriteByte(s[i])
	}
	r := out.String()
	if r != "/" {
		r = strings.TrimSuffix(r, "/")
	}
	return r
}

func (f *fio) pathjoinLua(L *lua.LState) int {
	n := L.GetTop()
	parts := make([]string, 0, n)
	firstSeen := false
	for i := 1; i <= n; i++ {
		v := L.Get(i)
		if v == lua.LNil {
			line := 241
			if firstSeen {
				line = 261
			}
			fioRaise(L, line, "fio.pathjoin(): undefined path part "+strconv.Itoa(i))
		}
		s := luaToString(L, v)
		if s != "" {
			firstSeen = true
		}
		parts = append(parts, s)
	}
	L.Push(lua.LString(PathJoin(parts...)))
	return 1
}

func (f *fio) basename(L *lua.LState) int {
	p := checkString(L, 1, 282, "Usage: fio.basename(path[, suffix])")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if sv := L.Get(2); sv != lua.LNil {
		suffix := luaToString(L, sv)
		if suffix != "" {
			if strings.ContainsAny(suffix, "%^]") {
				// Characters special inside a Lua character class: run the
				// pattern Tarantool builds through string.gsub itself.
				var pat strings.Builder
				for i := 0; i < len(suffix); i++ {
					pat.WriteString("[" + suffix[i:i+1] + "]")
				}
				gsub := L.GetField(L.GetGlobal("string"), "gsub")
				L.Push(gsub)
				L.Push(lua.LString(p))
				L.Push(lua.LString(pat.String()))
				L.Push(lua.LString(""))
				L.Call(3, 1)
				return 1
			}
			// [c1][c2]... matches the suffix literally: gsub removes every
			// occurrence, not only a trailing one.
			p = strings.ReplaceAll(p, suffix, "")
		}
	}
	L.Push(lua.LString(p))
	return 1
}

// Dirname is glibc's dirname(3).
func Dirname(p string) string {
	if i := strings.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	last := strings.LastIndexByte(p, '/')
	if last > 0 && last == len(p)-1 {
		// Trailing slashes: look for the slash before them.
		run := last
		for run > 0 && p[run-1] == '/' {
			run--
		}
		if run > 0 {
			last = strings.LastIndexByte(p[:run], '/')
		}
	}
	if last < 0 {
		return "."
	}
	run := last
	for run > 0 && p[run-1] == '/' {
		run--
	}
	if run == 0 {
		// Only slashes before: "/" — or "//" when exactly two lead.
		if last == 1 {
			return p[:2]
		}
		return p[:1]
	}
	return p[:run]
}

func (f *fio) dirname(L *lua.LState) int {
	L.Push(lua.LString(Dirname(checkString(L, 1, 301, "Usage: fio.dirname(path)"))))
	return 1
}

// abspath resolves "." and ".." lexically against the current directory.
func (f *fio) abspath(L *lua.LState, p string) string {
	joined := p
	if !strings.HasPrefix(p, "/") {
		wd, err := syscall.Getwd()
		if err != nil {
			// fio.cwd() returns nil and pathjoin rejects it.
			fioRaise(L, 261, "fio.pathjoin(): undefined path part 1")
		}
		joined = PathJoin(wd, p)
	}
	var parts []string
	for _, seg := range strings.Split(joined, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, seg)
		}
	}
	return "/" + strings.Join(parts, "/")
}

func (f *fio) abspathLua(L *lua.LState) int {
	v := L.Get(1)
	if v == lua.LNil {
		fioRaise(L, 329, "Usage: fio.abspath(path)")
	}
	s, ok := cStr(v)
	if !ok {
		fioRaise(L, 334, "bad argument #1 to 'sub' (string expected, got "+v.Type().String()+")")
	}
	if ls, isStr := v.(lua.LString); isStr {
		s = string(ls)
	}
	L.Push(lua.LString(f.abspath(L, s)))
	return 1
}

// listdir is internal.listdir plus builtin/fio.lua's wrapping: entries
// in readdir order without "." and "..", or the formatted error.
func (f *fio) listdir(p string) ([]string, *boxerr.Error) {
	if i := strings.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	d, err := os.Open(p)
	if err != nil {
		return nil, fioError(errnoOf(err))
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fioError(errnoOf(err))
	}
	// Tarantool joins the names with "\n" and splits them again.
	joined := strings.Join(names, "\n")
	if joined == "" {
		return []string{}, nil
	}
	return strings.Split(joined, "\n"), nil
}

func (f *fio) listdirLua(L *lua.LState) int {
	p := checkString(L, 1, 358, "Usage: fio.listdir(path)")
	names, err := f.listdir(p)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("can't listdir " + p + ": " + err.Message))
		return 2
	}
	t := L.NewTable()
	for _, n := range names {
		t.Append(lua.LString(n))
	}
	L.Push(t)
	return 1
}

// mktree creates every missing directory of p with mode (nil: 0777).
func (f *fio) mktree(L *lua.LState, p string, mode lua.LValue) string {
	p = strings.TrimPrefix(f.abspath(L, p), "/")
	cur := "/"
	perm := int64(0o777)
	if mode != lua.LNil {
		perm = cInteger(mode)
	}
	for _, dir := range strings.Split(p, "/") {
		cur = PathJoin(cur, dir)
		m, ok := statMode(cur, false)
		if !ok {
			if err := syscall.Mkdir(cur, uint32(perm)); err != nil {
				if m2, ok2 := statMode(cur, false); !ok2 || !isDirMode(m2) {
					return "Error creating directory " + cur + ": " + fioError(errnoOf(err)).Message
				}
			}
		} else if !isDirMode(m) {
			return "Error creating directory " + cur + ": " + Strerror(int(syscall.EEXIST))
		}
	}
	return ""
}

func (f *fio) mktreeLua(L *lua.LState) int {
	p := checkString(L, 1, 377, "Usage: fio.mktree(path[, mode])")
	if msg := f.mktree(L, p, L.Get(2)); msg != "" {
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// rmtree removes p recursively. It returns the values fio.rmtree
// returns after its first value: a string, an error object, or nothing.
func (f *fio) rmtree(L *lua.LState, p string) (first lua.LValue, second lua.LValue) {
	p = f.abspath(L, p)
	names, lerr := f.listdir(p)
	if lerr != nil {
		return lua.LNil, lua.LString("can't listdir " + p + ": " + lerr.Message)
	}
	for _, name := range names {
		child := PathJoin(p, name)
		m, ok := statMode(child, true)
		if !ok {
			continue
		}
		if isDirMode(m) {
			if a, b := f.rmtree(L, child); a != lua.LTrue {
				return lua.LNil, b
			}
		} else if err := syscall.Unlink(child); err != nil {
			return lua.LNil, f.newError(L, fioError(errnoOf(err)))
		}
	}
	if err := syscall.Rmdir(p); err != nil {
		return lua.LFalse, lua.LString("failed to remove " + p + ": " + fioError(errnoOf(err)).Message)
	}
	return lua.LTrue, lua.LNil
}

func (f *fio) rmtreeLua(L *lua.LState) int {
	p := checkString(L, 1, 408, "Usage: fio.rmtree(path)")
	a, b := f.rmtree(L, p)
	L.Push(a)
	if a == lua.LTrue {
		return 1
	}
	L.Push(b)
	return 2
}

// copyfile copies from to to (into to when it is a directory), creating
// the destination with the source's permission bits; it returns the
// failure message or "".
func (f *fio) copyfile(from, to string) string {
	if m, ok := statMode(to, false); ok && isDirMode(m) {
		base := from
		if i := strings.LastIndexByte(base, '/'); i >= 0 {
			base = base[i+1:]
		}
		to = PathJoin(to, base)
	}
	fail := func(err error) string {
		return "failed to copy " + from + " to " + to + ": " + fioError(errnoOf(err)).Message
	}
	var st syscall.Stat_t
	if err := syscall.Stat(cut(from), &st); err != nil {
		return fail(err)
	}
	src, err := syscall.Open(cut(from), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer syscall.Close(src)
	dst, err := syscall.Open(cut(to), syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, st.Mode&0o777)
	if err != nil {
		return fail(err)
	}
	defer syscall.Close(dst)
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(src, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fail(err)
		}
		if n == 0 {
			return ""
		}
		if err := writeAll(dst, buf[:n]); err != nil {
			return fail(err)
		}
	}
}

// cut is a path as C sees it: up to its first NUL.
func cut(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (f *fio) copyfileLua(L *lua.LState) int {
	from, ok1 := L.Get(1).(lua.LString)
	to, ok2 := L.Get(2).(lua.LString)
	if !ok1 || !ok2 {
		fioRaise(L, 438, "Usage: fio.copyfile(from, to)")
	}
	if msg := f.copyfile(string(from), string(to)); msg != "" {
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// copytree copies directory from into to; it returns the failure
// message or "".
func (f *fio) copytree(L *lua.LState, from, to string) string {
	m, ok := statMode(from, false)
	if !ok {
		return "Directory " + from + " does not exist"
	}
	if !isDirMode(m) {
		return Strerror(int(syscall.ENOTDIR))
	}
	names, lerr := f.listdir(from)
	if lerr != nil {
		return "can't listdir " + from + ": " + lerr.Message
	}
	if msg := f.mktree(L, to, lua.LNil); msg != "" {
		return msg
	}
	for _, name := range names {
		ffrom, fto := PathJoin(from, name), PathJoin(to, name)
		lm, ok := statMode(ffrom, true)
		if !ok {
			// Tarantool indexes the nil stat here and raises.
			fioRaise(L, 482, "attempt to index local 'st' (a nil value)")
		}
		switch lm & syscall.S_IFMT {
		case syscall.S_IFDIR:
			if msg := f.copytree(L, ffrom, fto); msg != "" {
				return msg
			}
		case syscall.S_IFREG:
			if msg := f.copyfile(ffrom, fto); msg != "" {
				return msg
			}
		case syscall.S_IFLNK:
			buf := make([]byte, 4096)
			n, err := syscall.Readlink(cut(ffrom), buf)
			if err != nil {
				return fioError(errnoOf(err)).Message
			}
			if err := syscall.Symlink(string(buf[:n]), cut(fto)); err != nil {
				return "can't create symlink in place of existing file " + fto
			}
		}
	}
	return ""
}

func (f *fio) copytreeLua(L *lua.LState) int {
	from, ok1 := L.Get(1).(lua.LString)
	to, ok2 := L.Get(2).(lua.LString)
	if !ok1 || !ok2 {
		fioRaise(L, 453, "Usage: fio.copytree(from, to)")
	}
	if msg := f.copytree(L, string(from), string(to)); msg != "" {
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// utime sets access and modification times in seconds (fractions kept
// to the nanosecond); atime defaults to now and mtime to atime.
func (f *fio) utime(L *lua.LState) int {
	p := checkString(L, 1, 510, "Usage: fio.utime(filepath[, atime[, mtime]])")
	at, mt := L.Get(2), L.Get(3)
	for i, v := range []lua.LValue{at, mt} {
		if _, isNum := v.(lua.LNumber); v != lua.LNil && !isNum {
			name := []string{"atime", "mtime"}[i]
			fioRaise(L, 513+i, "fio.utime: "+name+" should be a number")
		}
	}
	atime := float64(time.Now().UnixNano()) / 1e9
	if n, ok := at.(lua.LNumber); ok {
		atime = float64(n)
	}
	mtime := atime
	if n, ok := mt.(lua.LNumber); ok {
		mtime = float64(n)
	}
	ts := func(sec float64) syscall.Timespec {
		whole := int64(sec)
		if float64(whole) > sec {
			whole--
		}
		return syscall.Timespec{Sec: whole, Nsec: int64((sec - float64(whole)) * 1e9)}
	}
	return f.pushBool(L, syscall.UtimesNano(cut(p), []syscall.Timespec{ts(atime), ts(mtime)}))
}

// Glob is glob(3) with GLOB_NOESCAPE and no other flags: matches sorted
// byte-wise, wildcards (*, ?, [...] with ! or ^ negation and ranges)
// never match a leading "." of a name, a pattern without wildcards
// matches only an existing path, and no match gives an empty list.
func Glob(pattern string) []string {
	pattern = cut(pattern)
	if pattern == "" {
		return nil
	}
	var dirs []string
	rest := pattern
	if strings.HasPrefix(rest, "/") {
		dirs = []string{"/"}
		rest = strings.TrimLeft(rest, "/")
	} else {
		dirs = []string{""}
	}
	comps := strings.Split(rest, "/")
	for ci, comp := range comps {
		last := ci == len(comps)-1
		if comp == "" {
			// A trailing or doubled slash: keep only directories.
			var keep []string
			for _, d := range dirs {
				if m, ok := statMode(globPath(d, "."), false); ok && isDirMode(m) {
					keep = append(keep, d+"/")
				}
			}
			dirs = keep
			continue
		}
		var next []string
		for _, d := range dirs {
			if !strings.ContainsAny(comp, "*?[") {
				p := joinGlob(d, comp)
				if _, ok := statMode(p, true); ok {
					if last {
						next = append(next, p)
					} else if m, ok := statMode(p, false); ok && isDirMode(m) {
						next = append(next, p)
					}
				}
				continue
			}
			names := globNames(globPath(d, "."))
			if strings.HasPrefix(comp, ".") {
				names = append(names, ".", "..")
			}
			sort.Strings(names)
			for _, n := range names {
				if !fnmatch(comp, n) {
					continue
				}
				p := joinGlob(d, n)
				if !last {
					if m, ok := statMode(p, false); !ok || !isDirMode(m) {
						continue
					}
				}
				next = append(next, p)
			}
		}
		dirs = next
	}
	sort.Strings(dirs)
	return dirs
}

func joinGlob(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

func globPath(dir, dflt string) string {
	if dir == "" {
		return dflt
	}
	return dir
}

func globNames(dir string) []string {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	return names
}

// fnmatch matches name against one glob component without escapes; a
// leading "." must be matched literally.
func fnmatch(pat, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pat, ".") {
		return false
	}
	return matchFrom(pat, name)
}

func matchFrom(pat, name string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			if pat == "" {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if matchFrom(pat, name[i:]) {
					return true
				}
			}
			return false
		case '?':
			if name == "" {
				return false
			}
			pat, name = pat[1:], name[1:]
		case '[':
			if name == "" {
				return false
			}
			ok, width, valid := matchClass(pat, name[0])
			if !valid {
				// An unterminated "[" is an ordinary character.
				if name[0] != '[' {
					return false
				}
				pat, name = pat[1:], name[1:]
				continue
			}
			if !ok {
				return false
			}
			pat, name = pat[width:], name[1:]
		default:
			if name == "" || pat[0] != name[0] {
				return false
			}
			pat, name = pat[1:], name[1:]
		}
	}
	return name == ""
}

// matchClass matches c against the bracket expression at the start of
// pat, returning the expression's width; valid is false without a
// closing "]".
func matchClass(pat string, c byte) (ok bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(pat) && (pat[i] == '!' || pat[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(pat) {
		if pat[i] == ']' && !first {
			return ok != negate, i + 1, true
		}
		first = false
		lo := pat[i]
		if i+2 < len(pat) && pat[i+1] == '-' && pat[i+2] != ']' {
			if lo <= c && c <= pat[i+2] {
				ok = true
			}
			i += 3
			continue
		}
		if lo == c {
			ok = true
		}
		i++
	}
	return false, 0, false
}

// --- handles ------------------------------------------------------------------

// fioHandle is an open file of fio.open; fd is -1 once closed. A
// finalizer closes a handle Lua dropped without closing, as Tarantool's
// __gc does.
type fioHandle struct{ fd int }

func newHandle(fd int) *fioHandle {
	h := &fioHandle{fd: fd}
	runtime.SetFinalizer(h, func(h *fioHandle) {
		if h.fd >= 0 {
			syscall.Close(h.fd)
		}
	})
	return h
}

func (f *fio) initHandleMT(L *lua.LState) {
	methods := L.NewTable()
	setFuncs(L, methods, map[string]lua.LGFunction{
		"read": f.hRead, "write": f.hWrite, "pwrite": f.hPwrite, "pread": f.hPread,
		"truncate": f.hTruncate, "seek": f.hSeek, "close": f.hClose, "fsync": f.hFsync,
		"fdatasync": f.hFdatasync, "stat": f.hStat,
		"__serialize": func(L *lua.LState) int {
			t := L.NewTable()
			t.RawSetString("fh", lua.LNumber(checkHandle(L).fd))
			L.Push(t)
			return 1
		},
	})
	f.handleMT = L.NewTable()
	f.handleMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		h := checkHandle(L)
		k := L.Get(2)
		if k == lua.LString("fh") {
			L.Push(lua.LNumber(h.fd))
			return 1
		}
		if ks, ok := k.(lua.LString); ok {
			if m := methods.RawGetString(string(ks)); m != lua.LNil {
				L.Push(m)
				return 1
			}
		}
		raise(L, "'struct fio_handle' has no member named '"+luaToString(L, k)+"'")
		return 0
	}))
	f.handleMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("cdata<struct fio_handle>: " + strconv.Itoa(checkHandle(L).fd)))
		return 1
	}))
}

func checkHandle(L *lua.LState) *fioHandle {
	ud, ok := L.Get(1).(*lua.LUserData)
	if ok {
		if h, ok := ud.Value.(*fioHandle); ok {
			return h
		}
	}
	raise(L, "attempt to index local 'self' (a "+luaTypeName(L.Get(1))+" value)")
	return nil
}

func luaTypeName(v lua.LValue) string { return v.Type().String() }

func (f *fio) open(L *lua.LState) int {
	p, ok := L.Get(1).(lua.LString)
	if !ok {
		fioRaise(L, 189, "Usage: fio.open(path[, flags[, mode]])")
	}
	var flags []lua.LValue
	if t, isT := L.Get(2).(*lua.LTable); isT {
		t.ForEach(func(_, v lua.LValue) { flags = append(flags, v) })
	} else if v := L.Get(2); v != lua.LNil {
		flags = []lua.LValue{v}
	}
	var modes []lua.LValue
	if t, isT := L.Get(3).(*lua.LTable); isT {
		t.ForEach(func(_, v lua.LValue) { modes = append(modes, v) })
	} else if v := L.Get(3); v != lua.LNil {
		modes = []lua.LValue{v}
	} else {
		// Tarantool 2.6 defaults the mode to the umask value itself.
		old := syscall.Umask(0)
		syscall.Umask(old)
		modes = []lua.LValue{lua.LNumber(old & 0o777)}
	}
	iflag := 0
	for _, fl := range flags {
		if n, isNum := fl.(lua.LNumber); isNum {
			iflag |= int(n)
			continue
		}
		v, known := f.flags[luaToString(L, fl)]
		if _, isStr := fl.(lua.LString); !known || !isStr {
			fioRaise(L, 204, "fio.open(): unknown flag: "+luaToString(L, fl))
		}
		iflag |= v
	}
	imode := 0
	for _, m := range modes {
		if s, isStr := m.(lua.LString); isStr {
			v, known := f.modes[string(s)]
			if !known {
				fioRaise(L, 213, "fio.open(): unknown mode: "+string(s))
			}
			imode |= v
			continue
		}
		n, isNum := cNumber(m)
		if !isNum {
			fioRaise(L, 217, "bad argument #2 to 'bor' (number expected, got nil)")
		}
		imode |= int(n)
	}
	fd, err := syscall.Open(cut(string(p)), iflag, uint32(imode))
	if err != nil {
		return f.pushFail(L, lua.LNil, errnoOf(err))
	}
	ud := L.NewUserData()
	ud.Value = newHandle(fd)
	ud.Metatable = f.handleMT
	L.Push(ud)
	return 1
}

func (f *fio) pushBytes(L *lua.LState, b []byte, err error) int {
	if err != nil {
		return f.pushFail(L, lua.LNil, errnoOf(err))
	}
	L.Push(lua.LString(b))
	return 1
}

// hRead is handle:read([size]): size bytes from the current offset, or
// as many as the file's size when size is omitted.
func (f *fio) hRead(L *lua.LState) int {
	h := checkHandle(L)
	var size int64
	if v := L.Get(2); v == lua.LNil {
		var st syscall.Stat_t
		if err := syscall.Fstat(h.fd, &st); err != nil {
			return f.pushFail(L, lua.LNil, errnoOf(err))
		}
		size = st.Size
	} else {
		n, _ := cNumber(v)
		size = int64(n)
	}
	if size <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	buf := make([]byte, size)
	for {
		n, err := syscall.Read(h.fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return f.pushBytes(L, nil, err)
		}
		return f.pushBytes(L, buf[:n], nil)
	}
}

func (f *fio) hPread(L *lua.LState) int {
	h := checkHandle(L)
	size, _ := cNumber(L.Get(2))
	off, _ := cNumber(L.Get(3))
	if int64(size) <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	buf := make([]byte, int64(size))
	for {
		n, err := syscall.Pread(h.fd, buf, int64(off))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return f.pushBytes(L, nil, err)
		}
		return f.pushBytes(L, buf[:n], nil)
	}
}

// hWrite writes tostring(data) and returns true, or false and the error.
func (f *fio) hWrite(L *lua.LState) int {
	h := checkHandle(L)
	data := luaToString(L, L.Get(2))
	return f.pushBool(L, writeAll(h.fd, []byte(data)))
}

func (f *fio) hPwrite(L *lua.LState) int {
	h := checkHandle(L)
	data := []byte(luaToString(L, L.Get(2)))
	off, _ := cNumber(L.Get(3))
	pos := int64(off)
	for len(data) > 0 {
		n, err := syscall.Pwrite(h.fd, data, pos)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return f.pushBool(L, err)
		}
		data, pos = data[n:], pos+int64(n)
	}
	L.Push(lua.LTrue)
	return 1
}

func (f *fio) hTruncate(L *lua.LState) int {
	h := checkHandle(L)
	n, _ := cNumber(L.Get(2))
	return f.pushBool(L, syscall.Ftruncate(h.fd, int64(n)))
}

// hSeek returns the new offset, or -1 on failure (no error value, as in
// Tarantool).
func (f *fio) hSeek(L *lua.LState) int {
	h := checkHandle(L)
	whence := 0
	switch w := L.Get(3).(type) {
	case *lua.LNilType:
	case lua.LString:
		v, ok := f.seeks[string(w)]
		if !ok {
			fioRaise(L, 136, "fio.seek(): unknown whence: "+string(w))
		}
		whence = v
	default:
		n, _ := cNumber(w)
		whence = int(n)
	}
	off, _ := cNumber(L.Get(2))
	res, err := syscall.Seek(h.fd, int64(off), whence)
	if err != nil {
		res = -1
	}
	L.Push(lua.LNumber(res))
	return 1
}

func (f *fio) hClose(L *lua.LState) int {
	h := checkHandle(L)
	if err := syscall.Close(h.fd); err != nil {
		return f.pushFail(L, lua.LFalse, errnoOf(err))
	}
	h.fd = -1
	L.Push(lua.LTrue)
	return 1
}

func (f *fio) hFsync(L *lua.LState) int {
	return f.pushBool(L, syscall.Fsync(checkHandle(L).fd))
}

func (f *fio) hFdatasync(L *lua.LState) int {
	return f.pushBool(L, syscall.Fdatasync(checkHandle(L).fd))
}

func (f *fio) hStat(L *lua.LState) int {
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Fstat(checkHandle(L).fd, &st))
}
