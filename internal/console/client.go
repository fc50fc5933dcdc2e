package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// Handler is what the REPL sends complete requests to: a local Session or
// a Remote console.
type Handler interface {
	// Eval returns the text to print; ok false ends the REPL after the
	// text (if any) is printed.
	Eval(request string) (output string, ok bool)
	// Delimiter is the request delimiter the reader waits for.
	Delimiter() string
	// Language decides how the reader finds the end of a request.
	Language() Language
}

var _ Handler = (*Session)(nil)
var _ Handler = (*Remote)(nil)

// yamlEOS ends every YAML document the console sends.
const yamlEOS = "\n...\n"

// remoteDelimiter is the delimiter console.connect installs on text
// consoles so that requests may span lines.
const remoteDelimiter = "$EOF$"

// consoleEvalExpr is what console.connect evaluates over IPROTO.
const consoleEvalExpr = `return require("console").eval(...)`

// Remote is a console connected to another instance (console.connect,
// `spindle connect URI`). It speaks the text protocol to console.listen
// ports and IPROTO EVAL to binary ports, telling them apart by the
// greeting. A Remote is used by one goroutine at a time.
type Remote struct {
	conn   net.Conn
	r      *bufio.Reader
	binary bool
	salt   []byte
	sync   uint64
	// Host and Port name the peer as console.connect shows it in the
	// prompt ("host:port").
	Host, Port string
	// OnPush, if set, receives documents the server pushed
	// (box.session.push) before the reply.
	OnPush func(doc string)
	closed bool
}

// Dial connects to uri ("[user[:password]@][host:]port" or
// "unix/:path"), reads the greeting and, for a binary port, authenticates
// when a user is given. It then checks the connection with "return true"
// like console.connect.
func Dial(uri string, timeout time.Duration) (*Remote, error) {
	user, password, network, addr, err := parseConnectURI(uri)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_NO_CONNECTION)
	}
	c := &Remote{conn: conn, r: bufio.NewReader(conn), Host: "localhost", Port: addr}
	if network == "tcp" {
		if h, p, err := net.SplitHostPort(addr); err == nil {
			c.Port = p
			if h != "" {
				c.Host = h
			}
		}
	}
	if err := c.handshake(user, password, timeout); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// Binary reports whether the peer is an IPROTO port.
func (c *Remote) Binary() bool { return c.binary }

// Prompt is the name the REPL shows for this connection.
func (c *Remote) Prompt() string { return c.Host + ":" + c.Port }

// Delimiter implements Handler: the local reader ends requests as usual.
func (c *Remote) Delimiter() string { return "" }

// Language implements Handler.
func (c *Remote) Language() Language { return LanguageLua }

// Close closes the connection.
func (c *Remote) Close() error {
	c.closed = true
	return c.conn.Close()
}

func (c *Remote) handshake(user, password string, timeout time.Duration) error {
	if timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(timeout))
		defer c.conn.SetDeadline(time.Time{})
	}
	buf := make([]byte, proto.GreetingSize)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		return boxerr.New(boxerr.ER_NO_CONNECTION)
	}
	g, err := decodeAnyGreeting(buf)
	if err != nil {
		return err
	}
	switch g.Protocol {
	case "Lua console":
		// wrap_text_socket: YAML output, then a delimiter so that a
		// request may hold newlines.
		for _, setup := range []string{"\\set output yaml\n", "\\set delimiter " + remoteDelimiter + "\n"} {
			if _, err := c.roundTrip(setup); err != nil {
				return err
			}
		}
	case "Binary":
		c.binary = true
		c.salt = g.Salt
		if user != "" {
			if err := c.auth(user, password); err != nil {
				return err
			}
		}
	default:
		return boxerr.Newf("ClientError", boxerr.ER_PROTOCOL, "Unsupported protocol: %s", g.Protocol)
	}
	out, err := c.eval("return true")
	if err != nil {
		return err
	}
	if strings.HasPrefix(out, "---\n- error:") {
		return errors.New(strings.TrimSuffix(strings.TrimPrefix(out, "---\n- error: "), yamlEOS))
	}
	return nil
}

// decodeAnyGreeting accepts both greetings: proto.DecodeGreeting knows the
// binary one; a console greeting has no salt line.
func decodeAnyGreeting(b []byte) (proto.Greeting, error) {
	first := string(b[:proto.GreetingSize/2])
	if strings.HasPrefix(first, "Tarantool ") && strings.Contains(first, "(Lua console)") {
		return proto.Greeting{Protocol: "Lua console"}, nil
	}
	return proto.DecodeGreeting(b)
}

// Eval implements Handler: the request runs on the peer and its YAML
// output comes back. A broken connection ends the REPL with the error
// printed as the console prints it.
func (c *Remote) Eval(request string) (string, bool) {
	if c.closed {
		return "", false
	}
	out, err := c.eval(request)
	if err != nil {
		c.Close()
		return formatGoError(err.Error()), false
	}
	return out, true
}

