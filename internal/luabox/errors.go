package luabox

import (
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// errorObjects maps box.error objects to the Go errors they stand for.
// An object is cdata pointing at an error block (lua.ErrorBlock, 2.6's
// struct error); the block holds one reference per Lua value pointing at
// it, and Go keeps the error of every live block. A Go error has at most
// one live block, so that pushing it twice gives values that compare
// equal (box.error.last() == e), as 2.6's refer to one struct error.
type errorObjects struct {
	byBlock map[lua.ErrorBlock]*boxerr.Error
	byError map[*boxerr.Error]lua.ErrorBlock
	// Constructors (registry refs) of a reference (const struct error &,
	// what 2.6 pushes for an error) and of a pointer (struct error *,
	// what error.prev returns) to a block, and their ctype ids.
	refCtor, ptrCtor int
	refCT, ptrCT     uint32
}

// openError builds box.error: a table of error codes whose call raises,
// with new, last, clear and set behind its metatable's __index as in
// 2.6, and the error objects' metatype (lua/error.lua).
func (rt *Runtime) openError() {
	L := rt.L
	rt.errs = errorObjects{byBlock: map[lua.ErrorBlock]*boxerr.Error{}, byError: map[*boxerr.Error]lua.ErrorBlock{}}
	src, err := libFS.ReadFile("lua/error.lua")
	if err != nil {
		panic("luabox: missing embedded error.lua")
	}
	if err := L.Load(string(src), "@builtin/error.lua"); err != nil {
		panic("luabox: error.lua: " + err.Error())
	}
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		"setup": func(L lua.State) int {
			rt.errs.refCT, rt.errs.ptrCT = L.CtypeOf(1), L.CtypeOf(2)
			L.PushValue(3)
			rt.errs.refCtor = L.Ref()
			L.PushValue(4)
			rt.errs.ptrCtor = L.Ref()
			return 0
		},
		"gc": func(L lua.State) int {
			if L.CdataType(1) == rt.errs.refCT || L.CdataType(1) == rt.errs.ptrCT {
				rt.errs.release(lua.ErrorBlock(L.CdataPointee(1)))
			}
			return 0
		},
		"type": func(L lua.State) int {
			if e := rt.errs.of(L, 1); e != nil && e.CustomType != "" {
				L.PushString(e.CustomType)
				return 1
			}
			return 0
		},
		"prev": func(L lua.State) int {
			if e := rt.errs.of(L, 1); e != nil && e.Prev != nil {
				rt.pushErrorAs(L, e.Prev, rt.errs.ptrCtor)
				return 1
			}
			return 0
		},
		"set_prev": func(L lua.State) int {
			e := rt.errs.of(L, 1)
			var prev *boxerr.Error
			if !L.IsNil(2) {
				prev = rt.errs.of(L, 2)
			}
			if e == nil || (prev == nil && !L.IsNil(2)) {
				// A struct error that no Go error stands behind
				// (ffi.new'd) cannot be chained.
				L.PushBool(false)
				return 1
			}
			L.PushBool(e.SetPrev(prev) == nil)
			return 1
		},
		"reflect": func(L lua.State) int {
			e := rt.errs.of(L, 1)
			k, _ := L.ToString(2)
			if e == nil || L.Type(2) != lua.TypeString {
				return 0
			}
			for _, f := range reflection(e) {
				if f.key == k {
					L.PushGo(f.value)
					return 1
				}
			}
			return 0
		},
		"reflect_all": func(L lua.State) int {
			L.NewTable()
			if e := rt.errs.of(L, 1); e != nil {
				for _, f := range reflection(e) {
					L.PushGo(f.value)
					L.RawSetField(-2, f.key)
				}
			}
			return 1
		},
	})
	if err := L.PCall(1, 0); err != nil {
		panic("luabox: error.lua: " + err.Error())
	}

	L.CreateTable(0, 256)
	errT := L.GetTop()
	for c := 0; c < boxerr.Count(); c++ {
		name := boxerr.Code(c).Name()
		// 2.6 leaves out the names holding UNUSED or RESERVED.
		if strings.HasPrefix(name, "ER_") && !strings.Contains(name, "UNUSED") && !strings.Contains(name, "RESERVED") {
			L.PushNumber(float64(c))
			L.RawSetField(errT, strings.TrimPrefix(name, "ER_"))
		}
	}
	// The functions live behind __index, so that pairs(box.error) lists
	// the codes only, as in 2.6.
	L.CreateTable(0, 2)
	L.CreateTable(0, 4)
	L.SetFuncs(-1, map[string]lua.Function{
		"new": func(L lua.State) int {
			var e *boxerr.Error
			if L.GetTop() > 0 {
				e = rt.errorFromArgs(L, 1)
			}
			if e == nil {
				L.Errorf("Usage: box.error.new(code, args) or box.error.new(type, args)")
			}
			L.SetTop(0)
			rt.pushError(L, e)
			return 1
		},
		// box.error.last() is the fiber's diagnostics area: the last
		// error raised by box or set with box.error.set.
		"last": func(L lua.State) int {
			if L.GetTop() >= 1 {
				L.Errorf("box.error.last(): bad arguments")
			}
			if e := rt.ctx().LastError; e != nil {
				rt.pushError(L, e)
			} else {
				L.PushNil()
			}
			return 1
		},
		"clear": func(L lua.State) int {
			if L.GetTop() >= 1 {
				L.Errorf("box.error.clear(): bad arguments")
			}
			rt.ctx().LastError = nil
			return 0
		},
		"set": func(L lua.State) int {
			if L.GetTop() == 0 {
				L.Errorf("Usage: box.error.set(error)")
			}
			e := rt.toError(L, 1)
			if e == nil {
				L.Errorf("Invalid argument #1 (error expected, got %s)", L.TypeName(1))
			}
			rt.ctx().LastError = e
			return 0
		},
	})
	L.RawSetField(-2, "__index")
	L.PushFunction(rt.errorCall)
	L.RawSetField(-2, "__call")
	L.SetMetatable(errT)
	// box.error.injection: the error injections of debug builds; a
	// release build of 2.6 has none to set or get.
	L.CreateTable(0, 3)
	L.SetFuncs(-1, map[string]lua.Function{
		"info": func(L lua.State) int { L.NewTable(); return 1 },
		"set": func(L lua.State) int {
			L.PushString("error: can't find error injection '" + L.CheckString(1) + "'")
			return 1
		},
		"get": func(L lua.State) int {
			L.PushString("error: can't find error injection '" + L.CheckString(1) + "'")
			return 1
		},
	})
	L.RawSetField(errT, "injection")
	L.PushRef(rt.boxRef)
	L.PushValue(errT)
	L.RawSetField(-2, "error")
	L.SetTop(errT - 1)
}

