-- decimal: cdata of decimal_t with ffi metamethods, as in 2.6.
local ffi = require('ffi')
local decimal = require('decimal')
local NULL = require('msgpack').NULL

-- the module and the type
print(package.loaded.decimal == decimal, rawget(_G, 'decimal'))
local names = {} for k in pairs(decimal) do names[#names + 1] = k end table.sort(names)
print(table.concat(names, ' '))
local d = decimal.new('1.5')
print(d, type(d), ffi.typeof(d), ffi.sizeof(d), tonumber(ffi.typeof(d)))
print(ffi.istype('decimal_t', d), ffi.typeof('decimal_t') == ffi.typeof(d), getmetatable(d))
print(d.digits, d.exponent, d.bits, d.lsu[0], decimal.new('-1234.5678').lsu[1], decimal.new('-1234.5678').bits)
print(pcall(function() return d.foo end))
print(pcall(function() return d:foo() end))
print(pcall(function() return #d end))
print(pcall(function() return d .. 'x' end))
print(pcall(function() return d() end))

-- construction from strings
for _, s in ipairs({'1e37', '1e38', '9.99e37', '1e-38', '1e-39', '1e-40', '0.0000001', '-0', '0e10',
    '1234567890123456789012345678901234567890', '1.23456789012345678901234567890123456789012', '  1', '1 ',
    'abc', 'inf', 'nan', 'Infinity', 'sNaN', '1e', '', '0x10', '1E+5', '100', '1.00', '123.456e2', '-12.3e-3',
    '0e1000', '0e-1000', '1e-1000', '.5', '5.', '+5', '-.5', '1e+', 'e5', '1.2.3', '.', '-', '00012.50',
    '1e+00000000000000000000000001', '1e999999999', '0e9999999999', '1\0', '1.5e-38', '4.9e-39', '5e-39',
    '99999999999999999999999999999999999999.5', '9999999999999999999999999999999999999.95', '١'}) do
    local ok, r = pcall(decimal.new, s)
    if ok then
        print(string.format('%q', s), r, decimal.precision(r), decimal.scale(r))
    else
        print(string.format('%q', s), r)
    end
end

-- construction from numbers and cdata
for _, n in ipairs({1, 0.1, 1/3, 1e300, -1e-300, 2^63, 2^64, 123456789012345678, 0.1 + 0.2, -0.0, 1e15, 1e16,
    1e-5, 1e-7, 1e14, 99999999999999.99, 0.9999999999999999, 1/0, -1/0, 0/0}) do
    print(n, pcall(decimal.new, n))
end
for _, v in ipairs({1ULL, -1LL, 18446744073709551615ULL, -9223372036854775807LL - 1, ffi.new('float', 0.1),
    ffi.new('double', 2.5), ffi.new('int8_t', -3), ffi.new('uint8_t', 200), ffi.new('int16_t', -300),
    ffi.new('uint16_t', 60000), ffi.new('int32_t', -70000), ffi.new('uint32_t', 4000000000), ffi.new('char', 65),
    ffi.new('bool', true), NULL, ffi.new('char *'), ffi.new('float', 1/0), ffi.new('int[1]')}) do
    print(pcall(decimal.new, v))
end
print(pcall(decimal.new, {}))
print(pcall(decimal.new, nil))
print(pcall(decimal.new))
print(pcall(decimal.new, true))
print(pcall(decimal.new, print))
print(pcall(decimal.new, '1', '2'))
print(decimal.new(d) == d, rawequal(decimal.new(d), d))

-- arithmetic
local a, b = decimal.new('1.5'), decimal.new(3)
print(a + b, a - b, a * b, a / b, a % b, a ^ 2, -a, b / 3, decimal.new(1) / 3, decimal.new(2) / 3, decimal.new(-2) / 3)
print(a + 1, 1 + a, a + '2.5', '2.5' + a, a + 1LL, 1ULL + a, a * 0.1, 2 ^ b, 2 % b, '7' % b)
print(decimal.new(5) - 5LL, 5LL - decimal.new(5), type(5LL - decimal.new(5)), a + ffi.new('double', 0.5))
print(decimal.new(1) / 30, decimal.new(1) / 300000, decimal.new(2) / 3 * 3, decimal.new('1e-20') * decimal.new('1e-20'))
print(decimal.new('0.1') ^ 40, decimal.new(2) ^ 100, decimal.new(10) ^ 37, decimal.new(-2) ^ 3, decimal.new('1.1') ^ decimal.new('2.5'))
print(decimal.new(2) ^ 0.5, decimal.new(2) ^ -1, decimal.new('0.5') ^ -38, decimal.new(1) ^ 0.5, decimal.new(4) ^ 0.5)
print(decimal.new(7) % 3, decimal.new(-7) % 3, decimal.new('7.5') % 2, decimal.new(7) % -3, decimal.new('1e37') % 3)
print(decimal.new(1) / decimal.new('1e-37'), decimal.new('12345678901234567890123456789012345678') + 1)
print(-decimal.new(0), -decimal.new('-0'), -decimal.new('0.00'), -decimal.new('1e37'), decimal.new('-0.00') + 0)
for _, f in ipairs({
    function() return a / 0 end, function() return a % 0 end, function() return decimal.new(0) / 0 end,
    function() return decimal.new('9e37') * 10 end, function() return decimal.new('9e37') + decimal.new('9e37') end,
    function() return decimal.new(0) ^ -1 end, function() return decimal.new(-1) ^ 0.5 end,
    function() return decimal.new(0) ^ 0 end, function() return decimal.new(1) / decimal.new('1e-38') end,
    function() return decimal.new('12345678901234567890123456789012345678') * 10 end,
    function() return a + {} end, function() return a + nil end, function() return a + 'zz' end,
    function() return {} + a end, function() return a + true end, function() return a + NULL end,
    function() return a + ffi.new('char *') end, function() return a + 1/0 end, function() return a * (0/0) end,
    function() return a ^ 'x' end, function() return 'x' - a end,
}) do
    print(pcall(f))
end

-- comparison
print(a == 1.5, a == b, a < b, a <= b, a > b, a >= b, 1.5 == a, a == nil, a == NULL, a == '1.5', a == 1LL)
print(decimal.new(1) == decimal.new('1.000'), decimal.new('-0') == decimal.new(0), a ~= b, a ~= 1.5)
print('5' < decimal.new(1), decimal.new(1) < 5ULL, 5LL > decimal.new(1), decimal.new(1) <= 1, 2 <= decimal.new(1))
print(decimal.new('0.1') == 0.1, decimal.new('0.30000000000000004') == 0.1 + 0.2, decimal.new(1) < 1 + 2^-52)
for _, f in ipairs({
    function() return a < nil end, function() return nil < a end, function() return a <= nil end,
    function() return a < 'x' end, function() return a < {} end, function() return 'abc' < a end,
    function() return a < true end, function() return a == true end, function() return a == 'x' end,
    function() return a == {} end, function() return a < NULL end, function() return a <= NULL end,
    function() return NULL == a end,
}) do
    print(pcall(f))
end
local t = {} t[decimal.new(1)] = 1 t[decimal.new(1)] = 2
local n = 0 for _ in pairs(t) do n = n + 1 end print(n)

-- functions
print(decimal.sqrt(2), decimal.exp(1), decimal.ln(10), decimal.log10(2), decimal.abs(-a), decimal.abs(a))
print(decimal.sqrt(100), decimal.sqrt(decimal.new('1e2')), decimal.sqrt('0.25'), decimal.sqrt(0), decimal.sqrt('-0'), decimal.sqrt('0.0'))
print(decimal.ln(2), decimal.ln(decimal.new('1.0000000000000000000000000000000000001')), decimal.ln(1), decimal.ln('1.000'))
print(decimal.log10(1000), decimal.log10('0.001'), decimal.log10('100.00'), decimal.log10('1.0000000000000000000000000000000000001'))
print(decimal.exp(0), decimal.exp(-1), decimal.exp(-100), decimal.exp(87), decimal.exp('-1e37'), decimal.exp(-1000))
print(decimal.abs(decimal.new('-0')), decimal.abs('-1.50'), decimal.abs(-5), decimal.abs(3LL))
for _, f in ipairs({'sqrt', 'ln', 'log10', 'exp', 'abs'}) do
    print(f, pcall(decimal[f]))
    print(f, pcall(decimal[f], -1))
    print(f, pcall(decimal[f], 'x'))
    print(f, pcall(decimal[f], {}))
    print(f, pcall(decimal[f], 0))
    print(f, pcall(decimal[f], 1e30))
end
local x = decimal.new('1.2345')
print(decimal.round(x, 2), decimal.round(decimal.new('1.235'), 2), decimal.round(decimal.new('-1.235'), 2), decimal.round(decimal.new('2.5'), 0))
print(decimal.round(x, -1), decimal.round(x, 50), decimal.round(decimal.new('9.99'), 1), decimal.round(decimal.new('0.0123'), 2))
print(decimal.round(decimal.new('0.5'), 0), decimal.round(decimal.new('-0.5'), 0), decimal.round(decimal.new('-0.4'), 0), decimal.round(decimal.new('-0.00'), 1))
print(decimal.round(x, 1e20), decimal.round(x, '1'), decimal.round(x, 1.7), decimal.round(x, {}), decimal.round(x, nil), decimal.round(x, 2^31), decimal.round(x, '0x2'))
print(pcall(decimal.round, 1.5, 0))
print(pcall(decimal.round, x))
print(pcall(decimal.round, NULL, 1))
print(pcall(decimal.round, ffi.new('int64_t', 5), 1))
print(decimal.precision(decimal.new('1.23')), decimal.scale(decimal.new('1.23')), decimal.precision(decimal.new('0.001')), decimal.precision(decimal.new('100')))
print(decimal.scale(decimal.new('1e5')), decimal.precision(decimal.new('1e5')), type(decimal.precision(x)), decimal.precision(decimal.new('-0.00')))
print(decimal.trim(decimal.new('1.2300')), decimal.trim(decimal.new('100')), decimal.trim(decimal.new('0.000')), decimal.trim(decimal.new('1e5')), decimal.trim(decimal.new('-0.0')))
print(decimal.rescale(decimal.new('1.2'), 5), decimal.rescale(decimal.new('1.2345'), 2), decimal.rescale(decimal.new('1.2'), -1), decimal.rescale(decimal.new('1.2'), 40))
print(decimal.rescale(decimal.new('1e30'), 10), decimal.rescale(decimal.new('1e30'), 7), decimal.rescale(x, 2^31), decimal.rescale(x, -2^31))
for _, f in ipairs({'round', 'trim', 'rescale', 'scale', 'precision'}) do
    print(f, pcall(decimal[f]))
    print(f, pcall(decimal[f], 5, 1))
    print(f, pcall(decimal[f], 'x', 1))
    print(f, pcall(decimal[f], nil, 1))
end
print(decimal.is_decimal(a), decimal.is_decimal(1), decimal.is_decimal('1'), decimal.is_decimal(nil), decimal.is_decimal(1LL), pcall(decimal.is_decimal))
print(tostring(decimal.new('-0.00')), tostring(decimal.new('1e-38')), #tostring(decimal.new('1e37')))

-- field writes through the FFI
local w = decimal.new('1.5')
w.exponent = -2
print(w, decimal.precision(w), w + 1)
w.bits = 0x80
print(w)
-- (A layout no operation makes, such as ffi.new('decimal_t') with no
-- digits or a unit above 999, is an error in Spindle, undefined in 2.6.)
