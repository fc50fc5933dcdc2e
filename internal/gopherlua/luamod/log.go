package luamod

import (
	"bytes"
	"fmt"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
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

var logLevelNames = map[string]int{
	"fatal": LevelFatal, "syserror": LevelSysError, "error": LevelError, "crit": LevelCrit,
	"warn": LevelWarn, "info": LevelInfo, "verbose": LevelVerbose, "debug": LevelDebug,
}

const registryLogLevel = "spindle.luamod.log_level"

// LogLevel returns the state's log level (box.cfg.log_level), LevelInfo
// by default.
func LogLevel(L *lua.LState) int {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if n, ok := reg.RawGetString(registryLogLevel).(lua.LNumber); ok {
		return int(n)
	}
	return LevelInfo
}

// SetLogLevel sets the level below which log calls are dropped (what
// box.cfg{log_level = n} does).
func SetLogLevel(L *lua.LState, level int) {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	reg.RawSetString(registryLogLevel, lua.LNumber(level))
}

// logSpecialFields are dropped from table messages (log.lua).
var logSpecialFields = []string{"file", "level", "pid", "line", "cord_name", "fiber_name", "fiber_id", "error"}

// PreloadLog registers the log module as Tarantool 2.6 has it: error,
// warn, info, verbose, debug (there is no log.crit), level, pid and
// rotate.
// Messages go to logger; nil discards them.
func PreloadLog(L *lua.LState, logger Logger) {
	register(L, "log", func(L *lua.LState) int {
		L.Push(newLogModule(L, logger))
		return 1
	})
}

func newLogModule(L *lua.LState, logger Logger) *lua.LTable {
	mod := L.NewTable()
	jsonCfg := luaconv.DefaultConfig()
	jsonCfg.EncodeUseToString = true
	jsonCfg.EncodeInvalidAsNil = true
	say := func(level int) lua.LGFunction {
		return func(L *lua.LState) int {
			if LogLevel(L) < level {
				return 0
			}
			msg := formatLogMessage(L, &jsonCfg)
			if logger != nil {
				logger.Log(level, msg)
			}
			return 0
		}
	}
	setFuncs(L, mod, map[string]lua.LGFunction{
		"error":   say(LevelError),
		"warn":    say(LevelWarn),
		"info":    say(LevelInfo),
		"verbose": say(LevelVerbose),
		"debug":   say(LevelDebug),
		"level": func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case lua.LNumber:
				SetLogLevel(L, int(v))
			case lua.LString:
				n, ok := logLevelNames[string(v)]
				if !ok {
					raise(L, "log: expected crit,warn,info,debug,syserror,verbose,fatal,error")
				}
				SetLogLevel(L, n)
			default:
				raiseAt(L, "builtin/log.lua:338", "must be a number or a string")
			}
			if logger != nil && LogLevel(L) >= LevelDebug {
				logger.Log(LevelDebug, fmt.Sprintf("log: level set to %d", LogLevel(L)))
			}
			return 0
		},
		"pid": func(L *lua.LState) int {
			L.Push(lua.LNumber(pid()))
			return 1
		},
		// rotate reopens the log file, as SIGHUP does, when the logger
		// writes one.
		"rotate": func(L *lua.LState) int {
			if r, ok := logger.(interface{ Rotate() error }); ok {
				if err := r.Rotate(); err != nil {
					logger.Log(LevelError, err.Error())
				}
			}
			return 0
		},
	})
	return mod
}

// formatLogMessage is log.lua's say(): string.format when arguments
// follow the format, JSON for a lone table, tostring for anything else.
func formatLogMessage(L *lua.LState, jsonCfg *luaconv.Config) string {
	fmtArg := L.Get(1)
	if L.GetTop() > 1 {
		strFormat := L.GetField(L.GetGlobal("string"), "format")
		args := make([]lua.LValue, L.GetTop())
		for i := range args {
			args[i] = L.Get(i + 1)
		}
		if err := L.CallByParam(lua.P{Fn: strFormat, NRet: 1, Protect: true}, args...); err != nil {
			if ae, ok := err.(*lua.ApiError); ok {
				L.Error(ae.Object, 0)
			}
			raise(L, err.Error())
		}
		s := L.Get(-1)
		L.Pop(1)
		return lua.LVAsString(s)
	}
	switch v := fmtArg.(type) {
	case lua.LString:
		return string(v)
	case *lua.LTable:
		for _, f := range logSpecialFields {
			v.RawSetString(f, lua.LNil)
		}
		var buf bytes.Buffer
		if err := jsonEncode(L, jsonCfg, &buf, v, 0); err != nil {
			raise(L, err.Error())
		}
		return buf.String()
	}
	return lua.LVAsString(L.ToStringMeta(fmtArg))
}
