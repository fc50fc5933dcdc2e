package luamod

import (
	"bytes"
	"testing"
)

// TestCSVInvalid checks the end of an unterminated quoted field: the
// rows before it are kept, 'CSV file has errors' goes to log.warn (a stub
// here: the log module is not part of this package) and iteration ends.
func TestCSVInvalid(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	const script = `
package.preload.log = function()
    return {warn = function(msg) print('warn: ' .. msg) end}
end
local csv = require('csv')
local r = csv.load('a,b\n"unterminated\n')
print(#r, r[1][1], r[1][2])
print(#csv.load('"x'))
for i, t in csv.iterate('x\n"y,z') do print(i, #t, t[1]) end
`
	if err := L.DoString(script, "=csv"); err != nil {
		t.Fatal(err)
	}
	want := "warn: CSV file has errors\n1\ta\tb\n" +
		"warn: CSV file has errors\n0\n" +
		"1\t1\tx\nwarn: CSV file has errors\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
