// Package console is Tarantool 2.6's interactive console for Spindle: the
// local REPL, the text console protocol of console.listen, the client of
// `spindle connect`, and the YAML formatter that makes the output match
// Tarantool byte for byte.
//
// What it owns:
//
//   - Formatting (format.go). Format/FormatError render results and
//     errors as console.lua does (lbox_console_format_yaml), through
//     luamod's console formatter: the values, nil replaced by box.NULL,
//     become one fresh table encoded as a single YAML document by the
//     same encoder as yaml.encode, with the console serializer's options
//     (encode_invalid_numbers, encode_load_metatables,
//     encode_use_tostring, encode_invalid_as_nil); errors are
//     "- error: <value>". formatGo does the same for the Go values of
//     backslash commands without a Lua state. testdata/format.golden
//     holds Tarantool's own output for ~200 requests and is the
//     contract.
//   - Requests (eval.go, session.go). Evaluator is the narrow interface
//     the server implements; LuaEvaluator is the standard one (the
//     "return <chunk>" trick, pcall, formatting, an optional baton).
//     Session interprets backslash commands (\set language|delimiter|
//     output, \help, \quit) per console. IsCompleteLua decides when the
//     local console has a whole statement.
//   - Transports. REPL reads requests from a LineReader (a chzyer/readline
//     editor on a terminal, PlainReader otherwise, which prints prompt and
//     echo like GNU readline on a pipe) and prints output plus a newline.
//     Server/ServeConn speak the text protocol: a 128-byte greeting, then
//     requests ended by delimiter+"\n" or delimiter+"\r", each answered
//     with one YAML document. Remote (Dial) talks to either a text console
//     (it installs the $EOF$ delimiter with \set delimiter) or an IPROTO
//     port (EVAL of require("console").eval(...)), told apart by the
//     greeting.
//
// Invariants:
//
//   - Every output is a complete YAML document ending in "\n...\n", so
//     readers can split the stream on it.
//   - Lua runs only inside an Evaluator; LuaEvaluator holds Baton, when
//     set, for the whole compile-run-format step. Completeness checks
//     compile in a LuaJIT state of their own and need no baton.
//   - A Session, REPL or Remote is used by one goroutine at a time; a
//     Server runs one goroutine per connection, each with its own Session.
//
// What it must never do: panic on client bytes or on any Lua value (a
// failing __serialize becomes the console's exception message), keep Lua
// values beyond one request, or write anywhere but the writer or
// connection it was given (plus the history file of the line editor).
//
// Known differences from Tarantool: the LuaJIT linked here seeds its
// string hash per process, so maps with several string keys print in an
// order that differs from Tarantool's and between runs; "\set output lua"
// is refused because only YAML output exists.
package console
