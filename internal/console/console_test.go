package console

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestIsCompleteLua(t *testing.T) {
	tests := []struct {
		buf  string
		want bool
	}{
		{"1", true},
		{"function f()", false},
		{"function f()\nreturn 1", false},
		{"function f()\nreturn 1\nend", true},
		{"if x then", false},
		{"local t = {", false},
		{"f(", false},
		{"x = ", false},
		{"[[abc", false},
		{"--[[ comment", false},
		{"(42\n)", true},
		{"x y", true},       // a syntax error not at the end: report it
		{"x = 1 end", true}, // likewise
		{"'abc", false},     // "unfinished string near '<eof>'": more input, as in 2.6
		{"for i = 1, 2 do", false},
		{"", true},
	}
	for _, tt := range tests {
		if got := IsCompleteLua(tt.buf); got != tt.want {
			t.Errorf("IsCompleteLua(%q) = %v want %v", tt.buf, got, tt.want)
		}
	}
}

// pipeTranscript is what `tarantool script.lua` with
// require('console').start() printed for pipeInput on stdin (not a tty):
// readline prints the prompt and echoes each line.
const pipeInput = "1, \"two\"\nnil\n\nerror(\"x: y\")\nfunction f()\nreturn 1\nend\nf()\n"

const pipeTranscript = "tarantool> 1, \"two\"\n---\n- 1\n- two\n...\n\n" +
	"tarantool> nil\n---\n- null\n...\n\n" +
	"tarantool> \n---\n...\n\n" +
	"tarantool> error(\"x: y\")\n---\n- error: 'x: y'\n...\n\n" +
	"tarantool> function f()\n         > return 1\n         > end\n---\n...\n\n" +
	"tarantool> f()\n---\n- 1\n...\n\n" +
	"tarantool> "

func TestREPLPlain(t *testing.T) {
	L := newTestState(t)
	var out bytes.Buffer
	r := &REPL{Handler: NewSession(&LuaEvaluator{L: L}), In: NewPlainReader(strings.NewReader(pipeInput), &out), Out: &out}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if out.String() != pipeTranscript {
		t.Fatalf("got:\n%q\nwant:\n%q", out.String(), pipeTranscript)
	}
}

func TestREPLDelimiterAndQuit(t *testing.T) {
	L := newTestState(t)
	var out bytes.Buffer
	in := "\\set delimiter ;\nx = 1\nreturn x + 1;\n\\q\n1\n"
	r := &REPL{Handler: NewSession(&LuaEvaluator{L: L}), In: NewPlainReader(strings.NewReader(in), &out), Out: &out, Prompt: "spindle"}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	want := "spindle> \\set delimiter ;\n---\n...\n\n" +
		"spindle> x = 1\n       > return x + 1;\n---\n- 2\n...\n\n" +
		"spindle> \\q\n"
	if out.String() != want {
		t.Fatalf("got:\n%q\nwant:\n%q", out.String(), want)
	}
}

// Outputs observed from Tarantool 2.6.0 over console.listen.
var protocolCases = []struct{ request, reply string }{
	{"1, \"two\"\n", "---\n- 1\n- two\n...\n"},
	{"\\set delimiter ;\n", "---\n...\n"},
	{"function g()\nreturn 2 end;\n", "---\n...\n"},
	{"g();\n", "---\n- 2\n...\n"},
	{"\\set delimiter;\n", "---\n...\n"},
	{"error(\"x\")\n", "---\n- error: x\n...\n"},
	{"box.NULL, nil\n", "---\n- null\n- null\n...\n"},
	{"\n", "---\n...\n"},
	{"\\help\n", "---\n- - |\n    To get help, see the Tarantool manual at https://tarantool.io/en/doc/\n    To start the interactive Tarantool tutorial, type 'tutorial()' here.\n\n    Available backslash commands:\n\n      \\set language <language>   -- set language (lua or sql)\n      \\set output <format>       -- set output format (lua[,line|block] or yaml)\n      \\set delimiter <delimiter> -- set expression delimiter\n      \\help                      -- show this screen\n      \\quit                      -- quit interactive console\n...\n"},
	{"\\set language sql\n", "---\n- true\n...\n"},
	{"\\set language\n", "---\n- language: sql\n...\n"},
	{"\\set language lua\n", "---\n- true\n...\n"},
	{"\\set language x\n", "---\n- error: 'Invalid language \"x\", supported languages: lua and sql.'\n...\n"},
	{"\\set output yaml\n", "---\n- true\n...\n"},
	{"\\set foo\n", "---\n- error: 'Unknown parameter: foo'\n...\n"},
	{"\\foo\n", "---\n- error: Invalid command \\foo. Type \\help for help.\n...\n"},
	{"\\set\n", "---\n- error: Invalid set syntax, type \\help for help\n...\n"},
	{"1\r\n", "---\n- 1\n...\n"},
}

