package tupleupdate

import (
	"testing"

	"github.com/spindledb/spindle/internal/msgpack"
)

func TestParsePathAndFollow(t *testing.T) {
	v := mp(map[string]any{"a": map[string]any{"b": []any{int64(10), "x"}}, "c": int64(3)})
	cases := []struct {
		path string
		want any // nil: absent
	}{
		{"a.b[2]", "x"}, {".a.b[1]", int64(10)}, {`["a"]['b'][1]`, int64(10)}, {"c", int64(3)},
		{"a.c", nil}, {"a.b[3]", nil}, {"c.d", nil}, {"a[1]", nil},
	}
	for _, c := range cases {
		steps, multikey, ok := ParsePath(c.path)
		if !ok || multikey {
			t.Fatalf("%s: ok %v multikey %v", c.path, ok, multikey)
		}
		got := Follow(v, steps)
		switch {
		case c.want == nil && got != nil:
			t.Errorf("%s: got % x, want absent", c.path, got)
		case c.want != nil && string(got) != string(mp(c.want)):
			t.Errorf("%s: got % x, want % x", c.path, got, mp(c.want))
		}
	}
	for _, bad := range []string{"..", "[0]", "a.", "[1", "a b", ""} {
		if _, _, ok := ParsePath(bad); ok && bad != "" {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, multikey, ok := ParsePath("a[*].b"); !ok || !multikey {
		t.Errorf("[*] is multikey: ok %v multikey %v", ok, multikey)
	}
}

// FuzzPath parses arbitrary paths and follows them through arbitrary
// values: no panic, and what Follow returns is one whole value.
func FuzzPath(f *testing.F) {
	f.Add("a.b[2]", mp(map[string]any{"a": map[string]any{"b": []any{1, 2}}}))
	f.Add(`["k"][1]`, mp(map[string]any{"k": []any{"v"}}))
	f.Add("[1][1][1]", mp([]any{[]any{[]any{true}}}))
	f.Add("x", []byte{0x81, 0xa1, 0x78, 0xc1})
	f.Fuzz(func(t *testing.T, path string, v []byte) {
		steps, _, ok := ParsePath(path)
		if !ok {
			return
		}
		n, err := msgpack.Skip(v)
		if err != nil {
			return
		}
		v = v[:n]
		got := Follow(v, steps)
		if got == nil {
			return
		}
		if m, err := msgpack.Skip(got); err != nil || m != len(got) {
			t.Fatalf("Follow(%q) returned % x, not one value", path, got)
		}
	})
}
