package memtx

import (
	"testing"

	"github.com/spindledb/spindle/internal/boxerr"
)

func fuzzSpace(t testing.TB) *Space {
	s := NewSpace(800, "fuzz")
	mustOK(t, s.SetFormat([]FormatField{{Name: "id", Type: FieldUnsigned}, {Name: "any", Type: FieldAny, IsNullable: true}}, 0))
	_, err := s.CreateIndex(treeDef(0, "pk", true, part(0, FieldUnsigned)))
	mustOK(t, err)
	_, err = s.CreateIndex(treeDef(1, "sk", false, part(2, FieldScalar),
		KeyPart{FieldNo: 3, Type: FieldString, IsNullable: true, Collation: "unicode_ci"}, part(4, FieldNumber)))
	mustOK(t, err)
	_, err = s.CreateIndex(IndexDef{ID: 2, Name: "h", Type: IndexHash, Unique: true,
		Key: KeyDef{Parts: []KeyPart{part(0, FieldUnsigned), part(2, FieldScalar)}}})
	mustOK(t, err)
	vals := []any{nil, "a", "B", 1.5, -3, true, []byte("x")}
	for i := 0; i < 40; i++ {
		var str any = "s"
		if i%3 == 0 {
			str = nil
		}
		_, err := s.Replace(nil, mk(t, i, nil, vals[1+i%6], str, float64(i)/4), DupInsert)
		mustOK(t, err)
	}
	return s
}

// FuzzKey feeds arbitrary bytes as keys to every key-taking entry point:
// they must answer with a boxerr error or a result, never panic.
func FuzzKey(f *testing.F) {
	for _, seed := range [][]byte{
		key(), key(1), key("a", "b", 1), key(nil, nil), key(1.5, "x", -1), key(true, nil, 2.5),
		{0x91}, {0x93, 0xc0}, {0xdd, 0xff, 0xff, 0xff, 0xff}, {0x92, 0xd9}, {0x01}, {},
		{0x91, 0xc1}, {0x91, 0xd4, 0x01, 0x00}, {0x92, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0x01},
		// Decimals: 1.5 in the number and scalar parts, a bad payload.
		append(append([]byte{0x93, 0x01, 0xc0}, dec("1.5")...), dec("-0.001")...),
		append([]byte{0x92, 0x01}, dec("1.5")...), {0x92, 0x01, 0xd5, 0x01, 0x00, 0xa1},
	} {
		f.Add(seed)
	}
	s := fuzzSpace(f)
	f.Fuzz(func(t *testing.T, k []byte) {
		for _, ix := range s.Indexes() {
			if _, err := ix.def.Key.ValidateKey(k, true); err != nil {
				checkBoxErr(t, err)
			}
			if _, err := ix.def.Key.ValidateKey(k, false); err != nil {
				checkBoxErr(t, err)
			}
			if _, err := ix.Get(k); err != nil {
				checkBoxErr(t, err)
			}
			for typ := IterType(0); typ <= iterTypeMax; typ++ {
				it, err := ix.Iterator(typ, k)
				if err != nil {
					checkBoxErr(t, err)
					continue
				}
				for i := 0; i < 100 && it.Next() != nil; i++ {
				}
				if _, err := ix.Count(typ, k); err != nil {
					t.Fatalf("Count failed after Iterator succeeded: %v", err)
				}
			}
			if _, err := ix.Min(k); err != nil {
				checkBoxErr(t, err)
			}
			if _, err := ix.Max(k); err != nil {
				checkBoxErr(t, err)
			}
		}
	})
}

// FuzzTuple feeds arbitrary bytes as tuples: NewTuple, CheckTuple and
// Replace must reject bad ones with a boxerr error and keep the space
// consistent.
func FuzzTuple(f *testing.F) {
	for _, seed := range [][]byte{
		key(1000), key(1000, nil, "a", "b", 1.5), key(1000, 1, 2, nil, -1), key("x"), key(1001, 1, []any{}),
		{0x95, 0xcd, 0x03, 0xe8, 0xc0, 0xa1, 0x61, 0xc0, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0},
		{0x91}, {0xc1}, {},
		// Decimals in the scalar and number parts, a bad one.
		append(append([]byte{0x95, 0xcd, 0x03, 0xe8, 0xc0}, dec("0.5")...), append([]byte{0xc0}, dec("1e10")...)...),
		{0x95, 0xcd, 0x03, 0xe8, 0xc0, 0xd5, 0x01, 0x00, 0xa1, 0xc0, 0x01},
	} {
		f.Add(seed)
	}
	s := fuzzSpace(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tu, err := NewTuple(append([]byte(nil), data...))
		if err != nil {
			checkBoxErr(t, err)
			return
		}
		_ = tu.Field(3)
		before := s.Len()
		old, err := s.Replace(nil, tu, DupReplaceOrInsert)
		if err != nil {
			checkBoxErr(t, err)
			if s.Len() != before {
				t.Fatal("failed replace changed the space")
			}
			return
		}
		for _, ix := range s.Indexes() {
			if ix.Len() != s.Len() {
				t.Fatalf("index %s has %d tuples, space %d", ix.def.Name, ix.Len(), s.Len())
			}
		}
		// Undo, keeping the space the same for the next input.
		if _, err := s.Replace(tu, old, DupReplaceOrInsert); err != nil {
			t.Fatalf("undo: %v", err)
		}
		if s.Len() != before {
			t.Fatal("undo changed the size")
		}
	})
}

func checkBoxErr(t *testing.T, err error) {
	t.Helper()
	if e := boxerr.From(err); e.Code == boxerr.ER_PROC_LUA || e.Message == "" {
		t.Fatalf("not a box error: %v", err)
	}
}
