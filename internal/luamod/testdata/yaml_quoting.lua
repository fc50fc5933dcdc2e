-- lua-yaml's quoting rules (strings that read back as null, booleans or
-- numbers), libyaml's folding at 80 columns, long keys, flow/block mixes,
-- anchors, depth and %TAG directives.
local yaml = require('yaml')
local function show(label, v, opts) io.write(label, ' ', yaml.encode(v, opts)) end
local S = function(t) return setmetatable(t, {__serialize = 'seq'}) end
local M = function(t) return setmetatable(t, {__serialize = 'map'}) end
-- label quotes s the same way under LuaJIT and gopher-lua (%q differs).
local function label(s)
    return '"' .. s:gsub('[%c\\"\128-\255]', function(c) return '\\' .. c:byte() end) .. '"'
end

-- Strings YAML 1.1 or LuaJIT would read as something else.
for _, s in ipairs({'Yes', 'YES', 'No', 'On', 'ON', 'off', 'Off', 'y', 'Y', 'n',
        'N', '~', 'null', 'Null', 'NULL', 'nil', 'true', 'True', 'TRUE', 'false',
        'False', 'yes', 'no', '.inf', '-.inf', '.NaN', '.nan', '0o17', '0b101',
        '0B11', '0b', '0b2', '0x1F', '0X1f', '0x1p-2', '0x.8', '0x1.', '1_000',
        '1:20', '1:20:30', '+1', '-0', '+0.0', '1e3', '1E3', '1e+3', '1e-3',
        '.5', '5.', '-.5e3', 'inf', '-inf', '+inf', 'nan', '-nan', 'INF',
        'Infinity', '-infinity', 'infinit', '  12  ', '12 ', '\t12', '\n12\n',
        '\v12\f', '1.2.3', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '=',
        '<<', '-', '--', '---', '----', '...', '....', '--- a', '... a', '- ',
        '-a', '- a', '?', '? ', '?a', ':', ': ', ':a', 'a:', 'a: ', 'a:b',
        'a : b', ' #', '#', '#a', 'a #b', 'a#b', 'a# b', '@', '`', '!', '&',
        '*', '|', '>', '%', "'", '"', ',', '[', ']', '{', '}', 'a,b', 'a[b]',
        'a{b}', 'a?b', 'a!b', 'a&b', 'a*b', 'a|b', 'a>b', "a'b", 'a"b',
        'a\\b', '\\', ' ', '  ', 'a ', ' a', 'a  b', '\t', 'a\t', '\ta',
        'a\tb', '\n', '\n\n', 'a\n', '\na', 'a\nb', 'a\n\nb', 'a\n\n', '\n\na',
        'a \nb', 'a\n b', ' a\n\nb', 'a\n\nb ', 'a\r\nb', '\r', 'a\rb',
        '0', '00', '08', '1e', '1e+', '0x', '1LL', '1ULL', '1i', '0x1g',
        '12e', '1..2', '1.5.', 'e5', '.', '+', '+.', '-.', '0b1.1', '0b1p1',
        '0B', '-0b1', '0x.8p1', '0x1P+1', '0x1p', '0x1e', '0x1E+5', '1e5.',
        '\v1\f', '1 2', '- 1', '+-1', '00x1', '0xffffffffffffffffff',
        '1' .. string.rep('0', 400), '1e999', '-1e-999', 'iNf', 'NaN', 'nan1',
        'infinity ', ' -inf', '0x-1', '1e0x1', '١'}) do
    show(label(s), s)
    show('seq ' .. label(s), {s})
    show('flow ' .. label(s), S{s})
    show('key ' .. label(s), {[s] = s})
end

-- Folding at 80 columns: plain, single-quoted and double-quoted scalars.
local words = string.rep('word ', 20) .. 'end'
show('long plain', words)
show('long seq', {words})
show('long key value', {k = words})
show('long flow', S{words, words})
show('long number-like', string.rep('1 ', 50))
show('long nospace', string.rep('x', 200))
show('long nospace seq', {string.rep('x', 200)})
show('long nospace flow', S{string.rep('x', 100), string.rep('y', 100)})
show('long double spaces', string.rep('ab  ', 40))
show('long triple spaces', string.rep('ab   ', 30))
show('long spaces at fold', string.rep('x', 79) .. '  y ' .. string.rep('z', 10))
show('long quoted', "'" .. words .. "'")
show('long colon', 'key: ' .. words)
show('long escapes', string.rep('a\1 ', 40))
show('long escapes doubled', string.rep('a\1  ', 30))
show('long trailing space', words .. ' ')
show('long leading space', ' ' .. words)
show('long with breaks', words .. '\n' .. words)
show('long with empty line', words .. '\n\n' .. words)
show('long literal in seq', {words .. '\n\n' .. words})
show('long in nested', {{{words}}})
show('long in map', {a = {b = {c = words}}})
show('long tab', 'tab\t' .. words)
show('long at 80', string.rep('y', 80) .. ' z')
show('long at 81', string.rep('y', 81) .. ' z')
show('long at 79', string.rep('y', 79) .. ' z z')

-- Long map keys: libyaml allows an implicit key up to 128 bytes.
for _, n in ipairs({126, 127, 128, 129, 130, 200}) do
    local k = string.rep('k', n)
    show('key ' .. n, {[k] = 1})
    show('flow key ' .. n, M{[k] = 1})
    show('seq flow key ' .. n, {M{[k] = 1}})
    show('key words ' .. n, {[string.rep('w ', n / 2)] = 'v'})
