package luamod

import (
	"strings"
	"testing"
)

// builtinLayout lists, per embedded module, statements that must stay on
// the line Tarantool's builtin file has them on: where they raise, or
// call what raises as a tail call, the message carries that line. The
// corpora check the lines they exercise; this checks all of them.
var builtinLayout = map[string][]struct {
	line int
	text string
}{
	"crypto.lua": {
		{107, `self:init()`},
		{112, `if self.ctx == nil then`},
		{113, `return error('Digest context isn\'t usable')`},
		{122, `if not self.initialized then`},
		{123, `return error('Digest not initialized')`},
		{125, `helpers.md_update(self.ctx.id, input, input:len())`},
		{131, `if not self.initialized then`},
		{132, `return error('Digest not initialized')`},
		{142, `release_ctx(self.ctx)`},
		{143, `ffi.gc(self.ctx, nil)`},
		{167, `return error('Key should be specified for HMAC operations')`},
		{179, `self:init(key)`},
		{184, `if self.ctx == nil then`},
		{185, `return error('HMAC context isn\'t usable')`},
		{187, `helpers.hmac_init(self.ctx.id, key, key:len())`},
		{194, `if not self.initialized then`},
		{195, `return error('HMAC not initialized')`},
		{197, `helpers.md_update(self.ctx.id, input, input:len())`},
		{203, `if not self.initialized then`},
		{204, `return error('HMAC not initialized')`},
		{215, `release_ctx(self.ctx)`},
		{216, `ffi.gc(self.ctx, nil)`},
		{247, `self:init(key, iv)`},
		{252, `local ctx = self.ctx`},
		{254, `return error('Cipher context isn\'t usable')`},
		{256, `self.key = key or self.key`},
		{257, `self.iv = iv or self.iv`},
		{259, `local key_len = self.key:len()`},
		{260, `local iv_len = self.iv:len()`},
		{268, `if not self.is_initialized then`},
		{269, `return error('Cipher not initialized')`},
		{272, `error("Usage: cipher:update(string)")`},
		{285, `if not self.is_initialized then`},
		{286, `return error('Cipher not initialized')`},
		{300, `release_ctx(ffi.gc(self.ctx, nil))`},
		{319, `new = function() return digest_new(digest) end,`},
		{323, `error("Usage: digest." .. class .. "(string)")`},
		{325, `local ctx = digest_new(digest)`},
		{326, `ctx:update(str)`},
		{327, `local res = ctx:result()`},
		{328, `ctx:free()`},
		{336, `return error('Digest method "' .. digest .. '" is not supported')`},
		{342, `new = function(key) return hmac_new(digest, key) end,`},
		{346, `error("Usage: hmac." .. class .. "(key, string)")`},
		{348, `local ctx = hmac_new(digest, key)`},
		{349, `ctx:update(str)`},
		{350, `local res = ctx:result()`},
		{351, `ctx:free()`},
		{357, `error("Usage: hmac." .. class .. "_hex(key, string)")`},
		{359, `return string_hex(hmac_api[class](key, str))`},
		{365, `return error('HMAC method "' .. digest .. '" is not supported')`},
		{388, `error('Cipher mode ' .. mode .. ' is not supported')`},
		{393, `return error('Cipher method "' .. cipher .. '" is not supported')`},
		{407, `return crypto_stream_new(algo_value, mode_value, key, iv, dir_value)`},
		{412, `local ctx = crypto_stream_new(algo_value, mode_value, key,`},
		{414, `local res = ctx:update(str)`},
		{415, `res = res .. ctx:result()`},
		{416, `ctx:free()`},
	},
	"digest.lua": {
		{54, `error("Usage: murhash:update(string)")`},
		{56, `self.seed[0], self.value[0] = C.PMurHash32_Process(`},
		{57, `self.total_length = self.total_length + string.len(str)`},
		{61, `return C.PMurHash32_Result(`},
		{65, `self.seed[0] = self.default_seed`},
		{66, `self.total_length = 0`},
		{67, `self.value[0] = 0`},
		{71, `local new_self = PMurHash.new()`},
		{72, `new_self.seed[0] = self.seed[0]`},
		{73, `new_self.value[0] = self.value[0]`},
		{74, `new_self.total_length = self.total_length`},
		{84, `local self = setmetatable({}, { __index = PMurHash_methods })`},
		{85, `self.default_seed = (opts.seed or PMurHash.default_seed)`},
		{86, `self.seed = ffi.new("int[1]", self.default_seed)`},
		{87, `self.value = ffi.new("int[1]", 0)`},
		{96, `error("Usage: digest.murhash(string)")`},
		{98, `return C.PMurHash32(PMurHash.default_seed, str)`},
		{106, `error("Usage crc32:update(string)")`},
		{108, `self.value = C.crc32_calc(self.value, str)`},
		{116, `self.value = CRC32.crc_begin`},
		{120, `local new_self = CRC32.new()`},
		{121, `new_self.value = self.value`},
		{130, `local self = setmetatable({}, { __index = CRC32_methods })`},
		{131, `self.value = CRC32.crc_begin`},
		{139, `error("Usage digest.crc32(string)")`},
		{141, `return C.crc32_calc(CRC32.crc_begin, str)`},
		{147, `error("Usage: digest.pbkdf2(pass, salt[,iters][,digest_len])")`},
		{150, `error("iters must be a number")`},
		{153, `error("digest_len must be a number")`},
		{158, `error("too big digest size")`},
		{160, `return C.pbkdf2(pass, salt, iters, digest_len)`},
		{167, `error('Usage: digest.base64_encode(string[, table])')`},
		{171, `if options.urlsafe then`},
		{174, `if options.nopad then`},
		{177, `if options.nowrap then`},
		{184, `return C.base64_encode(bin, mask)`},
		{190, `error('Usage: digest.base64_decode(string)')`},
		{195, `return C.base64_decode(str)`},
		{203, `error("Usage: digest.crc32_update(string)")`},
		{205, `return C.crc32_calc(tonumber(crc), str)`},
		{210, `error("Usage: digest.sha1(string)")`},
		{212, `return C.SHA1internal(str)`},
		{218, `error("Usage: digest.sha1_hex(string)")`},
		{221, `return string_hex(C.SHA1internal(str))`},
		{225, `return C.guava(state, buckets)`},
		{230, `error('Usage: digest.urandom(len)')`},
		{232, `local size = static_alloc_size(n)`},
		{233, `local bytes = C.random_bytes(size, n)`},
		{243, `error("Usage: digest.pbkdf2_hex(pass, salt)")`},
		{245, `return string_hex(pbkdf2(pass, salt, iters, digest_len))`},
		{251, `return crypto.digest[digest](str)`},
		{255, `error('Usage: digest.' .. digest .. '_hex(string)')`},
		{257, `return string_hex(crypto.digest[digest](str))`},
		{263, `return crypto.cipher.aes256.cbc.encrypt(str, key, iv)`},
		{266, `return crypto.cipher.aes256.cbc.decrypt(str, key, iv)`},
	},
	"uri.lua": {
		{38, `error("Usage: uri.parse(string)")`},
		{41, `local result = builtin.uri_parse(uribuf, s, convmsg)`},
		{63, `local scheme = uri.scheme uribuf.scheme = scheme`},
		{64, `uribuf.scheme_len = string.len(uri.scheme or '')`},
		{65, `local login = uri.login uribuf.login = login`},
		{67, `local password = uri.password uribuf.password = password`},
		{69, `local host = uri.host uribuf.host = host`},
		{71, `local service = uri.service uribuf.service = service`},
		{73, `local path = uri.path uribuf.path = path`},
		{75, `local query = uri.query uribuf.query = query`},
		{77, `local fragment = uri.fragment uribuf.fragment = fragment`},
		{78, `uribuf.fragment_len = string.len(uri.fragment or '')`},
		{80, `local str = builtin.uri_format(`},
	},
	"clock.lua": {
		{35, `fun(...)`},
	},
	"errno.lua": {
		{12, `return ffi.string(ffi.C.strerror(tonumber(errno)))`},
		{19, `error("Can't create new errno constants")`},
	},
}

func TestBuiltinLayout(t *testing.T) {
	for file, anchors := range builtinLayout {
		src, err := luaFS.ReadFile("lua/" + file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		for _, a := range anchors {
			if a.line > len(lines) || !strings.Contains(lines[a.line-1], a.text) {
				t.Errorf("%s:%d should hold %q", file, a.line, a.text)
			}
		}
	}
}
