-- Error values and positions: luaL_error names yaml.encode's caller for
-- usage errors and unsupported values, lua_error does not for parser
-- problems and invalid __serialize values.
local yaml = require('yaml')
print(pcall(function() local s = yaml.encode(function() end) return s end))
print(pcall(function() local s = yaml.encode() return s end))
print(pcall(function() local s = yaml.encode(1, 5) return s end))
print(pcall(function() local s = yaml.decode('[1', 5) return s end))
local y = yaml.new() y.cfg{decode_invalid_numbers = false}
print(pcall(function() local s = y.decode('nan') return s end))
print(pcall(function() local s = yaml.encode(setmetatable({}, {__serialize = 'x'})) return s end))
print(pcall(function() local s = yaml.encode({1, {2, print}}) return s end))
print(pcall(function() local s = yaml.encode(setmetatable({}, {__serialize = function() error('boom') end})) return s end))
print(pcall(function() local s = yaml.encode(setmetatable({}, {__serialize = function() error('boom', 0) end})) return s end))
print(pcall(function() local s = yaml.encode(setmetatable({}, {__serialize = function() return print end})) return s end))
print(pcall(function() local s = yaml.encode(1, {tag_prefix = 'p'}) return s end))
print(pcall(function() local s = yaml.encode(1, {tag_prefix = 'p', tag_handle = {}}) return s end))
print(pcall(yaml.encode, 1, {tag_handle = 'p', tag_prefix = 'x'}))
