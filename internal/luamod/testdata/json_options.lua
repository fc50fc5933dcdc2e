-- json: the cfg table and per-call options as luaL_serializer reads them
-- (no type errors, values stored as given), module instances, and every
-- encoder option.
local json = require('json')
local msgpack = require('msgpack')
local ffi = require('ffi')

local function keys(m)
    local t = {}
    for k, v in pairs(m) do t[#t + 1] = k .. ':' .. type(v) end
    table.sort(t)
    return table.concat(t, ' ')
end
local function cfgdump(cfg)
    local t = {}
    for k, v in pairs(cfg) do t[#t + 1] = k .. '=' .. tostring(v) end
    table.sort(t)
    return table.concat(t, ' ')
end
print(keys(json)) print(keys(json.new())) print(keys(msgpack)) print(keys(msgpack.new()))
print(keys(json.cfg))
print(cfgdump(json.cfg))
print(cfgdump(msgpack.cfg))
print(type(getmetatable(json.cfg).__call))
print(json.array_mt == msgpack.array_mt, json.new().array_mt == json.array_mt, json.NULL == msgpack.NULL,
      rawequal(json.NULL, msgpack.NULL), json.null == json.NULL)
print(json.array_mt.__serialize, json.map_mt.__serialize, getmetatable(json.array_mt))
print(package.loaded.json == json, package.loaded.msgpack == msgpack, require('json') == json)

-- Instances are independent.
local j2 = json.new()
j2.cfg{encode_max_depth = 1}
print(json.cfg.encode_max_depth, j2.cfg.encode_max_depth, pcall(j2.encode, {{1}}), json.encode({{1}}))
local j3 = j2.new()
print(j3.cfg.encode_max_depth, j3.null)

-- Option values are read with lua_toboolean/lua_tointeger.
print(pcall(json.encode, {{1}}, {encode_max_depth = 'x'}))
print(pcall(json.encode, {{1}}, {encode_max_depth = '1'}))
print(pcall(json.encode, {{1}}, {encode_max_depth = 1.9}))
print(pcall(json.encode, {1, 2}, {encode_deep_as_nil = 0}))
print(pcall(json.encode, {1, 2}, 5))
print(pcall(json.encode, {1, 2}, 'abc'))
print(pcall(json.encode, {1, 2}, nil))
print(pcall(json.encode, {{1}}, setmetatable({}, {__index = function(_, k) return k == 'encode_max_depth' and 1 or nil end})))
print(pcall(json.encode, {1}, setmetatable({}, {__index = function() error('boom') end})))
print(pcall(json.cfg, {encode_max_depth = 'x'}))
print(json.cfg.encode_max_depth, pcall(json.encode, {{1}}))
json.cfg{encode_max_depth = 128}
print(pcall(json.cfg, {encode_deep_as_nil = 1}), json.cfg.encode_deep_as_nil)
json.cfg{encode_deep_as_nil = false}
print(pcall(json.cfg, 5))
print(pcall(json.cfg))
print(pcall(json.cfg, {}, 5))
print(pcall(json.decode, '[1]', 5))
print(pcall(json.decode, '[1]', nil))
print(pcall(json.encode, 1, 2, 3))
print(pcall(json.encode))
print(pcall(json.decode, '1', 2, 3))
print(pcall(json.decode))
print(pcall(json.decode, {}))
print(pcall(json.decode, nil))
print(pcall(json.decode, 12))
print(pcall(json.decode, 1.5))
print(cfgdump(json.cfg))

-- encode_number_precision: 1..14, anything else is 14.
for _, p in ipairs({-1, 0, 1, 2, 3, 10, 14, 15, 30}) do
    print(p, json.encode({math.pi, 1/3, 123456.789, 1e-7, 2^60}, {encode_number_precision = p}))
end
json.cfg{encode_number_precision = 3}
print(json.encode(math.pi), json.cfg.encode_number_precision)
json.cfg{encode_number_precision = 14}

-- Sparse arrays.
local sparse = {[1] = 1, [20] = 20}
print(json.encode(sparse):len(), pcall(json.encode, sparse, {encode_sparse_convert = false}))
print(json.encode({[1] = 1, [5] = 5}), json.encode({[1] = 1, [5] = 5}, {encode_sparse_ratio = 1, encode_sparse_safe = 1}))
print(json.encode({[3] = 3}, {encode_sparse_safe = 2, encode_sparse_ratio = 2}))
print(json.encode({[11] = 1}), json.encode({[10] = 1}))
print(pcall(json.encode, {[11] = 1}, {encode_sparse_convert = false}))
print(json.encode({[3] = 3}, {encode_sparse_ratio = 0}))

-- Invalid numbers.
for _, opts in ipairs({{}, {encode_invalid_numbers = false}, {encode_invalid_numbers = false, encode_invalid_as_nil = true}}) do
    print(pcall(json.encode, {0/0, 1/0, -1/0, -(0/0)}, opts))
end
print(pcall(json.encode, ffi.new('float', 1/0), {encode_invalid_numbers = false}))
print(pcall(json.encode, ffi.new('double', 0/0), {encode_invalid_numbers = false}))
for _, s in ipairs({'nan', '-nan', 'inf', '-inf', '[nan]', '[-nan,1]', 'Infinity', 'NaN', '-na', '-nax', '-n', 'infx', '[inf]'}) do
    local ok, r = pcall(json.decode, s)
    local ok2, r2 = pcall(json.decode, s, {decode_invalid_numbers = false})
    print(s, ok, type(r) == 'table' and json.encode(r) or tostring(r), ok2, type(r2) == 'table' and json.encode(r2) or tostring(r2))
end

-- Depth limits.
local deep = {}
local cur = deep
for _ = 1, 200 do cur[1] = {} cur = cur[1] end
print(pcall(json.encode, deep))
print(#json.encode(deep, {encode_deep_as_nil = true}))
print(json.encode({{{1}}}, {encode_max_depth = 2, encode_deep_as_nil = true}))
print(json.encode({a = {b = {c = 1}}}, {encode_max_depth = 2, encode_deep_as_nil = true}))
print(pcall(json.encode, {}, {encode_max_depth = 0}))
print(pcall(json.encode, 1, {encode_max_depth = 0}))
local function try(...)
    local ok, r = pcall(...)
    return ok, type(r) == 'table' and json.encode(r) or r
end
for _, d in ipairs({0, 1, 2, 3}) do
    print(d, try(json.decode, '[[1]]', {decode_max_depth = d}))
    print(d, try(json.decode, '{"a":{"b":1}}', {decode_max_depth = d}))
end
print(pcall(json.decode, '\n  [\n[[[', {decode_max_depth = 3}))
print(pcall(json.decode, string.rep('[', 129) .. string.rep(']', 129)))
print(try(json.decode, string.rep('[', 128) .. string.rep(']', 128)))

-- Metatables.
local mt_seq = setmetatable({1, 2, a = 3}, {__serialize = 'seq'})
print(json.encode(mt_seq), json.encode(mt_seq, {encode_load_metatables = false}):len())
print(json.encode(setmetatable({}, {__serialize = 'map'})), json.encode(setmetatable({}, {__serialize = 'map'}), {encode_load_metatables = false}))
print(json.encode(setmetatable({}, {__serialize = 'mapping'})), json.encode(setmetatable({}, {__serialize = 'array'})), json.encode(setmetatable({}, {__serialize = 'sequence'})))
print(pcall(json.encode, setmetatable({}, {__serialize = 'bad'})))
print(pcall(json.encode, setmetatable({}, {__serialize = 5})))
print(pcall(json.encode, setmetatable({}, {__serialize = function() error('ser') end})))
print(json.encode(setmetatable({}, {__serialize = function() return 'str' end})))
print(json.encode(setmetatable({}, {__serialize = function() return nil end})))
print(json.encode(setmetatable({}, {__serialize = function() return setmetatable({}, {__serialize = 'map'}) end})))
print(json.encode(setmetatable({}, {__index = function() return 1 end})))
print(json.decode('[1]', {decode_save_metatables = false}) and getmetatable(json.decode('[1]', {decode_save_metatables = false})))
print(getmetatable(json.decode('{}')).__serialize, getmetatable(json.decode('[]')).__serialize)
print(json.encode(json.decode('{}')), json.encode(json.decode('[]')), json.encode(json.decode('{}', {decode_save_metatables = false})))

-- Values that are not data.
local ud = newproxy(true)
getmetatable(ud).__tostring = function() return 'proxy!' end
for _, opts in ipairs({{}, {encode_use_tostring = true}, {encode_invalid_as_nil = true}, {encode_use_tostring = true, encode_invalid_as_nil = true}}) do
    local ok, r = pcall(json.encode, {print}, opts)
    print(ok, (r:gsub('function: .*"', 'function"')))
    print(pcall(json.encode, ud, opts))
    print(pcall(json.encode, coroutine.create(print), opts) == true)
end
local withser = newproxy(true)
getmetatable(withser).__index = {__serialize = function() return {x = 1} end}
print(pcall(json.encode, withser))
print(pcall(json.encode, withser, {encode_load_metatables = false}))
ffi.cdef('struct json_test_pt { int x; int y; };')
local pt = ffi.new('struct json_test_pt', 1, 2)
print(pcall(json.encode, pt))
ffi.metatype('struct json_test_pt', {__index = {__serialize = function(p) return {p.x, p.y} end}})
print(pcall(json.encode, ffi.new('struct json_test_pt', 3, 4)))
print(pcall(json.encode, ffi.new('struct json_test_pt', 3, 4), {encode_load_metatables = false, encode_invalid_as_nil = true}))
