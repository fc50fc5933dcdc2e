-- decimal: MessagePack (MP_DECIMAL, ext 1), json and yaml, as in 2.6.
local decimal = require('decimal')
local msgpack = require('msgpack')
local msgpackffi = require('msgpackffi')
local json = require('json')
local yaml = require('yaml')
local ffi = require('ffi')

local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function oneline(s)
    return (s:gsub('\n', '|'))
end

for _, s in ipairs({'-123.4500', '1', '0', '-0', '1e10', '1e-10', '12345678901234567890123456789012345678',
    '0.00000000000000000000000000000000000001', '100', '1e2', '-1.5', '0.0', '1e37', '-9.99e37', '0e10', '0e-38',
    '123456789012345678901234567.8901234', '0.5', '-0.0000000000000000000000000000000000005'}) do
    local x = decimal.new(s)
    local mp = msgpack.encode(x)
    print(s, hex(mp), json.encode(x), json.encode({x}), oneline(yaml.encode(x)), oneline(yaml.encode({a = x})))
    local y = msgpack.decode(mp)
    print(type(y), y, y == x, decimal.is_decimal(y), decimal.precision(y), decimal.scale(y), hex(msgpack.encode(y)) == hex(mp))
    print(msgpackffi.encode(x) == mp, msgpackffi.decode(mp), decimal.is_decimal(msgpackffi.decode(mp)))
end
-- from numbers: the %.15g digits
print(hex(msgpack.encode(decimal.new(0.1))), hex(msgpack.encode(decimal.new(1/3))), hex(msgpack.encode(decimal.new(1e15))))

-- containers
local t = msgpack.decode(msgpack.encode({decimal.new('1.1'), {a = decimal.new(2)}, decimal.new('-0.001')}))
print(t[1], t[2].a, t[3], decimal.is_decimal(t[3]))
print(hex(msgpack.encode({decimal.new(1), 1, '1'})))
print(json.encode({decimal.new('1.10'), {decimal.new(-2)}}), json.encode({a = decimal.new('0.5')}))
print(oneline(yaml.encode({decimal.new('1.10'), {decimal.new(-2)}, setmetatable({decimal.new(3)}, {__serialize = 'seq'})})))
print(oneline(yaml.encode({a = {b = decimal.new('1e-3')}})))
local k = decimal.new(7)
print(hex(msgpack.encode(setmetatable({[k] = 1}, {__serialize = 'map'}))))
local kt = msgpack.decode(msgpack.encode(setmetatable({[k] = 1}, {__serialize = 'map'})))
for key, v in pairs(kt) do print(type(key), key, v) end
print(pcall(json.encode, {[k] = 1}))
print(oneline(yaml.encode({[k] = 1})))
print(msgpack.decode(msgpack.encode(decimal.new('5')), 1))
local buf = require('buffer').ibuf()
msgpack.encode(decimal.new('-2.5'), buf)
print(buf:size(), (msgpack.decode(buf.rpos, buf:size())))
print(msgpack.decode_unchecked(msgpack.encode(decimal.new('2.75'))))

-- hand-made encodings
for _, h in ipairs({'d501001c', 'd4011c', 'd501fe1c', 'd501261c', 'd501271c', 'd501da1c', 'd501001a', 'd501001b',
    'd5010019', 'd50100a1', 'd501000b', 'd501c01c', 'c70001', 'd6010000001c', 'd6010012345f', 'd601d0dc010d',
    'd601d0db010d', 'd601d0da010d', 'd601cc10010d', 'd601cc30010d', 'd70100' .. '0000000000' .. '123c',
    'c7150100' .. string.rep('99', 19) .. '9c', 'c71501e0' .. string.rep('99', 19) .. '9c',
    'c7150125' .. string.rep('99', 19) .. '9c', 'c70b01cf0000000100000005125c', 'c70b01d3ffffffffffffffff125c',
    'd50100ff', 'd5010000'}) do
    local s = h:gsub('..', function(c) return string.char(tonumber(c, 16)) end)
    local ok, v, pos = pcall(msgpack.decode, s)
    if ok then
        print(h, v, pos, decimal.precision(v), decimal.scale(v))
        -- (2.6's msgpackffi does not check decimals: what msgpack
        -- rejects, it returns as whatever decimal_unpack left.)
        ok, v = pcall(msgpackffi.decode, s)
        print(h, ok, ok and tostring(v) or v)
    else
        print(h, v)
    end
end

-- decimals among other values printed by yaml and json
print(oneline(yaml.encode({1, 'x', decimal.new('0.1'), 0.1, true, msgpack.NULL})))
print(json.encode({1, 'x', decimal.new('0.1'), 0.1, true, msgpack.NULL}))
json.cfg{encode_use_tostring = true}
print(json.encode({decimal.new('3.30')}))
json.cfg{encode_use_tostring = false}
