local digest = require('digest')
for _, s in ipairs({'', 'abc', 'The quick brown fox jumps over the lazy dog', string.rep('x', 1000)}) do
  print(digest.sha1_hex(s), digest.sha256_hex(s), digest.md5_hex(s))
  print(digest.base64_encode(s):sub(1, 100))
  print(#digest.sha1(s), #digest.sha256(s), #digest.md5(s))
  print(digest.crc32(s), digest.murmur(s))
  print(digest.sha224_hex(s), digest.sha384_hex(s):sub(1, 40), digest.sha512_hex(s):sub(1, 40))
  print(digest.base64_decode(digest.base64_encode(s)) == s)
end
print(digest.base64_encode(string.rep('y', 100)))
print(digest.base64_encode(string.rep('y', 100), {nopad = true, nowrap = true, urlsafe = true}))
print(digest.base64_encode('\255\254\253', {urlsafe = true}))
print(digest.base64_decode('YWJj'), digest.base64_decode('YWJ'), digest.base64_decode('Y W J j'), digest.base64_decode('_-8'))
print(digest.crc32_update(0, 'abc'), digest.crc32.new():update('abc'), digest.crc32_update(digest.crc32_update(4294967295, 'ab'), 'c'))
print(digest.murmur('abc', {seed = 1}))
print(digest.guava(12345, 10), digest.guava(1, 100), digest.guava(-5, 3))
print(pcall(digest.sha1_hex))
print(pcall(digest.sha1_hex, 123))
-- the module's functions
local names = {} for k in pairs(digest) do table.insert(names, k) end table.sort(names) print(table.concat(names, ' '))
-- base64: wrapping (a newline after every 72 characters, the last one
-- included), padding, both alphabets decoded, '=' skipped, the bytes
-- Tarantool's decoder reads past its table
local function q(s) return (string.format('%q', s):gsub('\n', 'n')) end
for _, n in ipairs({0, 1, 2, 3, 53, 54, 55, 107, 108, 109, 162}) do
  local s = string.rep('a', n)
  print(n, q(digest.base64_encode(s)), q(digest.base64_encode(s, {nopad = true})), q(digest.base64_encode(s, {nowrap = true})))
  print(n, q(digest.base64_encode(s, {urlsafe = true})), digest.base64_decode(digest.base64_encode(s)) == s)
end
print(digest.base64_encode('\255\254\253\252', {nopad = true}), digest.base64_encode('\255\254\253\252', {nowrap = true}), digest.base64_encode('\255\254\253\252', {urlsafe = true}))
print(pcall(digest.base64_encode, 'abc', {urlsafe = 1, nopad = false}))
for _, s in ipairs({'YQ==YWJj', '{|}~\127YWJj', 'Y{W|J}j~', '\128\255YWJj', 'Y', '', '-_,.', 'YW\nJj', '====', 'YWJjZA', 'YWJjZGU'}) do
  print(q(s), q(digest.base64_decode(s)))
end
local row = {}
for c = 0, 255 do
  local r = digest.base64_decode('A' .. string.char(c) .. 'AA')
  if #r == 3 then table.insert(row, c .. ':' .. string.byte(r, 2)) end
end
print(table.concat(row, ' '))
-- crc32 and murmur objects
local c = digest.crc32.new() c:update('abc') print(c:result(), c.value, c.crc_begin) local c2 = c:copy() c:clear() print(c:result(), c2:result())
print(pcall(c.update, c, 1))
print(pcall(digest.crc32, 1))
print(digest.crc32('abc\0def'), digest.murmur('a\0b'), digest.crc32.crc_begin)
print(pcall(digest.crc32_update, '12', 'x'))
print(pcall(digest.crc32_update, -1, 'x'))
print(pcall(digest.crc32_update, 2^32 + 1, 'x'))
print(pcall(digest.crc32_update, 1.5, 'x'))
print(pcall(digest.crc32_update, 5ULL, 'x'))
print(pcall(digest.crc32_update, 4294967295.9, 'x'))
print(pcall(digest.crc32_update, -4294967295.5, 'x'))
print(pcall(digest.crc32_update, 1, 5))
local m = digest.murmur.new({seed = 2^32 + 5})
m:update('abc') print(m:result(), digest.murmur.new({seed = 5}):result())
print(m.seed[0], m.value[0], m.total_length, m.default_seed, require('ffi').typeof(m.seed))
local m2 = m:copy() m2:update('def') print(m2:result(), m:result())
m:clear() print(m:result(), m.seed[0])
print(pcall(m.update, m, 5))
print(digest.murmur.new({seed = -1}):result(), digest.murmur.default_seed)
print(pcall(digest.murmur.new, 5))
print(pcall(digest.murmur, 1))
-- murmur carries partial words between updates
for _, parts in ipairs({{'a', 'b', 'c', 'd', 'e'}, {'abcde'}, {'ab', 'cdefg', 'hi'}, {'', 'abcdefghijklmnopq', 'r'}, {'\255\254', '\253\252\251'}}) do
  local h = digest.murmur.new()
  for _, p in ipairs(parts) do h:update(p) end
  print(table.concat(parts, '|'), h:result(), h.seed[0], h.value[0], digest.murmur(table.concat(parts)))
end
digest.murmur.default_seed = 7 print(digest.murmur('abc'), digest.murmur.new():result()) digest.murmur.default_seed = 13
-- urandom
print(#digest.urandom(0), #digest.urandom(3.7), #digest.urandom(1ULL), #digest.urandom(5000))
print(pcall(digest.urandom))
print(pcall(digest.urandom, 'x'))
print(pcall(digest.urandom, true))
-- pbkdf2
print(pcall(digest.pbkdf2, 'a', 1))
print(pcall(digest.pbkdf2, 'a', 'b', 'x'))
print(pcall(digest.pbkdf2, 'a', 'b', 1, 'x'))
print(pcall(digest.pbkdf2, 'a', 'b', 1, 129))
print(pcall(digest.pbkdf2_hex, 'a', 1))
print(digest.pbkdf2_hex('password', 'salt', 1, 32))
print(digest.pbkdf2_hex('password', 'salt', 2, 20))
print(digest.pbkdf2_hex('pass\0word', 'sa\0lt', 2, 16))
print(#digest.pbkdf2('a', 'b', 3), digest.pbkdf2_hex('a', 'b', 3, 128):sub(1, 40))
print(pcall(digest.pbkdf2_hex, 'a', 'b', 0, 16))
print(pcall(digest.pbkdf2_hex, 'a', 'b', -1, 16))
print(pcall(digest.pbkdf2_hex, 'a', 'b', 1, 0))
print(pcall(digest.pbkdf2_hex, 'a', 'b', 1.5, 16.7))
-- usage errors
print(digest.sha1_hex('abc\0def'), digest.md5_hex('a\0b'))
print(pcall(digest.sha1, nil))
print(pcall(digest.sha256, nil))
print(pcall(digest.sha512_hex, 5))
print(pcall(digest.md5_hex, nil))
print(pcall(digest.base64_encode, nil))
print(pcall(digest.base64_encode, 'x', 5))
print(pcall(digest.base64_decode, 5))
-- aes256cbc through crypto
local key, iv = string.rep('k', 32), string.rep('i', 16)
print(digest.base64_encode(digest.aes256cbc.encrypt('x', key, iv)), digest.aes256cbc.decrypt(digest.aes256cbc.encrypt('xyz', key, iv), key, iv))
print(pcall(digest.aes256cbc.encrypt, 'x', 'y', 'z'))
