package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/proto/tarantooltest"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in   string
		want []MixEntry
		err  string
	}{
		{in: "replace=50,select=40,update=10", want: []MixEntry{{OpReplace, 50}, {OpSelect, 40}, {OpUpdate, 10}}},
		{in: " PING=1 , delete=0,", want: []MixEntry{{OpPing, 1}}},
		{in: "select", err: "want op=weight"},
		{in: "drop=1", err: "unknown op"},
		{in: "select=1,select=2", err: "given twice"},
		{in: "select=-1", err: "bad weight"},
		{in: "select=x", err: "bad weight"},
		{in: "select=0", err: "no operation"},
		{in: "", err: "no operation"},
	}
	for _, tc := range tests {
		got, err := ParseMix(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%q: %v %v", tc.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %v", tc.in, got)
			}
		}
	}
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "want exactly one server URI"},
		{[]string{"a:1", "b:2"}, 2, "want exactly one server URI"},
		{[]string{"-mix", "bogus=1", "a:1"}, 2, "unknown op"},
		{[]string{"-c", "0", "a:1"}, 2, "must be positive"},
		{[]string{"-d", "0", "a:1"}, 2, "one of -d and -n"},
		{[]string{"-nosuchflag", "a:1"}, 2, "flag provided but not defined"},
		{[]string{"-h"}, 0, "usage: spindle bench"},
		{[]string{"-d", "1s", "-timeout", "1s", "127.0.0.1:1"}, 1, "connecting to 127.0.0.1:1"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		if code := Main(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: code %d, stderr %q; want %d, %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{"u:secret@h:1": "u@h:1", "h:1": "h:1", "u@h:1": "u@h:1"} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q", in, got)
		}
	}
}

func startTarantool(t *testing.T) string {
	t.Helper()
	if !tarantooltest.Available() {
		t.Skip(tarantooltest.SkipMessage)
	}
	in, err := tarantooltest.Start(t.TempDir(), `
box.schema.user.create('bench', {password = 'pw'})
box.schema.user.grant('bench', 'read,write,execute,create', 'universe')`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	return in.Addr
}

// TestRunAgainstTarantool runs the generator for one second against a
// real Tarantool through Main, as `spindle bench` does.
func TestRunAgainstTarantool(t *testing.T) {
	addr := startTarantool(t)
	var out, errb bytes.Buffer
	args := []string{"-c", "2", "-p", "8", "-d", "1s", "-keys", "1000", "-create", "-space", "bench",
		"-mix", "replace=50,select=30,update=10,insert=10", "-user", "bench", "-password", "pw", "-json", addr}
	if code := Main(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var j JSONResult
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatalf("bad json %v: %s", err, out.String())
	}
	if j.ElapsedSec < 0.9 || j.ElapsedSec > 3 {
		t.Errorf("elapsed %v", j.ElapsedSec)
	}
	if j.Total.Ops < 100 || j.Total.OpsSec <= 0 || j.Total.P50US <= 0 || j.Total.P99US < j.Total.P50US ||
		j.Total.P999US < j.Total.P99US || j.Total.MaxUS < j.Total.P999US {
		t.Errorf("implausible totals %+v", j.Total)
	}
	var sum int64
	for _, op := range []string{"replace", "select", "update", "insert"} {
		s, ok := j.Ops[op]
		if !ok || s.Ops == 0 {
			t.Errorf("op %s missing: %+v", op, j.Ops)
		}
		sum += s.Ops
	}
	if sum != j.Total.Ops {
		t.Errorf("per-op sum %d != total %d", sum, j.Total.Ops)
	}
	// With 1000 keys and replaces running, inserts of existing keys fail
	// with ER_TUPLE_FOUND, and only those fail.
	if j.ErrorsByCode["3"] == 0 || len(j.ErrorsByCode) != 1 || j.Ops["insert"].Errors != j.ErrorsByCode["3"] ||
		!strings.Contains(j.FirstError["3"], "Duplicate key exists") {
		t.Errorf("errors %v %v", j.ErrorsByCode, j.FirstError)
	}
	if j.Total.Errors != j.ErrorsByCode["3"] {
		t.Errorf("total errors %d", j.Total.Errors)
	}

	// Human table, op-count bound, space by id and URI credentials.
	out.Reset()
	errb.Reset()
	args = []string{"-c", "1", "-p", "4", "-d", "0", "-n", "500", "-space", "512", "-mix", "select=1,ping=1", "bench:pw@" + addr}
	if code := Main(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{"space 512 (id 512)", "bench@127.0.0.1", "p99.9", "select", "ping", "total"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "pw@") {
		t.Errorf("password printed:\n%s", text)
	}
}

func TestRunErrors(t *testing.T) {
	addr := startTarantool(t)
	ctx := context.Background()
	_, err := Run(ctx, Config{URI: addr, User: "bench", Password: "pw", Space: "missing", Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "Space 'missing' does not exist") {
		t.Fatalf("missing space: %v", err)
	}
	_, err = Run(ctx, Config{URI: addr, User: "bench", Password: "wrong", Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "Incorrect password supplied for user 'bench'") {
		t.Fatalf("bad password: %v", err)
	}
	_, err = Run(ctx, Config{URI: addr, User: "bench", Password: "pw", Space: "512", Create: true, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "needs a space name") {
		t.Fatalf("create by id: %v", err)
	}
	// Every request failing (no such space 9999) is exit status 1, with
	// the failures counted under ER_NO_SUCH_SPACE.
	res, err := Run(ctx, Config{URI: addr, User: "bench", Password: "pw", Space: "9999", Ops: 50, Mix: []MixEntry{{OpSelect, 1}}})
	if err != nil || res.Ops != 50 || res.Errors != 50 || res.ErrorsByCode[36] != 50 {
		t.Fatalf("%+v %v", res, err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"-n", "10", "-d", "0", "-space", "9999", "-user", "bench", "-password", "pw", addr}, &out, &errb); code != 1 ||
		!strings.Contains(out.String(), "ER_NO_SUCH_SPACE") {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
}
