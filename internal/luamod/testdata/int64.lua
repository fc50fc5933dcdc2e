-- 64-bit integers through msgpack, json and msgpackffi: number below 1e14
-- in magnitude, int64_t/uint64_t cdata from there on, exact both ways.
local msgpack = require('msgpack')
local json = require('json')
local msgpackffi = require('msgpackffi')
local ffi = require('ffi')

local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
local function desc(v)
    if type(v) == 'cdata' then
        local t = ffi.typeof(v)
        if t == ffi.typeof('int64_t') or t == ffi.typeof('uint64_t') then
            return tostring(t) .. ' ' .. tostring(v)
        end
        return tostring(t) .. ' ' .. tonumber(v)
    end
    return type(v) .. ' ' .. tostring(v)
end

local vals = {0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 4294967295, 4294967296,
    -2147483648, -2147483649, 1e14 - 1, 1e14, -1e14 + 1, -1e14, 2^53, -2^53, 2^63, -2^63,
    0LL, 1LL, -1LL, 0ULL, 99999999999999LL, 100000000000000LL, -100000000000000LL,
    9223372036854775807LL, -9223372036854775807LL - 1, 9223372036854775808ULL, 18446744073709551615ULL,
    ffi.new('int32_t', -5), ffi.new('uint16_t', 7), ffi.new('uint64_t', 5), ffi.new('int64_t', -5)}
for _, v in ipairs(vals) do
    local m = msgpack.encode(v)
    local back = msgpack.decode(m)
    local f = msgpackffi.encode(v)
    local fback = msgpackffi.decode(f)
    local j = json.encode(v)
    local jback = json.decode(j)
    print(desc(v), hex(m), desc(back), hex(f), desc(fback), j, desc(jback), back == v, jback == v)
end

-- Arithmetic and comparison on decoded values keep their type.
local big = msgpack.decode(msgpack.encode(18446744073709551615ULL))
print(big, big - 1, big == 18446744073709551615ULL, tostring(big + 1))
local neg = json.decode('-9223372036854775808')
print(neg, neg + 1, ffi.typeof(neg), neg < 0)
print(json.encode({id = 12345678901234567LL}), json.encode({12345678901234567ULL, -12345678901234567LL}))
print(msgpack.decode(msgpack.encode({18446744073709551615ULL}))[1], json.decode('[18446744073709551615]')[1])

-- Table keys.
local t = msgpack.decode(msgpack.encode({[100000000000000LL] = 'a'}))
for k, v in pairs(t) do print(desc(k), v) end
print(json.encode({[100000000000000] = 1}), json.encode({[-100000000000000LL] = 1}))

-- Integral doubles beyond 2^64 and below -2^63 are doubles.
for _, v in ipairs({2^64, 2^70, -2^63 - 2^11, -2^70}) do
    print(v, hex(msgpack.encode(v)), json.encode(v))
end
