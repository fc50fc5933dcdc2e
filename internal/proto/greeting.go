package proto

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
)

// Greeting is what a client learns from a server's 128-byte greeting.
//
// Layout (greeting_encode), two 64-byte lines each ending in '\n':
//
//	0        10                            63 64                         127
//	Tarantool 2.6.0 (Binary) <uuid, 36 chars> ␠…\n <base64 of salt> ␠…\n
type Greeting struct {
	Version   string // "2.6.0": only the numeric triple
	VersionID uint32 // major<<16 | minor<<8 | patch
	Protocol  string // "Binary" for IPROTO, "Lua console" for the text console
	UUID      string // instance UUID, lowercase; empty for a console greeting
	Salt      []byte // decoded salt, at least ScrambleSize bytes for Binary
}

// VersionID packs a version triple the way Tarantool's version_id does.
func VersionID(major, minor, patch uint32) uint32 { return major<<16 | minor<<8 | patch }

// ParseVersion parses "2.6.0" (also "2.6.0-0-g47aa4e01e") into its
// VersionID.
func ParseVersion(v string) (uint32, bool) {
	if i := strings.IndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, false
	}
	var n [3]uint32
	for i, p := range parts {
		x, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return 0, false
		}
		n[i] = uint32(x)
	}
	return VersionID(n[0], n[1], n[2]), true
}

// EncodeGreeting builds the 128-byte IPROTO greeting for a server of the
// given version ("2.6.0"), instance uuid and salt (Tarantool sends 32
// random bytes per connection). It panics if the pieces do not fit a
// 64-byte line: they come from the server itself, never from a peer.
func EncodeGreeting(version, uuid string, salt []byte) []byte {
	g := make([]byte, GreetingSize)
	for i := range g {
		g[i] = ' '
	}
	line1 := fmt.Sprintf("Tarantool %s (Binary) %s", version, uuid)
	line2 := base64.StdEncoding.EncodeToString(salt)
	if len(line1) > GreetingSize/2-1 || len(line2) > GreetingSize/2-1 {
		panic("proto: greeting does not fit in 64-byte lines")
	}
	copy(g, line1)
	g[GreetingSize/2-1] = '\n'
	copy(g[GreetingSize/2:], line2)
	g[GreetingSize-1] = '\n'
	return g
}

// errGreeting is what a client reports for a greeting it cannot parse.
func errGreeting(why string) error {
	return boxerr.Newf("ClientError", boxerr.ER_PROTOCOL, "Invalid greeting: %s", why)
}

// DecodeGreeting parses a server greeting as greeting_decode does: magic
// "Tarantool ", newlines at 63 and 127, a %u.%u.%u version, the protocol
// in parentheses, a UUID for Binary servers of 1.6.7 and later, and a
// base64 salt of at least 20 bytes. Errors are ER_PROTOCOL.
func DecodeGreeting(b []byte) (Greeting, error) {
	var g Greeting
	const h = GreetingSize / 2
	if len(b) < GreetingSize {
		return g, errGreeting("short greeting")
	}
	if !bytes.HasPrefix(b, []byte("Tarantool ")) || b[h-1] != '\n' || b[GreetingSize-1] != '\n' {
		return g, errGreeting("bad magic")
	}
	line := string(b[len("Tarantool ") : h-1])
	line = strings.TrimLeft(line, " ")
	sp := strings.IndexByte(line, ' ')
	if sp < 0 || sp >= 20 {
		return g, errGreeting("bad version")
	}
	ver := line[:sp]
	line = strings.TrimLeft(line[sp+1:], " ")
	var maj, min, patch uint32
	if _, err := fmt.Sscanf(ver, "%d.%d.%d", &maj, &min, &patch); err != nil {
		return g, errGreeting("bad version")
	}
	if i := strings.IndexByte(ver, '-'); i >= 0 {
		ver = ver[:i]
	}
	g.Version = ver
	g.VersionID = VersionID(maj, min, patch)
	switch {
	case strings.HasPrefix(line, "("):
		end := strings.IndexByte(line, ')')
		if end < 0 || end-1 > 32 {
			return g, errGreeting("bad protocol")
		}
		g.Protocol = line[1:end]
		line = line[end+1:]
		if g.Protocol != "Binary" {
			return g, nil
		}
		if g.VersionID >= VersionID(1, 6, 7) {
			if !strings.HasPrefix(line, " ") {
				return g, errGreeting("bad uuid")
			}
			line = strings.TrimLeft(line, " ")
			if len(line) < 36 || !validUUID(line[:36]) {
				return g, errGreeting("bad uuid")
			}
			g.UUID = strings.ToLower(line[:36])
		}
	case g.VersionID < VersionID(1, 6, 7):
		g.Protocol = "Binary"
	default:
		return g, errGreeting("bad protocol")
	}
	salt, err := decodeSalt(b[h : GreetingSize-1])
	if err != nil || len(salt) < ScrambleSize || len(salt) >= h {
		return g, errGreeting("bad salt")
	}
	g.Salt = salt
	return g, nil
}

// decodeSalt decodes the base64 text of the greeting's second line,
// ignoring the space padding, with or without '=' padding.
func decodeSalt(line []byte) ([]byte, error) {
	s := strings.TrimRight(string(line), " ")
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// validUUID checks the 8-4-4-4-12 hex form tt_uuid_from_string accepts.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ValidUUID reports whether s is a 36-character textual UUID, the form
// INSTANCE_UUID and CLUSTER_UUID travel in.
func ValidUUID(s string) bool { return validUUID(s) }
