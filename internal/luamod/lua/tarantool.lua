-- Tarantool's start-up extensions (2.6 builtin/tarantool.lua, src/lua/init.lua):
-- the dostring global, and module search relative to a search root:
--
--   package.loaders[2..5] look for <root>/?.lua and <root>/?/init.lua,
--   <root>/?.so, and then .rocks/share/tarantool and .rocks/lib/tarantool
--   under the root and under every directory above it up to '/', before
--   package.path and package.cpath (loaders 6 and 7) are searched.
--   The root is the current directory unless package.setsearchroot set it.
--   package.search(name) returns the file those searches find.
--
-- The chunk returns the base of require('tarantool'); the Go side adds
-- package, version and build to it.
--
-- Paths are built with fio's rules (pathjoin collapses slashes, abspath
-- resolves '.' and '..' lexically against the working directory), written
-- here so that module search does not depend on fio being loaded.

local _, helpers = ...
local ffi = require('ffi')

-- NULL is box.NULL's value: setsearchroot(box.NULL) resets the root.
local NULL = ffi.cast('void *', 0)
local soext = jit.os == 'OSX' and 'dylib' or 'so'

local LUA_TEMPLATES = {'?.lua', '?/init.lua'}
local LIB_TEMPLATES = {'?.' .. soext}
local ROCKS_LUA_TEMPLATES = {'.rocks/share/tarantool/?.lua',
                             '.rocks/share/tarantool/?/init.lua'}
local ROCKS_LIB_TEMPLATES = {'.rocks/lib/tarantool/?.' .. soext}

local search_root -- nil: the current working directory

local function searchroot()
    return search_root or helpers.cwd()
end

-- abspath makes a path absolute and resolves its '.' and '..' lexically
-- (fio.abspath); it is defined with pathjoin below.
local abspath

-- setsearchroot(path) sets the directory the first four loaders search
-- from:
--
--   setsearchroot()          the directory of the calling file (its
--                            debug.sourcedir), so that a module found
--                            through .rocks can find its own rocks;
--   setsearchroot(box.NULL)  back to the current working directory;
--   setsearchroot('dir')     dir, made absolute against the current
--                            directory now, so that later chdir calls do
--                            not move it;
--   anything else            an error.
--
-- package.searchroot() returns the directory in use: the set one, or the
-- current working directory at the time of the call.
--
-- The error is raised from this file at level 1, so its message carries a
-- builtin/tarantool.lua position as Tarantool's does; the code is laid out
-- so that the position is the same line, 69, as in Tarantool 2.6 (scripts
-- and tests that compare error messages see the same text). Keep it there
-- when editing what precedes it.
--
local function setsearchroot(path)
    if not path then
        -- The directory of the file that called setsearchroot.
        path = debug.sourcedir(3)
    elseif path == NULL then
        path = nil
    elseif type(path) ~= 'string' then
        error('Search root must be a string')
    end
    search_root = path and abspath(path)
end

dostring = function(s, ...)
    local chunk, err = loadstring(s)
    if chunk == nil then
        error(err, 2)
    end
    return chunk(...)
end

-- pathjoin joins the non-empty parts with '/', squeezes repeated slashes
-- and drops a trailing one; no parts at all make '.'.
local function pathjoin(...)
    local parts = {}
    for i = 1, select('#', ...) do
        local p = select(i, ...)
        if p == nil then
            error('fio.pathjoin(): undefined path part ' .. i)
        end
        p = tostring(p)
        if p ~= '' then
            parts[#parts + 1] = p
        end
    end
    if #parts == 0 then
        return '.'
    end
    local path = table.concat(parts, '/'):gsub('/+', '/')
    if path ~= '/' then
        path = path:gsub('/$', '')
    end
    return path
end

abspath = function(path)
    if path:sub(1, 1) ~= '/' then
        path = pathjoin(helpers.cwd(), path)
    end
    local parts = {}
    for part in path:gmatch('[^/]+') do
        if part == '..' then
            table.remove(parts)
        elseif part ~= '.' then
            parts[#parts + 1] = part
        end
    end
    return '/' .. table.concat(parts, '/')
end

-- ancestors lists path (made absolute) and every directory above it, '/'
-- last.
local function ancestors(path)
    path = abspath(path)
    local res = {path}
    while path ~= '/' do
        path = path:match('^(.*)/[^/]*$')
        if path == '' then
            path = '/'
        end
        res[#res + 1] = path
    end
    return res
end

-- searcher returns a function that looks name up with package.searchpath
-- in the templates under the search root, or under the root and all its
-- ancestors when upward is set. It returns the file, or nil and the list
-- of files tried.
local function searcher(templates, upward)
    return function(name)
        local root = searchroot() or '.'
        local dirs = upward and ancestors(root) or {root}
        local paths = {}
        for _, dir in ipairs(dirs) do
            for _, template in ipairs(templates) do
                paths[#paths + 1] = pathjoin(dir, template)
            end
        end
        return package.searchpath(name, table.concat(paths, ';'))
    end
end

-- luaopen_ symbol of a C module: what precedes a '-' in the name is a
-- version tag and dots become underscores.
local function symbol(name)
    local dash = name:find('-', 1, true)
    if dash then
        name = name:sub(dash + 1)
    end
    return 'luaopen_' .. (name:gsub('%.', '_'))
end

local function load_lua(file)
    return loadfile(file)
end

local function load_lib(file, name)
    return package.loadlib(file, symbol(name))
end

-- loader makes a package.loaders entry: it returns the loaded chunk, or
-- a message telling why there is none.
local function loader(search, load)
    return function(name)
        if not name then
            return 'empty name of module'
        end
        local file, err = search(name)
        if not file then
            return err
        end
        local chunk, lerr = load(file, name)
        if lerr ~= nil then
            return lerr
        end
        return chunk
    end
end

local search_lua = searcher(LUA_TEMPLATES)
local search_lib = searcher(LIB_TEMPLATES)
local search_rocks_lua = searcher(ROCKS_LUA_TEMPLATES, true)
local search_rocks_lib = searcher(ROCKS_LIB_TEMPLATES, true)

local searches = {
    search_lua,
    search_lib,
    search_rocks_lua,
    search_rocks_lib,
    function(name) return package.searchpath(name, package.path) end,
    function(name) return package.searchpath(name, package.cpath) end,
}

local function search(name)
    if not name then
        return 'empty name of module'
    end
    for _, s in ipairs(searches) do
        local file = s(name)
        if file ~= nil then
            return file
        end
    end
    return nil
end

-- After package.preload (loader 1); LuaJIT's path, cpath and all-in-one
-- loaders follow as 6, 7 and 8.
table.insert(package.loaders, 2, loader(search_lua, load_lua))
table.insert(package.loaders, 3, loader(search_lib, load_lib))
table.insert(package.loaders, 4, loader(search_rocks_lua, load_lua))
table.insert(package.loaders, 5, loader(search_rocks_lib, load_lib))

rawset(package, 'search', search)
rawset(package, 'searchroot', searchroot)
rawset(package, 'setsearchroot', setsearchroot)

return {
    uptime = helpers.uptime,
    pid = helpers.pid,
}
