package luamod

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/spindledb/spindle/internal/lua"
)

// readModel is what successive read({chunk = chunk, delimiter =
// delims}) calls return for a stream of data that then ends: the
// shortest prefix that ends with a delimiter if it fits in chunk, else
// chunk bytes if there are as many, else the rest.
func readModel(data []byte, chunk int, delims [][]byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		best := -1
		for _, d := range delims {
			if i := bytes.Index(data, d); i >= 0 && (best < 0 || i+len(d) < best) {
				best = i + len(d)
			}
		}
		n := len(data)
		switch {
		case best >= 0 && best <= chunk:
			n = best
		case len(data) >= chunk:
			n = chunk
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// FuzzSocketRead feeds data through a socket pair, written by Go in
// pieces while Lua reads it with socket:read({chunk, delimiter}), and
// checks the pieces against readModel.
func FuzzSocketRead(f *testing.F) {
	f.Add([]byte("line one\nline two\r\nrest"), "\n", uint16(100), uint16(3))
	f.Add([]byte("abcabcabc"), "ca\x00bc", uint16(4), uint16(1))
	f.Add([]byte("no delimiter at all"), "", uint16(5), uint16(7))
	f.Add(bytes.Repeat([]byte("x\r\n"), 3000), "\r\n\x00x\r", uint16(17000), uint16(4096))
	f.Add([]byte("aaaa"), "aa", uint16(1), uint16(2))

	L := socketReadState(f)
	f.Fuzz(func(t *testing.T, data []byte, delimList string, chunk16, piece16 uint16) {
		checkSocketRead(t, L, data, delimList, int(chunk16)+1, int(piece16)+1)
	})
}

// socketReadState is a Lua state with read_all(fd, chunk, delimiters),
// which reads a socket with socket:read until its end.
func socketReadState(tb testing.TB) lua.State {
	var out bytes.Buffer
	L := newState(tb, Options{}, &out)
	if err := L.DoString(`
local socket = require('socket')
local ffi = require('ffi')
local mt = getmetatable(socket('AF_UNIX', 'SOCK_STREAM', 0))
function read_all(fd, chunk, delims)
    local s = setmetatable({_gc_socket = ffi.new('struct gc_socket', {fd = fd}),
                            itype = 1}, mt)
    s:nonblock(true)
    local opts = {chunk = chunk}
    if #delims > 0 then opts.delimiter = delims end
    local pieces = {}
    for _ = 1, 100000 do
        local p = s:read(opts, 10)
        if p == nil then
            s:close()
            error('read failed: ' .. tostring(s:error()))
        end
        if p == '' then break end
        table.insert(pieces, p)
    end
    s:close()
    return pieces
end`, "=fuzz"); err != nil {
		tb.Fatal(err)
	}
	return L
}

// checkSocketRead writes data into a socket pair in pieces of piece
// bytes and checks what read_all reads with chunk and the delimiters
// (delimList split at NULs, empty ones dropped) against readModel.
func checkSocketRead(t *testing.T, L lua.State, data []byte, delimList string, chunk, piece int) {
	if len(data) > 1<<14 {
		data = data[:1<<14]
	}
	var delims [][]byte
	for _, d := range strings.Split(delimList, "\x00") {
		if d != "" {
			delims = append(delims, []byte(d))
		}
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeErr := make(chan error, 1)
	go func() {
		defer syscall.Close(fds[1])
		for rest := data; len(rest) > 0; {
			n, err := syscall.Write(fds[1], rest[:min(piece, len(rest))])
			if err != nil {
				writeErr <- err
				return
			}
			rest = rest[n:]
		}
		writeErr <- nil
	}()
	top := L.GetTop()
	defer L.SetTop(top)
	L.GetGlobal("read_all")
	L.PushInt(fds[0])
	L.PushInt(chunk)
	L.CreateTable(len(delims), 0)
	for i, d := range delims {
		L.PushBytes(d)
		L.RawSetI(-2, i+1)
	}
	if err := L.PCall(3, 1); err != nil {
		t.Fatal(err)
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for i := 1; i <= L.ObjLen(-1); i++ {
		L.RawGetI(-1, i)
		b, _ := L.ToString(-1)
		got = append(got, []byte(b))
		L.Pop(1)
	}
	want := readModel(data, chunk, delims)
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("chunk %d delims %q:\n got  %q\n want %q", chunk, delims, got, want)
	}
}
