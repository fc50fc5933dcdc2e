package tupleupdate

import (
	"github.com/spindledb/spindle/internal/msgpack"
)

// mp encodes a Go value ([]any for arrays) as MessagePack.
func mp(v any) []byte { return msgpack.MustAppend(nil, v) }

// arr encodes its arguments as a MessagePack array.
func arr(v ...any) []byte { return mp(v) }

// testNames is the format used by the tests and by testdata/diff.lua:
// fields a, b, c, d are fields 1..4.
func testNames(name string) (int, bool) {
	switch name {
	case "a":
		return 0, true
	case "b":
		return 1, true
	case "c":
		return 2, true
	case "d":
		return 3, true
	}
	return 0, false
}

// raw embeds already encoded MessagePack in an mp/arr argument.
type raw = msgpack.Raw
