package luabox

import (
	"errors"
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/msgpack"
)

// Call runs the global Lua function name (a dotted path, with an optional
// final ":method" that passes the object as self, as Tarantool resolves
// CALL names) with the msgpack array args. It returns the number of
// results and their msgpack encodings, concatenated; with call16 every
// result is shaped as a tuple, as IPROTO_CALL_16 does.
func (rt *Runtime) Call(fc *FiberCtx, name string, args []byte, call16 bool) (int, []byte, error) {
	rt.Refresh()
	L := fc.L
	base := L.GetTop()
	defer L.SetTop(base)
	// Access first, as box_process_call: a user without the right to
	// call a function learns nothing of whether it exists.
	if rt.Box != nil {
		if err := rt.Box.CheckCall(fc.Sess, name); err != nil {
			return 0, nil, err
		}
	}
	fn, self, ok := rt.resolve(L, name)
	if !ok {
		return 0, nil, boxerr.New(boxerr.ER_NO_SUCH_PROC, name)
	}
	L.Push(fn)
	nargs := 0
	if self != nil {
		L.Push(self)
		nargs++
	}
	n, err := rt.pushArgs(L, args)
	if err != nil {
		return 0, nil, err
	}
	nargs += n
	if err := L.PCall(nargs, lua.MultRet, nil); err != nil {
		return 0, nil, rt.ErrorOf(err)
	}
	rt.Refresh()
	return rt.encodeResults(L, base, call16)
}

// Eval runs expr as a Lua chunk with args as its varargs.
func (rt *Runtime) Eval(fc *FiberCtx, expr string, args []byte) (int, []byte, error) {
	rt.Refresh()
	if rt.Box != nil {
		// EVAL needs execute on universe in Tarantool 2.6.
		if err := rt.Box.CheckAccess(fc.Sess, "universe", 0, box.AccessExecute); err != nil {
			return 0, nil, err
		}
	}
	L := fc.L
	base := L.GetTop()
	defer L.SetTop(base)
	proto, err := rt.compileEval(expr)
	if err != nil {
		return 0, nil, &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "LuajitError", Message: SyntaxMessage(err)}
	}
	L.Push(L.NewFunctionFromProto(proto))
	n, err := rt.pushArgs(L, args)
	if err != nil {
		return 0, nil, err
	}
	if err := L.PCall(n, lua.MultRet, nil); err != nil {
		return 0, nil, rt.ErrorOf(err)
	}
	rt.Refresh()
	return rt.encodeResults(L, base, false)
}

// resolve finds a function by a CALL name such as "f", "mod.f" or
// "box.space.test:select".
func (rt *Runtime) resolve(L *lua.LState, name string) (fn lua.LValue, self lua.LValue, ok bool) {
	path, method := name, ""
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		path, method = name[:i], name[i+1:]
	}
	var cur lua.LValue = L.Get(lua.GlobalsIndex)
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return nil, nil, false
		}
		next := L.GetField(cur, part)
		if next == lua.LNil {
			return nil, nil, false
		}
		cur = next
	}
	if method != "" {
		m := L.GetField(cur, method)
		if m == lua.LNil {
			return nil, nil, false
		}
		return m, cur, true
	}
	switch cur.Type() {
	case lua.LTFunction:
		return cur, nil, true
	case lua.LTTable, lua.LTUserData:
		if mt, ok := L.GetMetatable(cur).(*lua.LTable); ok && mt.RawGetString("__call") != lua.LNil {
			return cur, nil, true
		}
	}
	return nil, nil, false
}

// pushArgs decodes a msgpack array of arguments onto the stack.
func (rt *Runtime) pushArgs(L *lua.LState, args []byte) (int, error) {
	if len(args) == 0 {
		return 0, nil
	}
	cnt, pos, err := msgpack.ReadArrayHeader(args)
	if err != nil {
		return 0, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
	}
	for i := uint32(0); i < cnt; i++ {
		v, n, err := luaconv.Decode(L, args[pos:])
		if err != nil {
			return 0, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet body")
		}
		L.Push(v)
		pos += n
	}
	return int(cnt), nil
}

