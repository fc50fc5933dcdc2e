// Package luaconv converts between gopher-lua values and MessagePack the way
// Tarantool 2.6 does (src/lua/utils.c luaL_tofield, src/lua/msgpack.c), and
// owns the classification of Lua values that the json, yaml and msgpack
// modules share.
//
// What it owns:
//
//   - The NULL sentinel (box.NULL, msgpack.NULL, json.NULL, yaml.NULL are one
//     value per Lua state). Tarantool uses cdata<void *> NULL; gopher-lua has
//     no cdata, so NULL is a *lua.LUserData whose Value is an unexported
//     sentinel type. tostring(NULL) is "cdata<void *>: NULL", byte-for-byte
//     what Tarantool prints, so console and log output match. Two things
//     cannot match: type(NULL) is "userdata", not "cdata", and NULL == nil is
//     false in gopher-lua (LuaJIT compares cdata NULL equal to nil). Go code
//     must test with IsNULL.
//   - Field classification (ToField): the one place that decides whether a
//     table is an array or a map (sparse-array rules, the __serialize
//     metatable field), how a number is typed (uint, negative int, double)
//     and which Lua types cannot be serialized.
//   - Encode/Decode between Lua values and MessagePack bytes.
//
// Invariants:
//
//   - Number typing follows luaL_tofield: a finite integral value in
//     [0, 2^64) is an unsigned integer, in [-2^63, 0) a negative integer, any
//     other value a double. -0.0 is the unsigned integer 0.
//   - Tables are walked with LTable.Next, i.e. in gopher-lua's insertion
//     order, so output is deterministic. LuaJIT's hash order differs, so map
//     key order is the one observable difference from Tarantool.
//   - Decoded arrays and maps get the shared metatables {__serialize="seq"}
//     and {__serialize="map"} (Tarantool's decode_save_metatables), so an
//     empty map re-encodes as a map and YAML prints decoded arrays in flow
//     style exactly like Tarantool.
//   - Integers are LNumber (float64): values beyond 2^53 lose precision.
//     Tarantool returns uint64_t/int64_t cdata for |n| >= 1e14; gopher-lua
//     has no 64-bit integer type.
//   - Nesting is bounded: encoding stops with Tarantool's "Too high nest
//     level" error at Config.MaxDepth (128), decoding at maxDecodeDepth, so
//     cyclic tables and hostile input never exhaust the Go stack.
//
// What it must never do: panic on any input bytes or any Lua value, keep a
// reference to a decoded input buffer (strings are copied), or raise Lua
// errors itself — failures are returned as Go errors carrying Tarantool's
// message and the Lua-facing wrappers (package luamod) raise them.
package luaconv
