package server

import "testing"

func TestListenAddr(t *testing.T) {
	cases := []struct {
		in   any
		want string
		ok   bool
	}{
		{float64(3301), ":3301", true},
		{"3301", ":3301", true},
		{"127.0.0.1:3301", "127.0.0.1:3301", true},
		{"localhost:3301", "localhost:3301", true},
		{"replicator:password@127.0.0.1:3301", "127.0.0.1:3301", true},
		{"[::1]:3301", "[::1]:3301", true},
		{"unix/:/tmp/x.sock", "", false},
		{"no-port", "", false},
		{true, "", false},
	}
	for _, c := range cases {
		got, err := ListenAddr(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ListenAddr(%v) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
