local uri = require('uri')
local function show(s)
  local r = uri.parse(s)
  if r == nil then print(s, 'nil') return end
  local keys = {'scheme','login','password','host','service','path','query','fragment','ipv4','ipv6','unix'}
  local out = {}
  for _, k in ipairs(keys) do if r[k] ~= nil then table.insert(out, k..'='..r[k]) end end
  print(s, table.concat(out, ' '), uri.format(r), uri.format(r, true))
end
for _, s in ipairs({'3301','localhost:3301','user:pass@host:3301','unix/:/path/to.sock','tcp://localhost:3301','[::1]:3301','/path.sock',
 'http://a@b', 'user@unix/:/tmp/x.sock', 'user:pw@unix/:/tmp/x.sock:', 'x:y', 'host?', 'host#', 'host?q#f', 'a:b@c:d/e?f#g', '', '.', './a.sock', 'unix/:./a/b',
 'mail:x@y', '1.2.3.4', '1.2.3.4:5', '[::ffff:1.2.3.4]:1', '[FF::1]:1', 'a:', ':', '@', 'a@', 'http://', 'http:///x', 'scheme://user:@host', 'h:%41', 'tcp://[::1]:3301/p?x#y'}) do show(s) end
print(pcall(uri.parse))
print(pcall(uri.parse, 3301))
print(pcall(uri.parse, {}))
print(pcall(uri.format))
print(pcall(uri.format, {host=1}))
print(pcall(uri.format, {host={}}))
print(uri.format({}), uri.format({service='1'}), uri.format({host='h', login='l', password='p'}, true), uri.format({host='h', login='l', password='p'}))
print(#uri.format({host=string.rep('a', 2000)}))
print(uri.parse('abc\0def').host)
print(pcall(uri.format, 'str'))
print(pcall(uri.format, 5))
print(pcall(uri.format, {scheme = true}))
print(pcall(uri.format, {fragment = 1}))
print(pcall(uri.parse, false))
print(uri.format({scheme = 'tcp', host = 'h', service = '1', path = '/p', query = 'q', fragment = 'f', login = 'l', password = 'p'}, true))
print(uri.format({scheme = '', host = '', login = 'l', path = '', query = '', fragment = ''}))
print(uri.format({host = 'a\0b', service = '3301'}))
local s = uri.format({host = string.rep('b', 1500)})
print(#s, s:sub(1020, 1030):byte(1, -1))
print(uri.parse(string.rep('a', 1024)) ~= nil, uri.parse(string.rep('a', 1025)))
print(uri.parse('h:' .. string.rep('1', 256)), uri.parse('h:' .. string.rep('1', 255)) ~= nil, uri.parse('h:' .. string.rep('1', 254)) ~= nil)
