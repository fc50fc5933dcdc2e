package console

import (
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Evaluator turns one complete request (a Lua chunk, or an SQL statement
// when the session language is SQL) into the YAML document the console
// prints. Implementations own locking: Eval is called from the goroutine
// that serves one console and must take the tx baton itself.
type Evaluator interface {
	Eval(chunk string) (yamlOutput string)
}

// SQLEvaluator is implemented by evaluators that can run SQL for
// "\set language sql" sessions. Without it SQL requests fail with
// Tarantool's message for a missing box.execute.
type SQLEvaluator interface {
	EvalSQL(query string) (yamlOutput string)
}

// LuaEvaluator evaluates chunks in a gopher-lua state exactly as
// console.lua's local_eval does: the chunk is first compiled as
// "return <chunk>" so that a bare expression prints its values, and on a
// syntax error compiled as typed; the function then runs under pcall and
// its results (or its error) are formatted.
type LuaEvaluator struct {
	// L is the state chunks run in.
	L *lua.LState
	// Baton, if set, is held while the chunk compiles, runs and its
	// results are formatted (Spindle's tx baton).
	Baton sync.Locker
}

var _ Evaluator = (*LuaEvaluator)(nil)
var _ SQLEvaluator = (*LuaEvaluator)(nil)

// Eval implements Evaluator.
func (e *LuaEvaluator) Eval(chunk string) string {
	if e.Baton != nil {
		e.Baton.Lock()
		defer e.Baton.Unlock()
	}
	L := e.L
	src := "return " + chunk
	stmts, err := parse.Parse(strings.NewReader(src), chunkName(src))
	if err != nil {
		src = chunk
		stmts, err = parse.Parse(strings.NewReader(src), chunkName(src))
	}
	if err != nil {
		return FormatError(L, err)
	}
	proto, err := lua.Compile(stmts, chunkName(src))
	if err != nil {
		return FormatError(L, err)
	}
	values, err := call(L, L.NewFunctionFromProto(proto))
	if err != nil {
		if isTailCallToError(stmts) {
			err = stripChunkPosition(err, chunkName(src))
		}
		return FormatError(L, err)
	}
	return Format(L, values)
}

// isTailCallToError reports whether the chunk is "return error(...)". In
// LuaJIT that call is a tail call, so the caller's frame is gone and
// error() adds no position to its message; gopher-lua keeps the frame.
func isTailCallToError(stmts []ast.Stmt) bool {
	if len(stmts) != 1 {
		return false
	}
	ret, ok := stmts[0].(*ast.ReturnStmt)
	if !ok || len(ret.Exprs) != 1 {
		return false
	}
	call, ok := ret.Exprs[0].(*ast.FuncCallExpr)
	if !ok || call.Receiver != nil {
		return false
	}
	fn, ok := call.Func.(*ast.IdentExpr)
	return ok && fn.Value == "error"
}

// stripChunkPosition removes a leading `<chunk>:<line>: ` from a string
// error value.
func stripChunkPosition(err error, chunk string) error {
	apiErr, ok := err.(*lua.ApiError)
	if !ok {
		return err
	}
	msg, ok := apiErr.Object.(lua.LString)
	if !ok || !strings.HasPrefix(string(msg), chunk+":") {
		return err
	}
	rest := string(msg[len(chunk)+1:])
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if digits == 0 || !strings.HasPrefix(rest[digits:], ": ") {
		return err
	}
	stripped := *apiErr
	stripped.Object = lua.LString(rest[digits+2:])
	return &stripped
}

// EvalSQL implements SQLEvaluator by calling box.execute(query) under
// pcall, as console.lua does for SQL sessions.
func (e *LuaEvaluator) EvalSQL(query string) string {
	if e.Baton != nil {
		e.Baton.Lock()
		defer e.Baton.Unlock()
	}
	L := e.L
	fn, err := L.Load(strings.NewReader("return box.execute(...)"), "=console")
	if err != nil {
		return FormatError(L, err)
	}
	values, err := call(L, fn, lua.LString(query))
	if err != nil {
		return FormatError(L, err)
	}
	return Format(L, values)
}

// call runs fn under pcall and returns its results.
func call(L *lua.LState, fn *lua.LFunction, args ...lua.LValue) ([]lua.LValue, error) {
	base := L.GetTop()
	defer L.SetTop(base)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		return nil, err
	}
	values := make([]lua.LValue, L.GetTop()-base)
	for i := range values {
		values[i] = L.Get(base + 1 + i)
	}
	return values, nil
}

// luaIDSize is LuaJIT's LUA_IDSIZE, the size of a chunk id buffer.
const luaIDSize = 60

// chunkName is LuaJIT's lj_debug_shortname for a loadstring source:
// `[string "<text>"]`, the text cut at the first control character or
// at 45 bytes and then followed by "...".
func chunkName(src string) string {
	n := 0
	for n < luaIDSize-12 && n < len(src) && src[n] >= ' ' {
		n++
	}
	if n < len(src) {
		if n > luaIDSize-15 {
			n = luaIDSize - 15
		}
		return `[string "` + src[:n] + `..."]`
	}
	return `[string "` + src + `"]`
}

// IsCompleteLua reports whether buf is a complete Lua request
// (console.lua local_check_lua): it compiles, or fails for a reason other
// than reaching the end of input, or compiles with "return " prepended
// (inputs such as "(42\n)"). An incomplete request makes the local
// console ask for another line.
func IsCompleteLua(buf string) bool {
	_, err := parse.Parse(strings.NewReader(buf), "=stdin")
	if err == nil || !incompleteError(err) {
		return true
	}
	_, err = parse.Parse(strings.NewReader("return "+buf), "=stdin")
	return err == nil
}

// incompleteError recognises gopher-lua's syntax errors at the end of
// input, the counterpart of LuaJIT's "near '<eof>'". An unfinished short
// string is an error at once, as in LuaJIT ("unfinished string").
func incompleteError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, " at EOF:") && !strings.Contains(msg, "unterminated string")
}
