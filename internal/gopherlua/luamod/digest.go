package luamod

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// PreloadDigest registers the digest module: sha1, sha224, sha256,
// sha384, sha512, md5 (each with _hex), base64_encode/decode, crc32
// (CRC32-C, callable and with new()), crc32_update, murmur (callable,
// with new()), guava and urandom. md4, pbkdf2 and aes256cbc are not
// provided.
func PreloadDigest(L *lua.LState) {
	register(L, "digest", loadDigest)
}

// Positions of the usage errors in Tarantool's builtin/digest.lua, so
// pcall messages match.
const (
	digestWhereSha1    = "builtin/digest.lua:210"
	digestWhereSha1Hex = "builtin/digest.lua:218"
	digestWhereHex     = "builtin/digest.lua:255"
	digestWhereB64Enc  = "builtin/digest.lua:167"
	digestWhereB64Dec  = "builtin/digest.lua:190"
	digestWhereCRCUpd  = "builtin/digest.lua:203"
	digestWhereRandom  = "builtin/digest.lua:230"
	digestWhereCRCCall = "builtin/digest.lua:139"
	digestWhereMurmur  = "builtin/digest.lua:96"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is Tarantool's crc32_calc: CRC32-C without the final inversion,
// so digest.crc32(”) is 4294967295 with the default initial value.
func crc32c(crc uint32, s string) uint32 {
	return ^crc32.Update(^crc, castagnoli, []byte(s))
}

func loadDigest(L *lua.LState) int {
	mod := L.NewTable()
	hashes := []struct {
		name string
		fn   func() hash.Hash
	}{
		{"sha224", sha256.New224}, {"sha256", sha256.New}, {"sha384", sha512.New384},
		{"sha512", sha512.New}, {"md5", md5.New},
	}
	for _, h := range hashes {
		h := h
		mod.RawSetString(h.name, L.NewFunction(func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raise(L, "Usage: digest."+h.name+"(string)")
			}
			L.Push(lua.LString(sum(h.fn, string(s))))
			return 1
		}))
		mod.RawSetString(h.name+"_hex", L.NewFunction(func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raiseAt(L, digestWhereHex, "Usage: digest."+h.name+"_hex(string)")
			}
			L.Push(lua.LString(hex.EncodeToString([]byte(sum(h.fn, string(s))))))
			return 1
		}))
	}
	setFuncs(L, mod, map[string]lua.LGFunction{
		"sha1": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raiseAt(L, digestWhereSha1, "Usage: digest.sha1(string)")
			}
			L.Push(lua.LString(sum(sha1.New, string(s))))
			return 1
		},
		"sha1_hex": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raiseAt(L, digestWhereSha1Hex, "Usage: digest.sha1_hex(string)")
			}
			L.Push(lua.LString(hex.EncodeToString([]byte(sum(sha1.New, string(s))))))
			return 1
		},
		"base64_encode": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			opts, isTable := L.Get(2).(*lua.LTable)
			if !ok || (L.Get(2) != lua.LNil && !isTable) {
				raiseAt(L, digestWhereB64Enc, "Usage: digest.base64_encode(string[, table])")
			}
			var mask int
			if isTable {
				if lua.LVAsBool(L.GetField(opts, "urlsafe")) {
					mask |= base64URLSafe
				}
				if lua.LVAsBool(L.GetField(opts, "nopad")) {
					mask |= base64NoPad
				}
				if lua.LVAsBool(L.GetField(opts, "nowrap")) {
					mask |= base64NoWrap
				}
			}
			L.Push(lua.LString(base64Encode([]byte(s), mask)))
			return 1
		},
		"base64_decode": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				raiseAt(L, digestWhereB64Dec, "Usage: digest.base64_decode(string)")
			}
			L.Push(lua.LString(base64Decode(string(s))))
			return 1
		},
		"crc32_update": func(L *lua.LState) int {
			s, ok := L.Get(2).(lua.LString)
			if !ok {
				raiseAt(L, digestWhereCRCUpd, "Usage: digest.crc32_update(string)")
			}
			L.Push(lua.LNumber(crc32c(uint32(L.CheckNumber(1)), string(s))))
			return 1
		},
		"guava": func(L *lua.LState) int {
			L.Push(lua.LNumber(guava(int64(L.CheckNumber(1)), int32(L.CheckNumber(2)))))
			return 1
		},
		"urandom": func(L *lua.LState) int {
			if L.Get(1) == lua.LNil {
				raiseAt(L, digestWhereRandom, "Usage: digest.urandom(len)")
			}
			n := L.CheckInt(1)
			if n < 0 {
				n = 0
			}
			b := make([]byte, n)
			_, _ = rand.Read(b)
			L.Push(lua.LString(b))
			return 1
		},
	})
	mod.RawSetString("crc32", newCRC32Object(L))
	mod.RawSetString("murmur", newMurmurObject(L))
	L.Push(mod)
	return 1
}

