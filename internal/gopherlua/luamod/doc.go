// Package luamod provides Tarantool 2.6's built-in Lua modules for
// gopher-lua as preloads: json, yaml, msgpack, digest, uuid, clock, errno,
// log, uri and fio, plus os.environ. Preload registers all of them; each also has
// its own PreloadXxx.
//
// What it owns: the Lua-facing behaviour of those modules — argument
// checks, Tarantool's error messages (including the "builtin/xxx.lua:N:"
// prefixes of modules Tarantool writes in Lua), json's cjson formatting
// and parser, and Spindle's one YAML encoder: YAMLEncode is lua-yaml's
// dumper (yaml_dump.go) over a port of libyaml 0.2.5's emitter
// (yaml_emit.go), byte for byte. yaml.encode and the console's output
// formatter (package console, which differs only in serializer options
// and in wrapping its values in one sequence) both use it; it is
// hand-written because no Go YAML library reproduces libyaml's quoting,
// folding at 80 columns, escapes and anchors. Value classification and
// MessagePack live in package luaconv.
//
// uri (uri.go) runs Tarantool's Ragel grammar of src/lib/uri/uri.rl
// (uri_grammar.go) on a small engine with Ragel's action semantics
// (uri_machine.go): actions of every alternative still alive on a byte
// run in ordinal order, which is what gives parse('http://') its host
// 'http' and plain paths their Unix-socket markers. uri.format keeps
// Tarantool's 1024-byte buffer behaviour for long results.
//
// fio (fio.go) calls the system directly. Tarantool runs fio calls in a
// thread pool and yields the calling fiber; here they run synchronously
// and block the Lua state for their duration. Failures are returned as
// nil (or false) plus a SystemError "fio: <strerror>" wrapped by
// Options.NewError (DefaultErrorObject when nil); usage errors of
// Tarantool's C functions carry the calling Lua line, as LuaJIT's
// luaL_error does, and those of builtin/fio.lua its line numbers.
// Handles are userdata (Tarantool's are cdata); a handle dropped without
// close is closed by a Go finalizer.
//
// Invariants:
//
//   - Output is deterministic: tables are walked in gopher-lua's insertion
//     order. The one known difference from Tarantool is the order of keys
//     of multi-key maps (LuaJIT hash order).
//   - Lua errors raised by these modules carry no position prefix unless
//     Tarantool's do, so pcall messages compare equal.
//   - YAML style choices follow Tarantool's sources, not YAML semantics:
//     strings LuaJIT reads as numbers and lua-yaml's null/boolean words
//     are quoted; strings failing utf8_check_printable (whose ICU
//     u_isprint we approximate with Go's Unicode 15.0 tables, the
//     version of Debian's ICU 72) become !!binary; a string is quoted
//     in "flow mode", which models libyaml's event queue, not nesting.
//     encode_max_depth does not apply (as in Tarantool); nesting beyond
//     10000 levels, which crashes Tarantool, is an error here.
//   - Numbers are float64: Tarantool's int64/uint64 cdata results
//     (clock.time64, 64-bit integers from json/msgpack) are plain numbers.
//   - yaml.decode uses gopkg.in/yaml.v3 for parsing (libyaml's parser is
//     out of scope) and applies lua-yaml's scalar rules on top; its
//     error messages are yaml.v3's, not libyaml's.
//
// What it must never do: panic on any input string, block (other than
// fio's synchronous file system calls), or touch the box layer. Logger.Log is called synchronously under the Lua baton.
package luamod
