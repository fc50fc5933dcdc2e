package luamod

import (
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

type recLogger struct{ lines []string }

func (r *recLogger) Log(level int, msg string) {
	r.lines = append(r.lines, string(rune('0'+level))+" "+msg)
}

func TestLogRouting(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	rec := &recLogger{}
	Preload(L, Options{Logger: rec, Environ: func() []string { return []string{"A=1", "B=x=y"} }})
	err := L.DoString(`
		local log = require('log')
		log.info('plain')
		log.warn('%d-%s', 5, 'x')
		log.error({a = 1, file = 'dropped'})
		log.debug('hidden at info level')
		log.verbose('hidden too')
		log.level('debug')
		log.debug('now shown')
		log.info(nil)
		assert(os.environ().B == 'x=y' and os.environ().A == '1')
	`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"5 plain", "4 5-x", `2 {"a":1}`, "7 log: level set to 7", "7 now shown", "5 nil"}
	if strings.Join(rec.lines, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", rec.lines, want)
	}
}

func TestDigestKnownValues(t *testing.T) {
	cases := []struct {
		got, want uint32
	}{
		{murmur3(13, nil), 2512092562},
		{murmur3(13, []byte("abc")), 3408160902},
		{crc32c(0xFFFFFFFF, ""), 4294967295},
		{crc32c(0xFFFFFFFF, "abc"), 3384066120},
		{uint32(guava(12345, 10)), 1},
		{uint32(guava(1, 100)), 55},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %d want %d", i, c.got, c.want)
		}
	}
	if base64Decode(base64Encode([]byte("any carnal pleas"), 0)) != "any carnal pleas" {
		t.Error("base64 round trip")
	}
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`[1,2,{"a":null}]`, `"\ud83d\ude00"`, `1e400`, `-`, `{"a":`, "[\n1,\n2 x]", `"\u12"`, `nan`, `-na`} {
		f.Add(s)
	}
	L := lua.NewState()
	defer L.Close()
	Preload(L, Options{})
	f.Fuzz(func(t *testing.T, s string) {
		v, err := jsonDecode(L, defaultTestConfig(), s)
		if err != nil {
			return
		}
		if _, err := YAMLEncode(L, defaultTestConfig(), v, "", ""); err != nil && !strings.Contains(err.Error(), "nest") {
			t.Fatalf("yaml of decoded json %q: %v", s, err)
		}
	})
}

func FuzzYAMLDecode(f *testing.F) {
	for _, s := range []string{"--- [1, 2]\n...\n", "a: &x [1]\nb: *x\n", "!!binary /w==", "~", "- 1\n- 'a'\n", "{a: 1, b: [null, yes]}"} {
		f.Add(s)
	}
	L := lua.NewState()
	defer L.Close()
	Preload(L, Options{})
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = yamlDecode(L, defaultTestConfig(), s)
	})
}

func BenchmarkYAMLEncode(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	Preload(L, Options{})
	if err := L.DoString(`return {1, 'two', {a = 1.5, b = {true, false}}, 'needs: quotes',
		string.rep('word ', 40), '\240\159\152\128 x', setmetatable({'x y', 1.5}, {__serialize = 'seq'}), {k = 'a\n\nb'}}`); err != nil {
		b.Fatal(err)
	}
	v := L.Get(-1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := YAMLEncode(L, defaultTestConfig(), v, "", ""); err != nil {
			b.Fatal(err)
		}
	}
}

func defaultTestConfig() *luaconv.Config {
	c := luaconv.DefaultConfig()
	return &c
}