func sum(fn func() hash.Hash, s string) string {
	h := fn()
	h.Write([]byte(s))
	return string(h.Sum(nil))
}

// newCRC32Object builds digest.crc32: callable, with new() returning an
// incremental object (update/result/clear/copy).
func newCRC32Object(L *lua.LState) *lua.LTable {
	obj := L.NewTable()
	methods := L.NewTable()
	newState := func(L *lua.LState, v uint32) *lua.LTable {
		st := L.NewTable()
		st.RawSetString("value", lua.LNumber(v))
		st.Metatable = L.NewTable()
		st.Metatable.(*lua.LTable).RawSetString("__index", methods)
		return st
	}
	setFuncs(L, methods, map[string]lua.LGFunction{
		"update": func(L *lua.LState) int {
			self := L.CheckTable(1)
			s, ok := L.Get(2).(lua.LString)
			if !ok {
				raiseAt(L, "builtin/digest.lua:106", "Usage crc32:update(string)")
			}
			v := uint32(lua.LVAsNumber(self.RawGetString("value")))
			self.RawSetString("value", lua.LNumber(crc32c(v, string(s))))
			return 0
		},
		"result": func(L *lua.LState) int {
			L.Push(L.CheckTable(1).RawGetString("value"))
			return 1
		},
		"clear": func(L *lua.LState) int {
			L.CheckTable(1).RawSetString("value", lua.LNumber(0xFFFFFFFF))
			return 0
		},
		"copy": func(L *lua.LState) int {
			v := uint32(lua.LVAsNumber(L.CheckTable(1).RawGetString("value")))
			L.Push(newState(L, v))
			return 1
		},
	})
	obj.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(newState(L, 0xFFFFFFFF))
		return 1
	}))
	meta := L.NewTable()
	meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		s, ok := L.Get(2).(lua.LString)
		if !ok {
			raiseAt(L, digestWhereCRCCall, "Usage digest.crc32(string)")
		}
		L.Push(lua.LNumber(crc32c(0xFFFFFFFF, string(s))))
		return 1
	}))
	obj.Metatable = meta
	return obj
}

const murmurDefaultSeed = 13

