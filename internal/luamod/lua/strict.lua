-- require('strict') (2.6 builtin/strict.lua): strict.on() makes reading
-- an undeclared global an error, and so is assigning one anywhere but in
-- a main chunk or from C; a global is declared by assigning it in a main
-- chunk. strict.off() lifts it and forgets the declarations.
--
-- Tarantool turns strict mode on while it boots and off before scripts
-- run, so the module starts off here; on() and off() work through _G's
-- metatable, sharing one that some other code has set.

local getinfo, rawget, rawset = debug.getinfo, rawget, rawset

local mt = {__declared = {}}

-- caller_kind is the 'what' of the function that made the global access
-- ("main", "Lua" or "C"): level 3 counts this function and the
-- metamethod.
local function caller_kind()
    local info = getinfo(3, 'S')
    return info and info.what or 'C'
end

mt.__newindex = function(t, name, value)
    if not mt.__declared[name] then
        local kind = caller_kind()
        if kind ~= 'main' and kind ~= 'C' then
            error("assign to undeclared variable '" .. name .. "'", 2)
        end
        mt.__declared[name] = true
    end
    rawset(t, name, value)
end

mt.__index = function(t, name)
    if not mt.__declared[name] and caller_kind() ~= 'C' then
        error("variable '" .. name .. "' is not declared", 2)
    end
    return rawget(t, name)
end

local function on()
    local cur = getmetatable(_G)
    if cur == mt then
        return
    end
    if cur == nil then
        setmetatable(_G, mt)
    else
        cur.__newindex = mt.__newindex
        cur.__index = mt.__index
    end
end

local function off()
    mt.__declared = {}
    local cur = getmetatable(_G)
    if cur == nil then
        return
    end
    if cur == mt then
        setmetatable(_G, nil)
    else
        cur.__newindex = nil
        cur.__index = nil
    end
end

return {
    on = on,
    off = off,
}
