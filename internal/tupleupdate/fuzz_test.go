package tupleupdate

import (
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// FuzzApply feeds arbitrary tuple and operation bytes to Apply,
// ApplyUpsert and CheckOps: none may panic, every error is a box error,
// and every result is exactly one well-formed MessagePack array.
func FuzzApply(f *testing.F) {
	for _, c := range updateCases {
		f.Add(c.tuple, mp(c.ops), c.base0)
	}
	for _, c := range genCases(3, 200) {
		f.Add(c.tuple, c.ops, false)
	}
	f.Add([]byte{0x93, 0x01}, []byte{0x91, 0x93}, true)
	f.Fuzz(func(t *testing.T, tuple, ops []byte, base0 bool) {
		base := 1
		if base0 {
			base = 0
		}
		check := func(what string, res []byte, err error) {
			if err != nil {
				if boxerr.CodeOf(err) == boxerr.ER_PROC_LUA {
					t.Fatalf("%s: not a box error: %v", what, err)
				}
				return
			}
			if msgpack.Validate(res) != nil || msgpack.TypeOf(res) != msgpack.Array {
				t.Fatalf("%s: result %x is not one MessagePack array", what, res)
			}
		}
		res, err := Apply(tuple, ops, base, testNames)
		check("update", res, err)
		res, err = ApplyUpsert(tuple, ops, base, testNames)
		check("upsert", res, err)
		_ = CheckOps(ops, base, testNames)
	})
}
