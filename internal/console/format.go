package console

import (
	"github.com/spindledb/spindle/internal/lua"
	"github.com/spindledb/spindle/internal/luamod"
)

// EmptyOutput is what the console prints for a request with no results.
const EmptyOutput = luamod.ConsoleEmptyOutput

// Format renders the values L[from..top] the way Tarantool's console
// prints the results of a request (console.lua output_handlers.yaml with
// status true): one YAML document holding a sequence of the values, nil
// shown as null. No values give "---\n...\n". If a value cannot be
// serialized (a __serialize function raised an error) the output is the
// console's error document. Callers hold the baton.
func Format(L lua.State, from int) string {
	return luamod.ConsoleFormat(L, from)
}

// FormatError renders a failed request the way the console does
// (output_handlers.yaml with status false): "---\n- error: <err>\n...\n",
// with the error's message.
func FormatError(L lua.State, err error) string {
	if err == nil {
		top := L.GetTop()
		defer L.SetTop(top)
		L.PushNull()
		return luamod.ConsoleFormatError(L, -1)
	}
	return luamod.ConsoleFormatErrorMessage(L, err.Error())
}

// FormatErrorValue renders the error value at idx (what pcall returned)
// as the console's error document: error objects and tables raised with
// error() print as Tarantool prints them.
func FormatErrorValue(L lua.State, idx int) string {
	return luamod.ConsoleFormatError(L, idx)
}

// formatGo formats Go values (string, bool, []any, map[string]any) the
// way Format prints the equivalent Lua values; it serves the backslash
// commands, which need no Lua state.
func formatGo(values []any) string {
	return luamod.ConsoleFormatGo(values...)
}

func formatGoError(msg string) string {
	return formatGo([]any{map[string]any{"error": msg}})
}
