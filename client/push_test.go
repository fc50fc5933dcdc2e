package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
)

// pushServer is a scripted server for push tests. A CALL of "push" with
// args [n] answers with n pushes {DATA: [i]} (i = 1..n) and then {DATA:
// ["done"]}; every push is preceded by a push for a sync nobody waits
// for. "garbage" answers with a chunk whose body is not a map. "hold"
// pushes once and never replies. Anything else is echoed after one push.
func pushServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go servePushes(nc)
		}
	}()
	return ln.Addr().String()
}

func servePushes(nc net.Conn) {
	defer nc.Close()
	nc.Write(proto.EncodeGreeting("2.6.0", "11111111-2222-3333-4444-555555555555", make([]byte, 32)))
	r := bufio.NewReader(nc)
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		nc.Write(b)
	}
	for {
		p, err := proto.ReadPacket(r, proto.BodyLenMax, nil)
		if err != nil {
			return
		}
		row, err := proto.DecodeHeader(p)
		if err != nil {
			return
		}
		v, _, _ := msgpack.Decode(row.Body)
		body, _ := v.(map[any]any)
		name, _ := body[uint64(proto.KeyFunctionName)].(string)
		args, _ := body[uint64(proto.KeyTuple)].([]any)
		// Each request is answered by its own goroutine, so pushes of
		// concurrent requests interleave on the wire.
		go func(sync uint64) {
			switch name {
			case "push":
				n, _ := args[0].(uint64)
				for i := uint64(1); i <= n; i++ {
					write(proto.AppendChunk(nil, sync+1000, 1, msgpack.MustAppend(nil, "stray")))
					write(proto.AppendChunk(nil, sync, 1, msgpack.MustAppend(nil, i)))
				}
				write(proto.AppendData(nil, sync, 1, 1, msgpack.MustAppend(nil, "done")))
			case "garbage":
				write(rewriteType(proto.AppendOK(nil, sync, 1, []byte{0x91, 0x01}), proto.Chunk))
			case "hold":
				write(proto.AppendChunk(nil, sync, 1, msgpack.MustAppend(nil, "held")))
			default:
				write(proto.AppendChunk(nil, sync, 1, msgpack.MustAppend(nil, "pre")))
				write(proto.AppendData(nil, sync, 1, uint32(len(args)), appendAll(args)))
			}
		}(row.Sync)
	}
}

// rewriteType re-frames a reply with another request type, keeping its
// sync and body.
func rewriteType(packet []byte, typ uint32) []byte {
	_, n, _ := msgpack.ReadUint(packet)
	row, _ := proto.DecodeHeader(packet[n:])
	hdr := msgpack.AppendMapHeader(nil, 2)
	hdr = msgpack.AppendUint(msgpack.AppendUint(hdr, proto.KeyRequestType), uint64(typ))
	hdr = msgpack.AppendUint(msgpack.AppendUint(hdr, proto.KeySync), row.Sync)
	out := msgpack.AppendUint32(nil, uint32(len(hdr)+len(row.Body)))
	return append(append(out, hdr...), row.Body...)
}

func appendAll(vs []any) []byte {
	var b []byte
	for _, v := range vs {
		b = msgpack.MustAppend(b, v)
	}
	return b
}

func dialPush(t *testing.T) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), pushServer(t), Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func callBody(name string, args ...any) []byte {
	return newBody(2).str(proto.KeyFunctionName, name).array(proto.KeyTuple, args).b
}