func startServer(t *testing.T) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := Serve(ln, &LuaEvaluator{L: newTestState(t)}, DefaultVersion)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestServerProtocol(t *testing.T) {
	s := startServer(t)
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	greeting := make([]byte, 128)
	if _, err := io.ReadFull(r, greeting); err != nil {
		t.Fatal(err)
	}
	want := "Tarantool 2.6.0 (Lua console)                                  \ntype 'help' for interactive help                               \n"
	if string(greeting) != want {
		t.Fatalf("greeting %q", greeting)
	}
	for _, tc := range protocolCases {
		if _, err := io.WriteString(c, tc.request); err != nil {
			t.Fatal(err)
		}
		if tc.request == "1\r\n" {
			// CR ends the request; the LF starts the next one.
			io.WriteString(c, "2\n")
		}
		got, err := readDocument(r)
		if err != nil {
			t.Fatalf("%q: %v", tc.request, err)
		}
		if got != tc.reply {
			t.Errorf("%q:\n got %q\nwant %q", tc.request, got, tc.reply)
		}
	}
	// Like Tarantool, the LF left after a CR is an empty request.
	for _, want := range []string{"---\n...\n", "---\n- 2\n...\n"} {
		got, err := readDocument(r)
		if err != nil || got != want {
			t.Fatalf("after CR: got %q %v want %q", got, err, want)
		}
	}
	io.WriteString(c, "~.\n")
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after ~.: %v", err)
	}
}

func TestDialTextConsole(t *testing.T) {
	s := startServer(t)
	rc, err := Dial(s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if rc.Binary() {
		t.Fatal("text console taken for binary")
	}
	for _, tc := range []struct{ req, want string }{
		{"1, 2", "---\n- 1\n- 2\n...\n"},
		{"function h()\nreturn 'x: y'\nend", "---\n...\n"},
		{"h()", "---\n- 'x: y'\n...\n"},
		{"error('boom')", "---\n- error: boom\n...\n"},
	} {
		got, ok := rc.Eval(tc.req)
		if !ok || got != tc.want {
			t.Errorf("%q: got %q %v want %q", tc.req, got, ok, tc.want)
		}
	}
	if !strings.HasPrefix(rc.Prompt(), "127.0.0.1:") {
		t.Errorf("prompt %q", rc.Prompt())
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(addr, time.Second); err == nil || !strings.Contains(err.Error(), "Connection is not established") {
		t.Fatalf("got %v", err)
	}
}

func TestParseURIs(t *testing.T) {
	tests := []struct{ uri, network, addr string }{
		{"3313", "tcp", ":3313"},
		{"127.0.0.1:3313", "tcp", "127.0.0.1:3313"},
		{"unix/:/tmp/c.sock", "unix", "/tmp/c.sock"},
		{"/tmp/c.sock", "unix", "/tmp/c.sock"},
	}
	for _, tt := range tests {
		n, a, err := ParseListenURI(tt.uri)
		if err != nil || n != tt.network || a != tt.addr {
			t.Errorf("ParseListenURI(%q) = %q %q %v", tt.uri, n, a, err)
		}
	}
	u, p, n, a, err := parseConnectURI("admin:secret@localhost:3301")
	if err != nil || u != "admin" || p != "secret" || n != "tcp" || a != "localhost:3301" {
		t.Errorf("parseConnectURI: %q %q %q %q %v", u, p, n, a, err)
	}
	if _, _, _, a, _ := parseConnectURI("3301"); a != "localhost:3301" {
		t.Errorf("bare port: %q", a)
	}
}

// FuzzReadRequest: arbitrary client bytes never panic the request reader
// and every request it returns is followed by the delimiter in the input.
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte("1\n2\r\n"), "")
	f.Add([]byte("a;\nb;\r"), ";")
	f.Add([]byte("~.\n"), "")
	f.Add([]byte("x$EOF$\n"), "$EOF$")
	f.Fuzz(func(t *testing.T, data []byte, delim string) {
		r := bufio.NewReader(bytes.NewReader(data))
		consumed := 0
		for {
			req, err := ReadRequest(r, delim)
			if err != nil {
				return
			}
			rest := string(data[consumed:])
			if !strings.HasPrefix(rest, req+delim) {
				t.Fatalf("request %q not at %q", req, rest)
			}
			consumed += len(req) + len(delim) + 1
		}
	})
}
