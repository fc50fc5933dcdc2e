package console

import (
	"strings"
	"sync"

	"github.com/spindledb/spindle/internal/lua"
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

// LuaEvaluator evaluates chunks in a Lua thread exactly as console.lua's
// local_eval does: the chunk is first compiled as "return <chunk>" so
// that a bare expression prints its values, and on a syntax error
// compiled as typed; the function then runs under pcall and its results
// (or its error) are formatted.
type LuaEvaluator struct {
	// L is the thread chunks run on.
	L lua.State
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
	base := L.GetTop()
	defer L.SetTop(base)
	// loadstring names a chunk after its source, so messages read
	// [string "return x"]:1: ... as in Tarantool.
	src := "return " + chunk
	if err := L.Load(src, src); err != nil {
		if err := L.Load(chunk, chunk); err != nil {
			return FormatError(L, err)
		}
	}
	if !L.PCallValue(0, lua.MultRet) {
		return FormatErrorValue(L, -1)
	}
	return Format(L, base+1)
}

// EvalSQL implements SQLEvaluator by calling box.execute(query) under
// pcall, as console.lua does for SQL sessions.
func (e *LuaEvaluator) EvalSQL(query string) string {
	if e.Baton != nil {
		e.Baton.Lock()
		defer e.Baton.Unlock()
	}
	L := e.L
	base := L.GetTop()
	defer L.SetTop(base)
	if err := L.Load("return box.execute(...)", "=console"); err != nil {
		return FormatError(L, err)
	}
	L.PushString(query)
	if !L.PCallValue(1, lua.MultRet) {
		return FormatErrorValue(L, -1)
	}
	return Format(L, base+1)
}

// parser is a LuaJIT state of its own for completeness checks, which must
// not need the tx baton.
var parser struct {
	sync.Mutex
	vm *lua.VM
}

// IsCompleteLua reports whether buf is a complete Lua request
// (console.lua local_check_lua): it compiles, or fails for a reason other
// than reaching the end of input, or compiles with "return " prepended
// (inputs such as "(42\n)"). An incomplete request makes the local
// console ask for another line.
func IsCompleteLua(buf string) bool {
	parser.Lock()
	defer parser.Unlock()
	if parser.vm == nil {
		vm, err := lua.NewVM()
		if err != nil {
			return true
		}
		parser.vm = vm
	}
	L := parser.vm.Main()
	defer L.SetTop(0)
	err := L.Load(buf, buf)
	if err == nil || !strings.HasSuffix(err.Error(), " near '<eof>'") {
		return true
	}
	return L.Load("return "+buf, buf) == nil
}
