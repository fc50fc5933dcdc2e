package luamod

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"strings"

	"github.com/spindledb/spindle/internal/lua"
)

// The digest module is Tarantool 2.6's builtin/digest.lua in
// lua/digest.lua over Go helpers named after the C functions it calls
// through the FFI (LuaJIT names a function in "bad argument" messages
// after the field it was called through, so the names are part of the
// messages). The SHA-2 family, MD4, MD5 and aes256cbc go through the
// crypto module, as in 2.6.
func init() {
	addModule("digest", 0, func(L lua.State, _ *Options) {
		registerLua(L, "digest", "digest.lua", func(L lua.State) {
			L.NewTable()
			L.SetFuncs(-1, digestHelpers)
		})
	})
}

var digestHelpers = map[string]lua.Function{
	"SHA1internal": func(L lua.State) int {
		b, _ := L.ToBytesView(1)
		sum := sha1.Sum(b)
		L.PushBytes(sum[:])
		return 1
	},
	// crc32_calc(crc, str): Tarantool's crc32_calc, CRC-32C (Castagnoli)
	// continuing from crc with no final inversion.
	"crc32_calc": func(L lua.State) int {
		crc := uint32(ffiInteger(L, 1, ffiUint32))
		b, _ := L.ToBytesView(2)
		L.PushNumber(float64(crc32c(crc, b)))
		return 1
	},
	"guava": func(L lua.State) int {
		state := ffiInteger(L, 1, ffiUint64)
		buckets := int32(ffiInteger(L, 2, ffiInt32))
		L.PushNumber(float64(guava(state, buckets)))
		return 1
	},
	// base64_encode(bin, options) returns the encoding as base64.c
	// writes it into a buffer of base64_bufsize bytes.
	"base64_encode": func(L lua.State) int {
		b, _ := L.ToBytesView(1)
		L.PushString(base64Encode(b, int(L.ToNumber(2))))
		return 1
	},
	"base64_decode": func(L lua.State) int {
		b, _ := L.ToBytesView(1)
		L.PushBytes(base64Decode(b))
		return 1
	},
	// random_bytes(size, n): n random bytes; size is n as static_alloc
	// in digest.lua computed it, n converts as the FFI converts size_t.
	"random_bytes": func(L lua.State) int {
		n := ffiInteger(L, 2, ffiUint64)
		if n >= 1<<31 {
			// digest.lua has checked the size already; this keeps a
			// direct call from allocating without bound.
			raiseAt(L, "builtin/digest.lua:232", "bad argument #1 to 'static_alloc' (size of C type is unknown or too large)")
		}
		b := make([]byte, n)
		_, _ = rand.Read(b) // crypto/rand.Read never fails (it aborts the process instead)
		L.PushBytes(b)
		return 1
	},
	// PMurHash32_Process(h1, carry, str) -> h1, carry: the running
	// state, as int32 numbers for the int[1] cells digest.lua keeps.
	"PMurHash32_Process": func(L lua.State) int {
		h := uint32(ffiInteger(L, 1, ffiUint32))
		c := uint32(ffiInteger(L, 2, ffiUint32))
		b, _ := L.ToBytesView(3)
		h, c = murmurProcess(h, c, b)
		L.PushNumber(float64(int32(h)))
		L.PushNumber(float64(int32(c)))
		return 2
	},
	"PMurHash32_Result": func(L lua.State) int {
		h := uint32(ffiInteger(L, 1, ffiUint32))
		c := uint32(ffiInteger(L, 2, ffiUint32))
		n := uint32(ffiInteger(L, 3, ffiUint32))
		L.PushNumber(float64(murmurResult(h, c, n)))
		return 1
	},
	"PMurHash32": func(L lua.State) int {
		seed := uint32(ffiInteger(L, 1, ffiUint32))
		b, _ := L.ToBytesView(2)
		h, c := murmurProcess(seed, 0, b)
		L.PushNumber(float64(murmurResult(h, c, uint32(len(b)))))
		return 1
	},
	// pbkdf2(pass, salt, iters, len) is lua_pbkdf2 of digest.c:
	// PBKDF2-HMAC-SHA256 of the C strings (cut at NUL), nil when OpenSSL
	// would refuse (fewer than one iteration).
	"pbkdf2": func(L lua.State) int {
		pass, _ := L.ToString(1)
		salt, _ := L.ToString(2)
		// lua_tointeger, then int parameters.
		iters := int32(cvttsd2si(L.ToNumber(3)))
		n := int32(cvttsd2si(L.ToNumber(4)))
		switch {
		case n < 0:
			// Tarantool pushes a string of that many bytes and crashes.
			raise(L, fmt.Sprintf("digest.pbkdf2: negative digest_len %d", n))
		case iters < 1:
			L.PushNil()
			return 1
		case n == 0:
			L.PushString("")
			return 1
		}
		key, err := pbkdf2.Key(sha256.New, cString(pass), []byte(cString(salt)), int(iters), int(n))
		if err != nil {
			L.PushNil()
			return 1
		}
		L.PushBytes(key)
		return 1
	},
}

