package luabox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/spindledb/spindle/internal/boxerr"
)

// openError builds box.error: a callable table of error codes whose call
// raises, plus new() and last().
func (rt *Runtime) openError(boxT *lua.LTable) {
	L := rt.L
	rt.errorMT = L.NewTable()
	rt.errorMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(checkError(L, 1).Message))
		return 1
	}))
	// Serializers (json, yaml, msgpack, tuples) see an error as its
	// message, as 2.6's error __serialize.
	rt.errorMT.RawSetString("__serialize", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(checkError(L, 1).Message))
		return 1
	}))
	rt.errorMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		e := checkError(L, 1)
		switch L.CheckString(2) {
		case "code":
			// Only ClientError and its kin carry a code in 2.6.
			if hasCode(e.Type) {
				L.Push(lua.LNumber(e.Code))
			} else {
				L.Push(lua.LNil)
			}
		case "message":
			L.Push(lua.LString(e.Message))
		case "type":
			L.Push(lua.LString(e.Type))
		case "base_type":
			L.Push(lua.LString(baseType(e.Type)))
		case "trace":
			t := L.NewTable()
			fr := L.NewTable()
			fr.RawSetString("file", lua.LString(e.File))
			fr.RawSetString("line", lua.LNumber(e.Line))
			t.Append(fr)
			L.Push(t)
		case "errno":
			if e.Errno != 0 {
				L.Push(lua.LNumber(e.Errno))
			} else {
				L.Push(lua.LNil)
			}
		case "unpack", "raise", "match":
			L.Push(L.GetField(rt.errorMT, "_"+L.CheckString(2)))
		case "__serialize":
			L.Push(L.GetField(rt.errorMT, "__serialize"))
		default:
			L.Push(lua.LNil)
		}
		return 1
	}))
	rt.errorMT.RawSetString("_unpack", L.NewFunction(func(L *lua.LState) int {
		L.Push(rt.errorTable(L, checkError(L, 1)))
		return 1
	}))
	rt.errorMT.RawSetString("_raise", L.NewFunction(func(L *lua.LState) int {
		L.Error(L.Get(1), 0)
		return 0
	}))
	rt.errorMT.RawSetString("_match", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(strings.Contains(checkError(L, 1).Message, L.CheckString(2))))
		return 1
	}))

	errT := L.NewTable()
	for c := 0; c < boxerr.Count(); c++ {
		name := boxerr.Code(c).Name()
		if strings.HasPrefix(name, "ER_") {
			errT.RawSetString(strings.TrimPrefix(name, "ER_"), lua.LNumber(c))
		}
	}
	errT.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(rt.newError(L, rt.errorFromArgs(L, 1)))
		return 1
	}))
	// box.error.last() is the last box error raised in the fiber (its
	// diagnostics area); box.error.clear() empties it.
	errT.RawSetString("last", L.NewFunction(func(L *lua.LState) int {
		if e := rt.ctx(L).LastError; e != nil {
			L.Push(rt.newError(L, e))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	errT.RawSetString("clear", L.NewFunction(func(L *lua.LState) int {
		rt.ctx(L).LastError = nil
		return 0
	}))
	mt := L.NewTable()
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		// box.error(...) is called with box.error itself as argument 1.
		if L.GetTop() >= 2 {
			if ud, ok := L.Get(2).(*lua.LUserData); ok {
				if e, ok := ud.Value.(*boxerr.Error); ok {
					rt.ctx(L).LastError = e
					L.Error(ud, 0)
					return 0
				}
			}
		}
		e := rt.errorFromArgs(L, 2)
		rt.ctx(L).LastError = e
		L.Error(rt.newError(L, e), 0)
		return 0
	}))
	L.SetMetatable(errT, mt)
	boxT.RawSetString("error", errT)
}

// errorFromArgs implements the argument forms of box.error and
// box.error.new: (code, fmt-args...) and ({code=, reason=, type=}).
func (rt *Runtime) errorFromArgs(L *lua.LState, base int) *boxerr.Error {
	switch v := L.Get(base).(type) {
	case lua.LNumber:
		code := boxerr.Code(v)
		e := &boxerr.Error{Code: code, Type: "ClientError"}
		e.Message = formatLuaArgs(code.Format(), rt, L, base+1)
		rt.stamp(L, e)
		return e
	case *lua.LTable:
		e := &boxerr.Error{Type: "ClientError"}
		if c, ok := v.RawGetString("code").(lua.LNumber); ok {
			e.Code = boxerr.Code(c)
		}
		// Without a reason the message is empty, as in 2.6; a type other
		// than a built-in class makes a CustomError of that type.
		if r, ok := v.RawGetString("reason").(lua.LString); ok {
			e.Message = string(r)
		}
		if t, ok := v.RawGetString("type").(lua.LString); ok {
			e.Type = string(t)
		}
		rt.stamp(L, e)
		return e
	}
	L.RaiseError("Illegal parameters, code should be a number or a table")
	return nil
}

// stamp records the Lua source position raising the error.
func (rt *Runtime) stamp(L *lua.LState, e *boxerr.Error) {
	if dbg, ok := L.GetStack(1); ok {
		L.GetInfo("Sl", dbg, lua.LNil)
		e.File, e.Line = dbg.Source, dbg.CurrentLine
	}
}

// newError wraps e in a box.error object.
func (rt *Runtime) newError(L *lua.LState, e *boxerr.Error) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = e
	ud.Metatable = rt.errorMT
	return ud
}

func (rt *Runtime) errorTable(L *lua.LState, e *boxerr.Error) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("code", lua.LNumber(e.Code))
	t.RawSetString("message", lua.LString(e.Message))
	t.RawSetString("type", lua.LString(e.Type))
	if e.File != "" {
		t.RawSetString("file", lua.LString(e.File))
		t.RawSetString("line", lua.LNumber(e.Line))
	}
	return t
}

func checkError(L *lua.LState, n int) *boxerr.Error {
	ud := L.CheckUserData(n)
	if e, ok := ud.Value.(*boxerr.Error); ok {
		return e
	}
	L.ArgError(n, "error object expected")
	return nil
}

// formatLuaArgs fills a code's message template with Lua arguments from
// index from on, as box.error(code, ...) does: every verb takes the next
// argument in its Lua string form; missing arguments leave the verb empty.
func formatLuaArgs(format string, rt *Runtime, L *lua.LState, from int) string {
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
			v := L.Get(arg)
			if n, ok := v.(lua.LNumber); ok && format[i] == 'c' {
				b.WriteRune(rune(int(n)))
			} else {
				b.WriteString(rt.tostring(L, v))
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
