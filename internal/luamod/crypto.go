package luamod

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// The crypto module is Tarantool 2.6's builtin/crypto.lua (digests,
// HMAC and ciphers, with its messages and error positions) in
// lua/crypto.lua, over Go helpers in place of OpenSSL. The digest
// module depends on it, as in 2.6.
//
// Contexts: Lua holds a cdata (struct spindle_crypto_ctx) with the id
// of a Go object in a per-state table; an ffi.gc finalizer releases the
// id when the cdata is collected, free() releases it at once.
func init() { addModule("crypto", 0, preloadCrypto) }

// cryptoDigests are the digests of Tarantool's list (md2, md4, md5,
// sha1, sha224, sha256, sha384, sha512, dss, dss1, mdc2, ripemd160)
// that OpenSSL 1.1 provides; md2, dss, dss1 and mdc2 are absent there.
var cryptoDigests = map[string]func() hash.Hash{
	"md4":       newMD4,
	"md5":       md5.New,
	"sha1":      sha1.New,
	"sha224":    sha256.New224,
	"sha256":    sha256.New,
	"sha384":    sha512.New384,
	"sha512":    sha512.New,
	"ripemd160": newRIPEMD160,
}

// Cipher algorithms and modes, with the values of crypto.h's enums
// that crypto.cipher_algo and crypto.cipher_mode expose.
const (
	cryptoAlgoNone = iota
	cryptoAlgoAES128
	cryptoAlgoAES192
	cryptoAlgoAES256
	cryptoAlgoDES
)

const (
	cryptoModeECB = iota
	cryptoModeCBC
	cryptoModeCFB
	cryptoModeOFB
)

// cryptoStore holds one state's Go objects behind context ids.
type cryptoStore struct {
	objs []any
	free []int
}

func (s *cryptoStore) add(o any) int {
	if n := len(s.free); n > 0 {
		id := s.free[n-1]
		s.free = s.free[:n-1]
		s.objs[id] = o
		return id
	}
	s.objs = append(s.objs, o)
	return len(s.objs) - 1
}

func (s *cryptoStore) release(id int) {
	if id >= 0 && id < len(s.objs) && s.objs[id] != nil {
		s.objs[id] = nil
		s.free = append(s.free, id)
	}
}

// get returns the object of the id at idx; an id that names nothing
// (a forged or released context) raises.
func (s *cryptoStore) get(L lua.State, idx int) any {
	id := L.CheckInt(idx)
	if id < 0 || id >= len(s.objs) || s.objs[id] == nil {
		L.ArgError(idx, "invalid crypto context")
	}
	return s.objs[id]
}

type mdContext struct {
	newHash func() hash.Hash
	h       hash.Hash
}

// raiseCryptoError raises a CryptoError box.error object (what 2.6's
// crypto raises with box.error() after diag_set(CryptoError, ...)); with
// no NewError hook the message is raised as a string.
func raiseCryptoError(L lua.State, opts *Options, msg string) {
	if opts.NewError != nil {
		opts.NewError(L, boxerr.Newf("CryptoError", boxerr.ER_PROC_LUA, "%s", msg))
		L.Raise()
	}
	L.RaiseString(msg)
}

func preloadCrypto(L lua.State, opts *Options) {
	store := &cryptoStore{}
	registerLua(L, "crypto", "crypto.lua", func(L lua.State) {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"release": func(L lua.State) int {
				store.release(L.CheckInt(1))
				return 0
			},
			"md_new": func(L lua.State) int {
				f := cryptoDigests[L.CheckString(1)]
				if f == nil {
					L.ArgError(1, "unknown digest")
				}
				L.PushInt(store.add(&mdContext{newHash: f, h: f()}))
				return 1
			},
			"md_init": func(L lua.State) int {
				store.get(L, 1).(*mdContext).h.Reset()
				return 0
			},
			"md_update": func(L lua.State) int {
				c := store.get(L, 1).(*mdContext)
				L.CheckString(2)
				b, _ := L.ToBytesView(2)
				c.h.Write(b)
				return 0
			},
			"md_final": func(L lua.State) int {
				L.PushBytes(store.get(L, 1).(*mdContext).h.Sum(nil))
				return 1
			},
			"hmac_new": func(L lua.State) int {
				f := cryptoDigests[L.CheckString(1)]
				if f == nil {
					L.ArgError(1, "unknown digest")
				}
				L.PushInt(store.add(&mdContext{newHash: f}))
				return 1
			},
			// hmac_init (re)starts the HMAC with a key, as HMAC_Init_ex.
			"hmac_init": func(L lua.State) int {
				c := store.get(L, 1).(*mdContext)
				key := L.CheckString(2)
				c.h = hmac.New(c.newHash, []byte(key))
				return 0
			},
			"stream_new": func(L lua.State) int {
				s, err := newCipherStream(L.CheckInt(1), L.CheckInt(2), L.ToBool(3))
				if err != nil {
					raiseCryptoError(L, opts, err.Error())
				}
				L.PushInt(store.add(s))
				return 1
			},
			"stream_begin": func(L lua.State) int {
				s := store.get(L, 1).(*cipherStream)
				if err := s.begin(L.CheckString(2), L.CheckString(3)); err != nil {
					raiseCryptoError(L, opts, err.Error())
				}
				return 0
			},
			"stream_append": func(L lua.State) int {
				s := store.get(L, 1).(*cipherStream)
				b, _ := L.ToBytesView(2)
				L.PushBytes(s.update(b))
				return 1
			},
			"stream_commit": func(L lua.State) int {
				out, err := store.get(L, 1).(*cipherStream).final()
				if err != nil {
					raiseCryptoError(L, opts, err.Error())
				}
				L.PushBytes(out)
				return 1
			},
		})
	})
}

