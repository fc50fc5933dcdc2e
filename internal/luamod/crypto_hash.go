package luamod

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// MD4 (RFC 1320) and RIPEMD-160, the two digests of Tarantool's crypto
// module that Go's standard library lacks. Both are Merkle–Damgård
// hashes over 64-byte blocks with little-endian words and MD4's padding,
// so they share mdHash and differ in their compression function.

type mdHash struct {
	h     []uint32
	init  []uint32
	size  int
	block func(h []uint32, p []byte)
	buf   [64]byte
	nbuf  int
	len   uint64
}

func newMD4() hash.Hash {
	return newMDHash([]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, 16, md4Block)
}

func newRIPEMD160() hash.Hash {
	return newMDHash([]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}, 20, ripemd160Block)
}

func newMDHash(init []uint32, size int, block func(h []uint32, p []byte)) *mdHash {
	d := &mdHash{init: init, size: size, block: block, h: make([]uint32, len(init))}
	d.Reset()
	return d
}

func (d *mdHash) Reset() {
	copy(d.h, d.init)
	d.nbuf = 0
	d.len = 0
}

func (d *mdHash) Size() int      { return d.size }
func (d *mdHash) BlockSize() int { return 64 }

func (d *mdHash) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nbuf > 0 {
		c := copy(d.buf[d.nbuf:], p)
		d.nbuf += c
		p = p[c:]
		if d.nbuf < 64 {
			return n, nil
		}
		d.block(d.h, d.buf[:])
		d.nbuf = 0
	}
	for len(p) >= 64 {
		d.block(d.h, p[:64])
		p = p[64:]
	}
	d.nbuf = copy(d.buf[:], p)
	return n, nil
}

// Sum appends the digest of what was written so far; d is unchanged.
func (d *mdHash) Sum(in []byte) []byte {
	c := *d
	c.h = append([]uint32(nil), d.h...)
	var pad [72]byte
	pad[0] = 0x80
	n := 56 - int(c.len%64)
	if n <= 0 {
		n += 64
	}
	binary.LittleEndian.PutUint64(pad[n:], c.len<<3)
	_, _ = c.Write(pad[:n+8])
	for _, w := range c.h {
		in = binary.LittleEndian.AppendUint32(in, w)
	}
	return in
}

func md4Block(h []uint32, p []byte) {
	var x [16]uint32
	for i := range x {
		x[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	a, b, c, d := h[0], h[1], h[2], h[3]
	r1 := [4]int{3, 7, 11, 19}
	for i := 0; i < 16; i++ {
		f := b&c | ^b&d
		a, b, c, d = d, bits.RotateLeft32(a+f+x[i], r1[i%4]), b, c
	}
	r2 := [4]int{3, 5, 9, 13}
	for i := 0; i < 16; i++ {
		k := i%4*4 + i/4
		g := b&c | b&d | c&d
		a, b, c, d = d, bits.RotateLeft32(a+g+x[k]+0x5a827999, r2[i%4]), b, c
	}
	r3 := [4]int{3, 9, 11, 15}
	order3 := [16]int{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15}
	for i := 0; i < 16; i++ {
		hh := b ^ c ^ d
		a, b, c, d = d, bits.RotateLeft32(a+hh+x[order3[i]]+0x6ed9eba1, r3[i%4]), b, c
	}
	h[0] += a
	h[1] += b
	h[2] += c
	h[3] += d
}

// RIPEMD-160's message word orders and rotations, left and right lines.
var (
	rmdR = [80]int{
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
		3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
		1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
		4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
	}
	rmdRR = [80]int{
		5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
		6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
		15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
		8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
		12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
	}
	rmdS = [80]int{
		11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
		7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
		11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
		11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
		9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
	}
	rmdSS = [80]int{
		8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
		9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
		9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
		15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
		8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
	}
	rmdK  = [5]uint32{0x00000000, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xa953fd4e}
	rmdKK = [5]uint32{0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0x00000000}
)

// rmdF is RIPEMD-160's nonlinear function of round j/16.
func rmdF(round int, x, y, z uint32) uint32 {
	switch round {
	case 0:
		return x ^ y ^ z
	case 1:
		return x&y | ^x&z
	case 2:
		return (x | ^y) ^ z
	case 3:
		return x&z | y&^z
	}
	return x ^ (y | ^z)
}

func ripemd160Block(h []uint32, p []byte) {
	var x [16]uint32
	for i := range x {
		x[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	a, b, c, d, e := h[0], h[1], h[2], h[3], h[4]
	aa, bb, cc, dd, ee := a, b, c, d, e
	for j := 0; j < 80; j++ {
		r := j / 16
		t := bits.RotateLeft32(a+rmdF(r, b, c, d)+x[rmdR[j]]+rmdK[r], rmdS[j]) + e
		a, e, d, c, b = e, d, bits.RotateLeft32(c, 10), b, t
		t = bits.RotateLeft32(aa+rmdF(4-r, bb, cc, dd)+x[rmdRR[j]]+rmdKK[r], rmdSS[j]) + ee
		aa, ee, dd, cc, bb = ee, dd, bits.RotateLeft32(cc, 10), bb, t
	}
	t := h[1] + c + dd
	h[1] = h[2] + d + ee
	h[2] = h[3] + e + aa
	h[3] = h[4] + a + bb
	h[4] = h[0] + b + cc
	h[0] = t
}
