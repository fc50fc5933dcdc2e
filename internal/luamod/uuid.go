package luamod

import (
	"crypto/rand"
	"encoding/binary"
	"strings"

	"github.com/spindledb/spindle/internal/lua"
)

// The uuid module is loaded at preload, as Tarantool loads its builtin
// modules at start-up, because its MessagePack decoder and the ctype
// that the serializers encode as MP_UUID must exist before any script
// decodes or encodes a UUID, whether or not it required 'uuid'. Its
// order puts it before every other module, some of which may declare
// functions taking a struct tt_uuid.
func init() { addModule("uuid", -10, preloadUUID) }

// uuidCdef declares struct tt_uuid (tt_uuid.h): its fields in host byte
// order, 16 bytes, as Tarantool's C code and FFI users see it.
const uuidCdef = `struct tt_uuid {
	uint32_t time_low;
	uint16_t time_mid;
	uint16_t time_hi_and_version;
	uint8_t clock_seq_hi_and_reserved;
	uint8_t clock_seq_low;
	uint8_t node[6];
};`

// UUIDLen is the size of struct tt_uuid and of a binary UUID.
const UUIDLen = 16

func preloadUUID(L lua.State, _ *Options) {
	top := L.GetTop()
	defer L.SetTop(top)
	if err := L.DoString("require('ffi').cdef[["+uuidCdef+"]]", "=uuid"); err != nil {
		panic("luamod: " + err.Error())
	}
	// The ctype id of struct tt_uuid, learnt from a value of it.
	if err := L.Load("return require('ffi').new('struct tt_uuid')", "=uuid"); err != nil {
		panic("luamod: " + err.Error())
	}
	if err := L.PCall(0, 1); err != nil {
		panic("luamod: " + err.Error())
	}
	ctid := L.CdataType(-1)
	L.SetUUIDType(-1)
	L.Pop(1)

	// payload returns the 16 bytes of the struct tt_uuid cdata at idx;
	// uuid.lua passes only values of the struct's own ctype.
	payload := func(L lua.State, idx int) *[UUIDLen]byte {
		if L.CdataType(idx) != ctid {
			L.ArgError(idx, "struct tt_uuid expected")
		}
		return (*[UUIDLen]byte)(L.CdataPointer(idx))
	}
	loadBuiltin(L, "uuid", "uuid.lua", 2, func(L lua.State) {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"create": func(L lua.State) int {
				*payload(L, 1) = newUUID()
				return 0
			},
			"fromstr": func(L lua.State) int {
				s := L.CheckString(1)
				u, ok := ParseUUID(s)
				*payload(L, 2) = u
				L.PushBool(ok)
				return 1
			},
			"tostr": func(L lua.State) int {
				L.PushString(FormatUUID(*payload(L, 1)))
				return 1
			},
		})
	})
	// loadBuiltin left the module and its MP_UUID decoder. The module
	// goes to package.loaded and stays the preload's result, so that
	// require('uuid') after package.loaded.uuid = nil gives it back
	// (struct tt_uuid's metatype cannot be set twice).
	L.SetExtDecoder(mpUUID)
	L.PushValue(-1)
	ref := L.Ref()
	L.GetGlobal("package")
	L.RawGetField(-1, "loaded")
	L.PushValue(-3)
	L.RawSetField(-2, "uuid")
	register(L, "uuid", func(L lua.State) int {
		L.PushRef(ref)
		return 1
	})
}

// mpUUID is Tarantool's MessagePack extension type of UUIDs.
const mpUUID = 2

// loadBuiltin runs the embedded lua/<file> as Tarantool runs a builtin
// module (chunk "@builtin/<file>", arguments the module name and, when
// extra is given, what it pushes) and leaves nres of its results on the
// stack. A builtin that fails to load is a bug of this package.
func loadBuiltin(L lua.State, name, file string, nres int, extra func(L lua.State)) {
	src, err := luaFS.ReadFile("lua/" + file)
	if err != nil {
		panic("luamod: missing embedded " + file)
	}
	if err := L.Load(string(src), "@builtin/"+file); err != nil {
		panic("luamod: " + err.Error())
	}
	L.PushString(name)
	n := 1
	if extra != nil {
		extra(L)
		n++
	}
	if err := L.PCall(n, nres); err != nil {
		panic("luamod: " + err.Error())
	}
}

