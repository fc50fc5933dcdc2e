-- Tarantool's string extensions (2.6 builtin/string.lua): split, ljust,
-- rjust, center, startswith, endswith, hex, fromhex, strip, lstrip,
-- rstrip. They are set in the string table, so they are string methods
-- too. Argument errors carry Tarantool's messages and are raised at the
-- caller's level.

local byte, char, sub, find, rep, format =
    string.byte, string.char, string.sub, string.find, string.rep,
    string.format
local concat, floor = table.concat, math.floor

local function argerror(n, fname, expected, got)
    return format("bad argument #%d to '%s' (%s expected, got %s)",
                  n, fname, expected, got)
end

-- The bytes C's isspace() accepts in the C locale.
local SPACE = {[9] = true, [10] = true, [11] = true, [12] = true,
               [13] = true, [32] = true}

-- Whitespace split: runs of spaces separate fields and never make empty
-- ones. Once max splits are made, the rest from the next field on is the
-- last element, trailing whitespace included.
local function split_spaces(s, max)
    local res, n = {}, 0
    local i, len = 1, #s
    while true do
        while i <= len and SPACE[byte(s, i)] do
            i = i + 1
        end
        if i > len then
            break
        end
        if max <= 0 then
            n = n + 1
            res[n] = sub(s, i)
            break
        end
        local j = i
        while j <= len and not SPACE[byte(s, j)] do
            j = j + 1
        end
        n = n + 1
        res[n] = sub(s, i, j - 1)
        i = j
        max = max - 1
    end
    return res
end

-- Split on a literal separator. The empty separator is refused from here,
-- two levels below the caller of string.split.
local function split_sep(s, sep, max)
    if sep == '' then
        error(argerror(2, 'string.split', 'non-empty string', 'empty string'),
              3)
    end
    local res, n = {}, 0
    local i, len = 1, #s
    while true do
        if max <= 0 or i > len then
            n = n + 1
            res[n] = sub(s, i)
            break
        end
        local b, e = find(s, sep, i, true)
        n = n + 1
        if b == nil then
            res[n] = sub(s, i)
            break
        end
        res[n] = sub(s, i, b - 1)
        i = e + 1
        max = max - 1
    end
    return res
end

local function split(s, sep, max)
    if type(s) ~= 'string' then
        error(argerror(1, 'string.split', 'string', type(s)), 2)
    end
    if sep ~= nil and type(sep) ~= 'string' then
        error(argerror(2, 'string.split', 'string', type(sep)), 2)
    end
    if max ~= nil and (type(max) ~= 'number' or max < 0) then
        error(argerror(3, 'string.split', 'positive integer', type(max)), 2)
    end
    if max == nil then
        max = 0xffffffff
    end
    if sep == nil then
        return split_spaces(s, max)
    end
    return split_sep(s, sep, max)
end

