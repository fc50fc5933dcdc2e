-- crypto: Tarantool 2.6's crypto module — digests, HMAC and ciphers —
-- over Go helpers (crypto.go) where Tarantool calls OpenSSL.
--
-- Layout: every statement that can raise an error, or that calls a
-- function whose error is a tail call reporting its caller's position,
-- sits on the line where Tarantool's builtin/crypto.lua has it, so that
-- error messages carry the same "builtin/crypto.lua:NNN:" positions.
-- Keep them there when editing: the blank and comment lines in between
-- are what keeps them aligned, and testdata/crypto.lua checks it.
--
-- Contexts are cdata struct spindle_crypto_ctx holding the id of a Go
-- object; ffi.gc releases the object with the cdata, free() at once.
local _, helpers = ...
local ffi = require('ffi')

if not pcall(ffi.typeof, 'struct spindle_crypto_ctx') then ffi.cdef('struct spindle_crypto_ctx { int32_t id; };') end
local ctx_t = ffi.typeof('struct spindle_crypto_ctx')

local function release_ctx(ctx)
    if ctx ~= nil then
        helpers.release(ctx.id)
    end
end

-- new_ctx wraps a Go object id in a collectable context.
local function new_ctx(id)
    return ffi.gc(ctx_t(id), release_ctx)
end

-- string.hex of Tarantool's string module, with its error message (at
-- level 2, as Tarantool's does).
local function string_hex(s)
    if type(s) ~= 'string' then
        error(("bad argument #%d to '%s' (%s expected, got %s)"):format(
            1, 'string.hex', 'string', type(s)), 2)
    end
    return (s:gsub('.', function(c) return ('%02x'):format(c:byte()) end))
end

-- The digests OpenSSL 1.1 offers of Tarantool's candidate list (md2,
-- dss, dss1 and mdc2 are not among them). The value is what the context
-- constructors take.
local digests = {
    md4 = 'md4',
    md5 = 'md5',
    sha1 = 'sha1',
    sha224 = 'sha224',
    sha256 = 'sha256',
    sha384 = 'sha384',
    sha512 = 'sha512',
    ripemd160 = 'ripemd160',
}

-- Values of crypto.h's enums, as crypto.cipher_algo and
-- crypto.cipher_mode expose them.
local crypto_algos = {
    none = 0,
    aes128 = 1,
    aes192 = 2,
    aes256 = 3,
    des = 4,
}
local crypto_modes = {
    ecb = 0,
    cbc = 1,
    cfb = 2,
    ofb = 3,
}
local crypto_dirs = {
    encrypt = true,
    decrypt = false,
}

-- The module:
--   crypto.digest.<name>(str) and crypto.digest.<name>.new() for md4,
--     md5, sha1, sha224, sha256, sha384, sha512 and ripemd160;
--   crypto.hmac.<name>(key, str), crypto.hmac.<name>_hex(key, str)
--     and crypto.hmac.<name>.new(key) for the same digests;
--   crypto.cipher.<algo>.<mode>.encrypt/decrypt(str, key, iv) and
--     .new(key, iv) for none, aes128, aes192, aes256 and des in ecb,
--     cbc, cfb and ofb;
--   crypto.cipher_algo and crypto.cipher_mode, the enums by name.
-- Unknown digest, HMAC and cipher names raise from __index; unknown
-- modes too.

-- Digest contexts ------------------------------------------------------
--
-- A digest object is {ctx, digest, initialized}; result() finalizes
-- it, init() starts it again, free() releases the context.



local digest_mt = {}





local function digest_new(digest)
    local ctx = new_ctx(helpers.md_new(digest))
    local self = setmetatable({
        ctx = ctx,
        digest = digest,
        initialized = false,
    }, digest_mt)
    -- initialize as the constructor returns it
    self:init()
    return self
end

local function digest_init(self)
    if self.ctx == nil then
        return error('Digest context isn\'t usable')
    end
    helpers.md_init(self.ctx.id)
    -- (re)started: update() and result() may follow
    self.initialized = true
