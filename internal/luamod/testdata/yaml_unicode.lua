-- Strings that stress lua-yaml's printable check (utf8_check_printable
-- with ICU's u_isprint) and libyaml's escaping: supplementary planes,
-- line and paragraph separators, BOM, noncharacters, controls.
local yaml = require('yaml')
local function show(label, v) io.write(label, ' ', yaml.encode(v)) end
local function utf8(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then
        return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
    end
    if cp < 0x10000 then
        return string.char(0xE0 + math.floor(cp / 0x1000),
            0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
    end
    return string.char(0xF0 + math.floor(cp / 0x40000),
        0x80 + math.floor(cp / 0x1000) % 0x40,
        0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end
show('brief', {'\240\159\152\128', '0b101', string.rep('\255', 60)})
for _, cp in ipairs({0x10000, 0x1F600, 0x1D400, 0x2FA1D, 0xE0100, 0xE0001,
        0xF0000, 0x10FFFD, 0x10FFFF, 0x1FFFE, 0x30000, 0x3134A, 0x1FAF8,
        0x1F1E6, 0x10FFF, 0xE007F}) do
    show(string.format('U+%X', cp), utf8(cp))
    show(string.format('flow U+%X', cp), setmetatable({'a' .. utf8(cp)}, {__serialize = 'seq'}))
    show(string.format('key U+%X', cp), {[utf8(cp)] = 1})
end
for _, cp in ipairs({0x85, 0xA0, 0xAD, 0x2028, 0x2029, 0x200B, 0x200E, 0xFEFF,
        0xFFFE, 0xFFFF, 0xFFFD, 0xE000, 0xF8FF, 0xD7FF, 0x3000, 0x2000, 0x7FF,
        0x800, 0x378, 0x9F, 0xFDD0, 0x1680, 0x61C}) do
    show(string.format('U+%04X', cp), utf8(cp))
    show(string.format('mid U+%04X', cp), 'a' .. utf8(cp) .. 'b')
    show(string.format('seq U+%04X', cp), {'x ' .. utf8(cp)})
end
show('lsep', 'line\226\128\168sep')
show('psep', 'para\226\128\169sep\226\128\169')
show('lsep key', {['k\226\128\168'] = 1})
show('bom start', '\239\187\191abc')
show('bom only', '\239\187\191')
show('mixed', 'caf\195\169 \240\159\152\128 \226\128\168 x')
show('long astral', string.rep('\240\159\152\128 ', 30))
show('long astral nospace', string.rep('\240\159\152\128', 40))
show('long cyrillic', string.rep('\208\191\209\128\208\184 ', 40))
for c = 0, 31 do show('ctl ' .. c, 'a' .. string.char(c) .. 'b') end
show('del', 'a\127b')
show('del only', '\127')
show('nul', '\0')
show('ctl seq', {'\1', '\27[0m', 'x\0y'})
show('ctl key', {['a\1'] = '\2'})
show('bad utf8', {'\192\128', '\237\160\128', '\244\144\128\128', '\248\136\128\128\128', '\195', 'ok\226\130'})
show('binary key', {['\255'] = 1})
show('binary flow', setmetatable({'\255\254', 'x'}, {__serialize = 'seq'}))
show('binary long', string.rep('\1\255', 100))
show('binary 57', string.rep('\255', 57))
show('binary 58', string.rep('\255', 58))

-- Sweep: every code point of the Basic Multilingual Plane and every 61st
-- above it. Prints the ranges that share a style ('!' binary, '"'
-- double-quoted, "'" single-quoted, p plain) and a hash of the full
-- output per 0x1000 code points, so that any difference in the printable
-- check or escaping shows up.
local function newhash()
    local h = 0
    return {
        update = function(self, s)
            for i = 1, #s do h = (h * 257 + s:byte(i)) % 2147483647 end
        end,
        result = function() return h end,
    }
end
local prev, start, last = nil, 0, 0
local block, crc = 0, newhash()
local function flush()
    print(string.format('block %X hash %d', block, crc:result()))
    crc = newhash()
end
local cp = 0
while cp <= 0x10FFFF do
    if math.floor(cp / 0x1000) ~= block then
        flush()
        block = math.floor(cp / 0x1000)
    end
    local s = yaml.encode(utf8(cp))
    crc:update(s)
    crc:update(yaml.encode({'x' .. utf8(cp) .. ' y'}))
    local c = s:sub(5, 5)
    local class = (c == '!' or c == '"' or c == "'") and c or 'p'
    if class ~= prev then
        if prev then print(string.format('%X-%X %s', start, last, prev)) end
        prev, start = class, cp
    end
    last = cp
    cp = cp < 0x10000 and cp + 1 or cp + 61
end
flush()
print(string.format('%X-%X %s', start, last, prev))
