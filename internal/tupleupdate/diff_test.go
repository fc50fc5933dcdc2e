package tupleupdate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/msgpack"
)

// diffCase is one update sent to both Tarantool and Apply.
type diffCase struct {
	upsert bool
	tuple  []byte
	ops    []byte
}

// genValue returns a random field value, biased to the types the
// operations care about.
func genValue(r *rand.Rand, depth int) any {
	switch r.IntN(16) {
	case 0:
		return r.IntN(10)
	case 1:
		return -r.IntN(100) - 1
	case 2:
		return uint64(math.MaxUint64) - uint64(r.IntN(3))
	case 3:
		return int64(math.MinInt64) + int64(r.IntN(3))
	case 4:
		return []float64{0.5, 1.5, 0.1, -2.25, 1e300}[r.IntN(5)]
	case 5:
		return float32(r.IntN(8)) / 4
	case 6:
		return []string{"", "a", "abc", "abcdef", strings.Repeat("x", 40)}[r.IntN(5)]
	case 7:
		return nil
	case 8:
		return true
	case 9, 10:
		if depth > 1 {
			return r.IntN(5)
		}
		n := r.IntN(4)
		a := make([]any, n)
		for i := range a {
			a[i] = genValue(r, depth+1)
		}
		return a
	case 11, 12:
		if depth > 1 {
			return "s"
		}
		m := map[string]any{}
		for _, k := range []string{"x", "y", "z"}[:r.IntN(4)] {
			m[k] = genValue(r, depth+1)
		}
		return m
	case 13, 14:
		// Decimals: small, long, near the overflow and tiny.
		s := []string{"1.5", "-0.5", "0", "-0", "100", "1e2", "0.1", "9.99e37", "-9.99e37",
			"12345678901234567890123456789012345678", "1e-38", "-7.25"}[r.IntN(12)]
		d, ok := decimal.Parse(s)
		if !ok {
			panic(s)
		}
		_, data, _, _ := msgpack.ReadExt(d.AppendMsgpack(nil))
		return msgpack.ExtValue{Type: decimal.MPDecimal, Data: data}
	default:
		return 1 << 40
	}
}

var genPaths = []string{
	"[2]", "[2][1]", "[2][2]", "[2][3]", "[2].x", "[2].y", "[2].w", "b.x", "b.y", "[3].x", "[3][1]",
	"[2][1][1]", "[2].x.x", "[2].x[1]", "[3][2].y", "[1", "[2][*]", "[0]", "a", "b", "c", "d", "zz", "[2]['x']",
}

func genField(r *rand.Rand) any {
	if r.IntN(3) == 0 {
		return genPaths[r.IntN(len(genPaths))]
	}
	return r.IntN(15) - 7
}

func genOp(r *rand.Rand) []any {
	f := genField(r)
	switch r.IntN(9) {
	case 0, 1:
		return []any{[]string{"+", "-"}[r.IntN(2)], f, genValue(r, 2)}
	case 2:
		return []any{[]string{"&", "|", "^"}[r.IntN(3)], f, []any{r.IntN(16), -1, 1.5}[r.IntN(3)]}
	case 3:
		return []any{":", f, r.IntN(13) - 6, r.IntN(13) - 6, []any{"XY", "", 5}[r.IntN(3)]}
	case 4:
		return []any{"!", f, genValue(r, 1)}
	case 5:
		return []any{"#", f, []any{1, 2, 0, 100}[r.IntN(4)]}
	case 6, 7:
		return []any{"=", f, genValue(r, 1)}
	default:
		// Malformed shapes.
		return [][]any{{"+", f}, {"?", f, 1}, {}, {1, 2, 3}, {"=", 1.5, 1}}[r.IntN(5)]
	}
}

func genCases(seed uint64, n int) []diffCase {
	r := rand.New(rand.NewPCG(seed, 1))
	var cases []diffCase
	for range n {
		nf := r.IntN(6)
		tuple := make([]any, nf)
		for i := range tuple {
			tuple[i] = genValue(r, 0)
		}
		nops := 1 + r.IntN(4)
		ops := make([]any, nops)
		for i := range ops {
			ops[i] = genOp(r)
		}
		cases = append(cases, diffCase{upsert: r.IntN(4) == 0, tuple: mp(tuple), ops: mp(ops)})
	}
	return cases
}

// genArithCases makes + and - operations between numbers of every kind,
// decimals among them, on a numeric field.
func genArithCases(seed uint64, n int) []diffCase {
	r := rand.New(rand.NewPCG(seed, 2))
	num := func() any {
		for {
			switch v := genValue(r, 2); v.(type) {
			case int, int64, uint64, float32, float64, msgpack.ExtValue:
				return v
			}
		}
	}
	var cases []diffCase
	for range n {
		tuple := []any{num(), num()}
		ops := []any{[]any{[]string{"+", "-"}[r.IntN(2)], 1 + r.IntN(2), num()}}
		cases = append(cases, diffCase{upsert: r.IntN(4) == 0, tuple: mp(tuple), ops: mp(ops)})
	}
	return cases
}

