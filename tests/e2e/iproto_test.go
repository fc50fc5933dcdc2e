package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

const iprotoServer = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
local s = box.schema.space.create('kv')
s:create_index('pk', {parts = {1, 'unsigned'}})
box.schema.user.create('u', {password = 'p'})
box.schema.user.grant('u', 'read,write', 'space', 'kv')
box.schema.user.grant('guest', 'read,write,execute', 'universe')
function slow(x) require('fiber').sleep(0.05) return x end
`

func dialT(t *testing.T, addr string, opts client.Options) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIprotoPipelining drives many connections with many requests in
// flight each and checks every reply and the final state.
func TestIprotoPipelining(t *testing.T) {
	in := start(t, spindleBin, iprotoServer)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dialT(t, in.Addr, client.Options{User: "u", Password: "p"})
	sp, err := c.SpaceID(ctx, "kv")
	if err != nil {
		t.Fatal(err)
	}
	const conns, perConn, keys = 8, 40, 200
	var wg sync.WaitGroup
	errs := make(chan error, conns*perConn)
	for i := 0; i < conns; i++ {
		cc := dialT(t, in.Addr, client.Options{User: "u", Password: "p"})
		for j := 0; j < perConn; j++ {
			wg.Add(1)
			go func(i, j int) {
				defer wg.Done()
				k := uint64((i*perConn + j) % keys)
				if _, err := cc.Replace(ctx, sp, []any{k, fmt.Sprintf("v%d-%d", i, j)}); err != nil {
					errs <- err
					return
				}
				res, err := cc.Select(ctx, sp, 0, 0, 1, client.Iterator(proto.IterEQ), []any{k})
				if err != nil {
					errs <- err
					return
				}
				if len(res) != 1 {
					errs <- fmt.Errorf("select %d returned %d tuples", k, len(res))
				}
			}(i, j)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := c.Select(ctx, sp, 0, 0, 1000, client.Iterator(proto.IterAll), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != keys {
		t.Fatalf("space holds %d tuples, want %d", len(res), keys)
	}
}

// TestIprotoBadInput sends malformed packets on one connection and checks
// the answers, while another connection keeps being served.
func TestIprotoBadInput(t *testing.T) {
	in := start(t, spindleBin, iprotoServer)
	good := dialT(t, in.Addr, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	raw := func(t *testing.T) (net.Conn, *bufio.Reader) {
		nc, err := net.DialTimeout("tcp", in.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(nc)
		g := make([]byte, proto.GreetingSize)
		if _, err := io.ReadFull(r, g); err != nil {
			t.Fatal(err)
		}
		return nc, r
	}
	// reply reads one reply and returns its type and error message.
	reply := func(t *testing.T, r *bufio.Reader) (uint32, uint64, string) {
		t.Helper()
		pkt, err := proto.ReadPacket(r, 1<<20, nil)
		if err != nil {
			t.Fatalf("reading reply: %v", err)
		}
		row, err := proto.DecodeHeader(pkt)
		if err != nil {
			t.Fatal(err)
		}
		if proto.IsError(uint32(row.Type)) {
			e, _ := proto.DecodeError(uint32(row.Type), row.Body)
			return uint32(row.Type) &^ proto.TypeError, row.Sync, e.Message
		}
		return uint32(row.Type), row.Sync, ""
	}
	send := func(t *testing.T, nc net.Conn, header, body []byte) {
		t.Helper()
		pkt := msgpack.AppendUint32(nil, uint32(len(header)+len(body)))
		pkt = append(append(pkt, header...), body...)
		if _, err := nc.Write(pkt); err != nil {
			t.Fatal(err)
		}
	}
	hdr := func(typ uint32, sync uint64) []byte {
		b := msgpack.AppendMapHeader(nil, 2)
		b = msgpack.AppendUint(msgpack.AppendUint(b, 0), uint64(typ))
		return msgpack.AppendUint(msgpack.AppendUint(b, 1), sync)
	}

	nc, r := raw(t)
	cases := []struct {
		name   string
		header []byte
		body   []byte
		code   uint32
		msg    string
	}{
		{"unknown type", hdr(0x30, 1), nil, 48, "Unknown request type 48"},
		{"select without limit", hdr(proto.Select, 2), []byte{0x82, 0x10, 0xcd, 0x02, 0x00, 0x20, 0x90}, 69, "Missing mandatory field 'limit' in request"},
		{"header not a map", []byte{0x93, 1, 2, 3}, nil, 20, "Invalid MsgPack - packet header"},
		{"body not a map", hdr(proto.Insert, 4), []byte{0x91, 0x01}, 20, "Invalid MsgPack - packet body"},
		{"no such space", hdr(proto.Insert, 5), []byte{0x82, 0x10, 0xcd, 0x27, 0x0f, 0x21, 0x91, 0x01}, 36, "Space '9999' does not exist"},
		{"truncated body", hdr(proto.Insert, 6), []byte{0x82, 0x10}, 20, "Invalid MsgPack - packet body"},
		{"eval syntax", hdr(proto.Eval, 7), msgpack.MustAppend(nil, map[uint64]any{0x27: "return +", 0x21: []any{}}), 32, "eval:1: unexpected symbol near '+'"},
	}
	for _, c := range cases {
		send(t, nc, c.header, c.body)
		code, _, msg := reply(t, r)
		if code != c.code || msg != c.msg {
			t.Errorf("%s: got %d %q, want %d %q", c.name, code, msg, c.code, c.msg)
		}
		if err := good.Ping(ctx); err != nil {
			t.Fatalf("%s: the other connection failed: %v", c.name, err)
		}
	}
	// A packet length that is not a msgpack uint closes the connection.
	if _, err := nc.Write([]byte{0xa1, 'x'}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readUntilClosed(r); err != nil {
		t.Fatalf("connection was not closed cleanly: %v", err)
	}
	// A wrong password fails AUTH and leaves the session as guest.
	cu := dialT(t, in.Addr, client.Options{})
	_ = cu
	_, err := client.Dial(ctx, in.Addr, client.Options{User: "u", Password: "wrong"})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != 47 || ce.Message != "Incorrect password supplied for user 'u'" {
		t.Fatalf("wrong password: %v", err)
	}
	if err := good.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// readUntilClosed drains r until EOF; an error reply before it is fine.
func readUntilClosed(r *bufio.Reader) (int, bool, error) {
	n := 0
	for {
		b := make([]byte, 512)
		k, err := r.Read(b)
		n += k
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
}

// TestIprotoSlowCallDoesNotBlock checks that a call sleeping in a fiber
// does not hold other connections up.
func TestIprotoSlowCallDoesNotBlock(t *testing.T) {
	in := start(t, spindleBin, iprotoServer)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := dialT(t, in.Addr, client.Options{})
	b := dialT(t, in.Addr, client.Options{})
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 10; i++ {
			if _, err := a.Call(ctx, "slow", []any{i}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	pings := 0
	deadline := time.After(400 * time.Millisecond)
loop:
	for {
		select {
		case <-deadline:
			break loop
		default:
		}
		if err := b.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		pings++
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if pings < 20 {
		t.Fatalf("only %d pings got through while another connection slept", pings)
	}
}

func clientOptions() client.Options { return client.Options{} }

// ctxT is a context bounded by 30 s and by the test's end.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
