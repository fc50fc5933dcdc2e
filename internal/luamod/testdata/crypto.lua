-- crypto: digests, HMAC and ciphers as Tarantool 2.6 has them (MD4 and
-- DES are left out: the reference build's OpenSSL 3 has them disabled).
local crypto = require('crypto')
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
local function keys(t) local r = {} for k in pairs(t) do table.insert(r, tostring(k)) end table.sort(r) return table.concat(r, ' ') end
local function show(...)
  local r = {pcall(...)}
  if not r[1] then
    -- (box.error objects are the server's: the module raises what
    -- Options.NewError makes, so only their message is compared here)
    print('error', tostring(r[2]))
  else
    for i = 2, #r do if type(r[i]) == 'string' then r[i] = hex(r[i]) else r[i] = tostring(r[i]) end end
    print('ok', unpack(r, 2))
  end
end
print(keys(crypto), keys(crypto.cipher_algo), keys(crypto.cipher_mode))
local ca, cm = crypto.cipher_algo, crypto.cipher_mode
print(ca.none, ca.aes128, ca.aes192, ca.aes256, ca.des, cm.ecb, cm.cbc, cm.cfb, cm.ofb)
print(keys(getmetatable(crypto).__index))
print(type(getmetatable(crypto).__serialize(crypto)))
print(rawget(crypto.digest, 'md4') ~= nil, rawget(crypto.digest, 'ripemd160') ~= nil, rawget(crypto.digest, 'md2'), rawget(crypto.digest, 'dss'), rawget(crypto.digest, 'mdc2'))
-- digests
for _, name in ipairs({'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'ripemd160'}) do
  for _, s in ipairs({'', 'abc', string.rep('0123456789', 100), 'a\0b'}) do
    print(name, #s, hex(crypto.digest[name](s)))
  end
  local d = crypto.digest[name].new()
  d:update('a') d:update('') d:update('bc')
  print(name, 'stream', hex(d:result()))
  show(d.result, d)
  show(d.update, d, 'x')
  d:init() d:update('abc') print(name, 'reinit', hex(d:result()))
  d:free()
  show(d.init, d)
  show(d.update, d, 'x')
  show(d.result, d)
end
show(function() return crypto.digest.foo end)
show(crypto.digest.md5, 5)
show(crypto.digest.md5)
local d = crypto.digest.sha256.new()
show(d.update, d, 5)
show(d.update, d, nil)
show(d.update, d, {})
show(function() return d:update(5) end)
-- HMAC
for _, name in ipairs({'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'ripemd160'}) do
  print(name, hex(crypto.hmac[name]('key', 'The quick brown fox')), crypto.hmac[name .. '_hex']('', ''))
  print(name, crypto.hmac[name .. '_hex'](string.rep('k', 200), string.rep('d', 1000)), crypto.hmac[name .. '_hex']('k\0ey', 'd\0ata'))
  local h = crypto.hmac[name].new('key')
  h:update('The quick ') h:update('brown fox')
  print(name, 'stream', hex(h:result()))
  show(h.result, h)
  show(h.update, h, 'x')
  h:init('other') h:update('abc') print(name, 'rekey', hex(h:result()))
  h:free()
  show(h.init, h, 'k')
  show(h.update, h, 'x')
end
show(function() return crypto.hmac.foo end)
show(crypto.hmac.md5, 'k', 5)
show(crypto.hmac.md5, nil, 'x')
show(crypto.hmac.md5_hex, 'k', 5)
show(crypto.hmac.md5.new)
show(crypto.hmac.md5, 5, 'x')
local h = crypto.hmac.sha1.new('k')
show(h.init, h)
show(h.init, h, 5)
-- ciphers
local keyfor = {aes128 = '0123456789abcdef', aes192 = '0123456789abcdef01234567', aes256 = '0123456789abcdef0123456789abcdef', none = ''}
for _, algo in ipairs({'aes128', 'aes192', 'aes256', 'none'}) do
  for _, mode in ipairs({'ecb', 'cbc', 'cfb', 'ofb'}) do
    local key = keyfor[algo]
    local iv = (algo == 'none' or mode == 'ecb') and '' or 'fedcba9876543210'
    for _, s in ipairs({'', 'hello', string.rep('x', 16), string.rep('y', 33)}) do
      local ok, c = pcall(crypto.cipher[algo][mode].encrypt, s, key, iv)
      if ok then
        local ok2, p = pcall(crypto.cipher[algo][mode].decrypt, c, key, iv)
        print(algo, mode, #s, hex(c), ok2 and p == s or tostring(p))
      else
        print(algo, mode, #s, 'error', tostring(c))
      end
    end
    -- streaming in pieces gives the same bytes
    local e = crypto.cipher[algo][mode].encrypt.new(key, iv)
    local parts = {}
    for _, piece in ipairs({'abc', 'defghijklmnop', 'q', 'rstuvwxyz0123456789'}) do
      local out = e:update(piece) table.insert(parts, #out) table.insert(parts, hex(out))
    end
    local fin = e:result()
    print(algo, mode, 'stream', table.concat(parts, ' '), hex(fin))
    show(e.update, e, 'x')
    e:init() print(algo, mode, 'again', hex(e:update('abcdefghijklmnopqrstuvwxyz0123456789') .. e:result()))
    e:free()
    show(e.update, e, 'x')
  end
end
local k, iv = keyfor.aes128, 'fedcba9876543210'
show(crypto.cipher.aes128.cbc.decrypt, 'hellohellohello1', k, iv)
show(crypto.cipher.aes128.cbc.decrypt, 'hello', k, iv)
show(crypto.cipher.aes128.cbc.decrypt, '', k, iv)
show(crypto.cipher.aes128.cbc.encrypt, 'x', 'short', iv)
show(crypto.cipher.aes128.cbc.encrypt, 'x', k, 'short')
show(crypto.cipher.aes128.ecb.encrypt, 'x', k, iv)
show(crypto.cipher.aes256.cbc.encrypt, 'x', 'k', 'i')
show(crypto.cipher.none.cbc.encrypt, 'hello', 'k', '')
show(crypto.cipher.aes128.cbc.encrypt, 'hello', nil, nil)
show(crypto.cipher.aes128.cbc.encrypt, 'hello', k)
show(crypto.cipher.aes128.cbc.encrypt, 5, k, iv)
show(crypto.cipher.aes128.cbc.encrypt, 'x', 5, iv)
show(function() return crypto.cipher.foo end)
show(function() return crypto.cipher.aes128.foo end)
show(function() return crypto.cipher.aes128.cbc.foo end)
local c = crypto.cipher.aes128.cbc.encrypt.new(k)
show(c.update, c, 'x')
c:init(nil, iv)
print(hex(c:update('hello world, this is')), hex(c:result()))
show(c.result, c)
c:init()
show(c.update, c, 5)
print(hex(c:update('a')), hex(c:result()))
c:free()
show(c.init, c)
show(c.result, c)
-- decryption withholds the last block until result
local d2 = crypto.cipher.aes128.cbc.decrypt.new(k, iv)
local ct = crypto.cipher.aes128.cbc.encrypt(string.rep('z', 40), k, iv)
print(#d2:update(ct:sub(1, 16)), #d2:update(ct:sub(17, 32)), #d2:update(ct:sub(33)), #d2:update(''), d2:result())
local bad = crypto.cipher.aes128.cbc.decrypt.new(k, iv)
print(#bad:update(ct:sub(1, 20)))
show(bad.result, bad)