// UUID bytes are struct tt_uuid as it lies in memory: time_low,
// time_mid and time_hi_and_version little-endian (host order on the
// platforms Spindle runs on), then clock_seq_hi_and_reserved,
// clock_seq_low and node.

// newUUID is tt_uuid_create: random, version 4, variant 1 (RFC 4122).
func newUUID() [UUIDLen]byte {
	var u [UUIDLen]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (it aborts the process instead)
	u[8] = u[8]&0x3f | 0x80
	v := binary.LittleEndian.Uint16(u[6:8])
	binary.LittleEndian.PutUint16(u[6:8], v&0x0fff|4<<12)
	return u
}

// FormatUUID is tt_uuid_to_string: the RFC 4122 form, lower case.
func FormatUUID(u [UUIDLen]byte) string {
	// The fields in network order, then as text with dashes after the
	// 4th, 6th, 8th and 10th bytes.
	var be [UUIDLen]byte
	binary.BigEndian.PutUint32(be[0:4], binary.LittleEndian.Uint32(u[0:4]))
	binary.BigEndian.PutUint16(be[4:6], binary.LittleEndian.Uint16(u[4:6]))
	binary.BigEndian.PutUint16(be[6:8], binary.LittleEndian.Uint16(u[6:8]))
	copy(be[8:], u[8:])
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, b := range be {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}

// ParseUUID is tt_uuid_from_string, which Tarantool implements as
//
//	strlen(in) == 36 && sscanf(in, "%8x-%4hx-%4hx-%2hhx%2hhx-%2hhx%2hhx%2hhx%2hhx%2hhx%2hhx", ...) == 11
//
// followed by the variant check (NCS, RFC 4122 or Microsoft). sscanf
// makes it more lenient than the RFC form: each field may be preceded by
// white space and a sign and may carry a 0x prefix, as long as the whole
// string is 36 bytes. The C string ends at the first NUL byte. On
// failure u holds what sscanf had stored so far.
func ParseUUID(s string) (u [UUIDLen]byte, ok bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) != 36 {
		return u, false
	}
	// Each step is a conversion (width, destination size in bytes,
	// offset in u) or, with width 0, the literal '-'.
	type step struct{ width, size, off int }
	steps := [...]step{
		{8, 4, 0}, {}, {4, 2, 4}, {}, {4, 2, 6}, {}, {2, 1, 8}, {2, 1, 9}, {},
		{2, 1, 10}, {2, 1, 11}, {2, 1, 12}, {2, 1, 13}, {2, 1, 14}, {2, 1, 15},
	}
	pos := 0
	for _, st := range steps {
		if st.width == 0 {
			if pos >= len(s) || s[pos] != '-' {
				return u, false
			}
			pos++
			continue
		}
		v, next, ok := scanHex(s, pos, st.width)
		if !ok {
			return u, false
		}
		pos = next
		switch st.size {
		case 4:
			binary.LittleEndian.PutUint32(u[st.off:], uint32(v))
		case 2:
			binary.LittleEndian.PutUint16(u[st.off:], uint16(v))
		default:
			u[st.off] = byte(v)
		}
	}
	n := u[8]
	if n&0x80 != 0 && n&0xc0 != 0x80 && n&0xe0 != 0xc0 {
		return u, false
	}
	return u, true
}

// scanHex is glibc's %<width>x conversion at s[pos:]: white space
// skipped (not counted in the width), an optional sign, an optional 0x
// prefix (its '0' counts as a digit), then hex digits, all within width
// characters; the value is strtoull's, negated modulo 2^64 after '-'.
func scanHex(s string, pos, width int) (v uint64, next int, ok bool) {
	for pos < len(s) && isCSpace(s[pos]) {
		pos++
	}
	if pos >= len(s) {
		return 0, pos, false
	}
	neg := false
	if c := s[pos]; c == '-' || c == '+' {
		neg = c == '-'
		pos++
		width--
	}
	digits := 0
	if width != 0 && pos < len(s) && s[pos] == '0' {
		pos++
		width--
		digits++
		if width != 0 && pos < len(s) && (s[pos] == 'x' || s[pos] == 'X') {
			pos++
			width--
		}
	}
	for width != 0 && pos < len(s) {
		d, isHex := hexDigit(s[pos])
		if !isHex {
			break
		}
		v = v<<4 | uint64(d)
		digits++
		pos++
		width--
	}
	if digits == 0 {
		return 0, pos, false
	}
	if neg {
		v = -v
	}
	return v, pos, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
