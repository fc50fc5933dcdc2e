package luamod

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/spindledb/spindle/internal/lua"
)

// The console's YAML output (console.lua output_handlers.yaml over
// console.c lbox_console_format_yaml), for package console.

// ConsoleEmptyOutput is what the console prints for a request with no
// results.
const ConsoleEmptyOutput = "---\n...\n"

// consoleExceptionPrefix is how console.lua reports a serializer failure.
const consoleExceptionPrefix = "console: an exception occurred when formatting the output: "

// consoleSerializer is console.c's serializer_yaml: a yaml serializer of
// its own (yaml.cfg does not touch it) with encode_invalid_numbers,
// encode_load_metatables, encode_use_tostring and encode_invalid_as_nil
// on. It is never changed after creation, so every VM may share it.
var consoleSerializer = sync.OnceValue(func() *lua.Serializer {
	s := newYAMLSerializer()
	o := s.Options()
	o.EncodeInvalidNumbers = true
	o.EncodeLoadMetatables = true
	o.EncodeUseToString = true
	o.EncodeInvalidAsNil = true
	s.SetOptions(o)
	return s
})

// ConsoleFormat renders the values L[from..top] the way Tarantool's
// console prints the results of a request: one YAML document holding a
// sequence of the values, nil shown as null; no values give
// ConsoleEmptyOutput. When a value cannot be serialized (its __serialize
// raised) the result is the console's error document for the exception.
// The stack is left as it was. L is called outside any Function (from
// Go, holding the baton); Lua errors never escape.
func ConsoleFormat(L lua.State, from int) string {
	top := L.GetTop()
	if from > top {
		return ConsoleEmptyOutput
	}
	defer L.SetTop(top)
	// lbox_console_format_yaml: a fresh table of the values, nil
	// replaced by box.NULL, encoded as one document.
	L.CreateTable(top-from+1, 0)
	for i := from; i <= top; i++ {
		if L.IsNil(i) {
			L.PushNull()
		} else {
			L.PushValue(i)
		}
		L.RawSetI(-2, i-from+1)
	}
	out, err := consoleEncode(L, -1)
	if err != nil {
		L.SetTop(top)
		return ConsoleFormatErrorMessage(L, consoleExceptionPrefix+err.Error())
	}
	return out
}

// ConsoleFormatError renders the error value at idx (what pcall
// returned) as the console does for a failed request:
// "---\n- error: <value>\n...\n", nil shown as null. The stack is left
// as it was.
func ConsoleFormatError(L lua.State, idx int) string {
	idx = L.AbsIndex(idx)
	top := L.GetTop()
	defer L.SetTop(top)
	if L.IsNil(idx) {
		L.PushNull()
	} else {
		L.PushValue(idx)
	}
	return consoleFormatErrorTop(L)
}

// ConsoleFormatErrorMessage renders the error message msg as the
// console's error document.
func ConsoleFormatErrorMessage(L lua.State, msg string) string {
	top := L.GetTop()
	defer L.SetTop(top)
	L.PushString(msg)
	return consoleFormatErrorTop(L)
}

// consoleFormatErrorTop formats {{error = <top>}} and pops the value.
func consoleFormatErrorTop(L lua.State) string {
	L.CreateTable(1, 0)
	L.CreateTable(0, 1)
	L.PushValue(-3)
	L.RawSetField(-2, "error")
	L.RawSetI(-2, 1)
	out, err := consoleEncode(L, -1)
	if err != nil {
		// console.lua would raise out of its output handler here; the
		// session prints the failure instead of ending.
		L.Pop(2)
		out = ConsoleFormatGo(map[string]any{"error": consoleExceptionPrefix + err.Error()})
	}
	return out
}

// consoleEncode is lua_yaml_encode with the console's serializer, outside
// any Function: errors come back as Go errors.
func consoleEncode(L lua.State, idx int) (string, error) {
	s := consoleSerializer()
	data, err := L.EncodeView(idx, s)
	if err != nil {
		return "", err
	}
	return yamlDump(data, s.Options(), nil)
}

// ConsoleFormatGo renders Go values the way ConsoleFormat prints the
// equivalent Lua values, without a Lua state (the console's backslash
// commands): nil, bool, string, integers, float64, []any and
// map[string]any (keys in sorted order, where Lua's would be its table
// order). Other types panic: callers pass literals.
func ConsoleFormatGo(values ...any) string {
	if len(values) == 0 {
		return ConsoleEmptyOutput
	}
	data := consoleMsgpack(nil, values)
	out, err := yamlDump(data, consoleSerializer().Options(), nil)
	if err != nil {
		panic("luamod: ConsoleFormatGo: " + err.Error())
	}
	return out
}

// consoleMsgpack appends the MessagePack of a Go value.
func consoleMsgpack(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 0xc0)
	case bool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case int:
		return consoleMsgpackInt(b, int64(x))
	case int64:
		return consoleMsgpackInt(b, x)
	case uint64:
		return append(b, 0xcf, byte(x>>56), byte(x>>48), byte(x>>40), byte(x>>32), byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			// luaL_tofield prints an integral Lua number as an integer.
			return consoleMsgpackInt(b, int64(x))
		}
		u := math.Float64bits(x)
		return append(b, 0xcb, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	case string:
		n := len(x)
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		return append(b, x...)
	case []any:
		n := len(x)
		b = append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		for _, c := range x {
			b = consoleMsgpack(b, c)
		}
		return b
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := len(x)
		b = append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		for _, k := range keys {
			b = consoleMsgpack(b, k)
			b = consoleMsgpack(b, x[k])
		}
		return b
	}
	panic(fmt.Sprintf("luamod: ConsoleFormatGo: unsupported %T", v))
}

func consoleMsgpackInt(b []byte, v int64) []byte {
	u := uint64(v)
	if v >= 0 {
		return append(b, 0xcf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	return append(b, 0xd3, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}