func (c *Remote) eval(request string) (string, error) {
	if c.binary {
		return c.evalBinary(request)
	}
	return c.roundTrip(request + remoteDelimiter + "\n")
}

// roundTrip sends text and reads YAML documents up to the reply,
// handing pushed documents to OnPush.
func (c *Remote) roundTrip(text string) (string, error) {
	if _, err := io.WriteString(c.conn, text); err != nil {
		return "", err
	}
	for {
		doc, err := readDocument(c.r)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(doc, "%TAG !push!") {
			return doc, nil
		}
		if c.OnPush != nil {
			c.OnPush(doc)
		}
	}
}

// readDocument reads up to and including the "\n...\n" end marker.
func readDocument(r *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		line, err := r.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			if err == io.EOF {
				return "", errors.New("Peer closed")
			}
			return "", err
		}
		if line == "...\n" && (sb.Len() == 4 || strings.HasSuffix(sb.String(), yamlEOS)) {
			return sb.String(), nil
		}
	}
}

func (c *Remote) nextSync() uint64 {
	c.sync++
	return c.sync
}

func (c *Remote) auth(user, password string) error {
	body := proto.AppendAuthBody(nil, user, proto.Scramble(c.salt, password))
	_, err := c.request(proto.Auth, body)
	return err
}

func (c *Remote) evalBinary(request string) (string, error) {
	body := msgpack.AppendMapHeader(nil, 2)
	body = msgpack.AppendUint(body, proto.KeyExpr)
	body = msgpack.AppendString(body, consoleEvalExpr)
	body = msgpack.AppendUint(body, proto.KeyTuple)
	body = msgpack.AppendArrayHeader(body, 1)
	body = msgpack.AppendString(body, request)
	data, err := c.request(proto.Eval, body)
	if err != nil {
		var be *boxerr.Error
		if errors.As(err, &be) {
			// A server error is an answer, printed like any error.
			return formatGoError(be.Message), nil
		}
		return "", err
	}
	n, pos, err := msgpack.ReadArrayHeader(data)
	if err != nil {
		return "", boxerr.New(boxerr.ER_INVALID_MSGPACK, "eval reply")
	}
	if n == 0 {
		return EmptyOutput, nil
	}
	s, _, err := msgpack.ReadString(data[pos:])
	if err != nil {
		return "", boxerr.New(boxerr.ER_INVALID_MSGPACK, "eval reply")
	}
	return s, nil
}

// request sends one IPROTO request and returns the DATA of its reply, or
// the server's error as a *boxerr.Error.
func (c *Remote) request(typ uint32, body []byte) ([]byte, error) {
	sync := c.nextSync()
	if _, err := c.conn.Write(proto.AppendRequest(nil, typ, sync, body)); err != nil {
		return nil, err
	}
	for {
		pkt, err := proto.ReadPacket(c.r, proto.BodyLenMax, nil)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, errors.New("Peer closed")
			}
			return nil, err
		}
		row, err := proto.DecodeHeader(pkt)
		if err != nil {
			return nil, err
		}
		if row.Sync != sync || row.Type == proto.Chunk {
			continue // pushes and stale replies
		}
		return replyData(row.Type, row.Body)
	}
}

// replyData extracts IPROTO_DATA from an OK reply body, or the error of
// an error reply.
func replyData(typ uint16, body []byte) ([]byte, error) {
	n, pos, err := msgpack.ReadMapHeader(body)
	if err != nil {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "reply body")
	}
	var data []byte
	msg := ""
	for i := 0; i < int(n); i++ {
		key, kn, err := msgpack.ReadUint(body[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "reply body")
		}
		pos += kn
		vn, err := msgpack.Skip(body[pos:])
		if err != nil {
			return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "reply body")
		}
		switch key {
		case proto.KeyData:
			data = body[pos : pos+vn]
		case proto.KeyError24:
			msg, _, _ = msgpack.ReadString(body[pos:])
		}
		pos += vn
	}
	if proto.IsError(uint32(typ)) {
		code := uint32(typ) &^ proto.TypeError
		return nil, &boxerr.Error{Code: boxerr.Code(code), Type: "ClientError", Message: msg}
	}
	if data == nil {
		data = []byte{0x90}
	}
	return data, nil
}

// parseConnectURI splits "[user[:password]@][host:]port" or
// "[user[:password]@]unix/:path".
func parseConnectURI(uri string) (user, password, network, addr string, err error) {
	u := strings.TrimSpace(uri)
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		cred := u[:i]
		u = u[i+1:]
		user, password, _ = strings.Cut(cred, ":")
	}
	network, addr, err = ParseListenURI(u)
	if err != nil {
		return "", "", "", "", errors.New(`Usage: console.connect("[login:password@][host:]port")`)
	}
	if network == "tcp" && strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	return user, password, network, addr, nil
}

// String describes the connection for logs ("connected to host:port").
func (c *Remote) String() string { return fmt.Sprintf("%s:%s", c.Host, c.Port) }
