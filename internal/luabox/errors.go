package luabox

import (
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// openError builds box.error: a callable table of error codes whose call
// raises, plus new(), last() and clear(). Error objects are userdata of
// rt.errorType holding a *boxerr.Error.
func (rt *Runtime) openError() {
	L := rt.L
	L.CreateTable(0, 8)
	mt := L.GetTop()
	L.PushFunction(func(L lua.State) int {
		L.PushString(rt.checkError(L, 1).Message)
		return 1
	})
	L.RawSetField(mt, "__tostring")
	// Serializers (json, yaml, msgpack, tuples) see an error as its
	// message, as 2.6's error __serialize.
	L.PushFunction(func(L lua.State) int {
		L.PushString(rt.checkError(L, 1).Message)
		return 1
	})
	L.PushValue(-1)
	L.RawSetField(mt, "__serialize")
	serialize := L.Ref()
	methods := map[string]lua.Function{
		"unpack": func(L lua.State) int {
			rt.pushErrorTable(L, rt.checkError(L, 1))
			return 1
		},
		"raise": func(L lua.State) int {
			L.PushValue(1)
			L.Raise()
			return 0
		},
		"match": func(L lua.State) int {
			L.PushBool(strings.Contains(rt.checkError(L, 1).Message, L.CheckString(2)))
			return 1
		},
	}
	methodRefs := map[string]int{}
	for name, f := range methods {
		L.PushFunction(f)
		methodRefs[name] = L.Ref()
	}
	L.PushFunction(func(L lua.State) int {
		e := rt.checkError(L, 1)
		key, _ := L.ToString(2)
		switch key {
		case "code":
			// Only ClientError and its kin carry a code in 2.6.
			if hasCode(e.Type) {
				L.PushNumber(float64(e.Code))
			} else {
				L.PushNil()
			}
		case "message":
			L.PushString(e.Message)
		case "type":
			L.PushString(e.Type)
		case "base_type":
			L.PushString(baseType(e.Type))
		case "trace":
			L.CreateTable(1, 0)
			L.CreateTable(0, 2)
			L.PushString(e.File)
			L.RawSetField(-2, "file")
			L.PushNumber(float64(e.Line))
			L.RawSetField(-2, "line")
			L.RawSetI(-2, 1)
		case "errno":
			if e.Errno != 0 {
				L.PushNumber(float64(e.Errno))
			} else {
				L.PushNil()
			}
		case "__serialize":
			L.PushRef(serialize)
		default:
			if ref, ok := methodRefs[key]; ok {
				L.PushRef(ref)
			} else {
				L.PushNil()
			}
		}
		return 1
	})
	L.RawSetField(mt, "__index")
	rt.errorType = L.NewObjectType("error")

	L.CreateTable(0, 256)
	errT := L.GetTop()
	for c := 0; c < boxerr.Count(); c++ {
		name := boxerr.Code(c).Name()
		if strings.HasPrefix(name, "ER_") {
			L.PushNumber(float64(c))
			L.RawSetField(errT, strings.TrimPrefix(name, "ER_"))
		}
	}
	L.SetFuncs(errT, map[string]lua.Function{
		"new": func(L lua.State) int {
			rt.pushError(L, rt.errorFromArgs(L, 1))
			return 1
		},
		// box.error.last() is the last box error raised in the fiber (its
		// diagnostics area); box.error.clear() empties it.
		"last": func(L lua.State) int {
			if e := rt.ctx().LastError; e != nil {
				rt.pushError(L, e)
			} else {
				L.PushNil()
			}
			return 1
		},
		"clear": func(L lua.State) int {
			rt.ctx().LastError = nil
			return 0
		},
	})
	L.CreateTable(0, 1)
	L.PushFunction(func(L lua.State) int {
		// box.error(...) is called with box.error itself as argument 1.
		if L.GetTop() >= 2 {
			if v, ok := L.ToObject(2, rt.errorType); ok {
				rt.ctx().LastError = v.(*boxerr.Error)
				L.PushValue(2)
				L.Raise()
			}
		}
		e := rt.errorFromArgs(L, 2)
		rt.ctx().LastError = e
		rt.pushError(L, e)
		L.Raise()
		return 0
	})
	L.RawSetField(-2, "__call")
	L.SetMetatable(errT)
	L.PushRef(rt.boxRef)
	L.PushValue(errT)
	L.RawSetField(-2, "error")
	L.SetTop(errT - 1)
}

// pushError pushes a box.error object for e.
func (rt *Runtime) pushError(L lua.State, e *boxerr.Error) {
	L.PushObject(rt.errorType, e)
}

// errorFromArgs implements the argument forms of box.error and
// box.error.new: (code, fmt-args...) and ({code=, reason=, type=}).
func (rt *Runtime) errorFromArgs(L lua.State, base int) *boxerr.Error {
	switch L.Type(base) {
	case lua.TypeNumber:
		code := boxerr.Code(L.ToNumber(base))
		e := &boxerr.Error{Code: code, Type: "ClientError"}
		e.Message = rt.formatLuaArgs(L, code.Format(), base+1)
		rt.stamp(L, e)
		return e
	case lua.TypeTable:
		e := &boxerr.Error{Type: "ClientError"}
		L.RawGetField(base, "code")
		if L.Type(-1) == lua.TypeNumber {
			e.Code = boxerr.Code(L.ToNumber(-1))
		}
		// Without a reason the message is empty, as in 2.6; a type other
		// than a built-in class makes a CustomError of that type.
		L.RawGetField(base, "reason")
		if L.Type(-1) == lua.TypeString {
			e.Message, _ = L.ToString(-1)
		}
		L.RawGetField(base, "type")
		if L.Type(-1) == lua.TypeString {
			e.Type, _ = L.ToString(-1)
		}
		L.Pop(3)
		rt.stamp(L, e)
		return e
	}
	L.Errorf("Illegal parameters, code should be a number or a table")
	return nil
}

// stamp records the Lua source position raising the error: the caller
// of box.error, as 2.6's luaT_error_create records it.
func (rt *Runtime) stamp(L lua.State, e *boxerr.Error) {
	e.File, e.Line = L.CallerPosition(1)
}

func (rt *Runtime) pushErrorTable(L lua.State, e *boxerr.Error) {
	L.CreateTable(0, 5)
	L.PushNumber(float64(e.Code))
	L.RawSetField(-2, "code")
	L.PushString(e.Message)
	L.RawSetField(-2, "message")
	L.PushString(e.Type)
	L.RawSetField(-2, "type")
	if e.File != "" {
		L.PushString(e.File)
		L.RawSetField(-2, "file")
		L.PushNumber(float64(e.Line))
		L.RawSetField(-2, "line")
	}
}

func (rt *Runtime) checkError(L lua.State, n int) *boxerr.Error {
	v, ok := L.ToObject(n, rt.errorType)
	if !ok {
		L.ArgError(n, "error object expected")
	}
	return v.(*boxerr.Error)
}

// formatLuaArgs fills a code's message template with Lua arguments from
// index from on, as box.error(code, ...) does: every verb takes the next
// argument in its Lua string form; missing arguments leave the verb empty.
func (rt *Runtime) formatLuaArgs(L lua.State, format string, from int) string {
	var b strings.Builder
	arg := from
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if arg <= L.GetTop() {
			if L.Type(arg) == lua.TypeNumber && format[i] == 'c' {
				b.WriteRune(rune(int(L.ToNumber(arg))))
			} else {
				b.WriteString(rt.tostring(L, arg))
			}
		}
		arg++
	}
	return b.String()
}

// builtinTypes are the error classes of 2.6 that box.error objects can
// carry; any other type name is a CustomError.
var builtinTypes = map[string]bool{
	"ClientError": true, "CustomError": true, "AccessDeniedError": true, "LuajitError": true,
	"SystemError": true, "SocketError": true, "OutOfMemory": true, "TimedOut": true,
	"ChannelIsClosed": true, "FiberIsCancelled": true, "XlogError": true, "XlogGapError": true,
	"IllegalParams": true, "CollationError": true, "SwimError": true, "CryptoError": true,
}

// baseType is box.error's base_type: the class of a custom type.
func baseType(typ string) string {
	if builtinTypes[typ] {
		return typ
	}
	return "CustomError"
}

// hasCode reports whether errors of class typ expose .code: ClientError,
// its subclasses and custom errors do; LuajitError, SystemError and the
// other non-client classes do not.
func hasCode(typ string) bool {
	switch typ {
	case "ClientError", "CustomError", "AccessDeniedError", "XlogGapError":
		return true
	}
	return !builtinTypes[typ]
}
