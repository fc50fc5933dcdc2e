package luamod

import (
	"bytes"
	"encoding/hex"
	"math/rand"
	"strings"
	"testing"
)

// uriLine renders a parse result as one line: the fields in a fixed
// order (absent fields as "-"), or "nil".
func uriLine(u URI, ok bool) string {
	if !ok {
		return "nil"
	}
	var b strings.Builder
	for _, p := range []*string{u.Scheme, u.Login, u.Password, u.Host, u.Service, u.Path, u.Query, u.Fragment, u.IPv4, u.IPv6, u.Unix} {
		if p == nil {
			b.WriteString("-|")
		} else {
			b.WriteString("=" + hex.EncodeToString([]byte(*p)) + "|")
		}
	}
	b.WriteString(luaFormatURI(u, false) + "|" + luaFormatURI(u, true))
	return b.String()
}

// uriAlphabet favours the bytes the grammar gives meaning to.
const uriAlphabet = "ab1290f:/@[].?#%u-_~!$&'()*+,;=|xX :.unix/ffff"

func randomURI(r *rand.Rand) string {
	switch r.Intn(4) {
	case 0: // mutate a realistic URI
		base := []string{"3301", "localhost:3301", "user:pass@host:3301", "unix/:/path/to.sock", "tcp://h:1/p?q#f",
			"[::1]:3301", "/path.sock", "[::ffff:1.2.3.4]:5", "user@unix/:./a/b:", "1.2.3.4:5", "s://l:p@[a::b]:x/y"}
		b := []byte(base[r.Intn(len(base))])
		for n := r.Intn(3); n > 0 && len(b) > 0; n-- {
			i := r.Intn(len(b))
			switch r.Intn(3) {
			case 0:
				b[i] = uriAlphabet[r.Intn(len(uriAlphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{uriAlphabet[r.Intn(len(uriAlphabet))]}, b[i:]...)...)
			}
		}
		return string(b)
	default:
		n := 1 + r.Intn(12)
		b := make([]byte, n)
		for i := range b {
			b[i] = uriAlphabet[r.Intn(len(uriAlphabet))]
		}
		return string(b)
	}
}

func TestURITable(t *testing.T) {
	str := func(s string) *string { return &s }
	cases := []struct {
		in   string
		want URI
	}{
		{"3301", URI{Service: str("3301")}},
		{"localhost:3301", URI{Host: str("localhost"), Service: str("3301")}},
		{"user:pass@host:3301", URI{Login: str("user"), Password: str("pass"), Host: str("host"), Service: str("3301")}},
		{"unix/:/path/to.sock", URI{Host: str("unix/"), Service: str("/path/to.sock"), Unix: str("/path/to.sock")}},
		{"/path.sock", URI{Host: str("unix/"), Service: str("/path.sock"), Unix: str("/path.sock")}},
		{"tcp://[::1]:3301", URI{Scheme: str("tcp"), Host: str("::1"), Service: str("3301"), IPv6: str("::1")}},
		{"1.2.3.4", URI{Host: str("1.2.3.4"), IPv4: str("1.2.3.4")}},
		{"host?", URI{Host: str("host"), Query: str("")}},
		// Ragel runs the actions of alternatives that fail later.
		{"http://", URI{Scheme: str("http"), Host: str("http"), Path: str("//")}},
	}
	for _, c := range cases {
		got, ok := ParseURI(c.in)
		if !ok || uriLine(got, ok) != uriLine(c.want, true) {
			t.Errorf("ParseURI(%q) = %s, want %s", c.in, uriLine(got, ok), uriLine(c.want, true))
		}
	}
	for _, bad := range []string{"", ":", "a@", "[FF::1]:1", "h:%41", "h:" + strings.Repeat("1", 256), strings.Repeat("a", 1025)} {
		if u, ok := ParseURI(bad); ok {
			t.Errorf("ParseURI(%q) = %s, want invalid", bad, uriLine(u, ok))
		}
	}
}

func FuzzURIParse(f *testing.F) {
	for _, s := range []string{"3301", "localhost:3301", "user:pass@host:3301", "unix/:/path/to.sock", "tcp://h:1/p?q#f",
		"[::1]:3301", "/path.sock", "http://", "user@unix/:./a/b:", "a\x00b", "%u12ab@h", "s://l:@[::ffff:1.2.3.4]:x/y?#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseURI(s)
		if !ok {
			return
		}
		// Every field is a piece of the input (or the static "unix/").
		for i, p := range u.fields() {
			if *p != nil && !strings.Contains(s, **p) && !(i == int(uriHost) && **p == uriHostUnix) {
				t.Fatalf("parse(%q): field %s = %q is not in the input", s, uriFieldNames[i], **p)
			}
		}
		// Tarantool's format is not an inverse of parse in general: the
		// grammar's parallel actions make "s://l@sl@h" grow, "/:." lose
		// its path (a socket path with a colon), an IPv6 host lose its brackets and a service without
		// host vanish. Stability is required for the URIs Tarantool
		// configurations use — [login[:password]@]host[:service] and Unix
		// sockets — where format(parse(format(u))) must equal format(u).
		f := FormatURI(u, true)
		if u.Scheme != nil || u.Path != nil || u.Query != nil || u.Fragment != nil || u.IPv6 != nil || u.Host == nil ||
			(u.Service == nil && strings.Trim(*u.Host, "0123456789") == "") ||
			(u.Unix != nil && !plainSocketPath(*u.Unix)) {
			_, _ = ParseURI(f)
			return
		}
		if u2, ok2 := ParseURI(f); !ok2 || FormatURI(u2, true) != f || (u2.Unix == nil) != (u.Unix == nil) {
			t.Fatalf("parse(format(parse(%q))) = %s, want %s", s, uriLine(u2, ok2), uriLine(u, ok))
		}
	})
}

