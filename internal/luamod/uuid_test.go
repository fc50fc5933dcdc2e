package luamod

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/lua"
)

// diffInputs runs script under tarantool and under Spindle, with arg[1]
// naming a file of inputs (one per line, hex-encoded, decoded by the
// script with unhex), and compares what the two print line by line.
func diffInputs(t *testing.T, script string, inputs []string) {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH; the comparison needs Tarantool 2.6")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	var sb strings.Builder
	for _, s := range inputs {
		sb.WriteString(hex.EncodeToString([]byte(s)) + "\n")
	}
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script = `local function unhex(h) return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)) end
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
` + script
	path := filepath.Join(dir, "script.lua")
	if err := os.WriteFile(path, []byte(script+"\nos.exit(0)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, path, in)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TT_LOG=")
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("tarantool: %v", err)
	}
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	L.CreateTable(2, 0)
	L.PushString(path)
	L.RawSetI(-2, 0)
	L.PushString(in)
	L.RawSetI(-2, 1)
	L.SetGlobal("arg")
	if err := L.DoString(script, "@"+path); err != nil {
		t.Fatalf("spindle: %v", err)
	}
	ws, gs := bufio.NewScanner(bytes.NewReader(want)), bufio.NewScanner(&out)
	ws.Buffer(nil, 1<<22)
	gs.Buffer(nil, 1<<22)
	bad := 0
	for i := 0; ; i++ {
		wok, gok := ws.Scan(), gs.Scan()
		if !wok && !gok {
			return
		}
		input := "(past the inputs)"
		if i < len(inputs) {
			input = inputs[i]
		}
		if ws.Text() != gs.Text() || wok != gok {
			t.Errorf("input %q:\n tarantool %s\n spindle   %s", input, ws.Text(), gs.Text())
			if bad++; bad > 20 {
				t.Fatal("too many mismatches")
			}
		}
	}
}

// runLua runs chunk in a fresh state and returns what it printed.
func runLua(t testing.TB, opts Options, chunk string) string {
	t.Helper()
	var out bytes.Buffer
	L := newState(t, opts, &out)
	if err := L.DoString(chunk, "=test"); err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	return out.String()
}

// uuidAlphabet favours the characters sscanf gives meaning to.
const uuidAlphabet = "0123456789abcdefABCDEFxX-+ \t\n\x00g"

// TestUUIDFromstrRandomVersusTarantool checks uuid.fromstr, with the
// leniency sscanf gives it, on random mutations of valid UUIDs.
func TestUUIDFromstrRandomVersusTarantool(t *testing.T) {
	r := rand.New(rand.NewSource(26))
	base := []string{"ba90d815-14e0-431d-80c0-ce587885bb78", "00000000-0000-0000-0000-000000000000", "0x000001-0x01-+0x1-c0ff-000000000000"}
	var inputs []string
	for len(inputs) < 20000 {
		b := []byte(base[r.Intn(len(base))])
		for n := 1 + r.Intn(4); n > 0; n-- {
			i := r.Intn(len(b))
			switch r.Intn(4) {
			case 0, 1:
				b[i] = uuidAlphabet[r.Intn(len(uuidAlphabet))]
			case 2:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{uuidAlphabet[r.Intn(len(uuidAlphabet))]}, b[i:]...)...)
			}
		}
		inputs = append(inputs, string(b))
	}
	diffInputs(t, `
local uuid = require('uuid')
for line in io.lines(arg[1]) do
  local u = uuid.fromstr(unhex(line))
  print(u and (u:str() .. ' ' .. hex(u:bin())) or 'nil')
end`, inputs)
}

func TestUUIDParseFormat(t *testing.T) {
	u, ok := ParseUUID("BA90D815-14e0-431d-80c0-ce587885bb78")
	if !ok || FormatUUID(u) != "ba90d815-14e0-431d-80c0-ce587885bb78" {
		t.Fatalf("got %x %v", u, ok)
	}
	if hex.EncodeToString(u[:]) != "15d890bae0141d4380c0ce587885bb78" {
		t.Fatalf("host layout %x", u)
	}
	for _, bad := range []string{"", "ba90d815-14e0-431d-80c0-ce587885bb7", "ba90d815-14e0-431d-e0c0-ce587885bb78", "ba90d815 14e0-431d-80c0-ce587885bb78"} {
		if _, ok := ParseUUID(bad); ok {
			t.Errorf("ParseUUID(%q) accepted", bad)
		}
	}
	for i := 0; i < 100; i++ {
		g := newUUID()
		if p, ok := ParseUUID(FormatUUID(g)); !ok || p != g || g[7]>>4 != 4 || g[8]&0xc0 != 0x80 {
			t.Fatalf("generated %x", g)
		}
	}
}

