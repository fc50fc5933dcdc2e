-- require('csv'): load, iterate, dump with options and the parser's
-- quirks (spaces, quotes, line ends, chunked readers).
local csv = require('csv')
local function show(rows)
    local out = {}
    for i, row in ipairs(rows) do
        local f = {}
        for j, v in ipairs(row) do f[j] = '<' .. v .. '>' end
        out[i] = table.concat(f, ',')
    end
    return #rows .. ': ' .. table.concat(out, ' | ')
end
local function try(...)
    print(pcall(...))
end

local inputs = {
    'a,b,c\n1,2,3\n',
    'a,b,c\n1,2,3',
    'a,b,c',
    '',
    '\n',
    '\n\n',
    'a\n\nb\n',
    ',',
    ',\n',
    'a,',
    ',a',
    '  a  ,  b  \n',
    '"a,b",c\n',
    '"a""b",c',
    '"a"b,c',
    '""a,c',
    '""""',
    '"a\nb",c\r\nd,e\n',
    'a\r\nb\n\rc\r\rd',
    'a\r\n\r\nb',
    '"unterminated\n',
    '  "q"  ,x',
    'x "y" z,w',
    'a,,b',
    ' , ,\n',
    '"a" "b"',
    'tab\tsep,x',
    '"x",',
    '\r',
    '\r\n',
    'a\n\r\nb',
    '" a ",b',
}
for _, s in ipairs(inputs) do
    if s ~= '"unterminated\n' then
        print(string.format('%q', s), show(csv.load(s)))
    end
end
print(show(csv.load('a;b;"c;d"\n1;2;3', {delimiter = ';'})))
print(show(csv.load("a,'b,c',d", {quote_char = "'"})))
print(show(csv.load("a|b\n1|2\n3|4\n", {delimiter = '|', skip_head_lines = 1})))
print(show(csv.load("h1\nh2\nx\ny", {skip_head_lines = 2})))
print(show(csv.load("h1\nh2", {skip_head_lines = 5})))
print(show(csv.load("a::b", {delimiter = '::'})))
local opts = {}
csv.load('x', opts)
print(opts.delimiter, opts.quote_char, opts.chunk_size, opts.skip_head_lines)

-- iterate, and readers that give chunks
for i, row in csv.iterate('a,b\nc,d\n') do
    print(i, row[1], row[2])
end
local function reader(s, n)
    local pos = 1
    return {read = function(self, size)
        local chunk = s:sub(pos, pos + (n or size) - 1)
        pos = pos + #chunk
        return chunk
    end}
end
local text = 'first,"second\nline",third\n  x  ,"y""z" , w\r\nlast'
for _, n in ipairs({1, 2, 3, 5, 100}) do
    print(n, show(csv.load(reader(text, n))))
end
print(show(csv.load(reader(text), {chunk_size = 4})))
print(show(csv.load(reader('a,b\n1,2\n', 1), {skip_head_lines = 1})))
try(csv.load, 5)
try(csv.load, {})
try(csv.load, {read = function() return nil end})
try(csv.iterate, {read = 5})

-- dump
print(csv.dump({1, 2, 3}))
print(csv.dump({{1, 'a'}, {2, 'b'}}))
print(csv.dump({'a,b', 'c"d', 'e\nf', 'g\rh', 'plain', ''}))
print(csv.dump({'a;b', 'c,d'}, {delimiter = ';'}))
print(csv.dump({"it's", 'x,y'}, {quote_char = "'"}))
print(csv.dump({'a', 'b'}, {delimiter = '::'}))
print(csv.dump({'nul\0tail', 'x'}))
print(csv.dump({true, 1.5, require('ffi').cast('void *', 0)}))
print(csv.dump({}))
print(csv.dump({{}}))
local written = {}
print(csv.dump({{1, 2}, {3, 4}}, nil, {write = function(self, s) written[#written + 1] = s end}))
print(#written, written[1], written[2])
print(csv.dump({'x'}, {}, false))
try(csv.dump, 'x')
try(csv.dump, {1}, {}, {})
try(csv.dump, {1}, {}, {write = 5})
try(csv.dump)
