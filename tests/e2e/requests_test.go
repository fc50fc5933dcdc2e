package e2e

import (
	"bufio"
	"context"
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

// requestFiberServer has functions that yield in different ways: a sleep,
// WAL writes, a channel.
const requestFiberServer = `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
local fiber = require('fiber')
local s = box.schema.space.create('kv')
s:create_index('pk', {parts = {1, 'unsigned'}})
box.schema.user.grant('guest', 'read,write,execute', 'universe')
function sleep_then(t, x) fiber.sleep(t) return x end
function put(k) box.space.kv:replace{k, 'v'} return k end
function put_txn(k)
    box.begin()
    box.space.kv:replace{k, 'a'}
    box.space.kv:replace{k + 1000000, 'b'}
    box.commit()
    return k
end
-- memtx aborts a transaction that yields after its first statement.
function put_yield(k)
    box.begin()
    fiber.yield() -- nothing done yet: allowed
    box.space.kv:replace{k + 2000000, 'a'}
    fiber.yield()
    box.space.kv:replace{k + 3000000, 'b'}
    box.commit()
end
gate = fiber.channel()
function wait_gate() return gate:get(10) end
function open_gate(v) gate:put(v) return true end
function storage_set(v) fiber.self().storage.x = v return true end
function storage_get() return fiber.self().storage.x end
`

const erTransactionYield = 154

// forEachServer runs fn against spindle and, where it is installed,
// tarantool started from the same instance file.
func forEachServer(t *testing.T, script string, fn func(t *testing.T, in *Instance)) {
	t.Run("spindle", func(t *testing.T) { fn(t, start(t, spindleBin, script)) })
	t.Run("tarantool", func(t *testing.T) { fn(t, start(t, tarantoolBin(t), script)) })
}

// TestRequestsOfOneConnectionRunInFibers: requests of one connection do
// not wait for an earlier request of the same connection that yields, as
// every request runs in a fiber of its own.
func TestRequestsOfOneConnectionRunInFibers(t *testing.T) {
	forEachServer(t, requestFiberServer, func(t *testing.T, in *Instance) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := dialT(t, in.Addr, client.Options{})

		// A sleeping call, then fast requests on the same connection:
		// the fast ones are answered while the first still sleeps.
		slow := make(chan time.Time, 1)
		go func() {
			c.Call(ctx, "sleep_then", []any{0.5, 1})
			slow <- time.Now()
		}()
		time.Sleep(50 * time.Millisecond)
		for i := 0; i < 20; i++ {
			if err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if r, err := c.Call(ctx, "sleep_then", []any{0, i}); err != nil || len(r) != 1 {
				t.Fatalf("fast call: %v %v", r, err)
			}
		}
		fastDone := time.Now()
		if s := <-slow; s.Before(fastDone) {
			t.Fatal("the fast requests waited for the sleeping call")
		}

		// Many sleeping calls on one connection sleep at the same time.
		begin := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r, err := c.Call(ctx, "sleep_then", []any{0.3, i})
				if err != nil {
					errs <- err
				} else if len(r) != 1 || r[0] != uint64(i) {
					errs <- fmt.Errorf("call %d returned %v", i, r)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Fatalf("50 calls sleeping 0.3 s took %v on one connection", d)
		}

		// A call blocked on a channel is released by a later request of
		// the same connection.
		got := make(chan []any, 1)
		go func() {
			r, _ := c.Call(ctx, "wait_gate", nil)
			got <- r
		}()
		time.Sleep(50 * time.Millisecond)
		if _, err := c.Call(ctx, "open_gate", []any{"through"}); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-got:
			if len(r) != 1 || r[0] != "through" {
				t.Fatalf("wait_gate returned %v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the gate request never got through")
		}

		// fiber.storage lives only as long as its request.
		if _, err := c.Call(ctx, "storage_set", []any{"x"}); err != nil {
			t.Fatal(err)
		}
		if r, err := c.Call(ctx, "storage_get", nil); err != nil || len(r) != 1 || r[0] != nil {
			t.Fatalf("fiber.storage outlived its request: %v %v", r, err)
		}
	})
}