-- justify checks the arguments of ljust/rjust/center and returns the
-- padding character and how many of it are missing (nil: none).
local function justify(fname, s, width, c)
    if type(s) ~= 'string' then
        error(argerror(1, fname, 'string', type(s)), 3)
    end
    if type(width) ~= 'number' or width < 0 then
        error(argerror(2, fname, 'positive integer', type(width)), 3)
    end
    if c ~= nil and (type(c) ~= 'string' or #c ~= 1) then
        error(argerror(3, fname, 'char', type(c)), 3)
    end
    local missing = width - #s
    if missing < 0 then
        return nil
    end
    return c or ' ', missing
end

local function ljust(s, width, c)
    local pad, missing = justify('string.ljust', s, width, c)
    if pad == nil then
        return s
    end
    return s .. rep(pad, missing)
end

local function rjust(s, width, c)
    local pad, missing = justify('string.rjust', s, width, c)
    if pad == nil then
        return s
    end
    return rep(pad, missing) .. s
end

local function center(s, width, c)
    local pad, missing = justify('string.center', s, width, c)
    if pad == nil then
        return s
    end
    local left = floor(missing / 2)
    return rep(pad, left) .. s .. rep(pad, missing - left)
end

-- bounds turns the optional 1-based, possibly negative, inclusive
-- positions of startswith/endswith into positive ones clamped at 0 and
-- at the string's length.
local function bounds(len, first, last)
    if first == nil then
        first = 1
    elseif first < 0 then
        first = len + first + 1
        if first < 0 then
            first = 0
        end
    end
    if last == nil or last > len then
        last = len
    elseif last < 0 then
        last = len + last + 1
        if last < 0 then
            last = 0
        end
    end
    return first, last
end

-- matches_at reports whether s holds part at the 0-based byte offset off,
-- which is at least -1: Tarantool compares memory there, and the byte in
-- front of a Lua string's data is a zero byte of its length field.
local function matches_at(s, part, off)
    if off >= 0 then
        off = floor(off)
        return sub(s, off + 1, off + #part) == part
    elseif off <= -1 then
        return ('\0' .. sub(s, 1, #part - 1)) == part
    end
    -- A fraction between -1 and 0 truncates to offset 0.
    return sub(s, 1, #part) == part
end

local function startswith(s, head, first, last)
    if type(s) ~= 'string' then
        error(argerror(1, 'string.startswith', 'string', type(s)), 2)
    end
    if type(head) ~= 'string' then
        error(argerror(2, 'string.startswith', 'string', type(head)), 2)
    end
    if first ~= nil and type(first) ~= 'number' then
        error(argerror(3, 'string.startswith', 'integer', type(first)), 2)
    end
    if last ~= nil and type(last) ~= 'number' then
        error(argerror(4, 'string.startswith', 'integer', type(last)), 2)
    end
    first, last = bounds(#s, first, last)
    if #head == 0 then
        return true
    end
    if last - first + 1 < #head or first > last then
        return false
    end
    return matches_at(s, head, first - 1)
end

-- endswith measures both strings before checking their types, and its
-- messages name the type of the first argument whatever the bad one is,
-- as Tarantool's do.
local function endswith(inp, tail, first, last)
    local tail_len, len = #tail, #inp
    if type(inp) ~= 'string' then
        error(argerror(1, 'string.endswith', 'string', type(inp)), 2)
    end
    if type(tail) ~= 'string' then
        error(argerror(2, 'string.endswith', 'string', type(inp)), 2)
    end
    if first ~= nil and type(first) ~= 'number' then
        error(argerror(3, 'string.endswith', 'integer', type(inp)), 2)
    end
    if last ~= nil and type(last) ~= 'number' then
        error(argerror(4, 'string.endswith', 'integer', type(inp)), 2)
    end
    first, last = bounds(len, first, last)
    if tail_len == 0 then
        return true
    end
    if last - first + 1 < tail_len or first > last then
        return false
    end
    return matches_at(inp, tail, last - tail_len)
end

local HEX = {}
for b = 0, 255 do
    HEX[b] = format('%02x', b)
end

local function hex(s)
    if type(s) ~= 'string' then
        error(argerror(1, 'string.hex', 'string', type(s)), 2)
    end
    local out = {}
    for i = 1, #s do
        out[i] = HEX[byte(s, i)]
    end
    return concat(out)
end

-- DIGIT maps the bytes of hexadecimal digits, either case, to their values.
local DIGIT = {}
for d = 0, 15 do
    DIGIT[byte(format('%x', d))] = d
    DIGIT[byte(format('%X', d))] = d
end

local function fromhex(s)
    if type(s) ~= 'string' then
        error(argerror(1, 'string.fromhex', 'string', type(s)), 2)
    end
    if #s % 2 ~= 0 then
        error(argerror(1, 'string.fromhex', 'even amount of chars',
                       'odd amount'), 2)
    end
    local out = {}
    for i = 1, #s, 2 do
        local hi, lo = DIGIT[byte(s, i)], DIGIT[byte(s, i + 1)]
        if hi == nil or lo == nil then
            error(argerror(1, 'string.fromhex', 'hex string', 'non hex chars'),
                  2)
        end
        out[#out + 1] = char(hi * 16 + lo)
    end
    return concat(out)
end

-- The set of bytes strip removes by default (isspace).
local DEFAULT_STRIP = SPACE

-- stripper builds strip, lstrip or rstrip: the bytes of chars (a set) are
-- removed from the chosen ends. Empty input or an empty set returns the
-- input itself.
local function stripper(fname, left, right)
    return function(s, chars)
        if type(s) ~= 'string' then
            error(argerror(1, fname, 'string', type(s)), 2)
        end
        if s == '' then
            return s
        end
        local set
        if chars == nil then
            set = DEFAULT_STRIP
        elseif type(chars) ~= 'string' then
            error(argerror(2, fname, 'string', type(chars)), 2)
        elseif chars == '' then
            return s
        else
            set = {}
            for i = 1, #chars do
                set[byte(chars, i)] = true
            end
        end
        local i, j = 1, #s
        if left then
            while i <= j and set[byte(s, i)] do
                i = i + 1
            end
        end
        if right then
            while j >= i and set[byte(s, j)] do
                j = j - 1
            end
        end
        return sub(s, i, j)
    end
end

string.split = split
string.ljust = ljust
string.rjust = rjust
string.center = center
string.startswith = startswith
string.endswith = endswith
string.hex = hex
string.fromhex = fromhex
string.strip = stripper('string.strip', true, true)
string.lstrip = stripper('string.lstrip', true, false)
string.rstrip = stripper('string.rstrip', false, true)
