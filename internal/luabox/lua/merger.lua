-- merger.lua: the merger module's Lua part as Tarantool 2.6 has it: the
-- sources made from one table or one buffer, and the methods of merge
-- sources, which are cdata of type struct merge_source &. Each points
-- at a small block of C memory naming a source Go keeps (merger.go);
-- the collector's call of H.gc drops it.
local H = ...
local ffi = require('ffi')
local fun = require('fun')
require('buffer') -- declares struct ibuf

ffi.cdef('struct merge_source { uint64_t _reserved; };')
local merge_source_ptr = ffi.typeof('struct merge_source *')
local ibuf_t = ffi.typeof('struct ibuf')
local merger = H.module

-- Create a source from one buffer.
merger.new_source_frombuffer = function(buf)
    local func_name = 'merger.new_source_frombuffer'
    if type(buf) ~= 'cdata' or not ffi.istype(ibuf_t, buf) then
        error(('Usage: %s(<cdata<struct ibuf>>)'):format(func_name), 0)
    end

    return merger.new_buffer_source(fun.iter({buf}))
end

-- Create a source from one table.
merger.new_source_fromtable = function(tbl)
    local func_name = 'merger.new_source_fromtable'
    if type(tbl) ~= 'table' then
        error(('Usage: %s(<table>)'):format(func_name), 0)
    end

    return merger.new_table_source(fun.iter({tbl}))
end

local methods = {
    ['select'] = merger.internal.select,
    ['pairs']  = merger.internal.ipairs,
    ['ipairs']  = merger.internal.ipairs,
}

ffi.metatype('struct merge_source', {
    __index = function(self, key)
        return methods[key]
    end,
    -- Lua 5.2 compatibility
    __pairs = merger.internal.ipairs,
    __ipairs = merger.internal.ipairs,
})

local gc = H.gc
H.setup(ffi.typeof('struct merge_source &'), function(addr)
    return ffi.gc(ffi.cast(merge_source_ptr, addr)[0], gc)
end, fun.wrap)
