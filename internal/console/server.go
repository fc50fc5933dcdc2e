package console

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// DefaultVersion is the version the console greeting announces. Clients
// (tarantoolctl, console.connect, net.box) parse it, so Spindle presents
// itself as the Tarantool release it is compatible with.
const DefaultVersion = "2.6.0"

// Greeting returns the text console greeting (console.lua client_handler):
// two lines padded with spaces to 63 characters, each ending in "\n", 128
// bytes in all for short versions, so greeting parsers that read 128 bytes
// work for both protocols.
func Greeting(version string) string {
	return fmt.Sprintf("%-63s\n%-63s\n", "Tarantool "+version+" (Lua console)", "type 'help' for interactive help")
}

// Server is a text console listener (console.listen): every connection
// gets the greeting, then each request line is evaluated in its own
// Session and the YAML document written back.
type Server struct {
	ln      net.Listener
	eval    Evaluator
	version string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a console server on uri: "port", "host:port",
// "unix/:path" or a path with a slash. Requests of all connections go to
// ev, one at a time per connection.
func Listen(uri string, ev Evaluator) (*Server, error) {
	network, addr, err := ParseListenURI(uri)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("failed to create server %s: %w", uri, err)
	}
	return Serve(ln, ev, DefaultVersion), nil
}

// Serve runs a console server on ln, announcing version in the greeting.
func Serve(ln net.Listener, ev Evaluator, version string) *Server {
	s := &Server{ln: ln, eval: ev, version: version, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops listening, closes every connection and waits for their
// goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			ServeConn(c, NewSession(s.eval), s.version)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// ServeConn runs the console protocol on one connection until the peer
// closes it, sends "~." or "\quit", and then closes c.
func ServeConn(c io.ReadWriteCloser, sess *Session, version string) {
	defer c.Close()
	if _, err := io.WriteString(c, Greeting(version)); err != nil {
		return
	}
	r := bufio.NewReader(c)
	for {
		request, err := ReadRequest(r, sess.Delimiter())
		if err != nil {
			return
		}
		out, ok := sess.Eval(request)
		if !ok {
			return
		}
		if _, err := io.WriteString(c, out); err != nil {
			return
		}
	}
}

// errCloseRequest is ReadRequest's answer to "~.".
var errCloseRequest = errors.New("console: peer asked to close")

// ReadRequest reads one request of a console client (client_read): bytes
// up to the delimiter followed by "\n" or "\r", returned without them. The
// line "~." closes the connection, like ssh's escape. It returns io.EOF
// when the peer is gone before a request ends.
func ReadRequest(r *bufio.Reader, delimiter string) (string, error) {
	lf, cr := []byte(delimiter+"\n"), []byte(delimiter+"\r")
	var buf []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return "", io.EOF
		}
		buf = append(buf, b)
		if b != '\n' && b != '\r' {
			continue
		}
		if bytes.HasSuffix(buf, lf) || bytes.HasSuffix(buf, cr) {
			break
		}
	}
	if string(buf) == "~.\n" {
		return "", errCloseRequest
	}
	return string(buf[:len(buf)-len(delimiter)-1]), nil
}

// ParseListenURI turns a console.listen URI into a network and address:
// "3313" and "host:3313" are TCP, "unix/:/path" and "/path" Unix sockets.
func ParseListenURI(uri string) (network, addr string, err error) {
	u := strings.TrimSpace(uri)
	switch {
	case u == "":
		return "", "", errors.New(`Usage: console.listen("[host:]port")`)
	case strings.HasPrefix(u, "unix/:"):
		return "unix", strings.TrimPrefix(u, "unix/:"), nil
	case strings.Contains(u, "/"):
		return "unix", u, nil
	case !strings.Contains(u, ":"):
		return "tcp", net.JoinHostPort("", u), nil
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	host, port, err := net.SplitHostPort(u)
	if err != nil || port == "" {
		return "", "", errors.New(`Usage: console.listen("[host:]port")`)
	}
	return "tcp", net.JoinHostPort(host, port), nil
}