// TestUUIDMsgpack checks that uuid values encode as MP_UUID through the
// serializers and that MP_UUID decodes to them, before and after
// require('uuid').
func TestUUIDMsgpack(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	want, _ := hex.DecodeString("d802ba90d81514e0431d80c0ce587885bb78")
	L.PushMsgpack(want, nil)
	if got, _ := L.ToStringMeta(-1); got != "ba90d815-14e0-431d-80c0-ce587885bb78" || L.Type(-1) != lua.TypeCdata {
		t.Fatalf("decoded before require: %q %v", got, L.TypeName(-1))
	}
	L.SetGlobal("decoded")
	if err := L.Load("local uuid = require('uuid') assert(decoded == uuid.fromstr('ba90d815-14e0-431d-80c0-ce587885bb78')) return uuid.fromstr('ba90d815-14e0-431d-80c0-ce587885bb78'), uuid.NULL", "=t"); err != nil {
		t.Fatal(err)
	}
	if err := L.PCall(0, 2); err != nil {
		t.Fatal(err)
	}
	got, err := L.Encode(nil, -2, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("encode: %x %v", got, err)
	}
	L.Pop(2)
	for _, bad := range []string{"d802ba90d81514e0431d00c0ce587885bb78" /* variant */, "c70502" + "0000000000" /* length */} {
		b, _ := hex.DecodeString(strings.Replace(bad, "00c0", "e0c0", 1))
		if _, err := L.PushMsgpack(b, nil); err == nil || !strings.Contains(err.Error(), "invalid MsgPack") {
			t.Errorf("decode %s: %v", bad, err)
		}
	}
}

func FuzzUUIDFromstr(f *testing.F) {
	for _, s := range []string{"ba90d815-14e0-431d-80c0-ce587885bb78", " a90d815-14e0-431d-80c0-ce587885bb78", "-0x0d815-14e0-431d-80c0-ce587885bb78", "ba90d815-14e0-431d-80c0-ce587885bb78\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseUUID(s)
		if !ok {
			return
		}
		// What parses is a 36-byte C string with a valid variant, and
		// its canonical form parses back to the same value.
		if c := strings.IndexByte(s, 0); (c < 0 && len(s) != 36) || (c >= 0 && c != 36) {
			t.Fatalf("accepted %q of C length other than 36", s)
		}
		if v, ok := ParseUUID(FormatUUID(u)); !ok || v != u {
			t.Fatalf("%q: canonical form %s does not parse back", s, FormatUUID(u))
		}
	})
}

// TestUUIDSerializersVersusTarantool runs what scripts see of UUIDs
// through msgpack, json and yaml on both; it needs those modules, which
// are registered by other files of this package.
func TestUUIDSerializersVersusTarantool(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	if err := L.DoString("for _, m in ipairs({'msgpack', 'json', 'yaml'}) do assert(package.preload[m] or package.loaded[m], m) end", "=t"); err != nil {
		t.Skipf("serializer modules missing in this build: %v", err)
	}
	diffInputs(t, `
local uuid = require('uuid')
local msgpack, json, yaml = require('msgpack'), require('json'), require('yaml')
local u = uuid.fromstr('ba90d815-14e0-431d-80c0-ce587885bb78')
print(msgpack.decode(msgpack.encode(u)):str(), #msgpack.encode(u), hex(msgpack.encode(u)))
print(type(msgpack.decode(msgpack.encode(u))), msgpack.decode(msgpack.encode(u)) == u)
print(json.encode({u}), json.encode(u))
print(yaml.encode(u))
print(yaml.encode({id = u}))
local t = msgpack.decode(msgpack.encode({a = u, b = {u, uuid.NULL:str()}}))
print(t.a == u, t.b[1] == u, t.b[2])
print(pcall(msgpack.encode, uuid.NULL))
print(pcall(msgpack.decode, '\xd8\x02' .. string.rep('\xff', 16)))
print(pcall(msgpack.decode, '\xc7\x05\x02' .. string.rep('\x00', 5)))
print(msgpack.decode('\xd8\x02' .. string.rep('\x00', 16)))`, nil)
}

// TestBuiltinsReload checks that each module can be required again after
// package.loaded forgets it (its FFI declarations are made once).
func TestBuiltinsReload(t *testing.T) {
	out := runLua(t, Options{}, `
for _, m in ipairs({'uuid', 'crypto', 'digest', 'uri', 'clock', 'errno', 'log'}) do
  local a = require(m)
  package.loaded[m] = nil
  local ok, b = pcall(require, m)
  print(m, ok, type(b))
end
print(require('uuid').fromstr('ba90d815-14e0-431d-80c0-ce587885bb78'):str(), require('digest').md5_hex(''))`)
	want := "uuid\ttrue\ttable\ncrypto\ttrue\ttable\ndigest\ttrue\ttable\nuri\ttrue\ttable\nclock\ttrue\ttable\nerrno\ttrue\ttable\nlog\ttrue\ttable\n" +
		"ba90d815-14e0-431d-80c0-ce587885bb78\td41d8cd98f00b204e9800998ecf8427e\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}
