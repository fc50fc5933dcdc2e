-- uuid: values are cdata struct tt_uuid with ffi methods, as in 2.6.
local ffi = require('ffi')
local uuid = require('uuid')
local s = 'ba90d815-14e0-431d-80c0-ce587885bb78'
local u = uuid.fromstr(s)
print(u:str(), tostring(u), #u:bin(), u == uuid.fromstr(s), u == uuid.frombin(u:bin()))
print(uuid.fromstr('BA90D815-14E0-431D-80C0-CE587885BB78'):str())
print(uuid.fromstr('nope'), pcall(uuid.frombin, 'short'))
print(uuid.NULL:str(), uuid.NULL:isnil(), u:isnil(), uuid['nil'] ~= nil)
print(#uuid.str(), #uuid.bin(), uuid.new():str():sub(15, 15), uuid():str():sub(15, 15))
local b = u:bin('l')
print(#b, uuid.frombin(b, 'l'):str(), uuid.frombin(u:bin('b'), 'b'):str())
print(uuid.new() ~= uuid.new())
-- types
print(type(u), ffi.typeof(u), ffi.typeof(uuid.new()), ffi.typeof(uuid()), ffi.typeof(uuid.frombin(b)))
print(type(uuid.NULL), ffi.typeof(uuid.NULL), ffi.istype('struct tt_uuid', uuid.NULL), ffi.sizeof(u))
print(u.time_low, u.time_mid, u.time_hi_and_version, u.clock_seq_hi_and_reserved, u.clock_seq_low)
print(u.node[0], u.node[1], u.node[2], u.node[3], u.node[4], u.node[5])
print(uuid.is_uuid, uuid.NULL == uuid.frombin(string.rep('\0', 16)), uuid.NULL:bin() == string.rep('\0', 16))
local n = 0 for _ in pairs(uuid) do n = n + 1 end print(n)
-- byte orders
local hex = function(x) return (x:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
print(hex(u:bin()), hex(u:bin('h')), hex(u:bin('host')), hex(u:bin('n')), hex(u:bin('network')), hex(u:bin('b')))
print(uuid.frombin(u:bin('n'), 'network') == u, uuid.frombin(u:bin(), 'host') == u)
-- a generated UUID is version 4, variant 1
for _ = 1, 20 do
  local g = uuid.new()
  assert(bit.rshift(g.time_hi_and_version, 12) == 4 and bit.band(g.clock_seq_hi_and_reserved, 0xc0) == 0x80)
  assert(uuid.fromstr(g:str()) == g and #g:str() == 36)
end
-- comparison
print(u == u, u == uuid.NULL, u ~= uuid.NULL, u == 'x', u == nil, u == 5, uuid.NULL == nil)
print(pcall(function() return u < u end))
print(pcall(function() return u <= uuid.NULL end))
-- fields are writable, NULL is not
local w = uuid.fromstr(s) w.time_low = 1 print(w)
print(pcall(function() uuid.NULL.time_low = 5 end))
-- usage errors
print(pcall(u.str))
print(pcall(u.str, 5))
print(pcall(u.bin))
print(pcall(u.isnil, {}))
print(pcall(u.bin, u, 'x'))
print(pcall(uuid.frombin, ('x'):rep(16), 'zz'))
print(pcall(uuid.frombin, 5))
print(pcall(uuid.frombin, ('x'):rep(17)))
print(pcall(uuid.fromstr, 5))
print(pcall(uuid.fromstr))
print(pcall(uuid.bin, 'q'))
print(pcall(function() return uuid.str(5):sub(15, 15) end))
-- sscanf leniency of tt_uuid_from_string
for _, str in ipairs({
  ' a90d815-14e0-431d-80c0-ce587885bb78', '+a90d815-14e0-431d-80c0-ce587885bb78', '-a90d815-14e0-431d-80c0-ce587885bb78',
  '0x90d815-14e0-431d-80c0-ce587885bb78', '0X90d815-14e0-431d-80c0-ce587885bb78', 'ba90d815-0x10-431d-80c0-ce587885bb78',
  'ba90d815- 4e0-431d-80c0-ce587885bb78', 'ba90d815-14e0-431d-80c0-ce587885bb7 ', 'ba90d815-14e0-431d-8-c0-ce587885bb78',
  'ba90d815-14e0-431d-80c0-ce587885bb78 ', 'ba90d815-14e0-431d-80c0-ce587885bb7', 'ba90d815-14e0-431d-80c0-ce587885bb78\0xx',
  'ba90d815-14e0-431d-80c0-ce587885b\0b78', 'ba90d815-14e0-431d-e0c0-ce587885bb78', 'ba90d815-14e0-431d-c0c0-ce587885bb78',
  'ba90d815-14e0-431d-00c0-ce587885bb78', 'ba90d815-14e0-431d-ffc0-ce587885bb78', 'ba90d81514e0431d80c0ce587885bb78',
  '{ba90d815-14e0-431d-80c0-ce587885bb78}', 'ba90d815-14e0-431d-80c0-ce587885bb-8', 'ba90d815-14e0-431d-80c0-ce587885bb+8',
  'ba90d815-14e0-431d-80c0-ce58-885bb78', 'ba90d815-14e0-431d-80c0-ce58\t885bb78', 'ba90d815-14e0-431d-80c0-ce5878850x78',
  '-0x0d815-14e0-431d-80c0-ce587885bb78', '       1-   1-   1-8000-000000000000', '-1-1-1-8000-000000000000',
  'ba90d815-14e0-431d-80c0-ce587885bbg8', '00000000-0000-0000-0000-000000000000',
}) do
  local r = uuid.fromstr(str)
  print(string.format('%q', str), r and r:str() or 'nil')
end