func decodeAll(t *testing.T, items [][]byte) []any {
	t.Helper()
	var out []any
	for _, it := range items {
		v, _, err := msgpack.Decode(it)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestPushesDoWith checks that pushes reach OnPush in order, that a
// push never completes a request, and that Do drops them.
func TestPushesDoWith(t *testing.T) {
	c := dialPush(t)
	ctx := context.Background()
	var got [][]byte
	resp, err := c.DoWith(ctx, TypeCall, callBody("push", 3), RequestOptions{OnPush: func(d []byte) { got = append(got, d) }})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := resp.Data()
	if !reflect.DeepEqual(data, []any{"done"}) {
		t.Errorf("final reply %v", data)
	}
	if pushes := decodeAll(t, got); !reflect.DeepEqual(pushes, []any{uint64(1), uint64(2), uint64(3)}) {
		t.Errorf("pushes %v", pushes)
	}
	res, err := c.Call(ctx, "push", []any{2})
	if err != nil || !reflect.DeepEqual(res, []any{"done"}) {
		t.Errorf("Call with pushes = %v, %v", res, err)
	}
	resp, err = c.Do(ctx, TypeCall, callBody("echo", 1, "x"))
	if data, _ := resp.Data(); err != nil || !reflect.DeepEqual(data, []any{uint64(1), "x"}) {
		t.Errorf("Do = %v, %v", data, err)
	}
	// A push with nothing behind it keeps the request waiting.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	// (OnPush runs on the reader goroutine, unordered with a caller that
	// gave up, hence the atomic.)
	var held atomic.Int32
	_, err = c.DoWith(tctx, TypeCall, callBody("hold"), RequestOptions{OnPush: func([]byte) { held.Add(1) }})
	if !errors.Is(err, context.DeadlineExceeded) || held.Load() != 1 {
		t.Errorf("held request: %v after %d pushes", err, held.Load())
	}
}

// TestStartConcurrent runs many requests through Start at once: each
// sees exactly its own pushes, in order, and then exactly one reply.
func TestStartConcurrent(t *testing.T) {
	c := dialPush(t)
	const n = 50
	type outcome struct {
		pushes []any
		data   []any
		err    error
		calls  int
	}
	var mu sync.Mutex
	outs := make([]outcome, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		i := i
		err := c.Start(TypeCall, callBody("push", i%7), RequestOptions{OnPush: func(d []byte) {
			v, _, _ := msgpack.Decode(d)
			mu.Lock()
			outs[i].pushes = append(outs[i].pushes, v)
			mu.Unlock()
		}}, func(resp Response, err error) {
			data, _ := resp.Data()
			mu.Lock()
			outs[i].data, outs[i].err = data, err
			outs[i].calls++
			mu.Unlock()
			wg.Done()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, o := range outs {
		var want []any
		for k := 1; k <= i%7; k++ {
			want = append(want, uint64(k))
		}
		if o.err != nil || o.calls != 1 || !reflect.DeepEqual(o.pushes, want) || !reflect.DeepEqual(o.data, []any{"done"}) {
			t.Errorf("request %d: pushes %v data %v err %v replies %d", i, o.pushes, o.data, o.err, o.calls)
		}
	}
	if err := c.Start(TypeCall, nil, RequestOptions{}, nil); err == nil {
		t.Error("Start without onReply succeeded")
	}
}

// TestStartClosed checks that pending Start requests fail with ErrClosed
// when the connection closes, and a malformed push closes it.
func TestStartClosed(t *testing.T) {
	c := dialPush(t)
	done := make(chan error, 1)
	pushed := make(chan struct{}, 1)
	if err := c.Start(TypeCall, callBody("hold"), RequestOptions{OnPush: func([]byte) { pushed <- struct{}{} }},
		func(_ Response, err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	<-pushed
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("pending request after Close: %v", err)
	}
	if err := c.Start(TypeCall, callBody("x"), RequestOptions{}, func(Response, error) { t.Error("onReply after a failed Start") }); !errors.Is(err, ErrClosed) {
		t.Errorf("Start on a closed connection: %v", err)
	}

	c = dialPush(t)
	_, err := c.DoWith(context.Background(), TypeCall, callBody("garbage"), RequestOptions{OnPush: func([]byte) {}})
	if !errors.Is(err, ErrClosed) {
		t.Errorf("malformed push: %v", err)
	}
}

// TestPushAgainstTarantool checks box.session.push of real Tarantool.
func TestPushAgainstTarantool(t *testing.T) {
	c := dial(t, Options{})
	ctx := context.Background()
	var got []any
	on := RequestOptions{OnPush: func(d []byte) {
		v, _, err := msgpack.Decode(d)
		if err != nil {
			t.Error(err)
		}
		got = append(got, v)
	}}
	resp, err := c.DoWith(ctx, TypeEval, newBody(2).str(proto.KeyExpr,
		"for i = 1, 3 do box.session.push({i, 'm' .. i}) end box.session.push(nil) return 'final'").
		array(proto.KeyTuple, nil).b, on)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := resp.Data()
	want := []any{[]any{uint64(1), "m1"}, []any{uint64(2), "m2"}, []any{uint64(3), "m3"}, nil}
	if !reflect.DeepEqual(data, []any{"final"}) || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v then %v, want %v then [final]", got, data, want)
	}
	got = nil
	_, err = c.DoWith(ctx, TypeEval, newBody(2).str(proto.KeyExpr,
		"box.session.push(1) box.error(box.error.PROC_LUA, 'after push')").array(proto.KeyTuple, nil).b, on)
	if CodeOf(err) != uint32(boxerr.ER_PROC_LUA) || fmt.Sprint(got) != "[1]" {
		t.Errorf("push then error: %v after %v", err, got)
	}
}

// FuzzPushData feeds arbitrary chunk bodies to PushData: it returns a
// value that is one whole msgpack object, or an error, never panics.
func FuzzPushData(f *testing.F) {
	f.Add(msgpack.MustAppend(nil, map[uint64]any{proto.KeyData: []any{uint64(1)}}))
	f.Add(msgpack.MustAppend(nil, map[uint64]any{proto.KeyData: []any{}}))
	f.Add(msgpack.MustAppend(nil, map[uint64]any{proto.KeyData: "x"}))
	f.Add([]byte{0x81, 0x30, 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0x30, 0x91})
	f.Add([]byte{0x91, 0x01})
	f.Fuzz(func(t *testing.T, body []byte) {
		data, err := PushData(body)
		if err != nil {
			return
		}
		if n, err := msgpack.Skip(data); err != nil || n != len(data) {
			t.Fatalf("PushData(%x) = %x, not one value", body, data)
		}
	})
}
