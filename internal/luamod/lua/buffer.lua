-- buffer: Tarantool's buffer module. An ibuf is a C struct handled
-- through ffi: [buf, rpos) is consumed, [rpos, wpos) holds the data,
-- [wpos, epos) is free. Its memory is managed in C (package lua,
-- mpmodule.c), whose functions arrive as lightuserdata in the helpers
-- table: the binary's C symbols are not visible to ffi.C.
local _, helpers = ...
local ffi = require('ffi')

local READAHEAD = 16320

ffi.cdef[[
struct slab_cache;

struct ibuf
{
    struct slab_cache *slabc;
    char *buf;
    /** Start of input. */
    char *rpos;
    /** End of useful input */
    char *wpos;
    /** End of ibuf. */
    char *epos;
    size_t start_capacity;
};

/*
 * Scratch registers for ffi calls that take pointers to scalars,
 * named after their type: 'a' for array, then the type's initials,
 * 'p' for pointer (acucp: array of const unsigned char pointer).
 */
union c_register {
    size_t as[1];
    void *ap[1];
    int ai[1];
    char ac[1];
    const unsigned char *acucp[1];
    unsigned long aul[1];
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    int64_t ai64[1];
};
]]

local ibuf_t = ffi.typeof('struct ibuf')
helpers.register(ibuf_t, ffi.typeof('struct ibuf *'), ffi.typeof('char *'),
                 ffi.typeof('const char *'))

local c_ibuf_create = ffi.cast('void (*)(struct ibuf *, struct slab_cache *, size_t)',
                               helpers.ibuf_create)
local c_ibuf_reinit = ffi.cast('void (*)(struct ibuf *)', helpers.ibuf_reinit)
local c_ibuf_reserve_slow = ffi.cast('char *(*)(struct ibuf *, size_t)',
                                     helpers.ibuf_reserve_slow)

-- Errors carry the position Tarantool's buffer.lua raises them from, so
-- that messages read the same.
local function errorf(fmt, ...)
    error('builtin/buffer.lua:74: ' .. string.format(fmt, ...), 0)
end

local function checkibuf(buf, method)
    if not ffi.istype(ibuf_t, buf) then
        errorf('Attempt to call method without object, use ibuf:%s()', method)
    end
end

local function ibuf_capacity(buf)
    checkibuf(buf, 'capacity')
    return tonumber(buf.epos - buf.buf)
end

local function ibuf_pos(buf)
    checkibuf(buf, 'pos')
    return tonumber(buf.rpos - buf.buf)
end

local function ibuf_used(buf)
    checkibuf(buf, 'size')
    return tonumber(buf.wpos - buf.rpos)
end

local function ibuf_unused(buf)
    checkibuf(buf, 'unused')
    return tonumber(buf.epos - buf.wpos)
end

local function ibuf_recycle(buf)
    checkibuf(buf, 'recycle')
    c_ibuf_reinit(buf)
end

local function ibuf_reset(buf)
    checkibuf(buf, 'reset')
    buf.rpos = buf.buf
    buf.wpos = buf.buf
end

local function reserve_slow(buf, size)
    local p = c_ibuf_reserve_slow(buf, size)
    if p == nil then
        errorf('Failed to allocate %d bytes in ibuf', size)
    end
    return p
end

-- reserve makes room for size bytes and returns where they start,
-- without taking them.
local function ibuf_reserve(buf, size)
    checkibuf(buf, 'reserve')
    if buf.wpos + size <= buf.epos then
        return buf.wpos
    end
    return reserve_slow(buf, size)
end

-- alloc takes size bytes at the end of the data.
local function ibuf_alloc(buf, size)
    checkibuf(buf, 'alloc')
    local wpos = buf.wpos
    if wpos + size > buf.epos then
        wpos = reserve_slow(buf, size)
    end
    buf.wpos = wpos + size
    return wpos
end

local function checksize(buf, size)
    if buf.rpos + size > buf.wpos then
        errorf('Attempt to read out of range bytes: needed=%d size=%d',
               tonumber(size), ibuf_used(buf))
    end
end

-- checksize returns rpos when size bytes of data are there.
local function ibuf_checksize(buf, size)
    checkibuf(buf, 'checksize')
    checksize(buf, size)
    return buf.rpos
end

-- read consumes size bytes and returns where they start.
local function ibuf_read(buf, size)
    checkibuf(buf, 'read')
    checksize(buf, size)
    local rpos = buf.rpos
    buf.rpos = rpos + size
    return rpos
end

local function ibuf_serialize(buf)
    return {ibuf = {rpos = buf.rpos, wpos = buf.wpos}}
end

local ibuf_methods = {
    recycle = ibuf_recycle,
    reset = ibuf_reset,
    reserve = ibuf_reserve,
    alloc = ibuf_alloc,
    checksize = ibuf_checksize,
    read = ibuf_read,
    __serialize = ibuf_serialize,
    size = ibuf_used,
    capacity = ibuf_capacity,
    pos = ibuf_pos,
    unused = ibuf_unused,
}

ffi.metatype(ibuf_t, {
    __gc = ibuf_recycle,
    __index = ibuf_methods,
    __tostring = function() return '<ibuf>' end,
})

-- ibuf([size]) makes a buffer, with room for size bytes if given.
local function ibuf_new(arg)
    local buf = ffi.new(ibuf_t)
    c_ibuf_create(buf, nil, READAHEAD)
    if arg == nil then
        return buf
    elseif type(arg) == 'number' then
        ibuf_reserve(buf, arg)
        return buf
    end
    errorf('Usage: ibuf([size])')
end

-- The shared buffer Tarantool's C code and net.box use for temporary
-- data. IBUF_SHARED is a bare pointer to it, so the registry keeps the
-- object alive.
local ibuf_shared = ibuf_new()
debug.getregistry()[ibuf_shared] = true

--
-- static_alloc(type [, size]) returns room for size (default 1) values
-- of type from a 12 KB ring that later calls reuse, so the memory is
-- only good until the next few calls; requests bigger than the ring get
-- ffi.new memory. Cheaper than ffi.new for sizes not known in advance.
--
local STATIC_SIZE = 4096 * 3
local static_buf = ffi.new('char[?]', STATIC_SIZE)
local static_pos = 0

local function static_alloc(type, size)
    size = size or 1
    local bsize = size * ffi.sizeof(type)
    local align = ffi.alignof(type)
    local start = static_pos
    if start + bsize + align - 1 > STATIC_SIZE then
        if bsize + align - 1 <= STATIC_SIZE then
            start = 0
        else
            return ffi.new(type .. '[?]', size)
        end
    end
    local addr = ffi.cast('uintptr_t', static_buf + start)
    local pad = tonumber((align - addr % align) % align)
    static_pos = start + pad + bsize
    return ffi.cast(type .. ' *', static_buf + start + pad)
end

-- Two registers in one allocation, for calls that need both at once.
local reg_array = ffi.new('union c_register[?]', 2)

return {
    ibuf = ibuf_new,
    IBUF_SHARED = ffi.cast('struct ibuf *', ibuf_shared),
    READAHEAD = READAHEAD,
    static_alloc = static_alloc,
    reg_array = reg_array,
    reg1 = reg_array[0],
    reg2 = reg_array[1],
}
