package proto

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
)

// AuthMethod is the only authentication mechanism 2.6.0 knows.
const AuthMethod = "chap-sha1"

// Chap-sha1, as scramble.c defines it:
//
//	hash1    = SHA1(password)
//	hash2    = SHA1(hash1)                 stored in _user, base64-encoded
//	scramble = hash1 XOR SHA1(salt[0:20] ‖ hash2)
//
// The server never learns hash1 or the password: it recovers a candidate
// hash1 from the scramble with its stored hash2 and checks SHA1(hash1)
// against hash2.

// Scramble computes the chap-sha1 scramble a client sends in AUTH for
// password and the salt of the server's greeting (only its first 20
// bytes are used). The result is ScrambleSize bytes.
func Scramble(salt []byte, password string) []byte {
	hash1 := sha1.Sum([]byte(password))
	hash2 := sha1.Sum(hash1[:])
	h := sha1.New()
	h.Write(salt[:min(len(salt), ScrambleSize)])
	h.Write(hash2[:])
	hash3 := h.Sum(nil)
	out := make([]byte, ScrambleSize)
	for i := range out {
		out[i] = hash1[i] ^ hash3[i]
	}
	return out
}

// CheckScramble reports whether scramble proves knowledge of the password
// whose PasswordHash2 is hash2, for the given greeting salt.
func CheckScramble(salt, scramble, hash2 []byte) bool {
	if len(scramble) != ScrambleSize || len(hash2) != ScrambleSize {
		return false
	}
	h := sha1.New()
	h.Write(salt[:min(len(salt), ScrambleSize)])
	h.Write(hash2)
	hash3 := h.Sum(nil)
	var hash1 [ScrambleSize]byte
	for i := range hash1 {
		hash1[i] = scramble[i] ^ hash3[i]
	}
	candidate := sha1.Sum(hash1[:])
	return subtle.ConstantTimeCompare(candidate[:], hash2) == 1
}

// PasswordHash2 is SHA1(SHA1(password)), what the server stores.
func PasswordHash2(password string) []byte {
	hash1 := sha1.Sum([]byte(password))
	hash2 := sha1.Sum(hash1[:])
	return hash2[:]
}

// PasswordHash2Base64 is PasswordHash2 in the form _user keeps it:
// tuple field 5 is {"chap-sha1": PasswordHash2Base64(password)}.
func PasswordHash2Base64(password string) string {
	return base64.StdEncoding.EncodeToString(PasswordHash2(password))
}

// DecodeHash2 decodes a base64 hash2 as stored in _user. ok is false if s
// is not the base64 of exactly ScrambleSize bytes.
func DecodeHash2(s string) (hash2 []byte, ok bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ScrambleSize {
		return nil, false
	}
	return b, true
}