end


local function digest_update(self, input)
    if not self.initialized then
        return error('Digest not initialized')
    end
    helpers.md_update(self.ctx.id, input, input:len())
end



local function digest_final(self)
    if not self.initialized then
        return error('Digest not initialized')
    end
    self.initialized = false
    return helpers.md_final(self.ctx.id)
end



local function digest_free(self)
    -- a second free() fails in ffi.gc, as Tarantool's does
    release_ctx(self.ctx)
    ffi.gc(self.ctx, nil)
    self.ctx = nil
    self.initialized = false
end

digest_mt = {
    __index = {
        init = digest_init,
        update = digest_update,
        result = digest_final,
        free = digest_free,
    },
}

-- HMAC contexts --------------------------------------------------------
--
-- An HMAC object is {ctx, digest, initialized}; init(key) (re)keys it.



local hmac_mt = {}

local function hmac_new(digest, key)
    if key == nil then
        return error('Key should be specified for HMAC operations')
    end
    local ctx = new_ctx(helpers.hmac_new(digest))
    local self = setmetatable({
        ctx = ctx,
        digest = digest,
        initialized = false,
    }, hmac_mt)
    -- key the context as the constructor returns it: init() also
    -- validates the key, and an error there leaves no usable
    -- object behind (the context is collected with the
    -- unreachable table)
    self:init(key)
    return self
end

local function hmac_init(self, key)
    if self.ctx == nil then
        return error('HMAC context isn\'t usable')
    end
    helpers.hmac_init(self.ctx.id, key, key:len())
    -- the key's length is read for its error, as Tarantool passes it
    self.initialized = true
end


local function hmac_update(self, input)
    if not self.initialized then
        return error('HMAC not initialized')
    end
    helpers.md_update(self.ctx.id, input, input:len())
end



local function hmac_final(self)
    if not self.initialized then
        return error('HMAC not initialized')
    end
    self.initialized = false
    return helpers.md_final(self.ctx.id)
end





local function hmac_free(self)
    release_ctx(self.ctx)
    ffi.gc(self.ctx, nil)
    self.ctx = nil
    self.initialized = false
end

hmac_mt = {
    __index = {
        init = hmac_init,
        update = hmac_update,
        result = hmac_final,
        free = hmac_free,
    },
}

-- Cipher streams -------------------------------------------------------
--
-- A stream object is {ctx, key, iv, is_initialized}: init(key, iv)
-- starts it once both are known (either may be given earlier),
-- update(str) returns what the cipher outputs so far, result() the rest
-- (and ends the stream until the next init), free() releases it. Size
-- errors and decryption failures raise CryptoError objects, as
-- Tarantool's box.error() after diag_set(CryptoError, ...).
local crypto_stream_mt = {}

local function crypto_stream_new(algo, mode, key, iv, direction)
    local ctx = new_ctx(helpers.stream_new(algo, mode, direction))
    local self = setmetatable({
        ctx = ctx,
        is_initialized = false,
    }, crypto_stream_mt)
    -- start it if key and iv are both given
    self:init(key, iv)
    return self
end

local function crypto_stream_begin(self, key, iv)
    local ctx = self.ctx
    if not ctx then
        return error('Cipher context isn\'t usable')
    end
    self.key = key or self.key
    self.iv = iv or self.iv
    if self.key and self.iv then
        local key_len = self.key:len()
        local iv_len = self.iv:len()
        helpers.stream_begin(ctx.id, self.key, self.iv, key_len, iv_len)
        self.is_initialized = true
    end
end


local function crypto_stream_append(self, input)
    if not self.is_initialized then
        return error('Cipher not initialized')
    end
    if type(input) ~= 'string' then
        error("Usage: cipher:update(string)")
    end
    return helpers.stream_append(self.ctx.id, input)
end








local function crypto_stream_commit(self)
    if not self.is_initialized then
        return error('Cipher not initialized')
    end
    local out = helpers.stream_commit(self.ctx.id)
    self.is_initialized = false
    return out
