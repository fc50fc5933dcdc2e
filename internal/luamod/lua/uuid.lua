-- uuid: Tarantool 2.6's uuid module. A UUID is a cdata of struct
-- tt_uuid (declared at preload by uuid.go, whose ctype the serializers
-- encode as MP_UUID) with its fields in host byte order; methods come
-- from ffi.metatype. The Go helpers do what Tarantool does in C: random
-- generation, parsing with sscanf's rules and formatting.
--
-- Usage errors carry the positions Tarantool's builtin/uuid.lua gives
-- them (its error() calls at level 1), so pcall messages match; errors
-- raised with "return error(...)" are tail calls there, which report
-- the caller's position, and are tail calls here too.
local _, helpers = ...
local ffi = require('ffi')
local bit = require('bit')

local uuid_t = ffi.typeof('struct tt_uuid')
local UUID_LEN = ffi.sizeof(uuid_t)
local u64p = ffi.typeof('const uint64_t *')
local charp = ffi.typeof('const char *')

local function fail(line, msg)
    error('builtin/uuid.lua:' .. line .. ': ' .. msg, 0)
end

-- The Go helpers read and write the cdata's payload, which they find
-- only for values of uuid_t itself: references (uuid.NULL) and
-- qualified variants are copied into one first.
local function canon(uu)
    if ffi.typeof(uu) == uuid_t then
        return uu
    end
    return uuid_t(uu)
end

-- bswap converts between host and network (RFC 4122) order of the
-- three integer fields, in place; it is its own inverse.
local function bswap(uu)
    uu.time_low = bit.bswap(uu.time_low)
    uu.time_mid = bit.rshift(bit.bswap(uu.time_mid), 16)
    uu.time_hi_and_version = bit.rshift(bit.bswap(uu.time_hi_and_version), 16)
end

local function tostr(uu)
    if not ffi.istype(uuid_t, uu) then
        return error('Usage: uuid:str()')
    end
    return helpers.tostr(canon(uu))
end

local function fromstr(str)
    if type(str) ~= 'string' then
        fail(38, 'fromstr(str)')
    end
    local uu = uuid_t()
    if not helpers.fromstr(str, uu) then
        return nil
    end
    return uu
end

local function need_bswap(order)
    if order == nil or order == 'l' or order == 'h' or order == 'host' then
        return false
    elseif order == 'b' or order == 'n' or order == 'network' then
        return true
    end
    fail(54, 'invalid byteorder, valid is l, b, h, n')
end

local function tobin(uu, byteorder)
    if not ffi.istype(uuid_t, uu) then
        return error('Usage: uuid:bin([byteorder])')
    end
    if need_bswap(byteorder) then
        local copy = uuid_t(uu)
        bswap(copy)
        return ffi.string(ffi.cast(charp, copy), UUID_LEN)
    end
    return ffi.string(ffi.cast(charp, uu), UUID_LEN)
end

local function frombin(bin, byteorder)
    if type(bin) ~= 'string' or #bin ~= UUID_LEN then
        fail(73, 'frombin(bin, [byteorder])')
    end
    local uu = uuid_t()
    ffi.copy(uu, bin, UUID_LEN)
    if need_bswap(byteorder) then
        bswap(uu)
    end
    return uu
end

local function isnil(uu)
    if not ffi.istype(uuid_t, uu) then
        return error('Usage: uuid:isnil()')
    end
    local p = ffi.cast(u64p, uu)
    return p[0] == 0 and p[1] == 0
end

local function eq(lhs, rhs)
    if not ffi.istype(uuid_t, rhs) then
        return false
    end
    if not ffi.istype(uuid_t, lhs) then
        return error('Usage: uuid == var')
    end
    local a, b = ffi.cast(u64p, lhs), ffi.cast(u64p, rhs)
    return a[0] == b[0] and a[1] == b[1]
end

local function new()
    local uu = uuid_t()
    helpers.create(uu)
    return uu
end

ffi.metatype(uuid_t, {
    __tostring = tostr,
    __eq = eq,
    __index = {
        isnil = isnil,
        bin = tobin,
        str = tostr,
    },
})

-- uuid.NULL is, as in Tarantool, a constant reference to an all-zero
-- struct (ctype<const struct tt_uuid &>): element 0 of a const array,
-- which this upvalue keeps alive.
local null_storage = ffi.new('const struct tt_uuid[1]')

-- decode is the MessagePack decoder of MP_UUID (ext type 2): 16 bytes
-- in network order, of a NCS, RFC 4122 or Microsoft variant.
local function decode(data)
    if #data ~= UUID_LEN then
        error('msgpack.decode: invalid MsgPack', 0)
    end
    local uu = uuid_t()
    ffi.copy(uu, data, UUID_LEN)
    bswap(uu)
    local n = uu.clock_seq_hi_and_reserved
    if bit.band(n, 0x80) ~= 0 and bit.band(n, 0xc0) ~= 0x80 and bit.band(n, 0xe0) ~= 0xc0 then
        error('msgpack.decode: invalid MsgPack', 0)
    end
    return uu
end

local uuid = setmetatable({
    NULL = null_storage[0],
    new = new,
    fromstr = fromstr,
    frombin = frombin,
    bin = function(byteorder)
        return tobin(new(), byteorder)
    end,
    str = function()
        return tostr(new())
    end,
}, {
    __call = new,
})

return uuid, decode
