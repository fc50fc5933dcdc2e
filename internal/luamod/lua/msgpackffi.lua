-- msgpackffi: MessagePack in Lua over ffi, Tarantool's msgpackffi
-- module. It classifies tables its own way (by walking pairs(), not as
-- the C msgpack module does), takes its limits from msgpack.cfg, and its
-- encoders of cdata types are extensible with on_encode; box's tuple
-- code uses its internal encoders.
local _, helpers = ...
local ffi = require('ffi')
local bit = require('bit')
local buffer = require('buffer')
local msgpack = require('msgpack') -- NULL, array_mt, map_mt, cfg

local NULL = msgpack.NULL
local bytes_t = ffi.typeof('const uint8_t *')
local wbytes_t = ffi.typeof('uint8_t *')
local char_ptr_t = ffi.typeof('char *')
local float_bits = ffi.new('union { float f; uint32_t u; }')
local double_bits = ffi.new('union { double d; uint64_t u; int64_t i; }')

-- mp_checklen(data, len, depth) -> length of the value at data, or -1.
local mp_checklen = ffi.cast('long (*)(const char *, size_t, int)',
                             helpers.mp_checklen)
local MAX_DEPTH = 255

-- Errors carry the positions of Tarantool's msgpackffi.lua, so that
-- messages read the same.
local function fail(line, msg)
    error('builtin/msgpackffi.lua:' .. line .. ': ' .. msg, 0)
end

--------------------------------------------------------------------------
-- Encoder: writes into an ibuf.
--------------------------------------------------------------------------

-- ctype id -> function(buf, obj)
local cdata_encoders = {}

local function on_encode(ctype, callback)
    if type(ctype) ~= 'cdata' or type(callback) ~= 'function' then
        fail(55, "Usage: on_encode(ffi.typeof('mytype'), function(buf, obj)")
    end
    local id = tonumber(ffi.typeof(ctype))
    local prev = cdata_encoders[id]
    cdata_encoders[id] = callback
    return prev
end

-- encode_fix writes one byte: code with num in its low bits.
local function encode_fix(buf, code, num)
    local p = ffi.cast(wbytes_t, buf:alloc(1))
    p[0] = bit.bor(code, tonumber(num))
end

local function put_be(p, v, n)
    for i = n - 1, 0, -1 do
        p[i] = bit.band(v, 0xff)
        v = bit.rshift(v, 8)
    end
end

-- encode_uN writes code and num as an N-bit big-endian integer.
local function encode_u8(buf, code, num)
    local p = ffi.cast(wbytes_t, buf:alloc(2))
    p[0] = code
    p[1] = bit.band(tonumber(num), 0xff)
end

local function encode_u16(buf, code, num)
    local p = ffi.cast(wbytes_t, buf:alloc(3))
    p[0] = code
    put_be(p + 1, tonumber(num), 2)
end

local function encode_u32(buf, code, num)
    local p = ffi.cast(wbytes_t, buf:alloc(5))
    p[0] = code
    put_be(p + 1, tonumber(num), 4)
end

-- num is a uint64_t or int64_t cdata.
local function encode_u64(buf, code, num)
    local p = ffi.cast(wbytes_t, buf:alloc(9))
    p[0] = code
    double_bits.u = bit.bswap(ffi.cast('uint64_t', num))
    ffi.copy(p + 1, double_bits, 8)
end

local function encode_float(buf, num)
    float_bits.f = num
    encode_u32(buf, 0xca, float_bits.u)
end

local function encode_double(buf, num)
    double_bits.d = num
    encode_u64(buf, 0xcb, double_bits.u)
end

-- encode_int writes the shortest integer form. Integral numbers outside
-- the 64-bit ranges come out as Tarantool's LuaJIT converts them: 0 from
-- 2^64 on, INT64_MIN below -2^63.
local function encode_int(buf, num)
    if num >= 0 then
        if num <= 0x7f then
            encode_fix(buf, 0, num)
        elseif num <= 0xff then
            encode_u8(buf, 0xcc, num)
        elseif num <= 0xffff then
            encode_u16(buf, 0xcd, num)
        elseif num <= 0xffffffff then
            encode_u32(buf, 0xce, num)
        elseif type(num) == 'number' and num >= 2^64 then
            encode_u64(buf, 0xcf, 0ULL)
        else
            encode_u64(buf, 0xcf, 0ULL + num)
        end
    else
        if num >= -0x20 then
            encode_fix(buf, 0xe0, bit.band(tonumber(num), 0x1f))
        elseif num >= -0x80 then
            encode_u8(buf, 0xd0, num)
        elseif num >= -0x8000 then
            encode_u16(buf, 0xd1, num)
        elseif num >= -0x80000000 then
            encode_u32(buf, 0xd2, num)
        else
            encode_u64(buf, 0xd3, 0LL + num)
        end
    end
