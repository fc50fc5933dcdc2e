package lua

/*
#cgo CFLAGS: -I/usr/include/luajit-2.1 -O2 -Wall -Wno-unused-function
#cgo LDFLAGS: -l:libluajit-5.1.a -lm -ldl -rdynamic
#include <stdio.h>
#include <stdlib.h>
#include "sp.h"

static void sp_fflush(void) { fflush(NULL); }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Type is a Lua value type as lua_type reports it.
type Type int

// Lua value types; TypeCdata is LuaJIT's cdata.
const (
	TypeNone          Type = -1
	TypeNil           Type = 0
	TypeBoolean       Type = 1
	TypeLightUserdata Type = 2
	TypeNumber        Type = 3
	TypeString        Type = 4
	TypeTable         Type = 5
	TypeFunction      Type = 6
	TypeUserdata      Type = 7
	TypeThread        Type = 8
	TypeCdata         Type = 10
)

// Pseudo-indices and call constants.
const (
	RegistryIndex = int(C.LUA_REGISTRYINDEX)
	GlobalsIndex  = int(C.LUA_GLOBALSINDEX)
	MultRet       = int(C.LUA_MULTRET)
	RefNil        = int(C.LUA_REFNIL)
	NoRef         = int(C.LUA_NOREF)
)

// UpvalueIndex is lua_upvalueindex.
func UpvalueIndex(i int) int { return GlobalsIndex - i }

// Function is a Go function callable from Lua. It reads its arguments
// from L's stack, pushes its results and returns their count. It raises
// a Lua error with L.Raise, L.Errorf, L.ArgError and the like, which do
// not return.
type Function func(L State) int

// VM is one Lua universe: LuaJIT's global state, with the Go functions
// it may call. It is not safe for concurrent use: callers serialize all
// access (Spindle's tx baton), though the goroutine (and OS thread) that
// touches it may change between calls.
type VM struct {
	id    int
	main  State
	funcs []Function // by id; 0 is never used
	free  []uint64
	buf   *C.struct_sp_buf // scratch encoding buffer (C memory)

	// ErrorOf converts the error value on top of the stack into a Go
	// error (box.error objects into *boxerr.Error); nil leaves errors as
	// *Error with the value's string form.
	ErrorOf func(L State) error
	// Panic receives the message of a Go panic inside a Function, which
	// becomes a Lua error instead of unwinding through C frames.
	Panic func(msg string, stack []byte)

	objects    map[uint64]object // ObjectType values by id
	nextObject uint64

	closed bool
}

var vms struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*VM]
}

func vmByID(id uint64) *VM {
	return (*vms.list.Load())[id]
}

// NewVM creates a Lua universe with LuaJIT's standard libraries open.
func NewVM() (*VM, error) {
	vms.mu.Lock()
	var list []*VM
	if p := vms.list.Load(); p != nil {
		list = append(list, *p...)
	}
	vm := &VM{id: len(list), funcs: make([]Function, 1, 256)}
	list = append(list, vm)
	vms.list.Store(&list)
	vms.mu.Unlock()
	p := C.sp_newstate(C.int(vm.id))
	if p == nil {
		return nil, errors.New("lua: cannot create a LuaJIT state (or its cdata layout is not the one this build expects)")
	}
	vm.main = State{p: p, vm: vm}
	vm.buf = (*C.struct_sp_buf)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_sp_buf{}))))
	return vm, nil
}

// Main returns the main thread's state.
func (vm *VM) Main() State { return vm.main }

// Close frees the universe; every State of it becomes invalid.
func (vm *VM) Close() {
	if vm.closed {
		return
	}
	vm.closed = true
	C.sp_close(vm.main.p)
	C.sp_buf_free(vm.buf)
	C.free(unsafe.Pointer(vm.buf))
	vm.funcs = nil
}

// MemUsed returns the bytes the Lua heap holds.
func (vm *VM) MemUsed() int64 { return int64(C.sp_memused(vm.main.p)) }

func (vm *VM) register(f Function) uint64 {
	if n := len(vm.free); n > 0 {
		id := vm.free[n-1]
		vm.free = vm.free[:n-1]
		vm.funcs[id] = f
		return id
	}
	vm.funcs = append(vm.funcs, f)
	return uint64(len(vm.funcs) - 1)
}

//export spindleGoRelease
func spindleGoRelease(vmID, id C.uint64_t) {
	vm := vmByID(uint64(vmID))
	if vm.funcs == nil || int(id) >= len(vm.funcs) {
		return
	}
	vm.funcs[id] = nil
	vm.free = append(vm.free, uint64(id))
}

//export spindleLuaPanic
func spindleLuaPanic(msg *C.char) {
	panic("lua: unprotected error: " + C.GoString(msg))
}

// raised is the panic value of L.Raise: the error value waits in the
// registry while Go frames unwind to the trampoline.
type raised struct{ ref C.int }

//export spindleGoCall
func spindleGoCall(p *C.lua_State, vmID, id C.uint64_t) (n C.int) {
	vm := vmByID(uint64(vmID))
	L := State{p: p, vm: vm}
	f := vm.funcs[id]
	defer func() {
		if r := recover(); r != nil {
			n = L.recovered(r)
		}
	}()
	return C.int(f(L))
}

func (L State) recovered(r any) C.int {
	if e, ok := r.(raised); ok {
		C.lua_rawgeti(L.p, C.LUA_REGISTRYINDEX, e.ref)
		C.luaL_unref(L.p, C.LUA_REGISTRYINDEX, e.ref)
		return -1
	}
	msg := fmt.Sprint(r)
	if L.vm.Panic != nil {
		L.vm.Panic(msg, debug.Stack())
	}
	L.PushString("internal error: " + msg)
	return -1
}

// State is a Lua thread: the main one, a fiber's, or a coroutine that
// called into Go. It is a small value; copies refer to the same thread.
type State struct {
	p  *C.lua_State
	vm *VM
}

// VM returns the universe L belongs to.
func (L State) VM() *VM { return L.vm }

// Ptr identifies the thread (for maps keyed by thread).
func (L State) Ptr() uintptr { return uintptr(unsafe.Pointer(L.p)) }

// NewThread pushes a new thread and returns it.
func (L State) NewThread() State {
	return State{p: C.lua_newthread(L.p), vm: L.vm}
}

// ToThread returns the thread at idx.
func (L State) ToThread(idx int) (State, bool) {
	t := C.lua_tothread(L.p, C.int(idx))
	return State{p: t, vm: L.vm}, t != nil
}

// XMove moves n values from L's top to to's.
func (L State) XMove(to State, n int) { C.lua_xmove(L.p, to.p, C.int(n)) }

// --- stack --------------------------------------------------------------

func (L State) GetTop() int           { return int(C.lua_gettop(L.p)) }
func (L State) SetTop(n int)          { C.lua_settop(L.p, C.int(n)) }
func (L State) Pop(n int)             { C.lua_settop(L.p, C.int(-n-1)) }
func (L State) PushValue(idx int)     { C.lua_pushvalue(L.p, C.int(idx)) }
func (L State) Remove(idx int)        { C.lua_remove(L.p, C.int(idx)) }
func (L State) Insert(idx int)        { C.lua_insert(L.p, C.int(idx)) }
func (L State) Replace(idx int)       { C.lua_replace(L.p, C.int(idx)) }
func (L State) CheckStack(n int) bool { return C.lua_checkstack(L.p, C.int(n)) != 0 }

// AbsIndex turns a negative stack index into a positive one.
func (L State) AbsIndex(idx int) int {
	if idx < 0 && idx > RegistryIndex {
		return L.GetTop() + idx + 1
	}
	return idx
}

// --- push ---------------------------------------------------------------

func (L State) PushNil()             { C.lua_pushnil(L.p) }
func (L State) PushNumber(v float64) { C.lua_pushnumber(L.p, C.lua_Number(v)) }
func (L State) PushInt(v int)        { C.lua_pushnumber(L.p, C.lua_Number(v)) }
func (L State) PushNull()            { C.sp_pushnull(L.p) }
func (L State) PushInt64(v int64)    { C.sp_pushint64(L.p, C.int64_t(v)) }
func (L State) PushUint64(v uint64)  { C.sp_pushuint64(L.p, C.uint64_t(v)) }

func (L State) PushBool(v bool) {
	b := C.int(0)
	if v {
		b = 1
	}
	C.lua_pushboolean(L.p, b)
}

func (L State) PushString(s string) {
	C.lua_pushlstring(L.p, (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s)))
}

func (L State) PushBytes(b []byte) {
	C.lua_pushlstring(L.p, (*C.char)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b)))
}

// PushFunction pushes f as a Lua function. The function's slot is
// released when Lua collects it.
func (L State) PushFunction(f Function) {
	C.sp_push_gofunction(L.p, C.uint64_t(L.vm.register(f)))
}

// CFunction is a C function callable from Lua (lua_CFunction).
type CFunction = C.lua_CFunction

// PushCFunction pushes a C closure of f with n upvalues from the top.
func (L State) PushCFunction(f CFunction, n int) { C.lua_pushcclosure(L.p, f, C.int(n)) }

// --- types and reads ----------------------------------------------------

func (L State) Type(idx int) Type { return Type(C.lua_type(L.p, C.int(idx))) }

// TypeName is lua_typename of the value at idx ("cdata" for cdata).
func (L State) TypeName(idx int) string { return L.Type(idx).String() }

func (t Type) String() string {
	switch t {
	case TypeNone:
		return "no value"
	case TypeNil:
		return "nil"
	case TypeBoolean:
		return "boolean"
	case TypeLightUserdata, TypeUserdata:
		return "userdata"
	case TypeNumber:
		return "number"
	case TypeString:
		return "string"
	case TypeTable:
		return "table"
	case TypeFunction:
		return "function"
	case TypeThread:
		return "thread"
	case TypeCdata:
		return "cdata"
	}
	return "?"
}

func (L State) IsNone(idx int) bool      { return L.Type(idx) == TypeNone }
func (L State) IsNil(idx int) bool       { return L.Type(idx) == TypeNil }
func (L State) IsNoneOrNil(idx int) bool { return L.Type(idx) <= TypeNil }
func (L State) IsTable(idx int) bool     { return L.Type(idx) == TypeTable }
func (L State) IsFunction(idx int) bool  { return L.Type(idx) == TypeFunction }

// IsNull reports box.NULL (a cdata NULL pointer).
func (L State) IsNull(idx int) bool { return C.sp_isnull(L.p, C.int(idx)) != 0 }

// IsNilOrNull reports nil, none or box.NULL.
func (L State) IsNilOrNull(idx int) bool { return L.IsNoneOrNil(idx) || L.IsNull(idx) }

// IsNumber is lua_isnumber: a number or a string convertible to one.
func (L State) IsNumber(idx int) bool { return C.lua_isnumber(L.p, C.int(idx)) != 0 }

// IsString is lua_isstring: a string or a number.
func (L State) IsString(idx int) bool { return C.lua_isstring(L.p, C.int(idx)) != 0 }

func (L State) ToNumber(idx int) float64 { return float64(C.lua_tonumber(L.p, C.int(idx))) }
func (L State) ToBool(idx int) bool      { return C.lua_toboolean(L.p, C.int(idx)) != 0 }

// ToString returns the string at idx, converting a number in place as
// lua_tolstring does; "" and false for other types.
func (L State) ToString(idx int) (string, bool) {
	var n C.size_t
	s := C.lua_tolstring(L.p, C.int(idx), &n)
	if s == nil {
		return "", false
	}
	return C.GoStringN(s, C.int(n)), true
}

// ToBytesView returns the bytes of the string at idx without copying.
// They stay valid while the string stays reachable; callers must not
// modify them or keep them past the value's lifetime.
func (L State) ToBytesView(idx int) ([]byte, bool) {
	var n C.size_t
	s := C.lua_tolstring(L.p, C.int(idx), &n)
	if s == nil {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), int(n)), true
}

// ToPointer is lua_topointer (identity of tables, functions, userdata).
func (L State) ToPointer(idx int) uintptr {
	return uintptr(C.lua_topointer(L.p, C.int(idx)))
}

// ToUserdata returns the address of a userdata's block.
func (L State) ToUserdata(idx int) unsafe.Pointer { return C.lua_touserdata(L.p, C.int(idx)) }

// NewUserdata pushes a new userdata of size bytes and returns its block.
func (L State) NewUserdata(size int) unsafe.Pointer {
	return C.lua_newuserdata(L.p, C.size_t(size))
}

// Integer classifies the value at idx as an exact integer, as Tarantool
// reads keys and field numbers: a Lua number with no fraction, or an
// integer cdata. sign is 1 for u, -1 for i (negative), 0 when the value
// is not an exact integer.
func (L State) Integer(idx int) (u uint64, i int64, sign int) {
	var cu C.uint64_t
	var ci C.int64_t
	sign = int(C.sp_tointeger(L.p, C.int(idx), &cu, &ci))
	return uint64(cu), int64(ci), sign
}

// ToInt64 returns the value at idx as an int64 (numbers truncate toward
// zero; cdata integers are exact); ok is false for other types.
func (L State) ToInt64(idx int) (int64, bool) {
	switch L.Type(idx) {
	case TypeNumber:
		f := L.ToNumber(idx)
		if math.IsNaN(f) {
			return 0, false
		}
		return int64(f), true
	case TypeCdata:
		u, i, sign := L.Integer(idx)
		switch sign {
		case 1:
			return int64(u), true
		case -1:
			return i, true
		}
	}
	return 0, false
}

// CdataType returns LuaJIT's ctype id of the cdata at idx, 0 otherwise.
func (L State) CdataType(idx int) uint32 { return uint32(C.sp_cdata_ctypeid(L.p, C.int(idx))) }

// Builtin ctype ids.
const (
	CTypeInt64  = uint32(C.SP_CTID_INT64)
	CTypeUint64 = uint32(C.SP_CTID_UINT64)
	CTypeFloat  = uint32(C.SP_CTID_FLOAT)
	CTypeDouble = uint32(C.SP_CTID_DOUBLE)
)

// CdataPointer returns the payload of the cdata at idx.
func (L State) CdataPointer(idx int) unsafe.Pointer {
	return unsafe.Pointer(C.lua_topointer(L.p, C.int(idx)))
}

// --- tables -------------------------------------------------------------

func (L State) NewTable()                  { C.lua_createtable(L.p, 0, 0) }
func (L State) CreateTable(narr, nrec int) { C.lua_createtable(L.p, C.int(narr), C.int(nrec)) }
func (L State) RawGet(idx int)             { C.lua_rawget(L.p, C.int(idx)) }
func (L State) RawGetI(idx int, n int)     { C.lua_rawgeti(L.p, C.int(idx), C.int(n)) }
func (L State) RawSetI(idx int, n int)     { C.lua_rawseti(L.p, C.int(idx), C.int(n)) }
func (L State) ObjLen(idx int) int         { return int(C.lua_objlen(L.p, C.int(idx))) }
func (L State) RawEqual(a, b int) bool     { return C.lua_rawequal(L.p, C.int(a), C.int(b)) != 0 }
func (L State) GetMetatable(idx int) bool  { return C.lua_getmetatable(L.p, C.int(idx)) != 0 }
func (L State) SetMetatable(idx int)       { C.lua_setmetatable(L.p, C.int(idx)) }
func (L State) GetFenv(idx int)            { C.lua_getfenv(L.p, C.int(idx)) }
func (L State) SetFenv(idx int) bool       { return C.lua_setfenv(L.p, C.int(idx)) != 0 }
func (L State) Next(idx int) bool          { return C.lua_next(L.p, C.int(idx)) != 0 }
func (L State) RawGetField(idx int, k string) {
	C.sp_rawgetfield(L.p, C.int(idx), cstr(k), C.size_t(len(k)))
}

// RawSet is lua_rawset; the key must not be nil or NaN.
func (L State) RawSet(idx int) { C.lua_rawset(L.p, C.int(idx)) }

// RawSetField sets t[k] = top (popped) without metamethods.
func (L State) RawSetField(idx int, k string) {
	C.sp_rawsetfield(L.p, C.int(idx), cstr(k), C.size_t(len(k)))
}

// GetField pushes t[k], honouring __index; a raising metamethod becomes
// the returned error (and nil is pushed).
func (L State) GetField(idx int, k string) error {
	if rc := C.sp_pgetfield(L.p, C.int(idx), cstr(k), C.size_t(len(k))); rc != 0 {
		err := L.popError()
		L.PushNil()
		return err
	}
	return nil
}

// SetField sets t[k] = top (popped), honouring __newindex.
func (L State) SetField(idx int, k string) error {
	if rc := C.sp_psetfield(L.p, C.int(idx), cstr(k), C.size_t(len(k))); rc != 0 {
		return L.popError()
	}
	return nil
}

// GetTable pushes t[key] with key on top (popped), honouring __index.
func (L State) GetTable(idx int) error {
	if rc := C.sp_pgettable(L.p, C.int(idx)); rc != 0 {
		err := L.popError()
		L.PushNil()
		return err
	}
	return nil
}

// SetTable sets t[key] = value, both on top (popped), honouring
// __newindex.
func (L State) SetTable(idx int) error {
	if rc := C.sp_psettable(L.p, C.int(idx)); rc != 0 {
		return L.popError()
	}
	return nil
}

// GetGlobal pushes _G[name] (raw).
func (L State) GetGlobal(name string) { C.sp_getglobal(L.p, cstr(name), C.size_t(len(name))) }

// SetGlobal sets _G[name] = top (popped, raw).
func (L State) SetGlobal(name string) { C.sp_setglobal(L.p, cstr(name), C.size_t(len(name))) }

// SetFuncs sets each Go function of fns in the table at idx.
func (L State) SetFuncs(idx int, fns map[string]Function) {
	idx = L.AbsIndex(idx)
	for name, f := range fns {
		L.PushFunction(f)
		L.RawSetField(idx, name)
	}
}

// --- references ---------------------------------------------------------

// Ref pops the top value into the registry and returns its reference.
func (L State) Ref() int { return int(C.luaL_ref(L.p, C.LUA_REGISTRYINDEX)) }

// Unref releases a reference taken by Ref.
func (L State) Unref(ref int) {
	if ref > 0 {
		C.luaL_unref(L.p, C.LUA_REGISTRYINDEX, C.int(ref))
	}
}

// PushRef pushes the value of a reference.
func (L State) PushRef(ref int) { C.lua_rawgeti(L.p, C.LUA_REGISTRYINDEX, C.int(ref)) }

// --- calls and chunks ---------------------------------------------------

// Error is a Lua error as Go sees it when no ErrorOf hook claims it.
type Error struct {
	// Message is the error value's string form.
	Message string
}

func (e *Error) Error() string { return e.Message }

// popError converts and pops the error value on top.
func (L State) popError() error {
	var err error
	if L.vm.ErrorOf != nil {
		err = L.vm.ErrorOf(L)
	}
	if err == nil {
		err = &Error{Message: L.ErrorString(-1)}
	}
	L.Pop(1)
	return err
}

// ErrorString is the message of an error value: a string as is, other
// values as tostring shows them.
func (L State) ErrorString(idx int) string {
	switch L.Type(idx) {
	case TypeString, TypeNumber:
		s, _ := L.ToString(idx)
		return s
	case TypeNil:
		return "nil"
	}
	s, err := L.ToStringMeta(idx)
	if err != nil {
		return fmt.Sprintf("(error object is a %s value)", L.TypeName(idx))
	}
	return s
}

// PCall calls the function below nargs arguments in protected mode. On
// error nothing of the call is left on the stack.
func (L State) PCall(nargs, nresults int) error {
	if rc := C.lua_pcall(L.p, C.int(nargs), C.int(nresults), 0); rc != 0 {
		return L.popError()
	}
	return nil
}

// Call calls the function below nargs arguments and propagates a Lua
// error as a Raise of the same value. It may be used only inside a
// Function, where raising is allowed.
func (L State) Call(nargs, nresults int) {
	if C.lua_pcall(L.p, C.int(nargs), C.int(nresults), 0) != 0 {
		L.Raise()
	}
}

// PCallValue is PCall that leaves the error value on the stack instead
// of converting it (for pcall-like wrappers that return it to Lua).
func (L State) PCallValue(nargs, nresults int) bool {
	return C.lua_pcall(L.p, C.int(nargs), C.int(nresults), 0) == 0
}

// Load compiles chunk and pushes it as a function. name is the chunk
// name ("=stdin", "@file.lua", or the source itself).
func (L State) Load(chunk, name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if rc := C.sp_load(L.p, cstr(chunk), C.size_t(len(chunk)), cname); rc != 0 {
		return L.popError()
	}
	return nil
}

// DoString runs chunk, discarding its results.
func (L State) DoString(chunk, name string) error {
	if err := L.Load(chunk, name); err != nil {
		return err
	}
	return L.PCall(0, 0)
}

// ToStringMeta is tostring(v): __tostring and __name honoured.
func (L State) ToStringMeta(idx int) (string, error) {
	if rc := C.sp_ptostring(L.p, C.int(idx)); rc != 0 {
		return "", L.popError()
	}
	s, _ := L.ToString(-1)
	L.Pop(1)
	return s, nil
}

// --- raising errors from Functions ----------------------------------------

// Raise raises the value on top of the stack as a Lua error. It must be
// called only inside a Function (on its goroutine); it does not return.
func (L State) Raise() {
	panic(raised{ref: C.luaL_ref(L.p, C.LUA_REGISTRYINDEX)})
}

// RaiseString raises msg as is (lua_error with a string).
func (L State) RaiseString(msg string) {
	L.PushString(msg)
	L.Raise()
}

// Errorf raises a message prefixed with the caller's position, as
// luaL_error does.
func (L State) Errorf(format string, args ...any) {
	C.sp_where(L.p, 1)
	L.PushString(fmt.Sprintf(format, args...))
	C.lua_concat(L.p, 2)
	L.Raise()
}

// Where pushes "chunk:line: " of the function at level (1: the Lua
// function calling the running Go function).
func (L State) Where(level int) string {
	C.sp_where(L.p, C.int(level))
	s, _ := L.ToString(-1)
	L.Pop(1)
	return s
}

// CallerPosition returns the short source (a file chunk's name without
// its '@', shortened past LUA_IDSIZE as lua_Debug's short_src) and the
// current line of the function at level (1: the Lua function calling the
// running Go function). Empty when there is no such level.
func (L State) CallerPosition(level int) (file string, line int) {
	var f [C.LUA_IDSIZE]C.char
	var l C.int
	if C.sp_caller_position(L.p, C.int(level), &f[0], &l) == 0 {
		return "", 0
	}
	return C.GoString(&f[0]), int(l)
}

// Frame is one level of a thread's stack as fiber.info's backtrace
// shows it.
type Frame struct {
	Name   string // the name the caller gives the function, "(unnamed)"
	Source string // the chunk: "@file.lua", "=[C]"
	Line   int    // current line, -1 in a C function
}

// Frames returns the stack of L from the running function down, at most
// max levels.
func (L State) Frames(max int) []Frame {
	var out []Frame
	for level := 0; level < max; level++ {
		var name, src *C.char
		var line C.int
		if C.sp_frame(L.p, C.int(level), &name, &src, &line) == 0 {
			break
		}
		out = append(out, Frame{Name: C.GoString(name), Source: C.GoString(src), Line: int(line)})
	}
	return out
}

// ArgError raises "bad argument #n to 'name' (msg)".
func (L State) ArgError(n int, msg string) {
	C.sp_argerror_msg(L.p, C.int(n), cstr(msg), C.size_t(len(msg)))
	L.Raise()
}

// TypeError raises luaL_typerror's message.
func (L State) TypeError(n int, want string) {
	L.ArgError(n, want+" expected, got "+L.TypeName(n))
}

func (L State) CheckAny(n int) {
	if L.Type(n) == TypeNone {
		L.ArgError(n, "value expected")
	}
}

func (L State) CheckType(n int, t Type) {
	if L.Type(n) != t {
		L.TypeError(n, t.String())
	}
}

func (L State) CheckString(n int) string {
	s, ok := L.ToString(n)
	if !ok {
		L.TypeError(n, "string")
	}
	return s
}

func (L State) OptString(n int, def string) string {
	if L.IsNoneOrNil(n) {
		return def
	}
	return L.CheckString(n)
}

func (L State) CheckNumber(n int) float64 {
	v := L.ToNumber(n)
	if v == 0 && !L.IsNumber(n) {
		L.TypeError(n, "number")
	}
	return v
}

func (L State) OptNumber(n int, def float64) float64 {
	if L.IsNoneOrNil(n) {
		return def
	}
	return L.CheckNumber(n)
}

// CheckInt is luaL_checkinteger: a number truncated toward zero.
func (L State) CheckInt(n int) int {
	return int(L.CheckNumber(n))
}

func (L State) OptInt(n int, def int) int {
	if L.IsNoneOrNil(n) {
		return def
	}
	return L.CheckInt(n)
}

// --- misc ---------------------------------------------------------------

// GC runs lua_gc(what, data).
func (L State) GC(what, data int) int { return int(C.lua_gc(L.p, C.int(what), C.int(data))) }

// GC operations.
const (
	GCStop    = int(C.LUA_GCSTOP)
	GCRestart = int(C.LUA_GCRESTART)
	GCCollect = int(C.LUA_GCCOLLECT)
	GCCount   = int(C.LUA_GCCOUNT)
	GCCountB  = int(C.LUA_GCCOUNTB)
	GCStep    = int(C.LUA_GCSTEP)
)

// Equal compares two values with == (metamethods honoured); an error
// raised by __eq counts as not equal.
func (L State) Equal(a, b int) bool {
	switch C.sp_pequal(L.p, C.int(a), C.int(b)) {
	case 1:
		return true
	case -1:
		L.Pop(1)
	}
	return false
}

// Concat concatenates the n values on top (lua_concat, protected).
func (L State) Concat(n int) error {
	if C.sp_pconcat(L.p, C.int(n)) != 0 {
		return L.popError()
	}
	return nil
}

// FlushStdio flushes C stdio's buffers (io.write, io.stdout:write), so
// that output written through them comes before what Go writes next and
// is not lost when the process exits.
func FlushStdio() { C.sp_fflush() }

// cstr passes a Go string's bytes to C without copying; C must not keep
// the pointer past the call.
func cstr(s string) *C.char {
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

// Traceback returns the stack of L as debug.traceback prints it.
func (L State) Traceback(level int) string {
	top := L.GetTop()
	defer L.SetTop(top)
	L.GetGlobal("debug")
	L.RawGetField(-1, "traceback")
	if !L.IsFunction(-1) {
		return ""
	}
	L.PushString("")
	L.PushNumber(float64(level))
	if L.PCall(2, 1) != nil {
		return ""
	}
	s, _ := L.ToString(-1)
	return strings.TrimPrefix(s, "\n")
}