end
show('key 129 table value', {[string.rep('k', 129)] = {1, 2}})
show('key 129 map value', {[string.rep('k', 129)] = {a = 1}})
show('key 129 flow value', {[string.rep('k', 129)] = S{1, 2}})
show('key 64 cyrillic', {[string.rep('\208\191', 64)] = 1})
show('key 65 cyrillic', {[string.rep('\208\191', 65)] = 1})
show('key binary 90', {[string.rep('\255', 90)] = 1})
show('key binary 93', {[string.rep('\255', 93)] = 1})
show('key binary 96', {[string.rep('\255', 96)] = 1})
show('key multiline', {['a\nb'] = 1})
show('key multiline flow', M{['a\nb'] = 1})
show('key literal', {['a\n\nb'] = 'c\n\nd'})
show('key empty', {[''] = ''})
show('key empty flow', M{[''] = ''})
show('key quoted', {["it's"] = 'x: y'})
show('key long in flow seq', S{M{[string.rep('q', 140)] = string.rep('v', 10)}})

-- Block and flow collections mixed.
show('empty', {})
show('empty seq', S{})
show('empty map', M{})
show('nested empty', {{}, {{}}, S{}, M{}})
show('flow in block', {a = S{1, 'x y', {b = 'c d'}}})
show('block in flow', S{{1, 2}, {a = 'b c'}, 'd e'})
show('map of seq', {a = {1, {2, 3}, 'x y'}})
show('seq of map', {{a = 'x y'}, {b = {c = 'd'}}})
show('seq of seq', {{{1, 2}, {3}}, {}})
show('map in map in seq', {{a = {b = {1}}}})
show('flow map in seq', {M{a = 1}, M{b = 'x y'}})
show('flow seq of maps', S{{a = 1}, {b = 2}})
show('flow empty then string', {S{}, 'x y'})
show('flow key empty then string', {[S{}] = 'x y'})
show('block key empty then string', {[{}] = 'x y'})
show('flow key empty nested', {a = {[S{}] = 'x y'}})
show('flow key empty then seq', {[S{}] = {'x y'}})
show('flow key map empty then string', {[M{}] = 'x: y'})
show('flow key nonempty then string', {[S{1}] = 'x y'})
show('block key nonempty', {[{1, 2}] = 'x y'})
show('block key map', {[{a = 1}] = {b = 'c d'}})
show('flow seq long', S{string.rep('a', 30), string.rep('b', 30), string.rep('c', 30), string.rep('d', 30)})
show('flow seq numbers', S{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30})
show('flow nested long', S{S{string.rep('a', 40), string.rep('b', 40)}, M{k = string.rep('c', 70)}})
show('flow map long value', M{k = words})
show('deep block', {{{{{{{{{{'x y'}}}}}}}}}})
show('deep map', {a = {b = {c = {d = {e = {f = 'x y'}}}}}})
show('null items', {1, yaml.NULL, 3})
show('null key', {[yaml.NULL] = 1})
show('bool key', {[true] = 'x'})
show('number key', {[1.5] = 'x'})
show('array holes', {[1] = 1, [3] = 3})

-- Anchors and aliases.
local t = {1, 'x y'}
show('alias block', {t, t})
show('alias flow', S{t, t})
show('alias map', {a = t})
show('alias key', {[t] = t})
local f = S{1}
show('alias flow table', {f, f, f})
local e = {}
show('alias empty', {e, e})
local r = {} r[1] = r
show('self reference', r)
local m = {x = 'y'}
show('alias nested', {{m}, {m}, S{m}})

-- Depth: yaml.encode ignores encode_max_depth.
local deep = {} local c = deep for i = 1, 200 do c[1] = {} c = c[1] end c[1] = 'end'
show('depth 200', deep)
yaml.cfg{encode_max_depth = 3}
show('max depth ignored', {{{{{1}}}}})
yaml.cfg{encode_deep_as_nil = true}
show('deep as nil ignored', {{{{{1}}}}})
yaml.cfg{encode_max_depth = 128, encode_deep_as_nil = false}

-- %TAG directives.
show('tag', {1, 'a'}, {tag_handle = '!push!', tag_prefix = 'tag:tarantool.io/push,2018'})
show('tag scalar', 'x', {tag_handle = '!x!', tag_prefix = 'p'})
show('tag empty', {}, {tag_handle = '!x!', tag_prefix = 'p'})
show('tag escaped prefix', 1, {tag_handle = '!a1!', tag_prefix = 'a b%c\195\169<>'})
show('tag primary', 1, {tag_handle = '!', tag_prefix = 'p'})
show('tag numbers', 1, {tag_handle = '!1!', tag_prefix = 2})
show('tag binary', '\255', {tag_handle = '!t!', tag_prefix = 'tag:'})
show('tag binary !!', '\255', {tag_handle = '!!', tag_prefix = 'p'})
show('tag binary key', {['\255'] = 1}, {tag_handle = '!t!', tag_prefix = 'tag:yaml.org,2002:'})
for _, o in ipairs({{tag_handle = 'x', tag_prefix = 'p'}, {tag_handle = '!x', tag_prefix = 'p'},
        {tag_handle = '', tag_prefix = 'p'}, {tag_handle = '!x!', tag_prefix = ''},
        {tag_handle = '!a-b!', tag_prefix = 'p'}, {tag_handle = '!a_b!', tag_prefix = 'p'},
        {tag_handle = '!a.b!', tag_prefix = 'p'}, {tag_handle = '!x!'}, {tag_prefix = 'p'},
        {tag_handle = true, tag_prefix = 'p'}}) do
    print(pcall(yaml.encode, {1}, o))
end
print(pcall(yaml.encode, 1, 2))
print(pcall(yaml.encode, 1, {}))
