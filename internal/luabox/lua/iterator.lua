-- iterator.lua: the iterators of index:pairs() and space:pairs() as
-- Tarantool 2.6 makes them: luafun iterators (fun.wrap) whose state is
-- a struct iterator cdata, so that for-in loops see (state, tuple) and
-- :map, :filter, :totable and the rest of luafun work on them. The
-- struct is opaque: the pointer names a Go iterator, which H.next
-- advances and H.free (the cdata's finalizer) releases.
local H = ...
local ffi = require('ffi')
local fun = require('fun')

ffi.cdef('struct iterator;')
local iterator_t = ffi.typeof('struct iterator')
local iterator_ptr = ffi.typeof('struct iterator *')
ffi.metatype(iterator_t, {
    __tostring = function(iterator)
        return "<iterator state>"
    end;
})

local next_tuple = H.next
local free = H.free

-- The generating function is stateless, as 2.6's: param holds the key
-- (kept only so that it lives as long as the iterator), state the
-- iterator, which advances in place. Errors carry 2.6's positions.
local function iterator_gen(param, state) -- luacheck: no unused args
    if not ffi.istype(iterator_t, state) then
        error('builtin/box/schema.lua:1263: usage: next(param, state)', 0)
    end
    local tuple = next_tuple(state)
    if tuple ~= nil then
        return state, tuple
    end
    return nil
end

H.setup(iterator_ptr, function(id, keybuf)
    return fun.wrap(iterator_gen, keybuf, ffi.gc(ffi.cast(iterator_ptr, id), free))
end)

--
-- tuple:pairs([pos]) and tuple:ipairs([pos]): luafun iterators over
-- (field number, value) from pos on, whose generator is 2.6's
-- tuple_iterator_next: a position that is neither the end nor a field is
-- an error.
--
local tuple_next = H.tuple_next
local is_tuple = H.is_tuple

local function tuple_iterator_next(tuple, pos)
    if pos == nil then
        pos = 0
    elseif type(pos) ~= "number" then
        error("builtin/box/tuple.lua:126: error: invalid key to 'next'", 0)
    end
    local n, value = tuple_next(tuple, pos)
    if n == nil then
        if #tuple == pos then
            -- No more fields, stop iteration
            return nil
        end
        error("builtin/box/tuple.lua:144: error: invalid key to 'next'", 0)
    end
    return n, value
end

local function tuple_ipairs(tuple, pos)
    if not is_tuple(tuple) then
        error('builtin/box/tuple.lua:106: Usage: tuple:pairs(tuple[, pos])', 0)
    end
    return fun.wrap(tuple_iterator_next, tuple, pos)
end
H.set_tuple_ipairs(tuple_ipairs)

--
-- pairs() and ipairs() honour __pairs and __ipairs of userdata, as
-- Tarantool's LuaJIT does for the cdata its tuples are: pairs(tuple)
-- iterates the tuple's fields. Everything else goes to LuaJIT's own
-- functions, so loops over tables compile as before.
--
local rawpairs, rawipairs = pairs, ipairs
local getmetatable, type = getmetatable, type

-- The arguments pass on as given, so that LuaJIT's own functions raise
-- their own errors (none given: "value expected").
pairs = function(...)
    local t = ...
    if type(t) == 'userdata' then
        local mt = getmetatable(t)
        local mm = type(mt) == 'table' and rawget(mt, '__pairs')
        if mm then
            return mm(t)
        end
    end
    return rawpairs(...)
end

ipairs = function(...)
    local t = ...
    if type(t) == 'userdata' then
        local mt = getmetatable(t)
        local mm = type(mt) == 'table' and rawget(mt, '__ipairs')
        if mm then
            return mm(t)
        end
    end
    return rawipairs(...)
end