end







local function crypto_stream_free(self)
    release_ctx(ffi.gc(self.ctx, nil))
    self.ctx = nil
    self.key = nil
    self.iv = nil
    self.is_initialized = false
end

crypto_stream_mt = {
    __index = {
        init = crypto_stream_begin,
        update = crypto_stream_append,
        result = crypto_stream_commit,
        free = crypto_stream_free,
    },
}
-- The public tables ----------------------------------------------------
local digest_api = {}
for class, digest in pairs(digests) do
    digest_api[class] = setmetatable({
        new = function() return digest_new(digest) end,
    }, {
        __call = function(_, str)
            if type(str) ~= 'string' then
                error("Usage: digest." .. class .. "(string)")
            end
            local ctx = digest_new(digest)
            ctx:update(str)
            local res = ctx:result()
            ctx:free()
            return res
        end,
    })
end

digest_api = setmetatable(digest_api, {
    __index = function(_, digest)
        return error('Digest method "' .. digest .. '" is not supported')
    end,
})
local hmac_api = {}
for class, digest in pairs(digests) do
    hmac_api[class] = setmetatable({
        new = function(key) return hmac_new(digest, key) end,
    }, {
        __call = function(_, key, str)
            if type(str) ~= 'string' then
                error("Usage: hmac." .. class .. "(key, string)")
            end
            local ctx = hmac_new(digest, key)
            ctx:update(str)
            local res = ctx:result()
            ctx:free()
            return res
        end,
    })
    hmac_api[class .. '_hex'] = function(key, str)
        if type(str) ~= 'string' then
            error("Usage: hmac." .. class .. "_hex(key, string)")
        end
        return string_hex(hmac_api[class](key, str))
    end
end

hmac_api = setmetatable(hmac_api, {
    __index = function(_, digest)
        return error('HMAC method "' .. digest .. '" is not supported')
    end,
})

-- Key and IV sizes, which init() checks: aes128, aes192 and aes256
-- take keys of 16, 24 and 32 bytes, des of 8, none of 0; the IV is a
-- block (16 bytes, 8 for des) except in ecb and for none, where it
-- is empty. ecb and cbc pad with PKCS#7 and decryption checks the
-- padding; cfb and ofb are streams that output as much as they get.









-- crypto.cipher[algo][mode][direction]: callable (whole message) and
-- with new(key, iv) for streams. An unknown mode raises from __index; an
-- unknown algorithm too, as a tail call.
local algo_api_mt = {
    __index = function(_, mode)
        error('Cipher mode ' .. mode .. ' is not supported')
    end,
}
local crypto_api_mt = {
    __index = function(_, cipher)
        return error('Cipher method "' .. cipher .. '" is not supported')
    end,
}

local crypto_api = setmetatable({}, crypto_api_mt)
for algo_name, algo_value in pairs(crypto_algos) do
    local algo_api = setmetatable({}, algo_api_mt)
    crypto_api[algo_name] = algo_api
    for mode_name, mode_value in pairs(crypto_modes) do
        local mode_api = {}
        algo_api[mode_name] = mode_api
        for dir_name, dir_value in pairs(crypto_dirs) do
            mode_api[dir_name] = setmetatable({
                new = function(key, iv)
                    return crypto_stream_new(algo_value, mode_value, key, iv, dir_value)
                end,
            }, {
                __call = function(_, str, key, iv)

                    local ctx = crypto_stream_new(algo_value, mode_value, key,
                                                  iv, dir_value)
                    local res = ctx:update(str)
                    res = res .. ctx:result()
                    ctx:free()
                    return res
                end,
            })
        end
    end
end

local public_methods = {
    digest = digest_api,
    hmac = hmac_api,
    cipher = crypto_api,
}

return setmetatable({
    cipher_algo = crypto_algos,
    cipher_mode = crypto_modes,
}, {
    __serialize = function()
        return public_methods
    end,
    __index = public_methods,
})
