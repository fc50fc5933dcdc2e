-- digest: Tarantool 2.6's digest module over Go helpers (digest.go)
-- named after the C functions Tarantool calls through the FFI, and over
-- the crypto module for md4, md5, the SHA-2 family and aes256cbc.
--
-- Layout: every statement that can raise an error, or whose callee's
-- tail-call error reports this line, sits on the line where Tarantool's
-- builtin/digest.lua has it, so that error messages carry the same
-- "builtin/digest.lua:NNN:" positions (testdata/digest.lua checks it).
-- The blank lines in between keep that alignment.
local _, C = ...
local ffi = require('ffi')
local bit = require('bit')
local crypto = require('crypto')

-- options of digest.base64_encode (base64.h)
local BASE64_NOPAD = 1
local BASE64_NOWRAP = 2
local BASE64_URLSAFE = 7

-- digests provided by the crypto module
local digest_shortcuts = {
    sha224 = true,
    sha256 = true,
    sha384 = true,
    sha512 = true,
    md5 = true,
    md4 = true,
}

-- defined at the end of the file, out of the way of the aligned lines
local string_hex, static_alloc_size
-- The module: sha1, sha224, sha256, sha384, sha512, md4 and md5 (raw
-- digests) with their _hex forms; base64_encode (options urlsafe, nopad,
-- nowrap) and base64_decode; crc32 (CRC-32C, callable and with new())
-- and crc32_update; murmur (callable and with new({seed = n})); guava
-- (consistent hashing); urandom(n); pbkdf2 and pbkdf2_hex
-- (PBKDF2-HMAC-SHA256, 100000 iterations and 128 bytes by default, at
-- most 128); aes256cbc.encrypt/decrypt (crypto's AES-256-CBC).
--
-- Unlike Tarantool, which runs pbkdf2 in a worker thread and yields the
-- fiber meanwhile, pbkdf2 here computes on the caller.
--
-- Helpers called through C keep the C function names; those called as
-- tail calls report no position, as in Tarantool.
--
-- digest.murmur: MurmurHash3 x86_32 (seed 13 by default), callable and
-- incremental. An object keeps PMurHash's running state in two int[1]
-- cells, seed (the running hash) and value (the carry), and the length
-- hashed so far.
local PMurHash
local PMurHash_methods = {
    update = function(self, str)
        if type(str) ~= 'string' then
            error("Usage: murhash:update(string)")
        end
        self.seed[0], self.value[0] = C.PMurHash32_Process(self.seed[0], self.value[0], str)
        self.total_length = self.total_length + string.len(str)
    end,

    result = function(self)
        return C.PMurHash32_Result(self.seed[0], self.value[0], self.total_length)
    end,

    clear = function(self)
        self.seed[0] = self.default_seed
        self.total_length = 0
        self.value[0] = 0
    end,

    copy = function(self)
        local new_self = PMurHash.new()
        new_self.seed[0] = self.seed[0]
        new_self.value[0] = self.value[0]
        new_self.total_length = self.total_length
        return new_self
    end
}

PMurHash = {
    default_seed = 13,

    new = function(opts)
        opts = opts or {}
        local self = setmetatable({}, { __index = PMurHash_methods })
        self.default_seed = (opts.seed or PMurHash.default_seed)
        self.seed = ffi.new("int[1]", self.default_seed)
        self.value = ffi.new("int[1]", 0)
        self.total_length = 0
        return self
    end
}

setmetatable(PMurHash, {
    __call = function(_, str)
        if type(str) ~= 'string' then
            error("Usage: digest.murhash(string)")
        end
        return C.PMurHash32(PMurHash.default_seed, str)
    end
})
-- digest.crc32: CRC-32C from 4294967295, callable and incremental.
local CRC32
local CRC32_methods = {
    update = function(self, str)
        if type(str) ~= 'string' then
            error("Usage crc32:update(string)")
        end
        self.value = C.crc32_calc(self.value, str)
    end,

    result = function(self)
        return self.value
    end,

    clear = function(self)
        self.value = CRC32.crc_begin
    end,

    copy = function(self)
        local new_self = CRC32.new()
        new_self.value = self.value
        return new_self
    end
}

CRC32 = {
    crc_begin = 4294967295,

    new = function()
        local self = setmetatable({}, { __index = CRC32_methods })
        self.value = CRC32.crc_begin
        return self
    end
}

setmetatable(CRC32, {
    __call = function(_, str)
        if type(str) ~= 'string' then
            error("Usage digest.crc32(string)")
        end
        return C.crc32_calc(CRC32.crc_begin, str)
    end
})

local pbkdf2 = function(pass, salt, iters, digest_len)
    if type(pass) ~= 'string' or type(salt) ~= 'string' then
        error("Usage: digest.pbkdf2(pass, salt[,iters][,digest_len])")
    end
    if iters and type(iters) ~= 'number' then
        error("iters must be a number")
    end
    if digest_len and type(digest_len) ~= 'number' then
        error("digest_len must be a number")
    end
    iters = iters or 100000
    digest_len = digest_len or 128
    if digest_len > 128 then
        error("too big digest size")
    end
    return C.pbkdf2(pass, salt, iters, digest_len)
end

local m = {
    base64_encode = function(bin, options)
        if type(bin) ~= 'string' or
           options ~= nil and type(options) ~= 'table' then
            error('Usage: digest.base64_encode(string[, table])')
        end
        local mask = 0
        if options ~= nil then
            if options.urlsafe then
                mask = bit.bor(mask, BASE64_URLSAFE)
            end
            if options.nopad then
                mask = bit.bor(mask, BASE64_NOPAD)
            end
            if options.nowrap then
                mask = bit.bor(mask, BASE64_NOWRAP)
            end
        end
        -- the C encoder writes into a buffer of base64_bufsize bytes,
        -- which bounds the output as Tarantool's buffer does (see
        -- base64Encode)
        return C.base64_encode(bin, mask)
    end,

    -- base64_decode(str)
    base64_decode = function(str)
        if type(str) ~= 'string' then
            error('Usage: digest.base64_decode(string)')
        end
        -- characters outside both alphabets, '=' included, are
        -- skipped; every whole byte the valid ones make is returned
        -- (C.base64_decode's buffer of ceil(#str * 3 / 4) never binds)
        return C.base64_decode(str)
    end,

    crc32 = CRC32,

    -- crc32_update(crc, str) continues a CRC-32C from crc
    crc32_update = function(crc, str)
        if type(str) ~= 'string' then
            error("Usage: digest.crc32_update(string)")
        end
        return C.crc32_calc(tonumber(crc), str)
    end,

    sha1 = function(str)
        if type(str) ~= 'string' then
            error("Usage: digest.sha1(string)")
        end
        return C.SHA1internal(str)
    end,

    -- sha1_hex(str)
    sha1_hex = function(str)
        if type(str) ~= 'string' then
            error("Usage: digest.sha1_hex(string)")
        end
        -- (string.hex as Tarantool's string module has it)
        return string_hex(C.SHA1internal(str))
    end,

    guava = function(state, buckets)
       return C.guava(state, buckets)
    end,

    urandom = function(n)
        if n == nil then
            error('Usage: digest.urandom(len)')
        end
        local size = static_alloc_size(n)
        local bytes = C.random_bytes(size, n)
        return bytes
    end,

    murmur = PMurHash,

    pbkdf2 = pbkdf2,

    pbkdf2_hex = function(pass, salt, iters, digest_len)
        if type(pass) ~= 'string' or type(salt) ~= 'string' then
            error("Usage: digest.pbkdf2_hex(pass, salt)")
        end
        return string_hex(pbkdf2(pass, salt, iters, digest_len))
    end
}

for digest in pairs(digest_shortcuts) do
    m[digest] = function(str)
        return crypto.digest[digest](str)
    end
    m[digest .. '_hex'] = function(str)
        if type(str) ~= 'string' then
            error('Usage: digest.' .. digest .. '_hex(string)')
        end
        return string_hex(crypto.digest[digest](str))
    end
end

m['aes256cbc'] = {
    encrypt = function(str, key, iv)
        return crypto.cipher.aes256.cbc.encrypt(str, key, iv)
    end,
    decrypt = function(str, key, iv)
        return crypto.cipher.aes256.cbc.decrypt(str, key, iv)
    end
}

-- string.hex of Tarantool's string module, with its error message (at
-- level 2, as Tarantool's does).
function string_hex(s)
    if type(s) ~= 'string' then
        error(("bad argument #%d to '%s' (%s expected, got %s)"):format(
            1, 'string.hex', 'string', type(s)), 2)
    end
    return (s:gsub('.', function(c) return ('%02x'):format(c:byte()) end))
end

-- static_alloc_size checks n as Tarantool's static_alloc('char', n)
-- (buffer.lua) does before digest.urandom gets its buffer, with its
-- messages: n must allow arithmetic, and ffi.new('char[?]', n) must
-- accept the size.
function static_alloc_size(n)
    if type(n) ~= 'number' and type(n) ~= 'cdata' and tonumber(n) == nil then
        error(("builtin/buffer.lua:229: attempt to perform arithmetic on local 'size' (a %s value)"):format(type(n)), 0)
    end
    local size = n * 1
    if not (size >= 0 and size < 2^31) then
        error("builtin/digest.lua:232: bad argument #1 to 'static_alloc' (size of C type is unknown or too large)", 0)
    end
    return size
end

return m
