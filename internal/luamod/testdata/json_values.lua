-- json: encoding of every Lua and cdata type, escapes, numbers, and
-- decoding with its error positions.
local json = require('json')
local ffi = require('ffi')

local function show(v)
    if type(v) ~= 'table' then
        return type(v) .. ':' .. tostring(v)
    end
    local ks = {}
    for k in pairs(v) do ks[#ks + 1] = k end
    table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(ks) do parts[#parts + 1] = tostring(k) .. '=' .. show(v[k]) end
    local mt = getmetatable(v)
    return '{' .. table.concat(parts, ',') .. '}' .. (mt and mt.__serialize or '')
end

-- Every byte value in a string.
local all = {}
for c = 0, 255 do all[#all + 1] = string.char(c) end
print(json.encode(table.concat(all)))
print(json.encode('\0'), json.encode(''), json.encode('/'), json.encode('"\\'), json.encode('\127\128'))
print(json.decode(json.encode(table.concat(all))) == table.concat(all))

-- Numbers.
local nums = {0, -0.0, 1, -1, 0.5, 1e14, 1e15, 1e16, 1e300, -1e300, 1e-300, 5e-324, 2^53, 2^53 + 1, 2^63, 2^64,
    -2^63, -2^63 - 4096, 1/3, 2/3, 100, 1e21, 123456789.123, 0.1 + 0.2, 3.14159265358979, 99999999999999.9,
    12345678901234567890, -12345678901234567890, 4294967295, 4294967296, -2147483648}
for _, n in ipairs(nums) do io.write(json.encode(n), ' ') end
print()
local cdatas = {1LL, -1LL, 0ULL, 18446744073709551615ULL, -9223372036854775807LL - 1, 9223372036854775807LL,
    ffi.new('int8_t', -8), ffi.new('uint8_t', 200), ffi.new('int16_t', -300), ffi.new('uint16_t', 60000),
    ffi.new('int32_t', -70000), ffi.new('uint32_t', 4000000000), ffi.new('float', 0.1), ffi.new('float', 1.5),
    ffi.new('double', 0.1), ffi.new('bool', true), ffi.new('bool', false), ffi.cast('char', 65),
    ffi.cast('void *', 0), ffi.cast('const void *', 0), ffi.cast('char *', 0)}
for _, c in ipairs(cdatas) do io.write(tostring(select(2, pcall(json.encode, c))), ' ') end
print()
print(pcall(json.encode, ffi.cast('void *', 1)))
print(pcall(json.encode, ffi.new('int[2]')))
print(pcall(json.encode, ffi.typeof('int')))

-- Keys.
print(json.encode({[1] = 'a', [2] = 'b'}), json.encode({[-1] = 'x'}), json.encode({[1LL] = 1}))
print(json.encode({['a"b'] = 1}), json.encode({[10] = 1, [20] = 2}) == '{"10":1,"20":2}' or json.encode({[10] = 1, [20] = 2}) == '{"20":2,"10":1}')
print(json.encode({[-5LL] = 1}), json.encode({[18446744073709551615ULL] = 1}))
print(pcall(json.encode, {[1.5] = 1}))
print(pcall(json.encode, {[true] = 1}))
print(pcall(json.encode, {[{}] = 1}))
print(pcall(json.encode, {[ffi.new('double', 2)] = 1}))

-- Arrays and maps.
print(json.encode({}), json.encode({{}, {{}}}), json.encode({1, nil, 3}), json.encode({nil, nil, 3}))
print(json.encode({[1] = 1, [2] = 2, [4] = 4}), json.encode({json.NULL, json.null}), json.encode({a = json.NULL}))
print(json.encode({[0] = 'zero'}), json.encode({n = 1}))
print(json.encode({1, 2, 3, {4, {5, {6}}}}))

-- Decoding.
local docs = {'0', '-0', '1', '-1', '1.0', '1.5', '-1.5e3', '1E-2', '1e309', '-1e309', '123456789012345',
    '99999999999999', '100000000000000', '-99999999999999', '-100000000000000', '9223372036854775807',
    '9223372036854775808', '18446744073709551615', '18446744073709551616', '-9223372036854775808',
    '-9223372036854775809', '123456789012345678901234567890', '0.000001', '1.7976931348623157e308',
    '"\\u0000"', '"\\u00e9\\u4e2d\\ud83d\\ude00"', '"\\uDBFF\\uDFFF"', '"\\udc00"', '"a\\u0041b"',
    '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\u00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\\g"', '"é"',
    '[]', '{}', '[1,[2,[3]]]', '{"a":{"b":[]}}', '{"a":1,"a":2}', ' \t\r\n[ 1 , 2 ] \n', '[1,2,]',
    '[,1]', '{"a":1,}', '{,}', '{"a" 1}', '{1:1}', '{"a":}', '[1 2]', '[1,\n2,\n3 x]', '"abc', '"abc\n',
    'tru', 'true', 'truex', 'nul', 'null', 'nullx', 'false', 'fals', 'NaN', 'Infinity', '-', '+1', '.5',
    '0x10', '01', '-01', '00', '1.', '1e', '1e+', '1.e5', '-.5', '"\\x"', '[[[[[[]]]]]]', "'a'", '//', '#',
    '\n\n   ?', '[1]\n\n x', '{"a":[1,\n  2,\n    }', '{"\\u0041":1}', '"\t"', '"\n"', '\0', '1\0junk', 'a\0',
    '\0a', '  ', '', '123abc', '-inf', '[-nan]', '1e2.5', '2.5e-3', '-0.0'}
for _, s in ipairs(docs) do
    local ok, r = pcall(json.decode, s)
    print(string.format('%q', s), ok, ok and show(r) or r)
end
print(json.decode('18446744073709551615') == 18446744073709551615ULL, type(json.decode('100000000000000')))
print(json.decode('-100000000000000') == -100000000000000LL, ffi.typeof(json.decode('-100000000000000')))
print(ffi.typeof(json.decode('18446744073709551615')), json.decode('99999999999999') + 1)
print(json.decode('1') == json.decode('1.0'), json.decode('[1.0]')[1])
print(json.decode(json.encode({a = {1, 2, {b = 'c'}}})).a[3].b)
print(json.decode('null') == json.NULL, json.decode('[null]')[1] == nil, json.decode('{"a":null}').a == json.NULL)
