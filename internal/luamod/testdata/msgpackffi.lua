-- msgpackffi: encoding of every Lua and cdata type, its table classification,
-- decoding of every MessagePack form, errors with their positions, on_encode
-- and the internal encoders.
local ffi = require('ffi')
local mf = require('msgpackffi')
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
ffi.cdef('struct foo_t { int a; };')
print(pcall(mf.encode, ffi.new('struct foo_t')))
print(pcall(mf.encode, function() end))
print(pcall(mf.encode, setmetatable({}, {__serialize = 'x'})))
print(pcall(mf.decode_unchecked, '\1\2', 0))
print(pcall(mf.decode_unchecked, '\1\2', 3))
print(pcall(mf.decode_unchecked, '\1\2', 2))
print(pcall(mf.decode_unchecked, '\1\2', 1.5))
print(pcall(mf.decode_unchecked, 5))
print(pcall(mf.on_encode, 1, 2))
local r, o = mf.decode_unchecked('\1\2') print(r, o, type(o))
local t = {} for i = 1, 20 do t[i] = i end
-- Integral doubles beyond the 64-bit ranges (2^64, 1e20, -1e20, 1e63)
-- are left out: Tarantool converts them to integers with C casts whose
-- result is undefined, and it differs between its interpreter and its
-- JIT-compiled code.
for _, v in ipairs({1, -1, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769, 2^31, -2^31, -2^31-1, 2^32, 2^53, 2^63, -2^63, 1.5, 0/0, 1/0, -1/0, -0.0,
  'abc', string.rep('x', 40), string.rep('y', 300), true, false, mf.NULL, {}, {1,2}, {a=1}, {[1]=1,[3]=3}, t,
  setmetatable({1,2}, {__serialize='map'}), setmetatable({a=1}, {__serialize='seq'}), setmetatable({}, {__serialize=function() return 5 end}),
  1ULL, -1LL, 2^63 * 1ULL, ffi.new('uint8_t', 200), ffi.new('int8_t', -5), ffi.new('float', 1.5), ffi.new('double', 2.5), ffi.new('bool', true), ffi.new('bool', false), ffi.cast('char', 65), ffi.new('int16_t', -300), ffi.new('uint32_t', 4000000000)}) do
  local ok, s = pcall(mf.encode, v)
  print(ok, ok and hex(s) or s)
end
print(pcall(mf.encode, setmetatable({}, {__index = function(t, k) return k end, __serialize = 'seq'})))
local deep = {} local cur = deep for i = 1, 200 do cur[1] = {} cur = cur[1] end
print(pcall(mf.encode, deep))
require('msgpack').cfg{encode_deep_as_nil = true} print(pcall(function() return #mf.encode(deep) end)) require('msgpack').cfg{encode_deep_as_nil = false}
for _, h in ipairs({'01', 'ff', 'e0', 'cc80', 'cdffff', 'ceffffffff', 'cfffffffffffffffff', 'cf0000000000000001', 'cf00005af3107a4000', 'd0ff', 'd180ff', 'd2ffffffff', 'd3ffffffffffffffff', 'd38000000000000000', 'd3ffffa50cef85c000',
   'ca3fc00000', 'cb3ff8000000000000', 'cb7ff8000000000000', 'c0', 'c2', 'c3', 'a3616263', 'd903616263', 'da0003616263', 'db00000003616263', 'c403616263', 'c50003616263', 'c600000003616263',
   '93010203', 'dc0002c0c0', 'dd00000001c3', '82a16101a16202', 'de0001a16101', 'df00000001c0c0', '90', '80', 'd40501', 'd40001', 'c70105aa'}) do
  local s = h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)
  local ok, r, n = pcall(mf.decode, s)
  local mt = type(r) == 'table' and getmetatable(r)
  local desc = r
  if type(r) == 'table' then local keys = {} for k, v in pairs(r) do keys[#keys+1] = tostring(k) .. '=' .. tostring(v) end table.sort(keys) desc = '{' .. table.concat(keys, ',') .. '}' end
  print(h, ok, desc, n, mt and mt.__serialize)
end
print(mf.NULL == require('msgpack').NULL, mf.array_mt == require('msgpack').array_mt)
local p = ffi.cast('const char *', '\146\1\2\3')
local r, np = mf.decode_unchecked(p) print(#r, r[1], r[2], np - p, ffi.typeof(np))
local p = ffi.cast('char *', '\146\1\2\3')
local r, np = mf.decode_unchecked(p) print(#r, np - p, ffi.typeof(np))
local ok, r, np = pcall(mf.decode_unchecked, ffi.cast('unsigned char *', '\1')) print(ok, r, ffi.typeof(np))
print(mf.on_encode(ffi.typeof('struct foo_t'), function(buf, obj) mf.internal.encode_fix(buf, 0, 7) end))
print(hex(mf.encode({ffi.new('struct foo_t')})))
print(mf.on_encode(ffi.typeof('struct foo_t'), function() end) ~= nil)
local buf = require('buffer').ibuf()
mf.internal.encode_array(buf, 3) mf.internal.encode_r(buf, {1, 'a'}, 0) mf.internal.encode_fix(buf, 0x90, 0)
print(hex(ffi.string(buf.rpos, buf:size())))
mf.internal.encode_array(buf, 20) mf.internal.encode_array(buf, 70000)
print(hex(ffi.string(buf.rpos, buf:size())))
require('msgpack').cfg{decode_save_metatables = false}
print(getmetatable(mf.decode('\145\1')))
require('msgpack').cfg{decode_save_metatables = true}
print(pcall(mf.encode, 1, 2))
print(pcall(mf.encode))
local ok, r, n = pcall(mf.decode, '\130\192\1\1\2') print(ok, type(r), n, r[mf.NULL], r[1])
