package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestNetBoxAgainstReference runs the same net.box client script against
// spindle and against the reference tarantool, both started from the same
// instance file, and requires identical output line by line.
func TestNetBoxAgainstReference(t *testing.T) {
	tarantool := tarantoolBin(t)
	server, err := os.ReadFile("testdata/netbox_server.lua")
	if err != nil {
		t.Fatal(err)
	}
	client, err := os.ReadFile("testdata/netbox_client.lua")
	if err != nil {
		t.Fatal(err)
	}
	ref := start(t, tarantool, string(server))
	want := runClient(t, tarantool, string(client), ref.Addr)
	sp := start(t, spindleBin, string(server))
	got := runClient(t, tarantool, string(client), sp.Addr)
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(wl) < 40 {
		t.Fatalf("reference run printed too little:\n%s", want)
	}
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("line %d differs:\n  tarantool: %s\n  spindle:   %s", i+1, w, g)
		}
	}
}
