-- require('strict'): on/off, undeclared reads and assignments.
local strict = require('strict')
print(getmetatable(_G))
print(undeclared_one)
strict.on()
print(getmetatable(_G) ~= nil)
print(pcall(function() return undeclared_two end))
print(pcall(function() undeclared_three = 1 end))
declared_in_main = 5
print(declared_in_main, pcall(function() return declared_in_main end))
declared_nil = nil
print(pcall(function() return declared_nil end))
print(pcall(function() declared_nil = 2 return declared_nil end))
print(pcall(loadstring("return undeclared_four")))
print(pcall(loadstring("undeclared_five = 5 return undeclared_five")))
print(rawget(_G, 'undeclared_six'), print ~= nil)
local ok, err = pcall(function() return undeclared_seven end)
print(ok, err)
strict.on()
strict.off()
print(getmetatable(_G))
print(undeclared_eight)
local function f() undeclared_nine = 9 end
f()
print(undeclared_nine)
strict.on()
print(pcall(function() return declared_in_main end))
undeclared_nine = nil
strict.off()
-- a metatable of someone else's is shared
local own = {}
setmetatable(_G, own)
strict.on()
print(getmetatable(_G) == own, type(own.__index), type(own.__newindex))
print(pcall(function() return undeclared_ten end))
strict.off()
print(getmetatable(_G) == own, own.__index, own.__newindex)
setmetatable(_G, nil)