// errorCall is box.error(...), called with box.error itself first:
// without arguments it raises the fiber's last error (if any); with an
// error object it makes it the last error and raises it; otherwise it
// builds an error as box.error.new does, sets it and raises it.
func (rt *Runtime) errorCall(L lua.State) int {
	fc := rt.ctx()
	if L.GetTop() <= 1 {
		if fc.LastError == nil {
			return 0
		}
		rt.pushError(L, fc.LastError)
		L.Raise()
	}
	if L.GetTop() == 2 {
		if e := rt.toError(L, 2); e != nil {
			fc.LastError = e
			L.PushValue(2)
			L.Raise()
		}
	}
	e := rt.errorFromArgs(L, 2)
	if e == nil {
		L.Errorf("box.error(): bad arguments")
	}
	fc.LastError = e
	rt.pushError(L, e)
	L.Raise()
	return 0
}

// of returns the Go error behind the error object (reference or
// pointer) at idx, nil for other values.
func (o *errorObjects) of(L lua.State, idx int) *boxerr.Error {
	if t := L.CdataType(idx); t == 0 || (t != o.refCT && t != o.ptrCT) {
		return nil
	}
	return o.byBlock[lua.ErrorBlock(L.CdataPointee(idx))]
}

// release drops a Lua value's reference to b; the last one frees b and
// forgets its error.
func (o *errorObjects) release(b lua.ErrorBlock) {
	e, ok := o.byBlock[b]
	if !ok {
		return
	}
	if b.Unref() {
		delete(o.byBlock, b)
		delete(o.byError, e)
	}
}

// toError returns the error the value at idx is, as 2.6's luaL_iserror
// sees it: only an error reference (what box.error.new, box.error.last
// and raised errors are) counts; error.prev's pointers do not.
func (rt *Runtime) toError(L lua.State, idx int) *boxerr.Error {
	if L.CdataType(idx) != rt.errs.refCT || rt.errs.refCT == 0 {
		return nil
	}
	return rt.errs.byBlock[lua.ErrorBlock(L.CdataPointee(idx))]
}

// pushError pushes a box.error object for e.
func (rt *Runtime) pushError(L lua.State, e *boxerr.Error) {
	rt.pushErrorAs(L, e, rt.errs.refCtor)
}