// TestWritingCallsOfOneConnection: calls that write (and so wait for the
// WAL) pipelined on one connection all succeed and every write is there;
// a transaction that yields after its first statement fails with
// ER_TRANSACTION_YIELD and leaves nothing behind.
func TestWritingCallsOfOneConnection(t *testing.T) {
	forEachServer(t, requestFiberServer, func(t *testing.T, in *Instance) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := dialT(t, in.Addr, client.Options{})
		const n = 300
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				fn := "put"
				switch i % 3 {
				case 1:
					fn = "put_txn"
				case 2:
					_, err := c.Call(ctx, "put_yield", []any{i})
					if client.CodeOf(err) != erTransactionYield {
						errs <- fmt.Errorf("put_yield(%d): %v, want ER_TRANSACTION_YIELD", i, err)
					}
					return
				}
				if _, err := c.Call(ctx, fn, []any{i}); err != nil {
					errs <- fmt.Errorf("%s(%d): %v", fn, i, err)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r, err := c.Eval(ctx, "return box.space.kv:count()", nil)
		if want := uint64(n/3 + 2*(n/3)); err != nil || len(r) != 1 || r[0] != want {
			t.Fatalf("count %v %v, want %d", r, err, want)
		}
		// A connection that closes while its calls sleep leaves the
		// server serving others.
		d := dialT(t, in.Addr, client.Options{})
		for i := 0; i < 5; i++ {
			go d.Call(ctx, "sleep_then", []any{0.2, i})
		}
		time.Sleep(50 * time.Millisecond)
		d.Close()
		time.Sleep(300 * time.Millisecond)
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteBeforeYieldingCallIsAnswered: a write and, in the same batch
// behind it, a call that sleeps: the write is answered as soon as it is
// durable, not when the call ends or the next request arrives.
func TestWriteBeforeYieldingCallIsAnswered(t *testing.T) {
	forEachServer(t, requestFiberServer, func(t *testing.T, in *Instance) {
		c, r := rawDial(t, in.Addr, 20*time.Second)
		var batch []byte
		replace := msgpack.AppendMapHeader(nil, 2)
		replace = msgpack.AppendUint(msgpack.AppendUint(replace, proto.KeySpaceID), 512)
		replace = msgpack.AppendUint(replace, proto.KeyTuple)
		replace = msgpack.MustAppend(replace, []any{uint64(777), "v"})
		batch = appendRawRequest(batch, proto.Replace, 1, replace)
		call := msgpack.AppendMapHeader(nil, 2)
		call = msgpack.AppendUint(call, proto.KeyFunctionName)
		call = msgpack.AppendString(call, "sleep_then")
		call = msgpack.AppendUint(call, proto.KeyTuple)
		call = msgpack.MustAppend(call, []any{2.0, "late"})
		batch = appendRawRequest(batch, proto.Call, 2, call)
		begin := time.Now()
		if _, err := c.Write(batch); err != nil {
			t.Fatal(err)
		}
		sync, code := readRawReply(t, r)
		if sync != 1 || code != 0 {
			t.Fatalf("first reply: sync %d code %#x, want the replace's OK", sync, code)
		}
		if d := time.Since(begin); d > time.Second {
			t.Fatalf("the write was answered after %v, with the sleeping call", d)
		}
		if sync, code := readRawReply(t, r); sync != 2 || code != 0 {
			t.Fatalf("second reply: sync %d code %#x", sync, code)
		}
	})
}

// appendRawRequest appends a framed request packet.
func appendRawRequest(dst []byte, typ uint32, sync uint64, body []byte) []byte {
	h := msgpack.AppendMapHeader(nil, 2)
	h = msgpack.AppendUint(msgpack.AppendUint(h, proto.KeyRequestType), uint64(typ))
	h = msgpack.AppendUint(msgpack.AppendUint(h, proto.KeySync), sync)
	dst = msgpack.AppendUint32(dst, uint32(len(h)+len(body)))
	return append(append(dst, h...), body...)
}

// rawDial connects to addr, reads the greeting and returns the socket
// (closed at the test's end, with the given deadline) and its reader.
func rawDial(t *testing.T, addr string, deadline time.Duration) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(deadline))
	r := bufio.NewReader(c)
	if _, err := io.ReadFull(r, make([]byte, proto.GreetingSize)); err != nil {
		t.Fatal(err)
	}
	return c, r
}

// readRawReply reads one reply and returns its sync and type.
func readRawReply(t *testing.T, r *bufio.Reader) (uint64, uint32) {
	t.Helper()
	n, err := proto.ReadLength(r)
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, n)
	if _, err := io.ReadFull(r, pkt); err != nil {
		t.Fatal(err)
	}
	row, err := proto.DecodeHeader(pkt)
	if err != nil {
		t.Fatal(err)
	}
	return row.Sync, uint32(row.Type)
}
