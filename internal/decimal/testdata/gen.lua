-- gen.lua prints golden.txt: decimal operations computed by Tarantool 2.6
-- (`tarantool gen.lua > golden.txt`). Each line is tab-separated: the
-- operation, its operands and the result, a result being the hex of the
-- value's MessagePack encoding (which fixes its exact representation) or
-- ERR. Numbers are printed with %.17g so that the test reads back the
-- same doubles. The random operands come from a fixed seed, but the test
-- takes every operand from this file, not from the generator.
local decimal = require('decimal')
local msgpack = require('msgpack')

local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function res(ok, v)
    if not ok then
        return 'ERR'
    end
    if type(v) == 'number' then
        return string.format('%d', v)
    end
    if type(v) == 'boolean' then
        return tostring(v)
    end
    return hex(msgpack.encode(v))
end

local function out(...)
    print(table.concat({...}, '\t'))
end

math.randomseed(20200100)

local fixed = {
    '0', '-0', '1', '-1', '0.0', '-0.00', '1.5', '2.5', '-2.5', '0.5', '-0.5', '0.05', '0.0123', '9.99',
    '99.5', '100', '1e2', '1E+2', '0e10', '0e-10', '1e37', '-1e37', '9.99e37', '1e-38', '-1e-38', '1e-39',
    '5e-39', '1.5e-38', '0.000000000000000000000000000000000000015', '12345678901234567890123456789012345678',
    '-12345678901234567890123456789012345678', '99999999999999999999999999999999999999',
    '9999999999999999999999999999999999999.95', '0.123456789012345678901234567890123456785',
    '1.23456789012345678901234567890123456789012', '3.14159265358979323846264338327950288',
    '2.718281828459045235360287471352662497757', '0.1', '0.2', '0.3', '1.0000000000000000000000000000000000001',
    '1000000', '123.456', '-123.4500', '7', '3', '-7', '-3', '2', '10', '0.001', '1e-20', '1e20', '12345.6789',
    '1e', 'abc', '', ' 1', '1 ', '1e38', '.5', '5.', '+5', '-.5', '00012.50', '1e-1000', '0e1000', '1e999999999',
    'inf', 'NaN', '1.2.3', '0x10', '1e+00000000000000000000000001',
}

