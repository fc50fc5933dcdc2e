-- yaml.decode: lua-yaml's scalar rules, types (numbers, int64/uint64
-- cdata from 1e14 on, box.NULL), tags, anchors, several documents,
-- tag_only and the argument checks. Maps print with sorted keys.
local yaml = require('yaml')
local ffi = require('ffi')

local function show(v, seen)
    local t = type(v)
    seen = seen or {}
    if t == 'table' then
        if seen[v] then return '<cycle>' end
        seen[v] = true
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b)
            return type(a) .. tostring(a) < type(b) .. tostring(b)
        end)
        local parts = {}
        for _, k in ipairs(keys) do
            parts[#parts + 1] = show(k, seen) .. '=' .. show(v[k], seen)
        end
        local mt = getmetatable(v)
        local hint = mt and mt.__serialize or '-'
        seen[v] = nil
        return hint .. '{' .. table.concat(parts, ', ') .. '}'
    elseif t == 'cdata' then
        if v == nil then return 'NULL' end
        return 'cdata:' .. tostring(ffi.typeof(v)) .. ':' .. tostring(v)
    elseif t == 'string' then
        return string.format('%q', v)
    end
    return t .. ':' .. tostring(v)
end

local function pack(...) return {n = select('#', ...), ...} end

local function dec(s, opts)
    local r = pack(pcall(yaml.decode, s, opts))
    local out = {tostring(r[1]), 'n=' .. (r.n - 1)}
    for i = 2, r.n do out[#out + 1] = r[i] == nil and 'nil' or show(r[i]) end
    print(string.format('%q', s), table.concat(out, ' '))
end

for _, s in ipairs({'1', '-1', '0', '-0', '+5', '007', '1.5', '-1.5e3', '.5', '5.',
        '1e3', '1E-2', '0x10', '0X1f', '0x1p4', '0x', '1e', '1_000', '0b101', '0o17',
        '99999999999999', '100000000000000', '-99999999999999', '-100000000000000',
        '9007199254740993', '9223372036854775806', '9223372036854775807',
        '9223372036854775808', '18446744073709551615', '18446744073709551616',
        '99999999999999999999999', '-9223372036854775808', '-9223372036854775809',
        '-99999999999999999999999', 'inf', '-inf', 'Infinity', 'nan', '.inf', '.nan',
        '1e999', '-1e999', '1e-999', 'true', 'false', 'yes', 'no', 'True', 'on', 'off',
        'y', 'n', '~', 'null', 'Null', 'NULL', '', ' ', '---', '--- \n',
        "'1'", '"1"', "'true'", "'~'", "''", '"a\\tb"', '|\n  a\n  b\n', '>\n  a\n  b\n',
        '!!str 1', '!!str', '!!int 12', '!!int -12abc', '!!int 0x10', '!!int',
        '!!int 99999999999999999999', '!!int 12345678901234567', '!!float 1.5',
        '!!float 0x10', '!!float 1.5abc', '!!float', '!!float inf', '!!bool yes',
        '!!bool True', '!!bool 1', '!!binary aGVsbG8=', '!!binary aGVsbG8', '!!binary a!G=Vs',
        '!!null x', '!!map {}', '!<tag:yaml.org,2002:int> 7', '! 5', '!foo 5',
        '%TAG !e! tag:yaml.org,2002:\n--- !e!int 7', '<<', '2001-12-14', '12:30'}) do
    dec(s)
end

-- Collections and their hints.
for _, s in ipairs({'[]', '{}', '- 1\n- 2', '[1, [2, 3]]', '{a: 1}', 'a: {b: [c]}',
        '- a: 1\n- b: 2', '{1: a, 2.5: b, true: c, ~: d}', '[~, null, ""]', '? [1]\n: 2',
        '{a: 1, a: 2}', '- - - 1', '{nan: 1}', '{.nan: 1}', '{[]: 1}'}) do
    dec(s)
end

-- Anchors: tables and strings only; numbers, tagged and empty scalars
-- register none.
for _, s in ipairs({'a: &x [5]\nb: *x', 'a: &x s\nb: *x', 'a: &x 5\nb: *x',
        'a: &x !!str 5\nb: *x', 'a: &x true\nb: *x', 'a: &x\nb: *x', '- &x {k: v}\n- *x',
        '&x [*x]', 'a: *y', '- &x a\n- &x [b]\n- *x', '- &x [b]\n- &x 1\n- *x',
        '--- &x [1]\n--- *x'}) do
    dec(s)
end
local t = yaml.decode('a: &x [5]\nb: *x')
print('shared', rawequal(t.a, t.b))
t = yaml.decode('&x [*x]')
print('self', rawequal(t, t[1]))

-- Documents.
for _, s in ipairs({'--- 1\n--- 2\n', '1\n---\n2', '--- 1\n...\n--- [2]\n', '#c\n', '# only\n# comments',
        '--- \n--- \n', 'a: 1\n---\nb: 2\n...\n'}) do
    dec(s)
end

-- Options and arguments.
dec(5)
dec('1', 5)
dec('1', {})
dec('1', {tag_only = false})
dec('1', {tag_only = 1})
dec('%TAG !t! tag:x\n--- 1', {tag_only = true})
dec('--- 1', {tag_only = true})
dec('', {tag_only = true})
dec('%TAG !t! tag:x\n%TAG !u! tag:y\n--- 1', {tag_only = true})
dec('%TAG !t! tag:x\n# c\n--- 1', {tag_only = true})
dec('%YAML 1.1\n%TAG ! tag:x,2000:\n--- 1', {tag_only = true})
dec('%TAG !push! tag:tarantool.io/push,2018\n--- [1, 2]\n...\n', {tag_only = true})
dec('%TAG !push! tag:tarantool.io/push,2018\n--- [1, 2]\n...\n')
print(pcall(yaml.decode))
print(pcall(yaml.decode, {}))
print(pcall(yaml.decode, nil))

-- decode_invalid_numbers and decode_save_metatables.
local y = yaml.new()
y.cfg{decode_invalid_numbers = false, decode_save_metatables = false}
print(pcall(y.decode, 'nan'))
print(pcall(y.decode, '!!float inf'))
print(pcall(y.decode, '1.5'))
print(getmetatable(y.decode('[1]')), getmetatable(y.decode('{a: 1}')))
print(getmetatable(yaml.decode('[1]')).__serialize, getmetatable(yaml.decode('{a: 1}')).__serialize)

-- Round trips through encode.
for _, v in ipairs({1, -1, 1.5, 1e100, 'x y', 'true', '1', '', '~', 'a\n\nb', 1ULL, -1LL,
        18446744073709551615ULL, -9223372036854775807LL - 1, {1, 2}, {a = 'b'}}) do
    print(show(yaml.decode(yaml.encode(v))))
end