// encodeResults encodes the values above base.
func (rt *Runtime) encodeResults(L *lua.LState, base int, call16 bool) (int, []byte, error) {
	top := L.GetTop()
	var out []byte
	var err error
	count := 0
	for i := base + 1; i <= top; i++ {
		v := L.Get(i)
		if !call16 {
			if out, err = luaconv.Encode(out, v); err != nil {
				return 0, nil, boxerr.From(err)
			}
			count++
			continue
		}
		n := 0
		if out, n, err = rt.encodeCall16(L, out, v); err != nil {
			return 0, nil, boxerr.From(err)
		}
		count += n
	}
	return count, out, nil
}

// encodeCall16 shapes one CALL_16 result as tuples: a tuple stays a tuple,
// a table of tables gives one tuple per element, a table is one tuple, a
// scalar v becomes [v].
func (rt *Runtime) encodeCall16(L *lua.LState, out []byte, v lua.LValue) ([]byte, int, error) {
	switch x := v.(type) {
	case *lua.LUserData:
		if lt, ok := x.Value.(*luaTuple); ok {
			return append(out, lt.t.Data()...), 1, nil
		}
	case *lua.LTable:
		first := x.RawGetInt(1)
		if isTupleLike(first) {
			n := 0
			var err error
			for i := 1; i <= x.Len(); i++ {
				e := x.RawGetInt(i)
				if ud, ok := e.(*lua.LUserData); ok {
					if lt, ok := ud.Value.(*luaTuple); ok {
						out = append(out, lt.t.Data()...)
						n++
						continue
					}
				}
				if _, ok := e.(*lua.LTable); ok {
					out, err = luaconv.Encode(out, e)
				} else {
					out, err = luaconv.Encode(msgpack.AppendArrayHeader(out, 1), e)
				}
				if err != nil {
					return nil, 0, err
				}
				n++
			}
			return out, n, nil
		}
		b, err := luaconv.Encode(out, x)
		return b, 1, err
	}
	b, err := luaconv.Encode(msgpack.AppendArrayHeader(out, 1), v)
	return b, 1, err
}

func isTupleLike(v lua.LValue) bool {
	switch x := v.(type) {
	case *lua.LTable:
		return true
	case *lua.LUserData:
		_, ok := x.Value.(*luaTuple)
		return ok
	}
	return false
}

// gopher-lua reports "chunk line:N(column:M) near 'tok':   syntax error";
// Lua 5.1 (and so Tarantool) says "chunk:N: unexpected symbol near 'tok'".
var syntaxRE = regexp.MustCompile(`^(.*) line:(\d+)\(column:\d+\) near '(.*)':\s+syntax error`)

// SyntaxMessage renders a compile error the way Lua 5.1 prints it.
func SyntaxMessage(err error) string {
	msg := err.Error()
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg = lua.LVAsString(ae.Object)
	}
	msg = strings.TrimSpace(msg)
	if m := syntaxRE.FindStringSubmatch(msg); m != nil {
		tok := m[3]
		if tok == "" || tok == "EOF" {
			tok = "<eof>"
			return m[1] + ":" + m[2] + ": unexpected symbol near " + tok
		}
		return m[1] + ":" + m[2] + ": unexpected symbol near '" + tok + "'"
	}
	return msg
}

// evalCacheSize bounds the compiled EVAL expressions kept: clients send
// the same few expressions over and over, and compiling costs more than
// running them.
const evalCacheSize = 512

// compileEval returns the compiled chunk of an EVAL expression. A
// FunctionProto is immutable once compiled, so one may back any number of
// closures; the cache is touched only under the baton.
func (rt *Runtime) compileEval(expr string) (*lua.FunctionProto, error) {
	if p, ok := rt.evalCache[expr]; ok {
		return p, nil
	}
	chunk, err := parse.Parse(strings.NewReader(expr), "eval")
	if err != nil {
		return nil, err
	}
	p, err := lua.Compile(chunk, "eval")
	if err != nil {
		return nil, err
	}
	if rt.evalCache == nil || len(rt.evalCache) >= evalCacheSize {
		rt.evalCache = make(map[string]*lua.FunctionProto, evalCacheSize)
	}
	rt.evalCache[expr] = p
	return p, nil
}