// cipherStream is crypto_stream: an EVP cipher context, emulated with
// OpenSSL's rules for what EVP_CipherUpdate outputs and withholds and
// what EVP_CipherFinal_ex adds or checks (PKCS#7 padding in ECB and CBC;
// CFB, OFB and the null cipher are streams with block size 1).
type cipherStream struct {
	algo, mode int
	encrypt    bool
	keyLen     int
	ivLen      int
	blockSize  int // EVP_CIPHER_block_size: 1 for stream modes

	block     cipher.Block     // ECB
	blockMode cipher.BlockMode // CBC
	stream    *feedbackStream  // CFB, OFB

	buf       []byte // a partial block not yet processed
	withheld  []byte // decryption: the last whole block, withheld
	finalUsed bool
}

func newCipherStream(algo, mode int, encrypt bool) (*cipherStream, error) {
	s := &cipherStream{algo: algo, mode: mode, encrypt: encrypt}
	var cipherBlock int
	switch algo {
	case cryptoAlgoNone:
		s.blockSize = 1
		return s, nil
	case cryptoAlgoAES128, cryptoAlgoAES192, cryptoAlgoAES256:
		s.keyLen = 16 + 8*(algo-cryptoAlgoAES128)
		cipherBlock = aes.BlockSize
	case cryptoAlgoDES:
		s.keyLen = 8
		cipherBlock = des.BlockSize
	default:
		return nil, fmt.Errorf("unknown crypto algorithm")
	}
	switch mode {
	case cryptoModeECB:
		s.blockSize = cipherBlock
	case cryptoModeCBC:
		s.blockSize, s.ivLen = cipherBlock, cipherBlock
	case cryptoModeCFB, cryptoModeOFB:
		s.blockSize, s.ivLen = 1, cipherBlock
	default:
		return nil, fmt.Errorf("unknown mode")
	}
	return s, nil
}

// begin is crypto_stream_begin: checks the sizes and (re)initializes.
func (s *cipherStream) begin(key, iv string) error {
	if len(key) != s.keyLen {
		return fmt.Errorf("key size expected %d, got %d", s.keyLen, len(key))
	}
	if len(iv) != s.ivLen {
		return fmt.Errorf("IV size expected %d, got %d", s.ivLen, len(iv))
	}
	s.buf, s.withheld, s.finalUsed = s.buf[:0], nil, false
	s.block, s.blockMode, s.stream = nil, nil, nil
	if s.algo == cryptoAlgoNone {
		return nil
	}
	var b cipher.Block
	var err error
	if s.algo == cryptoAlgoDES {
		b, err = des.NewCipher([]byte(key))
	} else {
		b, err = aes.NewCipher([]byte(key))
	}
	if err != nil {
		return err
	}
	ivb := []byte(iv)
	switch {
	case s.mode == cryptoModeECB:
		s.block = b
	case s.mode == cryptoModeCBC && s.encrypt:
		s.blockMode = cipher.NewCBCEncrypter(b, ivb)
	case s.mode == cryptoModeCBC:
		s.blockMode = cipher.NewCBCDecrypter(b, ivb)
	default:
		s.stream = newFeedbackStream(b, ivb, s.mode == cryptoModeCFB, !s.encrypt)
	}
	return nil
}

