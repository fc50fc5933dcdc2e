package luamod

import (
	"bytes"
	"testing"
)

func TestOSEnviron(t *testing.T) {
	var out bytes.Buffer
	L := newState(t, Options{Environ: func() []string { return []string{"A=1", "B=x=y"} }}, &out)
	if err := L.DoString("print(os.environ().A, os.environ().B)", "=t"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\tx=y\n" {
		t.Fatalf("got %q", out.String())
	}
}