// newMurmurObject builds digest.murmur (PMurHash32, seed 13).
func newMurmurObject(L *lua.LState) *lua.LTable {
	obj := L.NewTable()
	obj.RawSetString("default_seed", lua.LNumber(murmurDefaultSeed))
	methods := L.NewTable()
	newState := func(L *lua.LState, seed uint32, data string) *lua.LTable {
		st := L.NewTable()
		st.RawSetString("seed", lua.LNumber(seed))
		st.RawSetString("data", lua.LString(data))
		st.Metatable = L.NewTable()
		st.Metatable.(*lua.LTable).RawSetString("__index", methods)
		return st
	}
	setFuncs(L, methods, map[string]lua.LGFunction{
		"update": func(L *lua.LState) int {
			self := L.CheckTable(1)
			s, ok := L.Get(2).(lua.LString)
			if !ok {
				raiseAt(L, "builtin/digest.lua:54", "Usage: murhash:update(string)")
			}
			self.RawSetString("data", lua.LString(lua.LVAsString(self.RawGetString("data"))+string(s)))
			return 0
		},
		"result": func(L *lua.LState) int {
			self := L.CheckTable(1)
			seed := uint32(lua.LVAsNumber(self.RawGetString("seed")))
			L.Push(lua.LNumber(murmur3(seed, []byte(lua.LVAsString(self.RawGetString("data"))))))
			return 1
		},
		"clear": func(L *lua.LState) int {
			L.CheckTable(1).RawSetString("data", lua.LString(""))
			return 0
		},
		"copy": func(L *lua.LState) int {
			self := L.CheckTable(1)
			L.Push(newState(L, uint32(lua.LVAsNumber(self.RawGetString("seed"))), lua.LVAsString(self.RawGetString("data"))))
			return 1
		},
	})
	obj.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		seed := uint32(murmurDefaultSeed)
		if opts, ok := L.Get(1).(*lua.LTable); ok {
			if s, ok := opts.RawGetString("seed").(lua.LNumber); ok {
				seed = uint32(int64(s))
			}
		}
		L.Push(newState(L, seed, ""))
		return 1
	}))
	meta := L.NewTable()
	meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		s, ok := L.Get(2).(lua.LString)
		if !ok {
			raiseAt(L, digestWhereMurmur, "Usage: digest.murhash(string)")
		}
		L.Push(lua.LNumber(murmur3(murmurDefaultSeed, []byte(s))))
		return 1
	}))
	obj.Metatable = meta
	return obj
}

// murmur3 is MurmurHash3_x86_32 (PMurHash32).
func murmur3(seed uint32, data []byte) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	n := len(data)
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
		data = data[4:]
	}
	var k uint32
	switch len(data) {
	case 3:
		k ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(data[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// guava is Google Guava's consistentHash (Tarantool's guava()).
func guava(state int64, buckets int32) int32 {
	const k = 2862933555777941757
	candidate := int32(0)
	for {
		state = k*state + 1
		next := int32(float64(candidate+1) / ((float64(int32(uint64(state)>>33)) + 1) / float64(1<<31)))
		if next >= 0 && next < buckets {
			candidate = next
		} else {
			return candidate
		}
	}
}

const (
	base64NoPad   = 1
	base64NoWrap  = 2
	base64URLSafe = 7 // implies no padding and no wrapping
	base64Width   = 72
)

const (
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// base64Encode is third_party/base64.c: a newline after every 72 output
// characters unless NOWRAP, '=' padding unless NOPAD.
func base64Encode(in []byte, mask int) string {
	alphabet := base64Std
	if mask&base64URLSafe == base64URLSafe {
		alphabet = base64URL
	}
	out := make([]byte, 0, len(in)*4/3+len(in)/54+4)
	col := 0
	put := func(c byte) {
		if mask&base64NoWrap == 0 && col == base64Width {
			out = append(out, '\n')
			col = 0
		}
		out = append(out, c)
		col++
	}
	for i := 0; i < len(in); i += 3 {
		var v uint32
		n := len(in) - i
		if n > 3 {
			n = 3
		}
		for j := 0; j < 3; j++ {
			v <<= 8
			if j < n {
				v |= uint32(in[i+j])
			}
		}
		for j := 0; j <= n; j++ {
			put(alphabet[v>>(18-6*j)&0x3f])
		}
		if n < 3 && mask&base64NoPad == 0 {
			for j := n; j < 3; j++ {
				put('=')
			}
		}
	}
	return string(out)
}

var base64Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < 64; i++ {
		t[base64Std[i]] = int8(i)
		t[base64URL[i]] = int8(i)
	}
	return t
}()

// base64Decode skips every character outside both alphabets (newlines,
// spaces, padding) and stops at the first '='.
func base64Decode(s string) string {
	out := make([]byte, 0, len(s)*3/4+1)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			break
		}
		v := base64Values[s[i]]
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return string(out)
}
