-- yaml.encode of values MessagePack alone does not describe: cdata
-- numbers, pointers, tostring() fallbacks, __serialize results, the
-- serializer options and the errors.
local yaml = require('yaml')
local ffi = require('ffi')
local function show(label, ...)
    local r = {pcall(yaml.encode, ...)}
    local s = tostring(r[2]):gsub('0x%x+', 'ADDR'):gsub('builtin#%d+', 'builtin')
    io.write(label, ' ', tostring(r[1]), ' ', s, r[3] and (' ' .. tostring(r[3])) or '', '\n')
end

show('u64', 1ULL)
show('u64 max', 18446744073709551615ULL)
show('i64', -1LL)
show('i64 min', -9223372036854775807LL - 1)
show('i64 pos', 5LL)
show('seq cdata', {1ULL, -2LL, 2^53, -2^53, 2^63, -2^63, 2^64, 1e15, 123456789012345})
show('key cdata', {[1ULL] = 'a'})
show('int8', ffi.new('int8_t', -5))
show('uint8', ffi.new('uint8_t', 250))
show('int16', ffi.new('int16_t', -300))
show('uint16', ffi.new('uint16_t', 60000))
show('int32', ffi.new('int32_t', -70000))
show('uint32', ffi.new('uint32_t', 4000000000))
show('char', ffi.new('char', 65))
show('bool', ffi.new('bool', true))
show('float', ffi.new('float', 1.5))
show('float 0.1', ffi.new('float', 0.1))
show('double', ffi.new('double', 1e15))
show('double 1', ffi.new('double', 1))
show('double 0.1', ffi.new('double', 0.1))
show('double nan', ffi.new('double', 0/0))
show('NULL', ffi.cast('void *', 0))
show('yaml.NULL', yaml.NULL)
show('NULL in seq', {yaml.NULL, ffi.cast('void *', 0)})
show('pointer', ffi.cast('void *', 1))
show('array', ffi.new('int[1]'))
show('struct', ffi.new('struct { int a; }'))
show('function', function() end)
show('builtin', print)
show('coroutine', coroutine.create(function() end))
show('userdata', newproxy())
show('seq of function', {function() end})
show('numbers', {0.5, 1/3, -2.5e-7, 1e100, 1e-100, 2^-1074, 1/0, -1/0, -0.0, 100, 1e14, 1e16})

-- __serialize results.
show('ser string', setmetatable({}, {__serialize = function() return 'x: y' end}))
show('ser number', setmetatable({}, {__serialize = function() return 5 end}))
show('ser nil', setmetatable({}, {__serialize = function() return nil end}))
show('ser table', setmetatable({}, {__serialize = function() return {1, {a = 'b'}} end}))
show('ser seq', setmetatable({}, {__serialize = function() return setmetatable({1}, {__serialize = 'seq'}) end}))
show('ser error', setmetatable({}, {__serialize = function() error('boom') end}))
show('ser bad', setmetatable({}, {__serialize = 'bad'}))
show('ser bad type', setmetatable({}, {__serialize = 5}))
show('ser array', setmetatable({1, 2}, {__serialize = 'array'}))
show('ser sequence', setmetatable({1, 2}, {__serialize = 'sequence'}))
show('ser mapping', setmetatable({1, 2}, {__serialize = 'mapping'}))
show('ser seq sparse', setmetatable({[1] = 1, [5] = 5}, {__serialize = 'seq'}))
show('ser map of seq', setmetatable({1}, {__serialize = 'map'}))
show('tostring mt', setmetatable({}, {__tostring = function() return 'T' end}))
local shared = {1}
show('ser shared', {setmetatable({}, {__serialize = function() return shared end}), shared})
show('ser shared twice', {setmetatable({}, {__serialize = function() return shared end}),
    setmetatable({}, {__serialize = function() return shared end})})
show('ser fresh', {setmetatable({}, {__serialize = function() return {1} end}),
    setmetatable({}, {__serialize = function() return {1} end})})
show('hidden ref', {shared, setmetatable({shared}, {__serialize = function() return 'x' end})})
local cyc = {} cyc.self = cyc
show('cycle map', cyc)
local a, b = {}, {} a[1] = b b[1] = a
show('cycle pair', {a, b})

-- Sparse arrays.
show('sparse small', {[1] = 1, [3] = 3})
show('sparse big', {[1] = 1, [100] = 100})
show('sparse holes', {1, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, 12})
show('float key', {[1.5] = 1})
show('negative key', {[-1] = 1})
show('zero key', {[0] = 1})

-- Options.
local y = yaml.new()
y.cfg{encode_use_tostring = true}
local r = y.encode({function() end, ffi.new('int[1]'), newproxy()}):gsub('0x%x+', 'ADDR')
io.write('use_tostring ', r)
y = yaml.new()
y.cfg{encode_invalid_as_nil = true}
io.write('invalid_as_nil ', y.encode({1, function() end, 3}))
y.cfg{encode_invalid_numbers = false}
io.write('invalid_numbers nil ', y.encode({0/0, 1/0, 1}))
y.cfg{encode_invalid_as_nil = false}
print('invalid_numbers', pcall(y.encode, {0/0}))
print('invalid_numbers inf', pcall(y.encode, 1/0))
print('invalid_numbers float', pcall(y.encode, ffi.new('float', 1/0)))
y = yaml.new()
y.cfg{encode_number_precision = 3}
io.write('precision ', y.encode({1/3, 123456, 1234.5, 0.0001234}))
y.cfg{encode_number_precision = 20}
io.write('precision 20 ', y.encode({1/3, 0.1}))
y.cfg{encode_number_precision = 0}
io.write('precision 0 ', y.encode({1/3, 0.1}))
y.cfg{encode_number_precision = 1}
io.write('precision 1 ', y.encode({1/3, 0.1, 15}))
y = yaml.new()
y.cfg{encode_load_metatables = false}
io.write('no metatables ', y.encode(setmetatable({1, 2}, {__serialize = 'map'})))
print('no metatables cdata', pcall(y.encode, ffi.cast('void *', 1)))
y = yaml.new()
y.cfg{encode_sparse_convert = false}
print('sparse no convert', pcall(y.encode, {[1] = 1, [100] = 100}))
y.cfg{encode_sparse_ratio = 0}
io.write('sparse ratio 0 ', y.encode({[1] = 1, [20] = 20}))
y = yaml.new()
y.cfg{encode_sparse_safe = 100}
io.write('sparse safe ', y.encode({[1] = 1, [50] = 50}))
print('cfg', yaml.cfg.encode_use_tostring, y.cfg.encode_sparse_safe, yaml.cfg.encode_sparse_safe)
print(yaml.NULL == nil, type(yaml.NULL), yaml.new().NULL == yaml.NULL)
print(getmetatable(setmetatable({}, yaml.array_mt)).__serialize, yaml.map_mt.__serialize)
print(type(yaml.new), type(yaml.new().new), yaml.new() ~= yaml)