// cString is s as a C function reading it with strlen sees it.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// ffiType is an integer parameter type of an FFI-called C function.
type ffiType struct {
	name   string // as LuaJIT names it in conversion errors
	size   int    // bytes
	signed bool
}

var (
	ffiInt32  = ffiType{"int", 4, true}
	ffiUint32 = ffiType{"unsigned int", 4, false}
	ffiUint64 = ffiType{"uint64_t", 8, false}
)

// ffiInteger converts argument n as the FFI of Tarantool's LuaJIT
// converts a Lua value passed for an integer parameter of type t:
// numbers by num2int, booleans to 0 or 1, integer and floating cdata by
// value; anything else raises LuaJIT's "cannot convert" argument error.
// The result holds the value's low t.size*8 bits.
func ffiInteger(L lua.State, n int, t ffiType) uint64 {
	var v uint64
	switch L.Type(n) {
	case lua.TypeNumber:
		v = num2int(L.ToNumber(n), t)
	case lua.TypeBoolean:
		if L.ToBool(n) {
			v = 1
		}
	case lua.TypeCdata:
		switch id := L.CdataType(n); id {
		case cdataDouble:
			v = num2int(*(*float64)(L.CdataPointer(n)), t)
		case cdataFloat:
			v = num2int(float64(*(*float32)(L.CdataPointer(n))), t)
		case cdataBool:
			v = uint64(*(*uint8)(L.CdataPointer(n)))
		default:
			u, i, sign := L.Integer(n)
			switch sign {
			case 1:
				v = u
			case -1:
				v = uint64(i)
			default:
				L.ArgError(n, "cannot convert 'cdata' to '"+t.name+"'")
			}
		}
	default:
		name := L.TypeName(n)
		if L.IsNone(n) {
			name = "nil"
		}
		L.ArgError(n, "cannot convert '"+name+"' to '"+t.name+"'")
	}
	if t.size < 8 {
		v &= 1<<(8*t.size) - 1
	}
	return v
}

// ffiValueName is how LuaJIT names the Lua value at n when it cannot
// convert it to a pointer: booleans convert through its bool ctype,
// other values go by their type name ("cdata" standing in for the
// ctype of a cdata value).
func ffiValueName(L lua.State, n int) string {
	switch L.Type(n) {
	case lua.TypeBoolean:
		return "bool"
	case lua.TypeNone:
		return "nil"
	}
	return L.TypeName(n)
}

// LuaJIT's built-in ctype ids of bool, float and double.
const (
	cdataBool   = 3
	cdataFloat  = 13
	cdataDouble = 14
)

// num2int is the double to integer conversion of LuaJIT 2.1 as
// Tarantool 2.6 builds it (lj_cconv.c before LuaJIT unified these
// conversions), with gcc's x86-64 code for the C casts: (int32_t)d for
// signed 32-bit types, (uint32_t)d (the low half of a 64-bit
// truncation) for unsigned ones, and (uint64_t)d for 64-bit ones, which
// subtracts 2^63 first from values at or above it (NaN compares below).
func num2int(d float64, t ffiType) uint64 {
	switch {
	case t.size == 4 && t.signed:
		if d > -2147483649.0 && d < 2147483648.0 {
			return uint64(int64(int32(d)))
		}
		minInt32 := int64(math.MinInt32)
		return uint64(minInt32)
	case t.size == 8 && d >= 0x1p63:
		return uint64(cvttsd2si(d-0x1p63)) ^ 1<<63
	}
	return uint64(cvttsd2si(d))
}

