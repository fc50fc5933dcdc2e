-- key_def.lua: the key_def module's objects as Tarantool 2.6 presents
-- them: cdata of type struct key_def & (tostring "<struct key_def &>")
-- whose methods are the module's functions, serialized as their parts.
-- Each object points at a small block of C memory that names the key
-- definition Go keeps (keydef.go); the collector's call of H.gc releases
-- both.
local H = ...
local ffi = require('ffi')

ffi.cdef('struct key_def { uint64_t _reserved; };')
local key_def_ptr = ffi.typeof('struct key_def *')
local key_def = H.module

local methods = {
    ['extract_key'] = key_def.extract_key,
    ['compare'] = key_def.compare,
    ['compare_with_key'] = key_def.compare_with_key,
    ['merge'] = key_def.merge,
    ['totable'] = key_def.totable,
    ['__serialize'] = key_def.totable,
}

ffi.metatype('struct key_def', {
    __index = function(self, key)
        return methods[key]
    end,
    __tostring = function(self) return "<struct key_def &>" end,
})

local gc = H.gc
H.setup(ffi.typeof('struct key_def &'), function(addr)
    return ffi.gc(ffi.cast(key_def_ptr, addr)[0], gc)
end)
