-- Tarantool's debug extensions (2.6 builtin/debug.lua):
-- debug.sourcefile([level]) is the file of the function at level (2, the
-- caller, by default) or nil when it was not loaded from a file;
-- debug.sourcedir([level]) is that file's directory, '.' when unknown;
-- debug.__file__ and debug.__dir__ read them for the code that indexes
-- debug.
--
-- The levels count frames as Tarantool's functions do: sourcedir adds one
-- for itself, and the __index metamethod tail-calls, so that the frame
-- above it is the code that wrote debug.__file__.

local getinfo = debug.getinfo

local function sourcefile(level)
    local info = getinfo(level or 2, 'S')
    local src = info and info.source
    if src ~= nil and src:sub(1, 1) == '@' then
        return src:sub(2)
    end
    return nil
end

local function sourcedir(level)
    local file = sourcefile(level and level + 1 or 3)
    local dir = file and file:match('(.*)/')
    return dir or '.'
end

setmetatable(debug, {
    __index = function(self, key)
        if key == '__file__' then
            return sourcefile()
        elseif key == '__dir__' then
            return sourcedir()
        end
        return rawget(self, key)
    end,
})

debug.sourcefile = sourcefile
debug.sourcedir = sourcedir