local function rnd_decimal()
    local kind = math.random(6)
    local digits = math.random(1, 40)
    local t = {}
    for i = 1, digits do
        t[i] = tostring(math.random(0, 9))
    end
    local s = table.concat(t)
    if kind == 1 then
        s = s .. 'e' .. tostring(math.random(-45, 40))
    elseif kind <= 4 then
        local p = math.random(0, #s)
        s = s:sub(1, p) .. '.' .. s:sub(p + 1)
        if s:sub(1, 1) == '.' then s = '0' .. s end
        if s:sub(-1) == '.' then s = s .. '0' end
    end
    if math.random(2) == 1 then
        s = '-' .. s
    end
    return s
end

local strs = {}
for _, s in ipairs(fixed) do
    strs[#strs + 1] = s
end
for _ = 1, 300 do
    strs[#strs + 1] = rnd_decimal()
end

-- Parsing.
local vals = {}
for _, s in ipairs(strs) do
    local ok, v = pcall(decimal.new, s)
    out('new', s, res(ok, v))
    if ok then
        vals[#vals + 1] = v
        out('prec', s, res(true, decimal.precision(v)), res(true, decimal.scale(v)))
    end
end

-- Doubles.
local nums = {0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1/3, 2/3, 1e15, 1e16, 1e14, 123456789012345678, 2^53, 2^63, 2^64,
    1e300, -1e-300, 1e-5, 1e-7, 1.5e-5, 0.0001, 0.00001, 100, 1e21, 123.456, 0.1 + 0.2, 1e-38, 1e-39, 5e-39,
    9.999999999999999e37, 1e38, 0.9999999999999999, 99999999999999.99, 999999999999999.9, 4503599627370495.5}
for _ = 1, 200 do
    local e = math.random(-45, 40)
    nums[#nums + 1] = (math.random() - 0.5) * 10 ^ e
end
for _ = 1, 50 do
    nums[#nums + 1] = math.random(-1000000, 1000000) / 1000
end
for _, n in ipairs(nums) do
    local ok, v = pcall(decimal.new, n)
    out('double', string.format('%.17g', n), res(ok, v))
end

-- Binary operations on pairs of parsed values.
local specials = {}
for i = 1, #fixed do
    local ok, v = pcall(decimal.new, fixed[i])
    if ok then specials[#specials + 1] = {fixed[i], v} end
end
local pairs_ = {}
for i = 1, #specials, 3 do
    for j = 1, #specials, 2 do
        pairs_[#pairs_ + 1] = {specials[i], specials[j]}
    end
end
for _ = 1, 600 do
    local a, b = rnd_decimal(), rnd_decimal()
    local oka, va = pcall(decimal.new, a)
    local okb, vb = pcall(decimal.new, b)
    if oka and okb then
        pairs_[#pairs_ + 1] = {{a, va}, {b, vb}}
    end
end
for _, p in ipairs(pairs_) do
    local a, b = p[1], p[2]
    local va, vb = a[2], b[2]
    out('add', a[1], b[1], res(pcall(function() return va + vb end)))
    out('sub', a[1], b[1], res(pcall(function() return va - vb end)))
    out('mul', a[1], b[1], res(pcall(function() return va * vb end)))
    out('div', a[1], b[1], res(pcall(function() return va / vb end)))
    out('mod', a[1], b[1], res(pcall(function() return va % vb end)))
    out('cmp', a[1], b[1], tostring(va < vb), tostring(va == vb), tostring(va <= vb))
end

-- Powers: small integer and fractional exponents.
local bases = {'2', '-2', '0', '1', '10', '0.5', '1.1', '-1.1', '3.14159', '123.456', '1e-10', '0.001', '99', '7'}
local exps = {'0', '1', '2', '3', '-1', '-2', '10', '37', '38', '-38', '0.5', '2.5', '-0.5', '1.5', '100', '0.1'}
local function valid(s)
    return pcall(decimal.new, s)
end
while #bases < 70 do
    local s = rnd_decimal():sub(1, 12)
    if valid(s) then bases[#bases + 1] = s end
end
while #exps < 60 do
    local s = rnd_decimal():sub(1, 4)
    if valid(s) then exps[#exps + 1] = s end
end
for _, e in ipairs({'1e9', '1e10', '999999999', '1000000000', '2e9', '0.5e1', '3.0', '-3.00', '1E+1', '12345678901',
    '-1e10', '1e-5'}) do
    exps[#exps + 1] = e
end
for _, b in ipairs({'1.000', '-1', '-1.0', '0.99', '1.01', '-0', '0.0'}) do
    bases[#bases + 1] = b
end
for _, a in ipairs(bases) do
    for _, b in ipairs(exps) do
        out('pow', a, b, res(pcall(function() return decimal.new(a) ^ decimal.new(b) end)))
    end
end

-- Unary functions.
local unary = {}
for _, s in ipairs(fixed) do unary[#unary + 1] = s end
for _, s in ipairs({'2', '3', '10', '100', '1000', '0.5', '0.25', '1e-10', '1e10', '-1', '87', '88', '-87', '-88',
    '86.4', '1e-38', '0.1', '2.25', '1e36', '1.21', '4', '16', '1.0000000000000000000000000000000000001',
    '1.000', '10.0', '100.00', '0.0100', '4.00', '0.040', '1.0', '-0.0', '0.99', '0.9999999999999999999999999999999999999',
    '-1e-39', '1e-37', '-87.5', '-88.4', '-700', '-1000', '-1e5', '-1e8', '1e8', '87.49', '1e-6', '0.00', '4E+2', '9E+1'}) do
    unary[#unary + 1] = s
end
for _ = 1, 100 do
    unary[#unary + 1] = rnd_decimal()
end
for _, s in ipairs(unary) do
    local ok, v = pcall(decimal.new, s)
    if ok then
        out('minus', s, res(pcall(function() return -v end)))
        out('abs', s, res(pcall(decimal.abs, v)))
        out('sqrt', s, res(pcall(decimal.sqrt, v)))
        out('exp', s, res(pcall(decimal.exp, v)))
        out('ln', s, res(pcall(decimal.ln, v)))
        out('log10', s, res(pcall(decimal.log10, v)))
        out('trim', s, res(pcall(decimal.trim, v)))
        for _, n in ipairs({-1, 0, 1, 2, 5, 37, 38, 39}) do
            out('round', s, tostring(n), res(pcall(decimal.round, v, n)))
            out('rescale', s, tostring(n), res(pcall(decimal.rescale, v, n)))
        end
    end
end
