package luamod

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/lua"
)

// defaultVersion is what _TARANTOOL holds when Options.Version is empty:
// the server's FullVersion (box.info.version), which luamod cannot import
// since the server imports the Lua runtime.
const defaultVersion = "2.6.0-0-spindle"

// processStart is when the process loaded its modules, the origin of
// require('tarantool').uptime().
var processStart = time.Now()

func init() { addModule("runtime", -100, preloadRuntime) }

// preloadRuntime installs what Tarantool 2.6 has before any require: the
// string, table and debug extensions, table.new, tonumber64, dostring,
// _TARANTOOL, Tarantool's package.path and package.cpath, the search-root
// loaders with package.search/searchroot/setsearchroot, and
// require('tarantool'). It runs first (order -100) so that other modules
// may use the extensions when they load.
func preloadRuntime(L lua.State, opts *Options) {
	top := L.GetTop()
	defer L.SetTop(top)

	// Tarantool's builtins require('table.new'), which also sets
	// table.new; table.clear stays behind its own require, as in 2.6.
	mustRun(L, "require('table.new')", "=preload")
	runBuiltin(L, "debug.lua", nil)
	runBuiltin(L, "string.lua", nil)
	runBuiltin(L, "table.lua", nil)

	getenv := lookupEnv(opts.Environ)
	path, cpath := packagePaths(getenv, runtime.GOOS, runtime.GOARCH, fileExists)
	L.GetGlobal("package")
	L.PushString(path)
	L.RawSetField(-2, "path")
	L.PushString(cpath)
	L.RawSetField(-2, "cpath")
	L.Pop(1)

	L.PushFunction(tonumber64)
	L.SetGlobal("tonumber64")

	version := opts.Version
	if version == "" {
		version = defaultVersion
	}
	L.PushString(version)
	L.SetGlobal("_TARANTOOL")

	runBuiltin(L, "tarantool.lua", func(L lua.State) {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"cwd": func(L lua.State) int {
				// getcwd(3), not os.Getwd: Go's answers $PWD when it
				// names the same directory through a symlink.
				wd, err := syscall.Getwd()
				if err != nil {
					L.PushNil()
					L.PushString(err.Error())
					return 2
				}
				L.PushString(wd)
				return 1
			},
			"uptime": func(L lua.State) int {
				L.PushNumber(time.Since(processStart).Seconds())
				return 1
			},
			"pid": func(L lua.State) int {
				L.PushInt(os.Getpid())
				return 1
			},
		})
	})
	// The chunk's table becomes require('tarantool') with the fields
	// luaopen_tarantool adds.
	t := L.GetTop()
	L.PushString("Tarantool")
	L.RawSetField(t, "package")
	L.PushString(version)
	L.RawSetField(t, "version")
	L.CreateTable(0, 5)
	L.PushString(buildTarget())
	L.RawSetField(-2, "target")
	L.PushString("")
	L.RawSetField(-2, "options")
	L.PushString(runtime.Version())
	L.RawSetField(-2, "compiler")
	L.PushString(strings.TrimPrefix(libSuffix(runtime.GOOS), "."))
	L.RawSetField(-2, "mod_format")
	L.PushString("")
	L.RawSetField(-2, "flags")
	L.RawSetField(t, "build")
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(t)
	L.RawSetField(-2, "tarantool")
}

// buildTarget is require('tarantool').build.target in Tarantool's
// "<system>-<processor>-<build type>" form; Spindle has one build type.
func buildTarget() string {
	system := runtime.GOOS
	if system == "linux" {
		system = "Linux"
	} else if system == "darwin" {
		system = "Darwin"
	}
	cpu := runtime.GOARCH
	switch cpu {
	case "amd64":
		cpu = "x86_64"
	case "arm64":
		cpu = "aarch64"
	}
	return system + "-" + cpu + "-Release"
}

// runBuiltin runs the embedded lua/<file> now, as Tarantool runs its
// builtins at start-up, with the module name and, when given, the value
// extra pushes as arguments. Its one result is left on the stack. The
// files are part of the binary, so a failure is a bug: it panics.
func runBuiltin(L lua.State, file string, extra func(L lua.State)) {
	src, err := luaFS.ReadFile("lua/" + file)
	if err != nil {
		panic("luamod: missing embedded " + file)
	}
	if err := L.Load(string(src), "@builtin/"+file); err != nil {
		panic("luamod: " + err.Error())
	}
	L.PushString(strings.TrimSuffix(file, ".lua"))
	n := 1
	if extra != nil {
		extra(L)
		n++
	}
	if err := L.PCall(n, 1); err != nil {
		panic("luamod: " + file + ": " + err.Error())
	}
}

// mustRun runs a chunk of start-up code that cannot fail but by a bug.
func mustRun(L lua.State, chunk, name string) {
	if err := L.DoString(chunk, name); err != nil {
		panic("luamod: " + err.Error())
	}
}

