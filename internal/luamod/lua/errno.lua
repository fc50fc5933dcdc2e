-- errno: Tarantool 2.6's errno module: the E* constants (from Go, the
-- values of Linux), errno() reading and setting the C errno as the FFI
-- sees it, and strerror from the C library. The strerror call stays on
-- line 12 and the __newindex error on line 19, where Tarantool's
-- builtin/errno.lua has them, so their error messages read the same.
local _, constants = ...
local ffi = require('ffi')
ffi.cdef('char *strerror(int errnum);')

local function strerror(errno)
    if errno == nil then errno = ffi.errno() end
    return ffi.string(ffi.C.strerror(tonumber(errno)))
end

return setmetatable({ strerror = strerror }, {
    __index = constants,
    __newindex = function()
        -- constants are read-only
        error("Can't create new errno constants")
    end,
    __call = function(_, ...) return ffi.errno(...) end,
})
