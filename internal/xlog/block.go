package xlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/spindledb/spindle/internal/msgpack"
)

// Wire-format constants.
const (
	// FixHeaderSize is XLOG_FIXHEADER_SIZE: every block starts with it.
	FixHeaderSize = 19
	// CompressThreshold is XLOG_TX_COMPRESS_THRESHOLD: a block whose
	// fixheader plus rows reach it is zstd-compressed.
	CompressThreshold = 2 * 1024
	// AutocommitThreshold is XLOG_TX_AUTOCOMMIT_THRESHOLD: between
	// transactions a block is written as soon as it reaches this size.
	AutocommitThreshold = 128 * 1024
	// compressWindow is the zstd window of a compressed block: twice
	// AutocommitThreshold, so a block of one batch of transactions
	// compresses as it would with any larger window.
	compressWindow = 2 * AutocommitThreshold
	// maxPayload is IPROTO_BODY_LEN_MAX, the largest payload a fixheader
	// may announce.
	maxPayload = 2147483648
)

// Block and end-of-file magics, as the big-endian bytes found in files.
var (
	magicRows  = [4]byte{0xd5, 0xba, 0x0b, 0xab}
	magicZRows = [4]byte{0xd5, 0xba, 0x0b, 0xba}
	magicEOF   = [4]byte{0xd5, 0x10, 0xad, 0xed}
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is Tarantool's crc32_calc(0, p): CRC-32C with initial value 0
// and no final XOR. Go's crc32 inverts on entry and exit, so invert around
// it to cancel both.
func Checksum(p []byte) uint32 {
	return ^crc32.Update(0xffffffff, castagnoli, p)
}

// putFixHeader fills hdr (FixHeaderSize bytes) for a payload.
func putFixHeader(hdr []byte, compressed bool, payload []byte) {
	magic := magicRows
	if compressed {
		magic = magicZRows
	}
	b := append(hdr[:0], magic[:]...)
	b = msgpack.AppendUint(b, uint64(len(payload)))
	b = msgpack.AppendUint(b, 0) // crc32 of the previous block: never used
	b = msgpack.AppendUint(b, uint64(Checksum(payload)))
	// Pad to the fixed size with one msgpack string of zero bytes, so
	// the fixheader stays a sequence of msgpack values.
	pad := FixHeaderSize - len(b)
	b = append(b, 0xa0|byte(pad-1))
	for i := 1; i < pad; i++ {
		b = append(b, 0)
	}
}

// fixHeader is a decoded block fixheader.
type fixHeader struct {
	compressed bool
	length     uint32
	crc        uint32
}

// decodeFixHeader decodes exactly FixHeaderSize bytes the way
// xlog_fixheader_decode does; the error string is Tarantool's reason.
func decodeFixHeader(b []byte) (fixHeader, string) {
	var h fixHeader
	switch [4]byte(b[:4]) {
	case magicRows:
	case magicZRows:
		h.compressed = true
	default:
		// Tarantool prints the magic as loaded into a host-order
		// (little-endian) integer.
		return h, fmt.Sprintf("invalid magic: 0x%x", binary.LittleEndian.Uint32(b))
	}
	pos := 4
	readUint := func(what string) (uint64, string) {
		if pos >= len(b) || msgpack.TypeOf(b[pos:]) != msgpack.Uint {
			return 0, "broken fixheader " + what
		}
		v, n, err := msgpack.ReadUint(b[pos:])
		if err != nil {
			return 0, "broken fixheader " + what
		}
		pos += n
		return v, ""
	}
	length, reason := readUint("length")
	if reason != "" {
		return h, reason
	}
	if length > maxPayload {
		return h, "too large fixheader length"
	}
	if _, reason = readUint("crc32p"); reason != "" {
		return h, reason
	}
	crc, reason := readUint("crc32c")
	if reason != "" {
		return h, reason
	}
	if pos < len(b) {
		// The padding must be one msgpack value filling the rest.
		if n, err := msgpack.Skip(b[pos:]); err != nil || pos+n != len(b) {
			return h, "broken fixheader padding"
		}
	}
	h.length = uint32(length)
	h.crc = uint32(crc)
	return h, ""
}
