-- table.copy/deepcopy, table.new, debug.sourcefile/sourcedir/__file__/
-- __dir__, dostring, tonumber64, _TARANTOOL, package functions that do not
-- depend on the working directory.
local function try(...)
    print(pcall(...))
end

-- table.copy / table.deepcopy
local inner = {1, 2}
local t = {inner, x = inner}
local c = table.copy(t)
print(c ~= t, c[1] == inner, c.x == inner, #c)
local d = table.deepcopy(t)
print(d ~= t, d[1] ~= inner, d[1] == d.x, d[1][2])
local cyc = {}
cyc.self = cyc
local dc = table.deepcopy(cyc)
print(dc ~= cyc, dc.self == dc)
local keyt = {}
local kt = {[keyt] = 1}
local dkt = table.deepcopy(kt)
local k = next(dkt)
print(k ~= keyt, type(k), dkt[k])
local mt = {__index = function() return 'dflt' end}
local withmt = setmetatable({1}, mt)
print(getmetatable(table.copy(withmt)) == mt, getmetatable(table.deepcopy(withmt)) == mt, table.deepcopy(withmt).zzz)
local copymt = {__copy = function(o) return 'copied ' .. #o end}
local withcopy = setmetatable({1, 2, 3}, copymt)
print(table.copy(withcopy), table.deepcopy(withcopy), table.deepcopy({withcopy})[1])
print(table.copy(5), table.copy('s'), table.copy(nil), table.deepcopy(true))
print(type(table.new), type(table.clear))
local nt = table.new(4, 4)
print(type(nt), #nt)

-- debug
print(debug.sourcefile() == debug.__file__, debug.sourcedir() == debug.__dir__)
print(debug.__file__:match('[^/]*$'), debug.__dir__:match('[^/]*$'))
local function f() return debug.sourcedir(1), debug.sourcefile(1) end
print(f())
local function g() return debug.sourcefile(2):match('[^/]*$') end
print(g())
print(debug.sourcefile(100), debug.sourcedir(100))
print(loadstring("return debug.sourcefile(), debug.sourcedir(), debug.__file__, debug.__dir__")())
print(rawget(debug, '__file__'), debug.nonexistent)

-- dostring
print(dostring("return 1 + 1"))
print(dostring("return ...", 1, nil, 3))
try(dostring, "return 1 +")
try(function() return dostring("error('boom')") end)
try(function() return dostring("error('boom', 0)") end)
try(dostring)

-- tonumber64
for _, s in ipairs({'123', '-5', '99999999999999', '100000000000000', '0x10',
                    '0b101', '123u', '12ULL', '-1ULL', '-9223372036854775808',
                    '-9223372036854775809', '18446744073709551615',
                    '18446744073709551616', ' 42 ', '- 5', '+5', '--5', '-0',
                    '', '-', '0x', 'LL', '1LL', '0x0x10', '  ', '\t',
                    '12\0', '1e5', '1.5', '-0x10', '-0b11', '0X1F', '0B11',
                    '123ull', '123LLu', '0x10ULL', '-10ull', '123lu', '1 ',
                    '\v7\f', '- -5', ' 1 2', '9223372036854775807',
                    '-9223372036854775807', '-18446744073709551615',
                    '-18446744073709551615ULL', '0xffffffffffffffff',
                    '0x1ffffffffffffffff', '-0x8000000000000000',
                    '0b1111111111111111111111111111111111111111111111111111111111111111',
                    '0xFULL', '0x12ll', '7LLU', 'u', 'ull', '0u', '00u'}) do
    local v = tonumber64(s)
    print(string.format('%q', s), v, type(v))
end
print(tonumber64("ff", 16), tonumber64("FF", "16"), tonumber64("z", 36), tonumber64("Z", 36))
print(tonumber64("0x1f", 16), tonumber64("0b11", 2), tonumber64("0b11", 16), tonumber64("0x1f", 10))
print(tonumber64("10ll", 10), tonumber64("10ll", 16), tonumber64("10", 2.9), tonumber64("777", 8))
print(tonumber64("12", 3), tonumber64("13", 3), tonumber64("-12", 3), tonumber64("10ull", 2))
print(tonumber64(5), tonumber64(5.5), tonumber64(5, 10), tonumber64(1e20), tonumber64(-0.0))
print(tonumber64(true), tonumber64({}), tonumber64(nil), tonumber64(print))
local ffi = require('ffi')
print(type(tonumber64(ffi.new('int', 5))), tonumber64(ffi.new('int', 5)) == 5, tonumber64(5ULL), tonumber64(-5LL))
print(tonumber64(ffi.new('bool', true)), tonumber64(ffi.cast('void *', 0)), tonumber64(ffi.new('float', 1.5)) == 1.5)
print(tonumber64(ffi.new('uint8_t', 200)) == 200, tonumber64(ffi.new('double', 2.5)) == 2.5)
print(type(tonumber64(ffi.new('char', 65))), tonumber64(ffi.new('int[1]')))
try(tonumber64)
try(tonumber64, 5, 16)
try(tonumber64, 5LL, 16)
try(tonumber64, "5", 1)
try(tonumber64, "5", 37)
try(tonumber64, "5", "x")
try(tonumber64, "5", 0)
print(pcall(function() return tonumber64() end))
print(pcall(function() return tonumber64("1", 99) end))
print(pcall(function() return tonumber64("1", {}) end))
print(tonumber64("5", nil), tonumber64("5", -1))

-- _TARANTOOL
print(type(_TARANTOOL), _TARANTOOL:match('^2%.6%.0%-') ~= nil)
local tt = require('tarantool')
print(tt.version == _TARANTOOL, tt.package, type(tt.build), type(tt.build.target), tt.build.mod_format)
print(type(tt.uptime()), tt.pid() > 0, type(tt.pid))

-- package extensions
print(type(package.search), type(package.searchroot), type(package.setsearchroot))
print(#package.loaders, type(package.loaders[2]), type(package.loaders[5]))
print(package.search(), package.search('no.such.module.anywhere'))
print(package.loaders[2](), package.loaders[3](), package.loaders[4](), package.loaders[5]())
try(package.setsearchroot, 0)
try(package.setsearchroot, 5LL)
try(package.setsearchroot, {})
try(function() package.setsearchroot(true) end)
package.setsearchroot('/a/b/../c/./d//')
print(package.searchroot())
print((package.loaders[2]('no.such')))
print((package.loaders[3]('no.such')))
print((package.loaders[4]('no.such')))
print((package.loaders[5]('x-y.z')))
print(package.search('no.such'))
package.setsearchroot('/')
print(package.searchroot(), (package.loaders[4]('m')))
package.setsearchroot(debug.sourcedir())
print(package.searchroot() == debug.sourcedir())
package.setsearchroot()
print(package.searchroot() == debug.sourcedir())
package.setsearchroot(box and box.NULL or require('ffi').cast('void *', 0))
print(package.searchroot() == package.searchroot(), package.searchroot():sub(1, 1))
print(pcall(require, 'no.such.module.anywhere') == false)
