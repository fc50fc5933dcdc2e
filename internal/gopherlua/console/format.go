package console

import (
	"errors"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	"github.com/spindledb/spindle/internal/gopherlua/luamod"
	lua "github.com/yuin/gopher-lua"
)

// EmptyOutput is what the console prints for a request with no results.
const EmptyOutput = "---\n...\n"

// formatterConfig is the console's YAML serializer (console.c
// serializer_yaml): defaults plus encode_invalid_numbers,
// encode_load_metatables, encode_use_tostring and encode_invalid_as_nil.
func formatterConfig() luaconv.Config {
	cfg := luaconv.DefaultConfig()
	cfg.EncodeInvalidNumbers = true
	cfg.EncodeLoadMetatables = true
	cfg.EncodeUseToString = true
	cfg.EncodeInvalidAsNil = true
	return cfg
}

// formatExceptionPrefix is how console.lua reports a serializer failure.
const formatExceptionPrefix = "console: an exception occurred when formatting the output: "

// Format renders values the way Tarantool's console prints the results of
// a request (console.lua output_handlers.yaml with status true): one YAML
// document holding a sequence of the values, nil shown as null. No values
// give "---\n...\n". If a value cannot be serialized (a __serialize
// function raised an error) the output is the console's error document.
// L must be the state the values belong to and must not be used
// concurrently (callers hold the baton).
func Format(L *lua.LState, values []lua.LValue) string {
	if len(values) == 0 {
		return EmptyOutput
	}
	out, err := formatValues(L, values)
	if err != nil {
		return formatErrorValue(L, lua.LString(formatExceptionPrefix+err.Error()))
	}
	return out
}

// FormatError renders a failed request the way the console does
// (output_handlers.yaml with status false): "---\n- error: <err>\n...\n".
// A *lua.ApiError contributes its Lua error value, so error objects and
// tables raised with error() print as Tarantool prints them; any other
// error contributes its message. A nil error prints "error: null".
func FormatError(L *lua.LState, err error) string {
	if err == nil {
		return formatErrorValue(L, lua.LNil)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return formatErrorValue(L, apiErr.Object)
	}
	return formatErrorValue(L, lua.LString(err.Error()))
}

// FormatErrorValue renders the error value v (what pcall returned) as the
// console's error document.
func FormatErrorValue(L *lua.LState, v lua.LValue) string {
	return formatErrorValue(L, v)
}

func formatErrorValue(L *lua.LState, v lua.LValue) string {
	if v == nil {
		v = lua.LNil
	}
	t := L.NewTable()
	if v == lua.LNil {
		v = luaconv.NULL(L)
	}
	t.RawSetString("error", v)
	out, err := formatValues(L, []lua.LValue{t})
	if err != nil {
		// console.lua would raise here; print the failure instead of
		// losing the session.
		t.RawSetString("error", lua.LString(formatExceptionPrefix+err.Error()))
		out, _ = formatValues(L, []lua.LValue{t})
	}
	return out
}

// formatValues is lbox_console_format_yaml: the values, nil replaced by
// box.NULL, become the items of one fresh table, encoded as a single
// document by yaml.encode's encoder with the console's serializer. L may
// be nil when the values hold no nil and need no Lua code.
func formatValues(L *lua.LState, values []lua.LValue) (string, error) {
	t := &lua.LTable{Metatable: lua.LNil}
	for i, v := range values {
		if v == nil || v == lua.LNil {
			v = luaconv.NULL(L)
		}
		t.RawSetInt(i+1, v)
	}
	cfg := formatterConfig()
	return luamod.YAMLEncode(L, &cfg, t, "", "")
}

// formatGo formats Go values (string, bool, []any, map[string]any with a
// single key) the way Format prints the equivalent Lua values; it serves
// the backslash commands, which need no Lua state.
func formatGo(values []any) string {
	lv := make([]lua.LValue, len(values))
	for i, v := range values {
		lv[i] = goValue(v)
	}
	out, err := formatValues(nil, lv)
	if err != nil {
		// Plain tables, strings and booleans always encode.
		panic("console: formatGo: " + err.Error())
	}
	return out
}

func formatGoError(msg string) string {
	return formatGo([]any{map[string]any{"error": msg}})
}

// goValue builds the plain Lua value (no metatables, no Lua state) for a
// Go value formatGo accepts.
func goValue(v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case []any:
		t := &lua.LTable{Metatable: lua.LNil}
		for i, c := range x {
			t.RawSetInt(i+1, goValue(c))
		}
		return t
	case map[string]any:
		t := &lua.LTable{Metatable: lua.LNil}
		for k, c := range x {
			t.RawSetString(k, goValue(c))
		}
		return t
	}
	panic("console: formatGo: unsupported value")
}
