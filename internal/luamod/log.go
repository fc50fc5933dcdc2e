package luamod

import (
	"fmt"

	"github.com/spindledb/spindle/internal/lua"
)

// Say levels (Tarantool's enum say_level, src/lib/core/say.h).
const (
	LevelFatal = iota
	LevelSysError
	LevelError
	LevelCrit
	LevelWarn
	LevelInfo
	LevelVerbose
	LevelDebug
)

// SourceLogger is a Logger that also receives the Lua source position
// of each message (file as debug.getinfo's short_src, line), which
// Tarantool's plain format prints for warnings and errors
// ("app.lua:20 E> ..."). The log module calls LogSource instead of Log
// when the Logger has it.
type SourceLogger interface {
	LogSource(level int, file string, line int, msg string)
}

// LogConfigurer is a Logger that Lua can set up and reconfigure, as
// log.cfg{} and log.log_format() set up Tarantool's say module.
// Without it, log.cfg{} and log.log_format() change only what the log
// module itself decides (the level, the format of table messages), and
// raise a clear error for what only the Logger could do (a log
// destination, the json format of a Logger that prints).
type LogConfigurer interface {
	// InitLog sets the logger up as say_logger_init does: dest is
	// log.cfg's log option ("" for stderr, a file path, "file:path",
	// "pipe:command" or "syslog:options"), format "plain" or "json".
	// log.cfg{} calls it once, unless LogInitialized.
	InitLog(dest string, nonblock bool, format string) error
	// LogInitialized reports whether the logger has been set up, by
	// InitLog or by box.cfg: log.cfg{} then only changes the level and
	// the format.
	LogInitialized() bool
	// SetLogFormat switches between "plain" and "json".
	SetLogFormat(format string) error
	// LogPid is the pid of a pipe logger's process, 0 for other loggers
	// (log.pid()).
	LogPid() int
}

// The log level lives in a cdata int cell created at preload and kept in
// the registry under logLevelKey: the log module's fast path reads it
// through the FFI, and box.cfg sets it from Go (SetLogLevel) before or
// after require('log').
const logLevelKey = "spindle.luamod.log_level"

func init() { addModule("log", 0, preloadLog) }

func preloadLog(L lua.State, opts *Options) {
	if err := L.Load("return require('ffi').new('int[1]', ...)", "=log"); err != nil {
		panic("luamod: " + err.Error())
	}
	L.PushInt(LevelInfo)
	if err := L.PCall(1, 1); err != nil {
		panic("luamod: " + err.Error())
	}
	L.RawSetField(lua.RegistryIndex, logLevelKey)

	logger := opts.Logger
	conf, _ := logger.(LogConfigurer)
	registerLua(L, "log", "log.lua", func(L lua.State) {
		L.NewTable()
		L.RawGetField(lua.RegistryIndex, logLevelKey)
		L.RawSetField(-2, "level_cell")
		L.SetFuncs(-1, map[string]lua.Function{
			// say(level, file, line, message)
			"say": func(L lua.State) int {
				if logger == nil {
					return 0
				}
				level := L.CheckInt(1)
				msg, _ := L.ToString(4)
				if s, ok := logger.(SourceLogger); ok {
					file, _ := L.ToString(2)
					s.LogSource(level, file, L.CheckInt(3), msg)
				} else {
					logger.Log(level, msg)
				}
				return 0
			},
			// rotate reopens the log file, as SIGHUP does, when the logger
			// writes one.
			"rotate": func(L lua.State) int {
				if r, ok := logger.(interface{ Rotate() error }); ok {
					if err := r.Rotate(); err != nil {
						logger.Log(LevelError, err.Error())
					}
				}
				return 0
			},
			"configurable": func(L lua.State) int {
				L.PushBool(conf != nil)
				return 1
			},
			"initialized": func(L lua.State) int {
				L.PushBool(conf != nil && conf.LogInitialized())
				return 1
			},
			// say_logger_init(dest, level, nonblock, format), with the
			// FFI's conversion errors for its arguments as Tarantool's
			// call at builtin/log.lua:517 raises them.
			"say_logger_init": func(L lua.State) int {
				const where = "builtin/log.lua:517"
				if t := L.Type(1); t != lua.TypeNil && t != lua.TypeString {
					raiseAt(L, where, "bad argument #1 to 'say_logger_init' (cannot convert '"+ffiValueName(L, 1)+"' to 'const char *')")
				}
				if t := L.Type(2); t != lua.TypeNumber && t != lua.TypeBoolean && t != lua.TypeCdata {
					raiseAt(L, where, "bad argument #2 to 'say_logger_init' (cannot convert '"+ffiValueName(L, 2)+"' to 'int')")
				}
				dest, _ := L.ToString(1)
				if conf == nil {
					if dest != "" {
						L.RaiseString("log.cfg: 'log' cannot be set: this server's logger is not configurable from Lua")
					}
					return 0
				}
				if err := conf.InitLog(dest, L.ToNumber(3) != 0, L.CheckString(4)); err != nil {
					L.RaiseString("log.cfg: " + err.Error())
				}
				return 0
			},
			"set_format": func(L lua.State) int {
				format := L.CheckString(1)
				switch {
				case conf != nil:
					if err := conf.SetLogFormat(format); err != nil {
						L.RaiseString(err.Error())
					}
				case logger != nil && format != "plain":
					L.RaiseString("log: the " + format + " format is not supported by this server's logger")
				}
				return 0
			},
			"pid": func(L lua.State) int {
				pid := 0
				if conf != nil {
					pid = conf.LogPid()
				}
				L.PushInt(pid)
				return 1
			},
		})
	})
}

// LogLevel returns the state's log level (log.cfg.level, box.cfg's
// log_level).
func LogLevel(L lua.State) int {
	top := L.GetTop()
	defer L.SetTop(top)
	L.RawGetField(lua.RegistryIndex, logLevelKey)
	if L.Type(-1) != lua.TypeCdata {
		return LevelInfo
	}
	return int(*(*int32)(L.CdataPointer(-1)))
}

// SetLogLevel sets the level above which log calls are dropped, as
// box.cfg{log_level = n} does, and shows it in log.cfg.level. Unlike
// log.level(), it logs nothing.
func SetLogLevel(L lua.State, level int) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.RawGetField(lua.RegistryIndex, logLevelKey)
	if L.Type(-1) != lua.TypeCdata {
		return
	}
	*(*int32)(L.CdataPointer(-1)) = int32(level)
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.RawGetField(-1, "log")
	if !L.IsTable(-1) {
		return
	}
	L.RawGetField(-1, "cfg")
	if L.IsTable(-1) {
		L.PushInt(level)
		L.RawSetField(-2, "level")
	}
}

// FormatLogSource is the " file:line" Tarantool's plain format puts
// before the level of warnings and errors, with its primitive basename
// (the part after the last '/' that is not at the end); "" for other
// levels.
func FormatLogSource(level int, file string, line int) string {
	if level != LevelWarn && level != LevelError && level != LevelSysError {
		return ""
	}
	start := 0
	for i := 0; i+1 < len(file); i++ {
		if file[i] == '/' {
			start = i + 1
		}
	}
	return fmt.Sprintf(" %s:%d", file[start:], line)
}
