package proto

import (
	"bytes"
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
)

// A greeting captured from the real 2.6.0 (reference doc §1), with its
// salt line.
var realGreeting = []byte("Tarantool 2.6.0 (Binary) 926fd003-aae9-4922-b0f0-905c251f655f  \n" +
	"5zGKXv2E8cBDh5R2hLpZBN8tIeM4sPyZJVKRzj9uJ5w=                   \n")

func TestDecodeGreetingReal(t *testing.T) {
	g, err := DecodeGreeting(realGreeting)
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != "2.6.0" || g.VersionID != 0x20600 || g.Protocol != "Binary" ||
		g.UUID != "926fd003-aae9-4922-b0f0-905c251f655f" || len(g.Salt) != 32 {
		t.Fatalf("decoded %+v", g)
	}
}

func TestGreetingRoundTrip(t *testing.T) {
	salt := bytes.Repeat([]byte{0xa5, 0x11, 0x07}, 11)[:32]
	b := EncodeGreeting("2.6.0", "926fd003-aae9-4922-b0f0-905c251f655f", salt)
	if len(b) != GreetingSize || b[63] != '\n' || b[127] != '\n' {
		t.Fatalf("bad layout %q", b)
	}
	if !bytes.Equal(b[:64], realGreeting[:64]) {
		t.Fatalf("line 1 %q, want %q", b[:64], realGreeting[:64])
	}
	g, err := DecodeGreeting(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Salt, salt) || g.UUID != "926fd003-aae9-4922-b0f0-905c251f655f" {
		t.Fatalf("round trip: %+v", g)
	}
}

func TestDecodeGreetingErrors(t *testing.T) {
	mk := func(l1, l2 string) []byte {
		b := bytes.Repeat([]byte{' '}, 128)
		copy(b, l1)
		copy(b[64:], l2)
		b[63], b[127] = '\n', '\n'
		return b
	}
	salt := "5zGKXv2E8cBDh5R2hLpZBN8tIeM4sPyZJVKRzj9uJ5w="
	uuid := "926fd003-aae9-4922-b0f0-905c251f655f"
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"short", realGreeting[:100], false},
		{"magic", mk("Tarantoo1 2.6.0 (Binary) "+uuid, salt), false},
		{"no newline", append(append([]byte{}, realGreeting[:63]...), append([]byte{' '}, realGreeting[64:]...)...), false},
		{"bad version", mk("Tarantool 2.x.0 (Binary) "+uuid, salt), false},
		{"no uuid", mk("Tarantool 2.6.0 (Binary)", salt), false},
		{"bad uuid", mk("Tarantool 2.6.0 (Binary) 926fd003-aae9-4922-b0f0-905c251f65zz", salt), false},
		{"short salt", mk("Tarantool 2.6.0 (Binary) "+uuid, "AAAA"), false},
		{"bad base64", mk("Tarantool 2.6.0 (Binary) "+uuid, "!!!!"+salt[4:]), false},
		{"console", mk("Tarantool 2.6.0 (Lua console)", "type 'help' for interactive help"), true},
		{"old 1.6.6", mk("Tarantool 1.6.6", salt), true},
		{"no protocol", mk("Tarantool 2.6.0 "+uuid, salt), false},
		{"version suffix", mk("Tarantool 1.6.6-83-gc6b2129", salt), true},
		{"unpadded salt", mk("Tarantool 2.6.0 (Binary) "+uuid, salt[:43]), true},
	}
	for _, tc := range tests {
		g, err := DecodeGreeting(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !boxerr.Is(err, boxerr.ER_PROTOCOL) {
			t.Errorf("%s: error %v is not ER_PROTOCOL", tc.name, err)
		}
		if tc.name == "version suffix" && g.Version != "1.6.6" {
			t.Errorf("version %q", g.Version)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]uint32{"2.6.0": 132608, "2.6.0-0-g47aa4e01e": 132608, "1.10.3": 0x10a03} {
		if got, ok := ParseVersion(in); !ok || got != want {
			t.Errorf("ParseVersion(%q) = %d, %v", in, got, ok)
		}
	}
	if _, ok := ParseVersion("2.6"); ok {
		t.Error("2.6 parsed")
	}
}

func FuzzDecodeGreeting(f *testing.F) {
	f.Add(realGreeting)
	f.Add(EncodeGreeting("1.10.0", "00000000-0000-0000-0000-000000000000", make([]byte, 20)))
	f.Add([]byte("Tarantool "))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGreeting(b)
		if err != nil {
			return
		}
		if g.Protocol == "Binary" && len(g.Salt) < ScrambleSize {
			t.Fatalf("accepted short salt: %+v", g)
		}
		if g.Protocol == "Binary" && g.VersionID >= VersionID(1, 6, 7) && !ValidUUID(g.UUID) {
			t.Fatalf("accepted bad uuid: %+v", g)
		}
	})
}