end

local function encode_str(buf, str)
    local len = #str
    if len <= 31 then
        encode_fix(buf, 0xa0, len)
    elseif len <= 0xff then
        encode_u8(buf, 0xd9, len)
    elseif len <= 0xffff then
        encode_u16(buf, 0xda, len)
    else
        encode_u32(buf, 0xdb, len)
    end
    ffi.copy(buf:alloc(len), str, len)
end

local function encode_array(buf, size)
    if size <= 0xf then
        encode_fix(buf, 0x90, size)
    elseif size <= 0xffff then
        encode_u16(buf, 0xdc, size)
    else
        encode_u32(buf, 0xdd, size)
    end
end

local function encode_map(buf, size)
    if size <= 0xf then
        encode_fix(buf, 0x80, size)
    elseif size <= 0xffff then
        encode_u16(buf, 0xde, size)
    else
        encode_u32(buf, 0xdf, size)
    end
end

local function encode_nil(buf)
    encode_fix(buf, 0xc0, 0)
end

local function encode_bool(buf, val)
    encode_fix(buf, 0xc2, val and 1 or 0)
end

local function encode_bool_cdata(buf, val)
    encode_fix(buf, 0xc2, val ~= 0 and 1 or 0)
end

-- A UUID (struct tt_uuid, integer fields in host order) as MP_UUID:
-- fixext 16 of type 2, fields big-endian.
local function encode_uuid(buf, uuid)
    local u = ffi.cast(bytes_t, uuid)
    local p = ffi.cast(wbytes_t, buf:alloc(18))
    p[0], p[1] = 0xd8, 2
    p[2], p[3], p[4], p[5] = u[3], u[2], u[1], u[0]
    p[6], p[7] = u[5], u[4]
    p[8], p[9] = u[7], u[6]
    ffi.copy(p + 10, u + 8, 8)
end