// blocks runs the cipher over whole blocks of p.
func (s *cipherStream) blocks(p []byte) []byte {
	out := make([]byte, len(p))
	switch {
	case s.blockMode != nil:
		s.blockMode.CryptBlocks(out, p)
	case s.block != nil:
		bs := s.block.BlockSize()
		for i := 0; i < len(p); i += bs {
			if s.encrypt {
				s.block.Encrypt(out[i:], p[i:i+bs])
			} else {
				s.block.Decrypt(out[i:], p[i:i+bs])
			}
		}
	}
	return out
}

// update is EVP_CipherUpdate: block modes output whole blocks and keep
// the rest; decryption also withholds its last whole block until the
// next update or final, which removes the padding from it.
func (s *cipherStream) update(in []byte) []byte {
	if s.blockSize == 1 {
		if s.stream == nil {
			return append([]byte(nil), in...)
		}
		out := make([]byte, len(in))
		s.stream.XORKeyStream(out, in)
		return out
	}
	if len(in) == 0 {
		return nil
	}
	var out []byte
	if !s.encrypt && s.finalUsed {
		out = append(out, s.withheld...)
	}
	data := append(s.buf, in...)
	whole := len(data) / s.blockSize * s.blockSize
	processed := s.blocks(data[:whole])
	s.buf = append(s.buf[:0:0], data[whole:]...)
	if !s.encrypt && len(s.buf) == 0 {
		// len(in) > 0 and nothing left over: at least one whole block.
		s.withheld = processed[len(processed)-s.blockSize:]
		s.finalUsed = true
		processed = processed[:len(processed)-s.blockSize]
	} else if !s.encrypt {
		s.finalUsed = false
	}
	return append(out, processed...)
}

// OpenSSL 3's messages, as Tarantool reports them ("OpenSSL error: " and
// ERR_error_string of the library's error).
const (
	errBadDecrypt       = "OpenSSL error: error:1C800064:Provider routines::bad decrypt"
	errWrongFinalLength = "OpenSSL error: error:1C80006B:Provider routines::wrong final block length"
)

// final is EVP_CipherFinal_ex followed by the context cleanup.
func (s *cipherStream) final() ([]byte, error) {
	if s.blockSize == 1 {
		return nil, nil
	}
	bs := s.blockSize
	if s.encrypt {
		n := bs - len(s.buf)
		block := append(s.buf, make([]byte, n)...)
		for i := len(s.buf); i < bs; i++ {
			block[i] = byte(n)
		}
		s.buf = s.buf[:0]
		return s.blocks(block), nil
	}
	if len(s.buf) != 0 || !s.finalUsed {
		return nil, fmt.Errorf("%s", errWrongFinalLength)
	}
	s.finalUsed = false
	n := int(s.withheld[bs-1])
	if n == 0 || n > bs {
		return nil, fmt.Errorf("%s", errBadDecrypt)
	}
	for _, c := range s.withheld[bs-n:] {
		if int(c) != n {
			return nil, fmt.Errorf("%s", errBadDecrypt)
		}
	}
	return s.withheld[:bs-n], nil
}

// feedbackStream is CFB (with full-block segments, OpenSSL's
// aes-*-cfb and des-cfb) or OFB: the keystream is the block cipher's
// encryption of a register that starts as the IV and is then replaced,
// block by block, by the ciphertext (CFB) or by the keystream itself
// (OFB). Partial blocks carry over between calls.
type feedbackStream struct {
	b       cipher.Block
	reg, ks []byte
	pos     int // next keystream byte; len(ks) when a block is due
	cfb     bool
	decrypt bool
}

func newFeedbackStream(b cipher.Block, iv []byte, cfb, decrypt bool) *feedbackStream {
	bs := b.BlockSize()
	return &feedbackStream{b: b, reg: append([]byte(nil), iv...), ks: make([]byte, bs), pos: bs, cfb: cfb, decrypt: decrypt}
}

func (s *feedbackStream) XORKeyStream(dst, src []byte) {
	for i, c := range src {
		if s.pos == len(s.ks) {
			s.b.Encrypt(s.ks, s.reg)
			if !s.cfb {
				copy(s.reg, s.ks)
			}
			s.pos = 0
		}
		o := c ^ s.ks[s.pos]
		if s.cfb {
			if s.decrypt {
				s.reg[s.pos] = c
			} else {
				s.reg[s.pos] = o
			}
		}
		dst[i] = o
		s.pos++
	}
}
