-- the utf8 global: len, next, char, sub, upper/lower, the checkers,
-- cmp/casecmp, on well-formed and ill-formed UTF-8.
local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local function try(...)
    print(pcall(...))
end
print(utf8 == require('utf8'), type(utf8))

local samples = {'', 'abc', 'héllo', 'a\255b', 'a\226\130', 'a\226\130b',
                 '\237\160\128x', '\240\144\128', '\240\144\128x',
                 '\244\144\128\128', '\192\128', '\193\191', '\194\128',
                 '\224\128\128', '\224\160\128', '\239\191\191',
                 '\244\143\191\191', '\248\136\128\128\128', '\128\128',
                 'x\226\130\172y\240\159\152\128z', '\226\130', '\240\159\152'}
for _, s in ipairs(samples) do
    local n, e = utf8.len(s)
    local row = {hex(s), tostring(n), tostring(e)}
    local pos = 1
    while true do
        local nxt, code = utf8.next(s, pos)
        if nxt == nil then break end
        row[#row + 1] = nxt .. ':' .. code
        pos = nxt
    end
    print(table.concat(row, ' '))
    print('', hex(utf8.upper(s)), hex(utf8.lower(s)), hex(utf8.sub(s, 2)), hex(utf8.sub(s, -2)), hex(utf8.sub(s, 1, -2)), hex(utf8.sub(s, -3, 2)))
end
print(utf8.len("héllo", 3), utf8.len("héllo", 2, 2), utf8.len("héllo", -2), utf8.len("héllo", 0), utf8.len("héllo", 7))
print(utf8.len("héllo", 8), utf8.len("héllo", 1, 10), utf8.len("héllo", 1, -10), utf8.len("héllo", -100), utf8.len("héllo", 2, 1))
print(utf8.len("héllo", 2.9), utf8.len("héllo", "2"), utf8.len(12345), utf8.len("héllo", nil, 3))
print(utf8.next("héllo"), utf8.next("héllo", 2), utf8.next("héllo", 3), utf8.next("héllo", 7), utf8.next("héllo", -1), utf8.next("a\255", 2))
print(utf8.next("héllo", 0), utf8.next("héllo", -100), utf8.next(""), utf8.next("é", 2), utf8.next(123, 2))
print(hex(utf8.char(72, 233, 0x20AC, 0x1F600)), hex(utf8.char(0xD800)), hex(utf8.char(0x110000)), hex(utf8.char(-1)), hex(utf8.char(0x7fffffff)))
print(hex(utf8.char(0)), hex(utf8.char(127, 128, 2047, 2048, 65535, 65536)), hex(utf8.char(65.7)), hex(utf8.char("66")), hex(utf8.char(2^32 + 65)))
local w = "héllo wörld"
for _, ij in ipairs({{2, 4}, {-3}, {-3, -2}, {2, -2}, {0}, {4, 2}, {-10, 2}, {10}, {1, 0}, {0, 0}, {-1, -1}, {-1, 1}, {-11, -11}, {-12, -1}, {3, 100}, {-100, -100}, {5, -7}, {2, 2}}) do
    io.write(utf8.sub(w, ij[1], ij[2]), '|')
end
print()
print(utf8.upper("straße ŉ ﬁ ǆ ǅ àé ǰ"), utf8.lower("ΑΣ ΟΔΟΣ. Σ ÀÉ İ ǅ ΣΣ Σ1"), utf8.lower("ΣΑ"), utf8.upper("i ı ÿ µ"))
print(utf8.upper("hello World 123"), utf8.lower("HELLO World 123"), utf8.upper(""), utf8.lower(42), utf8.upper("ǳ ǲ ǅ"))
print(utf8.lower("ΌΣΟΣ ΑΣ,ΑΣ'Σ Σ̈Σ"), utf8.upper("ﬀ ﬃ ﬆ ŉ ΐ"))
for _, f in ipairs({'islower', 'isupper', 'isdigit', 'isalpha'}) do
    local row = {f}
    for _, v in ipairs({'a', 'A', 'É', 'é', '5', '٣', 'ж', 'Ж', '1', 'ab', '', ' ', 'ǅ', 'ª', '\255', 'a\255', '中', 'Ⅳ', '²', 97, 65, 48, 0x416, -5, 0x110000, 2.5, 'ʰ'}) do
        row[#row + 1] = tostring(utf8[f](v))
    end
    print(table.concat(row, ' '))
end
print(utf8.cmp("a", "b"), utf8.cmp("b", "a"), utf8.cmp("a", "a"), utf8.cmp("a", "A"), utf8.casecmp("a", "A"), utf8.casecmp("é", "E"), utf8.cmp("é", "f"), utf8.cmp(1, 2))
print(utf8.cmp("abc", "ABD"), utf8.casecmp("ABC", "abd"), utf8.cmp("", "a"), utf8.casecmp("straße", "STRASSE"), utf8.cmp("résumé", "resume"), utf8.casecmp("résumé", "RESUME"))
print(utf8.cmp("ä", "b"), utf8.cmp("Z", "a"), utf8.cmp("a b", "ab"), utf8.cmp("10", "9"), utf8.casecmp("Ǆ", "ǆ"), utf8.cmp("ß", "ss"))
try(utf8.len)
try(utf8.len, {})
try(utf8.len, 'a', 1, 2, 3)
try(utf8.len, 'a', 'x')
try(utf8.next)
try(utf8.next, 'a', 1, 2)
try(utf8.next, {})
try(utf8.char)
try(utf8.char, 'x')
try(utf8.char, 1, {})
try(utf8.sub, 'a')
try(utf8.sub, 'a', 'x')
try(utf8.sub, {}, 1)
try(utf8.sub, 'a', 1, {})
try(utf8.upper)
try(utf8.upper, 'a', 'b')
try(utf8.lower, {})
try(utf8.islower)
try(utf8.islower, {})
try(utf8.isdigit, 'a', 'b')
try(utf8.cmp, 'a')
try(utf8.casecmp, 'a', {})
try(function() return utf8.islower() end)
try(function() return utf8.len() end)
try(function() return utf8.char(1, nil) end)
try(function() return utf8.isalpha({}) end)
