local yaml = require('yaml')
local vals = {
 1, -1, 1.5, 0.1, 1/3, 1e100, 2^63, 1e15, 0/0, 1/0, -1/0, 'abc', '', 'a b', ' a', 'a ', 'true', 'false', 'null', 'yes', 'no', 'on', 'off', '~', '1', '1.5', '0x10', '-', '- a', 'a: b', 'a:b', '#a', 'a #b', 'a#b', "it's", '"q"', '@a', '`a', '!a', '&a', '*a', '|a', '>a', '%a', '[a', ']a', '{a', '}a', ',a', 'a,b', '?a', '? a', 'a\nb', 'a\n', 'a\tb', '\1', 'é', 'Null', 'NULL', 'True', 'Y', 'n', '.inf', '.nan', '1e3', '---', '...', 'a\\b', '0o17', '+1', '1_000', '12:30', '2020-01-01', 'abc\n  def',
 true, false, yaml.NULL, {}, {1,2,3}, {a=1}, {{1,2},{3}}, {a={b={c=1}}}, {{a=1},{b=2}}, {a={1,2}}, {{}}, {a={}}, setmetatable({1,2}, {__serialize='seq'}), setmetatable({a=1}, {__serialize='map'}), {1, yaml.NULL, 3}, {'a b', 'x: y'}, {[1]=1,[3]=3}, {{{1}}}, {a={{b=1}}},
 string.rep('long ', 30), setmetatable({}, {__serialize='map'}),
}
for i, v in ipairs(vals) do io.write(i, ' ', yaml.encode(v)) end
print(yaml.encode(nil))
print(pcall(yaml.encode))
print(pcall(yaml.encode, function() end))
print(yaml.encode(setmetatable({}, {__serialize=function() return {1} end})))