// plainSocketPath reports whether p is "/a/b" or "./a/b" with non-empty
// segments of letters, digits and "-_~.!$&'()*+,;=@": the socket paths
// "unix/:" takes back.
func plainSocketPath(p string) bool {
	p = strings.TrimPrefix(p, ".")
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || strings.Trim(seg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~.!$&'()*+,;=@") != "" {
			return false
		}
	}
	return true
}

func BenchmarkURIParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := ParseURI("tcp://user:pass@localhost:3301/path?q#f"); !ok {
			b.Fatal("invalid")
		}
	}
}

// TestURIRandomVersusTarantool parses thousands of random strings with
// both and compares every field and both formats.
func TestURIRandomVersusTarantool(t *testing.T) {
	r := rand.New(rand.NewSource(20260))
	inputs := []string{strings.Repeat("a", 1024), strings.Repeat("a", 1025), strings.Repeat("1", 255),
		"h:" + strings.Repeat("1", 255), "h:" + strings.Repeat("1", 256), "/" + strings.Repeat("s", 254), "/" + strings.Repeat("s", 255)}
	for len(inputs) < 20000 {
		inputs = append(inputs, randomURI(r))
	}
	diffInputs(t, `
local uri = require('uri')
local keys = {'scheme','login','password','host','service','path','query','fragment','ipv4','ipv6','unix'}
for line in io.lines(arg[1]) do
  local r = uri.parse(unhex(line))
  if r == nil then print('nil') else
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = r[k] == nil and '-|' or ('=' .. hex(r[k]) .. '|') end
    print(table.concat(out) .. hex(uri.format(r)) .. '|' .. hex(uri.format(r, true)))
  end
end`, inputs)
}

func BenchmarkURIParseLua(b *testing.B) {
	L := newState(b, Options{}, &bytes.Buffer{})
	if err := L.DoString("uri = require('uri')", "=b"); err != nil {
		b.Fatal(err)
	}
	L.GetGlobal("uri")
	L.RawGetField(-1, "parse")
	fn := L.Ref()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		L.PushRef(fn)
		L.PushString("localhost:3301")
		if err := L.PCall(1, 1); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}
