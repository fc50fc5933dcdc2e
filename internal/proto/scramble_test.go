package proto

import (
	"bytes"
	"testing"
)

func TestPasswordHash2Base64(t *testing.T) {
	// Verified on 2.6.0: box.schema.user.passwd('secret') stores this in
	// _user (reference doc §3).
	if got := PasswordHash2Base64("secret"); got != "FOZVZ6vbUTXQz9mnCzAywXmknuc=" {
		t.Fatalf("hash2(secret) = %s", got)
	}
	h, ok := DecodeHash2("FOZVZ6vbUTXQz9mnCzAywXmknuc=")
	if !ok || !bytes.Equal(h, PasswordHash2("secret")) {
		t.Fatal("DecodeHash2 mismatch")
	}
	if _, ok := DecodeHash2("AAAA"); ok {
		t.Fatal("short hash accepted")
	}
}

func TestScrambleCheck(t *testing.T) {
	salts := [][]byte{bytes.Repeat([]byte{1}, 32), make([]byte, 20), []byte("0123456789abcdefghijKLMNOP")}
	for _, salt := range salts {
		for _, pw := range []string{"", "secret", "пароль"} {
			s := Scramble(salt, pw)
			if len(s) != ScrambleSize {
				t.Fatalf("scramble size %d", len(s))
			}
			if !CheckScramble(salt, s, PasswordHash2(pw)) {
				t.Errorf("scramble of %q rejected", pw)
			}
			if CheckScramble(salt, s, PasswordHash2(pw+"x")) {
				t.Errorf("scramble of %q accepted for another password", pw)
			}
			other := append([]byte{}, salt...)
			other[0] ^= 0xff
			if CheckScramble(other, s, PasswordHash2(pw)) {
				t.Errorf("scramble of %q accepted for another salt", pw)
			}
			if CheckScramble(salt, s[:19], PasswordHash2(pw)) {
				t.Error("short scramble accepted")
			}
		}
	}
	// Only the first 20 bytes of the salt matter.
	a := Scramble(append(make([]byte, 20), 1, 2, 3), "pw")
	b := Scramble(append(make([]byte, 20), 9, 9, 9), "pw")
	if !bytes.Equal(a, b) {
		t.Error("salt bytes past 20 changed the scramble")
	}
}

func BenchmarkCheckScramble(b *testing.B) {
	salt := make([]byte, 32)
	s := Scramble(salt, "secret")
	h := PasswordHash2("secret")
	b.ReportAllocs()
	for b.Loop() {
		CheckScramble(salt, s, h)
	}
}