// pushErrorAs pushes what the constructor ctor (a reference or a
// pointer) makes of e's block, creating the block if e has none. Out of
// memory, the message is pushed instead.
func (rt *Runtime) pushErrorAs(L lua.State, e *boxerr.Error, ctor int) {
	o := &rt.errs
	b, ok := o.byError[e]
	if !ok {
		typ := e.Type
		if typ == "" {
			typ = "ClientError"
		}
		b = lua.NewErrorBlock(typ, e.File, e.Line, e.Errno, e.Message)
		if b == 0 {
			L.PushString(e.Message)
			return
		}
		o.byError[e], o.byBlock[b] = b, e
	}
	// The reference is the new value's, dropped by its finalizer; taken
	// first so that a collection the constructor runs cannot free b.
	b.Ref()
	L.PushRef(ctor)
	L.PushLightUserdata(uintptr(b))
	if err := L.PCall(1, 1); err != nil {
		o.release(b)
		L.PushString(e.Message)
	}
}

// field is a class field of an error (2.6's reflection methods).
type field struct {
	key   string
	value any
}

// reflection lists the fields e's class adds, as 2.6's type_info methods
// of ClientError (code), CustomError (custom_type) and AccessDeniedError
// (access_type, object_type, object_name) do, besides Exception's message.
func reflection(e *boxerr.Error) []field {
	fs := []field{{"message", e.Message}}
	switch e.Type {
	case "ClientError", "LoggedError", "":
		fs = append(fs, field{"code", float64(e.Code)})
	case "CustomError":
		fs = append(fs, field{"code", float64(e.Code)}, field{"custom_type", e.CustomType})
	case "AccessDeniedError":
		fs = append(fs, field{"code", float64(e.Code)}, field{"access_type", e.AccessType},
			field{"object_type", e.ObjectType}, field{"object_name", e.ObjectName})
	}
	return fs
}

// errorFromArgs builds an error from the arguments at base on, as 2.6's
// luaT_error_create: (code[, fmt args...]) formats the code's message
// with string.format, (type, fmt[, args...]) makes a CustomError, and a
// table {code =, reason =, type =} sets the fields it has. nil when the
// arguments fit no form, or a code's message wants arguments none were
// given for. The error's trace is the position of the Lua code calling
// the function that called this.
func (rt *Runtime) errorFromArgs(L lua.State, base int) *boxerr.Error {
	top := L.GetTop()
	e := &boxerr.Error{Type: "ClientError"}
	var reason string
	switch t := L.Type(base); {
	case top >= base && (t == lua.TypeNumber || t == lua.TypeString):
		shift := 1
		if t == lua.TypeNumber {
			e.Code = luaCode(L.ToNumber(base))
			reason = e.Code.CFormat()
		} else {
			e.Type = "CustomError"
			e.CustomType, _ = L.ToString(base)
			if L.Type(base+1) != lua.TypeString {
				return nil
			}
			reason, _ = L.ToString(base + 1)
			shift = 2
		}
		if top > base {
			// string.format(reason, args...) formats the message; 2.6
			// leaves the reason as it is when string.format is gone.
			L.GetGlobal("string")
			if L.IsTable(-1) {
				L.RawGetField(-1, "format")
				if !L.IsNil(-1) {
					L.PushString(reason)
					for i := base + shift; i <= top; i++ {
						L.PushValue(i)
					}
					L.Call(top-base-shift+2, 1)
					reason, _ = L.ToString(-1)
				}
			}
			L.SetTop(top)
		} else if strings.IndexByte(reason, '%') >= 0 {
			return nil
		}
	case top == base && t == lua.TypeTable:
		if err := L.GetField(base, "code"); err == nil && !L.IsNil(-1) {
			e.Code = luaCode(L.ToNumber(-1))
		}
		if err := L.GetField(base, "reason"); err == nil {
			reason, _ = L.ToString(-1)
		}
		if err := L.GetField(base, "type"); err == nil && !L.IsNil(-1) {
			// Any type, a class's name included, makes a CustomError;
			// a value with no string form (lua_tostring's NULL) none.
			if typ, ok := L.ToString(-1); ok {
				e.Type, e.CustomType = "CustomError", typ
			}
		}
		L.SetTop(top)
	default:
		return nil
	}
	e.Message = boxerr.Truncate(reason)
	e.File, e.Line = L.CallerPosition(1)
	boxerr.Made()
	return e
}

// luaCode converts a Lua number to an error code as 2.6's C cast of a
// double to uint32_t does for the values that occur: integers modulo 2^32.
func luaCode(f float64) boxerr.Code {
	return boxerr.Code(uint32(int64(f)))
}

// luajitError is the error 2.6 makes of a Lua error that is not a box
// error (luaT_toerror): a LuajitError with the value's string form,
// created at utils.c's line 1005.
func luajitError(msg string) *boxerr.Error {
	return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError", Message: boxerr.Truncate(msg),
		File: "./src/lua/utils.c", Line: 1005}
}