// runTarantool runs testdata/diff.lua over cases and returns one result
// line per case.
func runTarantool(t *testing.T, cases []diffCase) []string {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH: differential test against Tarantool 2.6 skipped")
	}
	dir := t.TempDir()
	var in bytes.Buffer
	for _, c := range cases {
		mode := "u"
		if c.upsert {
			mode = "s"
		}
		fmt.Fprintf(&in, "%s %x %x\n", mode, c.tuple, c.ops)
	}
	casesFile := filepath.Join(dir, "cases.txt")
	if err := os.WriteFile(casesFile, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("testdata/diff.lua")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var lines []string
	for restarts := 0; len(lines) < len(cases); restarts++ {
		if restarts > 100 || time.Now().After(deadline) {
			t.Fatalf("tarantool: too many crashes or too slow (%d of %d cases done)", len(lines), len(cases))
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		cmd := exec.CommandContext(ctx, bin, script, casesFile, strconv.Itoa(len(lines)+1))
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err != nil {
			if !strings.Contains(stderr.String(), "Segmentation fault") && !strings.Contains(stderr.String(), "Assertion") {
				t.Fatalf("tarantool: %v\n%s", err, stderr.String())
			}
			// Tarantool itself crashed on this case.
			lines = append(lines, "CRASH")
		}
	}
	return lines
}

// goLine formats Apply's outcome like diff.lua does.
func goLine(c diffCase, base int) string {
	var res []byte
	var err error
	if c.upsert {
		res, err = ApplyUpsert(c.tuple, c.ops, base, testNames)
	} else {
		res, err = Apply(c.tuple, c.ops, base, testNames)
	}
	if err != nil {
		e := boxerr.From(err)
		return fmt.Sprintf("ERR %d %s", e.Code, e.Message)
	}
	return "OK " + hex.EncodeToString(res)
}

func describe(c diffCase) string {
	t, _, _ := msgpack.Decode(c.tuple)
	o, _, _ := msgpack.Decode(c.ops)
	return fmt.Sprintf("upsert=%v tuple=%v ops=%v", c.upsert, t, o)
}

func TestDifferentialTarantool(t *testing.T) {
	var cases []diffCase
	for _, c := range updateCases {
		if !c.base0 {
			cases = append(cases, diffCase{tuple: c.tuple, ops: mp(c.ops)})
		}
	}
	nTable := len(cases)
	cases = append(cases, genCases(20201020, 12000)...)
	cases = append(cases, genArithCases(20201021, 600)...)
	lines := runTarantool(t, cases)
	failures, crashes := 0, 0
	for i, c := range cases {
		if lines[i] == "CRASH" {
			crashes++
			continue
		}
		got := goLine(c, 1)
		if got != lines[i] {
			failures++
			if failures <= 15 {
				t.Errorf("case %d (%s)\n tarantool: %s\n     spindle: %s", i, describe(c), lines[i], got)
			}
		}
		if i < nTable && lines[i] == "CRASH" {
			t.Errorf("table case %d crashed tarantool", i)
		}
	}
	t.Logf("%d cases, %d crashed Tarantool 2.6 itself and were not compared", len(cases), crashes)
	if failures > 0 {
		t.Errorf("%d of %d cases differ", failures, len(cases))
	}
}

// rebase rewrites base-1 operations as the equivalent base-0 ones:
// non-negative field numbers and splice offsets shift down by one.
func rebase(ops []byte) ([]byte, bool) {
	v, _, err := msgpack.Decode(ops)
	if err != nil {
		return nil, false
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	shift := func(x any) (any, bool) {
		switch n := x.(type) {
		case uint64:
			if n == 0 {
				return nil, false // field 0 / offset 0 has no base-0 twin
			}
			return n - 1, true
		case int64:
			return n, true
		}
		return x, true
	}
	for _, o := range list {
		op, ok := o.([]any)
		if !ok || len(op) < 2 {
			continue
		}
		if op[1], ok = shift(op[1]); !ok {
			return nil, false
		}
		if name, _ := op[0].(string); name == ":" && len(op) == 5 {
			if op[2], ok = shift(op[2]); !ok {
				return nil, false
			}
		}
	}
	return mp(list), true
}

// TestIndexBaseEquivalence checks that base-0 operations behave exactly
// like the same operations written 1-based, messages included (Tarantool
// reports field numbers 1-based in both).
func TestIndexBaseEquivalence(t *testing.T) {
	for i, c := range genCases(7, 3000) {
		ops0, ok := rebase(c.ops)
		if !ok {
			continue
		}
		want := goLine(c, 1)
		got := goLine(diffCase{upsert: c.upsert, tuple: c.tuple, ops: ops0}, 0)
		if got != want {
			t.Errorf("case %d (%s)\n base 1: %s\n base 0: %s", i, describe(c), want, got)
		}
	}
}

// TestFastPathMatchesEngine checks the single-allocation fast path
// against the general engine on random updates.
func TestFastPathMatchesEngine(t *testing.T) {
	fast := 0
	for i, c := range genCases(11, 20000) {
		opt := Options{IndexBase: 1, Names: testNames}
		res, ok := opt.applyFast(c.tuple, c.ops)
		if !ok {
			continue
		}
		fast++
		list, err := opt.readOps(c.ops)
		if err != nil {
			t.Fatalf("case %d: fast path took ops the engine rejects: %v", i, err)
		}
		var root field
		newArrayField(&root, c.tuple)
		for j := range list {
			if err := doField(&list[j], &root); err != nil {
				t.Fatalf("case %d (%s): fast path succeeded, engine failed: %v", i, describe(c), err)
			}
		}
		if want := opt.finish(&root); !bytes.Equal(res, want) {
			t.Errorf("case %d (%s): fast %x, engine %x", i, describe(c), res, want)
		}
		if cap(res) != len(res) {
			t.Errorf("case %d: fast path size estimate %d, wrote %d", i, cap(res), len(res))
		}
	}
	if fast < 100 {
		t.Errorf("only %d cases took the fast path", fast)
	}
}
