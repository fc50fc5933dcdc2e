package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/proto/tarantooltest"
)

// addr is the real Tarantool the tests run against; empty when the
// binary is absent.
var addr string

const testSpace = 512

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if !tarantooltest.Available() {
		return m.Run() // every test skips
	}
	dir, err := os.MkdirTemp("", "client-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	in, err := tarantooltest.Start(dir, `
box.schema.user.create('x', {password = 'secret'})
box.schema.user.grant('x', 'read,write,execute,create,alter,drop', 'universe')
box.schema.user.grant('guest', 'read,write,execute', 'universe')
local s = box.schema.space.create('test', {id = 512, format = {{name = 'id', type = 'unsigned'}, {name = 'name', type = 'string'}, {name = 'n', type = 'unsigned', is_nullable = true}}})
s:create_index('pk')
s:create_index('by_name', {parts = {2, 'string'}, unique = false})
function sum(a, b) return a + b end
function multi() return 1, 'two', {3} end
function fail() box.error(box.error.PROC_LUA, 'custom failure') end
function slow(t) require('fiber').sleep(t) return t end`)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer in.Stop()
	addr = in.Addr
	return m.Run()
}

func dial(t *testing.T, opts Options) *Conn {
	t.Helper()
	if addr == "" {
		t.Skip(tarantooltest.SkipMessage)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	c, err := Dial(context.Background(), addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGreetingAndPing(t *testing.T) {
	c := dial(t, Options{})
	g := c.Greeting()
	if g.Version != "2.6.0" || g.VersionID != 0x20600 || len(g.UUID) != 36 {
		t.Fatalf("greeting %+v", g)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.SchemaVersion() == 0 {
		t.Fatal("no schema version seen")
	}
}

func TestAuth(t *testing.T) {
	c := dial(t, Options{User: "x", Password: "secret"})
	res, err := c.Eval(context.Background(), "return box.session.user()", nil)
	if err != nil || len(res) != 1 || res[0] != "x" {
		t.Fatalf("session user %v %v", res, err)
	}
	_, err = Dial(context.Background(), addr, Options{User: "x", Password: "wrong", Timeout: 5 * time.Second})
	var e *Error
	if !errors.As(err, &e) || e.Code != 47 || e.Message != "Incorrect password supplied for user 'x'" {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = Dial(context.Background(), addr, Options{User: "nobody", Password: "pw", Timeout: 5 * time.Second})
	if CodeOf(err) != 45 || err.Error() != "User 'nobody' is not found" {
		t.Fatalf("unknown user: %v", err)
	}
	// Credentials in the URI.
	c2, err := Dial(context.Background(), "x:secret@"+addr, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

func TestCRUD(t *testing.T) {
	c := dial(t, Options{})
	ctx := context.Background()
	if _, err := c.Eval(ctx, "box.space.test:truncate()", nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.Insert(ctx, testSpace, []any{1, "one"})
	if err != nil || fmt.Sprint(got) != "[[1 one]]" {
		t.Fatalf("insert: %v %v", got, err)
	}
	_, err = c.Insert(ctx, testSpace, []any{1, "again"})
	var e *Error
	if !errors.As(err, &e) || e.Code != 3 || e.Message != "Duplicate key exists in unique index 'pk' in space 'test'" {
		t.Fatalf("duplicate insert: %v", err)
	}
	if got, err = c.Replace(ctx, testSpace, []any{2, "two"}); err != nil || fmt.Sprint(got) != "[[2 two]]" {
		t.Fatalf("replace: %v %v", got, err)
	}
	if got, err = c.Update(ctx, testSpace, 0, []any{2}, []any{[]any{"=", 2, "TWO"}, []any{"=", 3, 7}}); err != nil ||
		fmt.Sprint(got) != "[[2 TWO 7]]" {
		t.Fatalf("update: %v %v", got, err)
	}
	if got, err = c.Update(ctx, testSpace, 0, []any{99}, []any{[]any{"=", 2, "x"}}); err != nil || len(got) != 0 {
		t.Fatalf("update of missing key: %v %v", got, err)
	}
	if got, err = c.Upsert(ctx, testSpace, []any{3, "three", 1}, []any{[]any{"+", 3, 1}}); err != nil || len(got) != 0 {
		t.Fatalf("upsert insert: %v %v", got, err)
	}
	if _, err = c.Upsert(ctx, testSpace, []any{3, "three", 1}, []any{[]any{"+", 3, 10}}); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Select(ctx, testSpace, 0, 0, 10, IterEq, []any{3}); err != nil || fmt.Sprint(got) != "[[3 three 11]]" {
		t.Fatalf("select after upsert: %v %v", got, err)
	}
	if got, err = c.Select(ctx, testSpace, 0, 0, 10, IterAll, nil); err != nil || len(got) != 3 {
		t.Fatalf("select all: %v %v", got, err)
	}
	if got, err = c.Select(ctx, testSpace, 0, 1, 1, IterGe, []any{1}); err != nil || fmt.Sprint(got) != "[[2 TWO 7]]" {
		t.Fatalf("select offset/limit: %v %v", got, err)
	}
	if got, err = c.Select(ctx, testSpace, 0, 0, 10, IterLe, []any{2}); err != nil || fmt.Sprint(got) != "[[2 TWO 7] [1 one]]" {
		t.Fatalf("select LE: %v %v", got, err)
	}
	if got, err = c.Select(ctx, testSpace, 1, 0, 10, IterEq, []any{"one"}); err != nil || fmt.Sprint(got) != "[[1 one]]" {
		t.Fatalf("select by secondary: %v %v", got, err)
	}
	if got, err = c.Delete(ctx, testSpace, 0, []any{1}); err != nil || fmt.Sprint(got) != "[[1 one]]" {
		t.Fatalf("delete: %v %v", got, err)
	}
	if got, err = c.Delete(ctx, testSpace, 0, []any{1}); err != nil || len(got) != 0 {
		t.Fatalf("delete missing: %v %v", got, err)
	}
	if _, err = c.Select(ctx, 9999, 0, 0, 1, IterEq, nil); CodeOf(err) != 36 || err.Error() != "Space '9999' does not exist" {
		t.Fatalf("no such space: %v", err)
	}
	if _, err = c.Insert(ctx, testSpace, []any{"str", "x"}); CodeOf(err) != 23 {
		t.Fatalf("type mismatch: %v", err)
	}
	if _, err = c.Insert(ctx, testSpace, []any{make(chan int)}); err == nil {
		t.Fatal("unencodable tuple accepted")
	}
}

func TestCallEval(t *testing.T) {
	c := dial(t, Options{})
	ctx := context.Background()
	if got, err := c.Call(ctx, "sum", []any{2, 3}); err != nil || fmt.Sprint(got) != "[5]" {
		t.Fatalf("call: %v %v", got, err)
	}
	if got, err := c.Call(ctx, "multi", nil); err != nil || fmt.Sprint(got) != "[1 two [3]]" {
		t.Fatalf("call multi: %v %v", got, err)
	}
	_, err := c.Call(ctx, "nosuch", nil)
	if CodeOf(err) != 33 || err.Error() != "Procedure 'nosuch' is not defined" {
		t.Fatalf("no such proc: %v", err)
	}
	_, err = c.Call(ctx, "fail", nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != 32 || e.Message != "custom failure" || e.Type != "ClientError" || e.File == "" {
		t.Fatalf("box.error: %#v", err)
	}
	if got, err := c.Eval(ctx, "return ...", []any{1, "a", -5, 1.5, true, nil}); err != nil ||
		fmt.Sprint(got) != "[1 a -5 1.5 true <nil>]" {
		t.Fatalf("eval: %v %v", got, err)
	}
	if got, err := c.Eval(ctx, "return", nil); err != nil || len(got) != 0 {
		t.Fatalf("eval nothing: %v %v", got, err)
	}
	if _, err := c.Eval(ctx, "error('boom')", nil); CodeOf(err) != 32 {
		t.Fatalf("eval error: %v", err)
	}
}

func TestDoRaw(t *testing.T) {
	c := dial(t, Options{})
	// SELECT without LIMIT: the server's decoder rejects it.
	body := newBody(2).uint(proto.KeySpaceID, testSpace).array(proto.KeyKey, nil).b
	resp, err := c.Do(context.Background(), TypeSelect, body)
	if CodeOf(err) != 69 || err.Error() != "Missing mandatory field 'limit' in request" || resp.Type != proto.TypeError|69 {
		t.Fatalf("%+v %v", resp, err)
	}
	resp, err = c.Do(context.Background(), TypePing, nil)
	if err != nil || resp.Type != proto.OK || resp.Sync == 0 || resp.SchemaVersion == 0 {
		t.Fatalf("%+v %v", resp, err)
	}
}

func TestSchemaAndNames(t *testing.T) {
	c := dial(t, Options{User: "x", Password: "secret"})
	ctx := context.Background()
	s, err := c.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Spaces["test"]
	if sp == nil || sp.ID != testSpace || sp.Engine != "memtx" || len(sp.Format) != 3 || sp.Format[2].Name != "n" ||
		!sp.Format[2].IsNullable {
		t.Fatalf("space %+v", sp)
	}
	pk, by := sp.Indexes["pk"], sp.Indexes["by_name"]
	if pk == nil || pk.ID != 0 || !pk.Unique || pk.Type != "tree" || len(pk.Parts) != 1 || pk.Parts[0].Field != 0 ||
		by == nil || by.Unique || by.Parts[0].Field != 1 || by.Parts[0].Type != "string" {
		t.Fatalf("indexes %+v %+v", pk, by)
	}
	if s.Spaces["_space"] == nil || s.SpacesByID[280] == nil {
		t.Fatal("system spaces missing")
	}
	test := c.Space("test")
	if _, err := test.Replace(ctx, []any{10, "ten"}); err != nil {
		t.Fatal(err)
	}
	if got, err := test.Select(ctx, "by_name", 0, 10, IterEq, []any{"ten"}); err != nil || fmt.Sprint(got) != "[[10 ten]]" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := c.Space("nope").Insert(ctx, []any{1}); CodeOf(err) != 36 || err.Error() != "Space 'nope' does not exist" {
		t.Fatalf("%v", err)
	}
	if _, err := test.Delete(ctx, "nope", []any{1}); CodeOf(err) != 148 {
		t.Fatalf("%v", err)
	}
	// DDL bumps the schema version; the next Schema call reloads.
	if _, err := c.Eval(ctx, "if box.space.later then box.space.later:drop() end box.schema.space.create('later', {id = 600})", nil); err != nil {
		t.Fatal(err)
	}
	if id, err := c.SpaceID(ctx, "later"); err != nil || id == 0 {
		t.Fatalf("space created later: %d %v", id, err)
	}
	if s2, _ := c.Schema(ctx); s2 == s || s2.Version == s.Version {
		t.Fatal("schema not reloaded")
	}
}

func TestPipelining(t *testing.T) {
	c := dial(t, Options{})
	ctx := context.Background()
	const workers, perWorker = 100, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				key := uint64(100000 + w*perWorker + i)
				if _, err := c.Replace(ctx, testSpace, []any{key, fmt.Sprint(w)}); err != nil {
					errs <- err
					return
				}
				got, err := c.Select(ctx, testSpace, 0, 0, 1, IterEq, []any{key})
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 1 || got[0].([]any)[0] != key || got[0].([]any)[1] != fmt.Sprint(w) {
					errs <- fmt.Errorf("worker %d got %v for key %d", w, got, key)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := c.Eval(ctx, "return box.space.test.index.pk:count(100000, {iterator = 'GE'})", nil)
	if err != nil || n[0] != uint64(workers*perWorker) {
		t.Fatalf("count %v %v", n, err)
	}
}

func TestContextAndClose(t *testing.T) {
	c := dial(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, "slow", []any{0.5}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call: %v", err)
	}
	// The connection stays usable; the late reply is dropped.
	if got, err := c.Call(context.Background(), "slow", []any{0.01}); err != nil || len(got) != 1 {
		t.Fatalf("after timeout: %v %v", got, err)
	}
	done := make(chan error)
	go func() {
		_, err := c.Call(context.Background(), "slow", []any{5})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call on close: %v", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after close: %v", err)
	}
	// Options.Timeout is the default request deadline.
	c2 := dial(t, Options{Timeout: 100 * time.Millisecond})
	if _, err := c2.Call(context.Background(), "slow", []any{1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("default timeout: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	if addr == "" {
		t.Skip(tarantooltest.SkipMessage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := Dial(ctx, "127.0.0.1:1", Options{}); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}

func TestParseURI(t *testing.T) {
	tests := []struct{ in, network, address, user, password string }{
		{"127.0.0.1:3301", "tcp", "127.0.0.1:3301", "", ""},
		{"3301", "tcp", "localhost:3301", "", ""},
		{"u:p@host:1", "tcp", "host:1", "u", "p"},
		{"u@host:1", "tcp", "host:1", "u", ""},
		{"unix/:/tmp/x.sock", "unix", "/tmp/x.sock", "", ""},
		{"a:b@unix/:/tmp/x.sock", "unix", "/tmp/x.sock", "a", "b"},
	}
	for _, tc := range tests {
		n, a, u, p := parseURI(tc.in)
		if n != tc.network || a != tc.address || u != tc.user || p != tc.password {
			t.Errorf("%s: %s %s %s %s", tc.in, n, a, u, p)
		}
	}
}

func BenchmarkPipelinedSelect(b *testing.B) {
	if addr == "" {
		b.Skip(tarantooltest.SkipMessage)
	}
	c, err := Dial(context.Background(), addr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	c.Replace(ctx, testSpace, []any{1, "one"})
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Select(ctx, testSpace, 0, 0, 1, IterEq, []any{1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
