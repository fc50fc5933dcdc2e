// Package luamod provides Tarantool 2.6's built-in Lua modules for
// gopher-lua as preloads: json, yaml, msgpack, digest, uuid, clock, errno
// and log, plus os.environ. Preload registers all of them; each also has
// its own PreloadXxx.
//
// What it owns: the Lua-facing behaviour of those modules — argument
// checks, Tarantool's error messages (including the "builtin/xxx.lua:N:"
// prefixes of modules Tarantool writes in Lua), json's cjson formatting
// and parser, and a port of the libyaml emitter paths that yaml.encode
// uses, so console output matches Tarantool byte for byte. Value
// classification and MessagePack live in package luaconv.
//
// Invariants:
//
//   - Output is deterministic: tables are walked in gopher-lua's insertion
//     order. The one known difference from Tarantool is the order of keys
//     of multi-key maps (LuaJIT hash order).
//   - Lua errors raised by these modules carry no position prefix unless
//     Tarantool's do, so pcall messages compare equal.
//   - Numbers are float64: Tarantool's int64/uint64 cdata results
//     (clock.time64, 64-bit integers from json/msgpack) are plain numbers.
//   - yaml.decode uses gopkg.in/yaml.v3 for parsing (libyaml's parser is
//     out of scope) and applies lua-yaml's scalar rules on top; its
//     error messages are yaml.v3's, not libyaml's.
//
// What it must never do: panic on any input string, block, or touch the
// box layer. Logger.Log is called synchronously under the Lua baton.
package luamod