// lookupEnv returns getenv over environ ("KEY=value" strings) or over the
// process environment when environ is nil. ok tells an unset variable
// from an empty one, as C's getenv does with NULL.
func lookupEnv(environ func() []string) func(string) (string, bool) {
	if environ == nil {
		return os.LookupEnv
	}
	return func(name string) (string, bool) {
		for _, kv := range environ() {
			if k, v, found := strings.Cut(kv, "="); found && k == name {
				return v, true
			}
		}
		return "", false
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// libSuffix is CMAKE_SHARED_LIBRARY_SUFFIX.
func libSuffix(goos string) string {
	if goos == "darwin" {
		return ".dylib"
	}
	return ".so"
}

// multiarch is CMAKE_LIBRARY_ARCHITECTURE, Debian's multiarch triplet,
// for the architectures Debian ships; "" for others.
var multiarch = map[string]string{
	"amd64":    "x86_64-linux-gnu",
	"386":      "i386-linux-gnu",
	"arm64":    "aarch64-linux-gnu",
	"arm":      "arm-linux-gnueabihf",
	"ppc64le":  "powerpc64le-linux-gnu",
	"s390x":    "s390x-linux-gnu",
	"riscv64":  "riscv64-linux-gnu",
	"mips64le": "mips64el-linux-gnuabi64",
	"loong64":  "loongarch64-linux-gnu",
}

// packagePaths builds package.path and package.cpath as 2.6 does: the
// user's LuaRocks tree under HOME, then MODULE_LUAPATH / MODULE_LIBPATH,
// the directories CMake derives for an installation under /usr (with
// /usr/local first for LuaRocks, and the distribution-specific
// directories of Debian, Gentoo and Alpine, decided here from the running
// system as CMake decides from the build system), each list ending in
// ';'. LUA_PATH and LUA_CPATH replace them, with ";;" standing for the
// default, as in LuaJIT.
func packagePaths(getenv func(string) (string, bool), goos, goarch string, exists func(string) bool) (path, cpath string) {
	suffix := libSuffix(goos)
	linux := goos == "linux"
	debian := linux && exists("/etc/debian_version")
	gentoo := linux && exists("/etc/gentoo-release")
	alpine := linux && exists("/etc/alpine-release")

	// MULTILIB and CMAKE_INSTALL_LIBDIR (cmake/multilib.cmake).
	multilib := "lib"
	if linux {
		if arch := multiarch[goarch]; debian && arch != "" {
			multilib = "lib/" + arch
		} else if strings.HasSuffix(goarch, "64") {
			multilib = "lib64"
		}
	}

	datadirs := []string{"/usr/local/share", "/usr/share"}
	if gentoo {
		datadirs = append(datadirs, "/usr/"+multilib+"/lua/luarocks/share")
	}
	datadirs = dedup(append(datadirs, "/usr/share"))
	libdirs := []string{"/usr/local/" + multilib, "/usr/" + multilib}
	if debian {
		libdirs = append(libdirs, "/usr/local/lib")
	}
	if gentoo {
		libdirs = append(libdirs, "/usr/"+multilib+"/lua/luarocks/lib")
	}
	if alpine {
		libdirs = append(libdirs, "/usr/local/lib")
	}
	libdirs = dedup(append(libdirs, "/usr/"+multilib))

	var lp, cp strings.Builder
	home, haveHome := getenv("HOME")
	if haveHome {
		for _, d := range []string{"/.luarocks/share/lua/5.1/", "/.luarocks/share/lua/"} {
			lp.WriteString(home + d + "?.lua;")
			lp.WriteString(home + d + "?/init.lua;")
		}
		for _, d := range []string{"/.luarocks/lib/lua/5.1/", "/.luarocks/lib/lua/"} {
			cp.WriteString(home + d + "?" + suffix + ";")
		}
	}
	var luapath, libpath []string
	for _, dir := range []string{"tarantool", "lua/5.1"} {
		for _, prefix := range datadirs {
			luapath = append(luapath, prefix+"/"+dir+"/?.lua", prefix+"/"+dir+"/?/init.lua")
		}
		for _, prefix := range libdirs {
			libpath = append(libpath, prefix+"/"+dir+"/?"+suffix)
		}
	}
	lp.WriteString(strings.Join(luapath, ";") + ";")
	cp.WriteString(strings.Join(libpath, ";") + ";")
	return fromEnv(getenv, "LUA_PATH", lp.String()), fromEnv(getenv, "LUA_CPATH", cp.String())
}

// fromEnv is the value of the environment variable name with ";;"
// expanded to def, or def when it is unset (tarantool_lua_pushpath_env:
// two plain substitutions, through "\x01").
func fromEnv(getenv func(string) (string, bool), name, def string) string {
	v, ok := getenv(name)
	if !ok {
		return def
	}
	v = strings.ReplaceAll(v, ";;", ";\x01;")
	return strings.ReplaceAll(v, "\x01", def)
}

func dedup(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
