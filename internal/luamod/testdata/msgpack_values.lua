-- msgpack: every MessagePack form decoded, every Lua and cdata type
-- encoded, string offsets, options and their errors.
local msgpack = require('msgpack')
local ffi = require('ffi')

local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
local function unhex(h) return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)) end
local function show(v)
    if type(v) == 'cdata' then
        local t = ffi.typeof(v)
        if t == ffi.typeof('int64_t') or t == ffi.typeof('uint64_t') or v == nil then
            return tostring(v)
        end
        return tostring(t)
    end
    if type(v) ~= 'table' then return type(v) .. ':' .. tostring(v) end
    local ks = {}
    for k in pairs(v) do ks[#ks + 1] = k end
    table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(ks) do parts[#parts + 1] = show(k) .. '=' .. show(v[k]) end
    local mt = getmetatable(v)
    return '{' .. table.concat(parts, ',') .. '}' .. (mt and mt.__serialize or '')
end

local forms = {'00', '7f', '80', '8f', '90', '9f', 'a0', 'bf', 'c0', 'c2', 'c3', 'c4', 'c400', 'c401', 'c40161',
    'c50001', 'c5000161', 'c600000001', 'c60000000161', 'c7', 'c70101', 'c8000101', 'c900000001',
    'ca', 'ca3f800000', 'ca7f800000', 'caff800000', 'ca7fc00000', 'cb', 'cb3ff0000000000000', 'cb7ff0000000000000',
    'cc', 'ccff', 'cd', 'cdffff', 'ce', 'ceffffffff', 'cf', 'cfffffffffffffffff', 'cf00005af3107a3fff', 'cf00005af3107a4000',
    'd0', 'd080', 'd1', 'd18000', 'd2', 'd280000000', 'd3', 'd38000000000000000', 'd3ffffa50cef85c001', 'd3ffffa50cef85c000',
    'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'd900', 'd90161', 'da', 'da0001', 'da000161', 'db', 'db0000000161',
    'dc', 'dc0000', 'dc000101', 'dc0001', 'dd', 'dd0000000101', 'de', 'de00010101', 'df', 'df000000010101',
    'e0', 'ff', '9101', '920102', '9201', '8101', '810102', '81a16101', '8102c0', '8291c0c0c3c3',
    '92c0', 'dc0002c0c0c0', '93939393', '0102', 'c0c0'}
for _, h in ipairs(forms) do
    local ok, r, n = pcall(msgpack.decode, unhex(h))
    print(h, ok, ok and show(r) or r, n)
end
-- Nesting: up to 254 levels decode.
print(select('#', msgpack.decode(string.rep('\145', 250) .. '\1')))
print(select('#', msgpack.decode(string.rep('\145', 200) .. '\1')))
print(pcall(msgpack.decode, string.rep('\145', 200)))
print(pcall(function() return show(msgpack.decode('\129\144\1')) end))
print(pcall(function() return show(msgpack.decode('\129\192\1')) end))
print(pcall(msgpack.decode, '\129\203\127\248\0\0\0\0\0\0\1'))

-- Offsets.
local s = msgpack.encode(1) .. msgpack.encode('two') .. msgpack.encode({3})
local pos, v = 1
while pos <= #s do
    v, pos = msgpack.decode(s, pos)
    print(show(v), pos)
end
for _, off in ipairs({0, -1, 1, 2, 5, 6, 7, 8, 1.9, '2'}) do
    local ok, r, n = pcall(msgpack.decode, s, off)
    print(off, ok, ok and show(r) or r, n)
end
print(pcall(msgpack.decode, s, nil))
print(pcall(msgpack.decode, s, {}))
print(msgpack.decode_unchecked(s, 2))
print(pcall(msgpack.decode_unchecked, s, 8))
print(pcall(msgpack.decode_unchecked, '\1\2', 3))
print(msgpack.decode_unchecked(''))
print(show(msgpack.decode_unchecked('\146\1')))
print(msgpack.decode_unchecked('\217'))
print(pcall(msgpack.decode_unchecked))
print(pcall(msgpack.decode_unchecked, {}))
print(pcall(msgpack.decode))
print(pcall(msgpack.decode, true))

-- Encoding.
local vals = {true, false, 0, -0.0, 0.5, -0.5, 1e300, 2^-1074, 1/0, -1/0, '', string.rep('a', 31), string.rep('b', 32),
    string.rep('c', 255), string.rep('d', 256), string.rep('e', 65535), string.rep('f', 65536),
    ffi.new('float', 1.5), ffi.new('double', 1.5), ffi.new('bool', true), ffi.new('int8_t', -1),
    ffi.new('uint8_t', 255), ffi.new('int16_t', -129), ffi.new('uint16_t', 65535), ffi.new('int32_t', -32769),
    ffi.new('uint32_t', 4294967295), ffi.cast('char', -3), ffi.cast('void *', 0), ffi.cast('const void *', 0)}
for _, v in ipairs(vals) do
    local m = msgpack.encode(v)
    print(show(v):sub(1, 40), #m, hex(m):sub(1, 24))
end
local arr16 = {} for i = 1, 16 do arr16[i] = i end
local arr65536 = {} for i = 1, 65536 do arr65536[i] = 0 end
local map16 = {} for i = 1, 16 do map16['k' .. i] = i end
print(hex(msgpack.encode(arr16)):sub(1, 10), hex(msgpack.encode(arr65536)):sub(1, 12), hex(msgpack.encode(map16)):sub(1, 6))
print(pcall(msgpack.encode, ffi.cast('void *', 1)))
print(pcall(msgpack.encode, ffi.new('int[2]')))
print(pcall(msgpack.encode, print))
print(pcall(msgpack.encode, coroutine.create(print)))
print(pcall(msgpack.encode, {[{}] = 1}))
print(hex(msgpack.encode({[true] = false, [1.5] = 2})):sub(1, 2))

-- Options through msgpack.cfg (shared with tuples) and msgpack.new().
local deep = {}
local cur = deep
for _ = 1, 200 do cur[1] = {} cur = cur[1] end
print(pcall(msgpack.encode, deep))
msgpack.cfg{encode_deep_as_nil = true}
print(#msgpack.encode(deep))
msgpack.cfg{encode_deep_as_nil = false, encode_max_depth = 2}
print(pcall(msgpack.encode, {{{}}}), pcall(msgpack.encode, {{}}))
msgpack.cfg{encode_max_depth = 128}
msgpack.cfg{encode_invalid_numbers = false}
print(pcall(msgpack.encode, 0/0))
print(pcall(msgpack.encode, ffi.new('float', 1/0)))
msgpack.cfg{encode_invalid_as_nil = true}
print(hex(msgpack.encode({0/0, 1})), hex(msgpack.encode({print})))
msgpack.cfg{encode_invalid_numbers = true, encode_invalid_as_nil = false}
msgpack.cfg{decode_invalid_numbers = false}
print(pcall(msgpack.decode, unhex('cb7ff8000000000000')))
print(pcall(msgpack.decode, unhex('ca7f800000')))
msgpack.cfg{decode_invalid_numbers = true}
msgpack.cfg{decode_save_metatables = false}
print(getmetatable(msgpack.decode('\145\1')), getmetatable(msgpack.decode('\128')))
msgpack.cfg{decode_save_metatables = true}
msgpack.cfg{encode_load_metatables = false}
print(hex(msgpack.encode(setmetatable({}, {__serialize = 'map'}))), hex(msgpack.encode(setmetatable({}, {__serialize = function() return 1 end}))))
msgpack.cfg{encode_load_metatables = true}
msgpack.cfg{encode_use_tostring = true}
local ud = newproxy(true)
getmetatable(ud).__tostring = function() return 'ud' end
print(hex(msgpack.encode(ud)))
msgpack.cfg{encode_use_tostring = false}
print(pcall(msgpack.encode, ud))
msgpack.cfg{encode_sparse_convert = false}
print(pcall(msgpack.encode, {[1] = 1, [100] = 1}))
msgpack.cfg{encode_sparse_convert = true, encode_sparse_ratio = 10}
print(hex(msgpack.encode({[1] = 1, [15] = 1})):sub(1, 2))
msgpack.cfg{encode_sparse_ratio = 2}

local m2 = msgpack.new()
m2.cfg{encode_max_depth = 1}
print(msgpack.cfg.encode_max_depth, m2.cfg.encode_max_depth, pcall(m2.encode, {{1}}))
print(pcall(msgpack.encode, {{1}}))
print(m2.decode(m2.encode({1}))[1], getmetatable(m2.decode('\144')).__serialize, m2.NULL == msgpack.NULL)
