package luamod

import (
	"bytes"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/spindledb/spindle/internal/decimal"
)

// randomDecimal returns a decimal of up to 38 random digits with an
// exponent anywhere a decimal may have one.
func randomDecimal(r *rand.Rand) *decimal.Decimal {
	var sb strings.Builder
	if r.Intn(2) == 0 {
		sb.WriteByte('-')
	}
	n := 1 + r.Intn(38)
	for i := 0; i < n; i++ {
		sb.WriteByte(byte('0' + r.Intn(10)))
	}
	// The adjusted exponent stays within [-38, 37].
	exp := -38 + r.Intn(38+38-n)
	sb.WriteString("e" + strconv.Itoa(exp))
	d, ok := decimal.Parse(sb.String())
	if !ok {
		panic("randomDecimal: " + sb.String())
	}
	return d
}

// TestDecimalCEncoders checks that the C serializers, which read the
// decimal_t layout themselves, agree with package decimal: MP_DECIMAL
// bytes for msgpack, the text for json, the value read back.
func TestDecimalCEncoders(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	if err := L.DoString(`decimal = require('decimal') json = require('json')`, "=init"); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		d := randomDecimal(r)
		if i < 4 {
			d, _ = decimal.Parse([]string{"0", "-0", "0e-38", "1e37"}[i])
		}
		pushDecimal(L, d)
		mp, err := L.Encode(nil, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := d.AppendMsgpack(nil); !bytes.Equal(mp, want) {
			t.Fatalf("%s: C encodes % x, want % x", d, mp, want)
		}
		L.GetGlobal("json")
		if err := L.GetField(-1, "encode"); err != nil {
			t.Fatal(err)
		}
		L.PushValue(-3)
		if err := L.PCall(1, 1); err != nil {
			t.Fatal(err)
		}
		js, _ := L.ToString(-1)
		if want := strconv.Quote(d.String()); js != want {
			t.Fatalf("%s: json %s, want %s", d, js, want)
		}
		L.SetTop(0)
		if _, err := L.PushMsgpack(mp, nil); err != nil {
			t.Fatal(err)
		}
		b, ok := L.ToDecimal(-1)
		if !ok {
			t.Fatalf("%s: decoded a %s", d, L.TypeName(-1))
		}
		back, ok := decimal.FromLayout(b)
		if !ok || back.String() != d.String() || !bytes.Equal(back.AppendMsgpack(nil), mp) {
			t.Fatalf("%s: read back as %v", d, back)
		}
		L.SetTop(0)
	}
}

// TestDecimalInvalidLayout checks that layouts no operation makes, which
// only FFI writes produce, are errors for the C encoders and the Go
// functions alike rather than guesses.
func TestDecimalInvalidLayout(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	script := `
local decimal, msgpack, json = require('decimal'), require('msgpack'), require('json')
for _, set in ipairs({
    function(d) d.lsu[0] = 1000 end, function(d) d.digits = 40 end, function(d) d.digits = -1 end,
    function(d) d.bits = 0x40 end, function(d) d.exponent = 5000 end,
}) do
    local d = decimal.new(1)
    set(d)
    print(pcall(msgpack.encode, d))
    print(pcall(json.encode, d))
    print(pcall(tostring, d))
    print(pcall(function() return d + 1 end))
end`
	if err := L.DoString(script, "=layout"); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "false\t") || !strings.Contains(line, "invalid decimal value") {
			t.Errorf("line %d: %q", i+1, line)
		}
	}
}

func TestDecimalToInt(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	// lua_tointeger's conversions as round and rescale see them.
	script := `local d = require('decimal').new('1.23456789')
for _, v in ipairs({3, 3.9, -1, '2', '2.9', '0x3', 'x', 1e20, -1e20, 2^31 + 4, 0/0}) do
    io.write(tostring(require('decimal').round(d, v)), ' ')
end
io.write(tostring(require('decimal').round(d, {})), ' ', tostring(require('decimal').round(d, true)))`
	if err := L.DoString(script, "=toint"); err != nil {
		t.Fatal(err)
	}
	want := "1.235 1.235 1.23456789 1.23 1.23 1.235 1 1 1 1.23456789 1 1 1" // as tarantool prints it
	if got := out.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