-- A decimal (decimal_t) as MP_DECIMAL, the bytes the C encoder makes.
local function encode_decimal(buf, num)
    local s = msgpack.encode(num)
    ffi.copy(buf:alloc(#s), s, #s)
end

local function encode_r(buf, obj, level)
::restart::
    local t = type(obj)
    if t == 'number' then
        -- Integers in a range that is Tarantool's (-1e63 is not -2^63).
        if obj % 1 == 0 and obj > -1e63 and obj < 1e64 then
            encode_int(buf, obj)
        else
            encode_double(buf, obj)
        end
    elseif t == 'string' then
        encode_str(buf, obj)
    elseif t == 'table' then
        local cfg = msgpack.cfg
        if level >= cfg.encode_max_depth then
            if not cfg.encode_deep_as_nil then
                fail(234, string.format('Too high nest level - %d',
                                        cfg.encode_max_depth + 1))
            end
            encode_nil(buf)
            return
        end
        local serialize
        local mt = getmetatable(obj)
        if mt ~= nil then
            serialize = mt.__serialize
        end
        -- Keys 1, 2, ... met in that order by pairs() count as the
        -- array part, every other key as the map part.
        local narr, nmap = 0, 0
        for k in pairs(obj) do
            if type(k) == 'number' and k >= 1 and k == math.floor(k) and
               k == narr + 1 then
                narr = narr + 1
            else
                nmap = nmap + 1
            end
        end
        if (serialize == nil and nmap == 0) or serialize == 'array' or
           serialize == 'seq' or serialize == 'sequence' then
            encode_array(buf, narr)
            for i = 1, narr do
                encode_r(buf, obj[i], level + 1)
            end
        elseif (serialize == nil and nmap > 0) or serialize == 'map' or
               serialize == 'mapping' then
            encode_map(buf, narr + nmap)
            for k, v in pairs(obj) do
                encode_r(buf, k, level + 1)
                encode_r(buf, v, level + 1)
            end
        elseif type(serialize) == 'function' then
            obj = serialize(obj)
            goto restart
        else
            fail(273, 'Invalid __serialize value')
        end
    elseif obj == nil then
        -- nil, and box.NULL (a NULL pointer compares equal to nil).
        encode_nil(buf)
    elseif t == 'boolean' then
        encode_bool(buf, obj)
    elseif t == 'cdata' then
        local encoder = cdata_encoders[tonumber(ffi.typeof(obj))]
        if encoder == nil then
            -- Tarantool builds this message by concatenating the ctype,
            -- which fails; the failure is what it reports.
            fail(289, "cannot convert 'string' to 'ctype'")
        end
        encoder(buf, obj)
    else
        fail(292, "can not encode Lua type: '" .. t .. "'")
    end
end

for _, ct in ipairs({'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t',
                     'int16_t', 'int32_t', 'int64_t', 'char', 'const char',
                     'unsigned char', 'const unsigned char'}) do
    on_encode(ffi.typeof(ct), encode_int)
end
on_encode(ffi.typeof('bool'), encode_bool_cdata)
on_encode(ffi.typeof('float'), encode_float)
on_encode(ffi.typeof('double'), encode_double)
-- struct tt_uuid is declared by the uuid module, loaded first if there is
-- one.
pcall(require, 'uuid')
local have_uuid, uuid_t = pcall(ffi.typeof, 'struct tt_uuid')
if have_uuid then
    on_encode(uuid_t, encode_uuid)
end
-- decimal_t is declared at start-up by the decimal module.
local have_decimal, decimal_t = pcall(ffi.typeof, 'decimal_t')
if have_decimal then
    on_encode(decimal_t, encode_decimal)
end

-- The encoding buffer is taken while in use, so that an encode nested in
-- a __serialize function or an on_encode callback gets its own; one
-- abandoned by an error is collected.
local spare_buf
local KEEP = 1024 * 1024

local function encode(obj)
    local buf = spare_buf or buffer.ibuf()
    spare_buf = nil
    buf:reset()
    encode_r(buf, obj, 0)
    local s = ffi.string(buf.rpos, buf:size())
    if buf:capacity() > KEEP then
        buf:recycle()
    end
    spare_buf = buf
    return s
end

--------------------------------------------------------------------------
-- Decoder: p is a const uint8_t *, i the offset of the next byte; each
-- decoder returns the value and the offset after it.
--------------------------------------------------------------------------

-- Integers from 1e14 on in magnitude stay 64-bit cdata, as msgpack's.
local DBL_INT_MAX = 1e14 - 1

local function be16(p, i)
    return p[i] * 0x100 + p[i + 1]
end

local function be32(p, i)
    return ((p[i] * 0x100 + p[i + 1]) * 0x100 + p[i + 2]) * 0x100 + p[i + 3]
end

local function be64(p, i)
    ffi.copy(double_bits, p + i, 8)
    double_bits.u = bit.bswap(double_bits.u)
end

local decode_r

local function decode_str(p, i, n)
    return ffi.string(p + i, n), i + n
end

local function decode_array(p, i, n)
    local arr = {}
    for k = 1, n do
        arr[k], i = decode_r(p, i)
    end
    if msgpack.cfg.decode_save_metatables then
        setmetatable(arr, msgpack.array_mt)
    end
    return arr, i
end

local function decode_map(p, i, n)
    local map = {}
    for _ = 1, n do
        local k, v
        k, i = decode_r(p, i)
        v, i = decode_r(p, i)
        map[k] = v
    end
    if msgpack.cfg.decode_save_metatables then
        setmetatable(map, msgpack.map_mt)
    end
    return map, i
end

-- decode_ext reads the extension whose header starts at i. UUIDs and
-- decimals decode as the msgpack module decodes them.
local function decode_ext(p, i)
    local c = p[i]
    local len, hdr
    if c >= 0xd4 and c <= 0xd8 then
        len, hdr = bit.lshift(1, c - 0xd4), 2
    elseif c == 0xc7 then
        len, hdr = p[i + 1], 3
    elseif c == 0xc8 then
        len, hdr = be16(p, i + 1), 4
    else
        len, hdr = be32(p, i + 1), 6
    end
    local ext_type = p[i + hdr - 1]
    if ext_type == 0 then
        fail(500, 'unsupported extension type')
    elseif ext_type ~= 1 and ext_type ~= 2 then
        fail(521, 'Unsupported extension type')
    end
    local v = msgpack.decode(ffi.cast('const char *', p + i), hdr + len)
    return v, i + hdr + len
end

-- Reading a 64-bit field makes a new cdata, so the shared union is free
-- again at once.
local function decode_u64(p, i)
    be64(p, i)
    local v = double_bits.u
    if v <= DBL_INT_MAX then
        return tonumber(v), i + 8
    end
    return v, i + 8
end

local function decode_i64(p, i)
    be64(p, i)
    local v = double_bits.i
    if v >= -DBL_INT_MAX and v <= DBL_INT_MAX then
        return tonumber(v), i + 8
    end
    return v, i + 8
end

-- Decoders of the first bytes without a fixed-size form.
local decoders = {
    [0xc4] = function(p, i) return decode_str(p, i + 1, p[i]) end,
    [0xc5] = function(p, i) return decode_str(p, i + 2, be16(p, i)) end,
    [0xc6] = function(p, i) return decode_str(p, i + 4, be32(p, i)) end,
    [0xca] = function(p, i)
        float_bits.u = be32(p, i)
        return tonumber(float_bits.f), i + 4
    end,
    [0xcb] = function(p, i)
        be64(p, i)
        return tonumber(double_bits.d), i + 8
    end,
    [0xcc] = function(p, i) return p[i], i + 1 end,
    [0xcd] = function(p, i) return be16(p, i), i + 2 end,
    [0xce] = function(p, i) return be32(p, i), i + 4 end,
    [0xcf] = decode_u64,
    [0xd0] = function(p, i)
        local v = p[i]
        return v >= 0x80 and v - 0x100 or v, i + 1
    end,
    [0xd1] = function(p, i)
        local v = be16(p, i)
        return v >= 0x8000 and v - 0x10000 or v, i + 2
    end,
    [0xd2] = function(p, i)
        local v = be32(p, i)
        return v >= 0x80000000 and v - 0x100000000 or v, i + 4
    end,
    [0xd3] = decode_i64,
    [0xd9] = function(p, i) return decode_str(p, i + 1, p[i]) end,
    [0xda] = function(p, i) return decode_str(p, i + 2, be16(p, i)) end,
    [0xdb] = function(p, i) return decode_str(p, i + 4, be32(p, i)) end,
    [0xdc] = function(p, i) return decode_array(p, i + 2, be16(p, i)) end,
    [0xdd] = function(p, i) return decode_array(p, i + 4, be32(p, i)) end,
    [0xde] = function(p, i) return decode_map(p, i + 2, be16(p, i)) end,
    [0xdf] = function(p, i) return decode_map(p, i + 4, be32(p, i)) end,
}

decode_r = function(p, i)
    local c = p[i]
    if c <= 0x7f then
        return c, i + 1
    elseif c >= 0xa0 and c <= 0xbf then
        return decode_str(p, i + 1, c - 0xa0)
    elseif c >= 0x90 and c <= 0x9f then
        return decode_array(p, i + 1, c - 0x90)
    elseif c >= 0x80 and c <= 0x8f then
        return decode_map(p, i + 1, c - 0x80)
    elseif c >= 0xe0 then
        return c - 0x100, i + 1
    elseif c == 0xc0 then
        return NULL, i + 1
    elseif c == 0xc2 then
        return false, i + 1
    elseif c == 0xc3 then
        return true, i + 1
    elseif (c >= 0xd4 and c <= 0xd8) or (c >= 0xc7 and c <= 0xc9) then
        return decode_ext(p, i)
    end
    local decoder = decoders[c]
    assert(decoder ~= nil) -- 0xc1, never valid
    return decoder(p, i + 1)
end

local function check_offset(offset, len)
    if offset == nil then
        return 1
    end
    offset = ffi.cast('ptrdiff_t', offset)
    if offset < 1 or offset > len then
        fail(604, string.format('offset = %d is out of bounds [1..%d]',
                                tonumber(offset), len))
    end
    return tonumber(offset)
end

-- decode_unchecked(str [, offset]) -> value, next offset
-- decode_unchecked(char *) -> value, pointer past it
-- A pointer's data is trusted, as in Tarantool. A string is checked
-- first, a value being allowed to run into the string's terminating NUL
-- (which Tarantool reads) but never past it.
local function decode_unchecked(str, offset)
    if type(str) == 'string' then
        offset = check_offset(offset, #str)
        local p = ffi.cast(bytes_t, str)
        if mp_checklen(ffi.cast('const char *', p + offset - 1),
                       #str - offset + 2, MAX_DEPTH) < 0 then
            error('msgpack.decode: invalid MsgPack', 2)
        end
        local v, i = decode_r(p, offset - 1)
        return v, i + 1
    elseif ffi.istype(char_ptr_t, str) then
        -- ffi.istype ignores qualifiers: const char * passes too.
        local v, i = decode_r(ffi.cast(bytes_t, str), 0)
        return v, str + i
    end
    fail(626, 'msgpackffi.decode_unchecked(str, offset) -> res, new_offset | ' ..
              'msgpackffi.decode_unchecked([const] char *buf) -> res, new_buf')
end

return {
    NULL = NULL,
    array_mt = msgpack.array_mt,
    map_mt = msgpack.map_mt,
    encode = encode,
    on_encode = on_encode,
    decode_unchecked = decode_unchecked,
    decode = decode_unchecked,
    internal = {
        encode_fix = encode_fix,
        encode_array = encode_array,
        encode_r = encode_r,
    },
}