// cvttsd2si truncates toward zero; NaN and values out of range give
// the "integer indefinite" value, math.MinInt64.
func cvttsd2si(d float64) int64 {
	if d != d || d >= 0x1p63 || d < -0x1p63 {
		return math.MinInt64
	}
	return int64(d)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is Tarantool's crc32_calc: CRC-32C from crc with neither the
// initial nor the final inversion, so the digest.crc32 of the empty
// string is the default start value, 4294967295.
func crc32c(crc uint32, b []byte) uint32 {
	return ^crc32.Update(^crc, castagnoli, b)
}

// guava is Tarantool's guava() (src/lib/salad/guava.c), a variant of
// Lamping and Veach's jump consistent hash that differs from the paper
// as Tarantool's does.
func guava(state uint64, buckets int32) int32 {
	const k = 2862933555777941757
	var candidate int64
	for {
		state = k*state + 1
		lcg := float64(int32(uint32((state>>33)+1))) / 0x1p31
		next := cvttsd2si(float64(candidate+1) / lcg)
		if next < 0 || next >= int64(buckets) {
			return int32(candidate)
		}
		candidate = next
	}
}

// MurmurHash3 x86_32 in PMurHash's incremental form. The carry word
// holds up to 3 pending bytes in its high bytes and their count in its
// low 2 bits; digest.murmur objects expose it, so its exact value,
// stale bits included, is PMurHash's.

// murmurMix is PMurHash's DOBLOCK: it mixes k into h and, being a C
// macro that updates its k argument in place, also returns the mixed k
// (which becomes the carry's stale bits when k was the carry).
func murmurMix(h, k uint32) (uint32, uint32) {
	k *= 0xcc9e2d51
	k = bits.RotateLeft32(k, 15)
	k *= 0x1b873593
	h ^= k
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64, k
}

func murmurProcess(h, c uint32, b []byte) (uint32, uint32) {
	n := int(c & 3)
	// appendByte is DOBYTES for one byte.
	appendByte := func(x byte) {
		c = c>>8 | uint32(x)<<24
		n++
		if n == 4 {
			h, c = murmurMix(h, c)
			n = 0
		}
	}
	// Top the carry up to a whole word first, when b is long enough.
	if i := (4 - n) & 3; i != 0 && i <= len(b) {
		for _, x := range b[:i] {
			appendByte(x)
		}
		b = b[i:]
	}
	// n is 0 here unless b is shorter than what the carry lacked.
	for n == 0 && len(b) >= 4 {
		h, _ = murmurMix(h, binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	for _, x := range b {
		appendByte(x)
	}
	return h, c&^0xff | uint32(n)
}

func murmurResult(h, c, total uint32) uint32 {
	if n := c & 3; n != 0 {
		k := c >> ((4 - n) * 8)
		k *= 0xcc9e2d51
		k = bits.RotateLeft32(k, 15)
		k *= 0x1b873593
		h ^= k
	}
	h ^= total
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// base64 as Tarantool's third_party/base64.c.
const (
	base64NoPad   = 1
	base64NoWrap  = 2
	base64URLSafe = 7 // the bits of NOPAD and NOWRAP included
	base64Line    = 72
)

const (
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// base64Bufsize is base64_bufsize: the buffer digest.lua encodes into.
func base64Bufsize(n, options int) int {
	size := n * 4 / 3
	if options&base64NoWrap == 0 {
		size += (size + base64Line - 1) / base64Line
	} else if n%3 != 0 {
		size++
	}
	if options&base64NoPad == 0 {
		size += 4
	}
	return size
}

// base64Encode is base64_encode into a buffer of base64Bufsize bytes:
// a newline after every 72 characters (the last one included) unless
// NOWRAP, '=' padding unless NOPAD, output stopped where the buffer
// ends.
func base64Encode(in []byte, options int) string {
	alphabet := base64Std
	if options&base64URLSafe == base64URLSafe {
		alphabet = base64URL
	}
	limit := base64Bufsize(len(in), options)
	out := make([]byte, 0, limit)
	full := func() bool { return len(out) >= limit }
	groups := 0
	for len(in) >= 3 {
		v := uint32(in[0])<<16 | uint32(in[1])<<8 | uint32(in[2])
		in = in[3:]
		for j := 0; j < 4; j++ {
			if full() {
				return string(out)
			}
			out = append(out, alphabet[v>>(18-6*j)&0x3f])
		}
		if options&base64NoWrap == 0 {
			if groups++; groups*4 == base64Line {
				if full() {
					return string(out)
				}
				out = append(out, '\n')
				groups = 0
			}
		}
	}
	switch len(in) {
	case 1:
		if full() {
			return string(out)
		}
		out = append(out, alphabet[in[0]>>2])
		if full() {
			return string(out)
		}
		out = append(out, alphabet[in[0]<<4&0x3f])
		if len(out)+1 >= limit || options&base64NoPad != 0 {
			return string(out)
		}
		out = append(out, '=', '=')
	case 2:
		v := uint32(in[0])<<8 | uint32(in[1])
		for _, x := range []uint32{v >> 10, v >> 4 & 0x3f} {
			if full() {
				return string(out)
			}
			out = append(out, alphabet[x])
		}
		if full() {
			return string(out)
		}
		out = append(out, alphabet[v<<2&0x3f])
		if full() || options&base64NoPad != 0 {
			return string(out)
		}
		out = append(out, '=')
	}
	return string(out)
}

// base64Values maps a character to its 6-bit value, -1 for characters
// base64.c skips ('=' among them: it does not end the input). Both
// alphabets decode. Tarantool's table lookup runs past the end of its
// table for '{', '|', '}', '~' and DEL and reads the first bytes of the
// encoding alphabet that follows it in memory ("ABCD", "EFGH", ...),
// which decode as 1, 5, 9, 13 and 17; Tarantool's digest.base64_decode
// returns that, and so does this.
var base64Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < 64; i++ {
		t[base64Std[i]] = int8(i)
		t[base64URL[i]] = int8(i)
	}
	for i, c := range []byte("{|}~\x7f") {
		t[c] = int8(base64Std[4*i] & 0x3f)
	}
	return t
}()

// base64Decode is base64_decode: the valid characters form a stream of
// 6-bit groups, every whole byte of which is output.
func base64Decode(in []byte) []byte {
	out := make([]byte, 0, len(in)*3/4+1)
	var acc uint32
	nbits := 0
	for _, c := range in {
		v := base64Values[c]
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		nbits += 6
		if nbits >= 8 {
			nbits -= 8
			out = append(out, byte(acc>>nbits))
		}
	}
	return out
}
