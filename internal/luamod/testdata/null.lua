-- box.NULL (the same cdata as msgpack.NULL, json.NULL, json.null): what
-- it encodes to, decodes from, and how it compares.
local msgpack = require('msgpack')
local json = require('json')
local msgpackffi = require('msgpackffi')
local ffi = require('ffi')
local NULL = msgpack.NULL

local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end

print(NULL, type(NULL), ffi.typeof(NULL), NULL == nil, rawequal(NULL, nil), not NULL)
print(NULL == json.NULL, NULL == json.null, NULL == msgpackffi.NULL, rawequal(NULL, json.NULL))
print(hex(msgpack.encode(NULL)), hex(msgpack.encode({NULL, 1})), hex(msgpack.encode({a = NULL})))
print(hex(msgpackffi.encode(NULL)), hex(msgpackffi.encode({NULL})))
print(json.encode(NULL), json.encode({NULL, 1}), json.encode({a = NULL}), json.encode({nil, NULL}))
print(json.encode(ffi.cast('void *', 0)), json.encode(ffi.cast('const void *', 0)), pcall(json.encode, ffi.cast('char *', 0)))
print(hex(msgpack.encode(ffi.cast('void *', 0))), hex(msgpack.encode(ffi.cast('const void *', 0))))
print(pcall(msgpack.encode, ffi.cast('int *', 0)))
print(pcall(json.encode, ffi.cast('int *', 0)))
local d = msgpack.decode('\192')
print(d, d == NULL, d == nil, ffi.typeof(d))
local arr = msgpack.decode('\147\1\192\3')
print(#arr, arr[2] == NULL, arr[2] == nil, type(arr[2]))
local j = json.decode('[1,null,3]')
print(#j, j[2] == NULL, type(j[2]))
local m = json.decode('{"a":null}')
print(m.a == NULL, type(m.a))
local f = msgpackffi.decode('\146\192\192')
print(#f, f[1] == NULL, type(f[1]))
-- nil and NULL as map values and keys.
print(hex(msgpack.encode(setmetatable({}, {__serialize = 'map'}))))
local k = msgpack.decode('\129\1\192')
print(k[1] == NULL)
local ok, r = pcall(msgpack.decode, '\129\192\1') print(ok, type(r), r[NULL])
print(json.encode(setmetatable({NULL}, {__serialize = 'map'})))
print(pcall(json.encode, {[NULL] = 1}))
