package decimal

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGolden replays testdata/golden.txt, operations Tarantool 2.6
// computed (testdata/gen.lua), and compares every result with its exact
// representation (the MessagePack encoding) or its failure.
func TestGolden(t *testing.T) {
	f, err := os.Open("testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, failures := 0, 0
	fail := func(format string, args ...any) {
		t.Helper()
		failures++
		if failures <= 400 {
			t.Errorf("line %d: "+format, append([]any{line}, args...)...)
		}
	}
	parse := func(s string) *Decimal {
		d, ok := Parse(s)
		if !ok {
			fail("operand %q does not parse", s)
		}
		return d
	}
	enc := func(d *Decimal, ok bool) string {
		if !ok {
			return "ERR"
		}
		return hex.EncodeToString(d.AppendMsgpack(nil))
	}
	counts := map[string]int{}
	for sc.Scan() {
		line++
		fs := strings.Split(sc.Text(), "\t")
		op, want := fs[0], fs[len(fs)-1]
		counts[op]++
		var got string
		switch op {
		case "new":
			got = enc(Parse(fs[1]))
		case "prec":
			d := parse(fs[1])
			if d == nil {
				continue
			}
			got = strconv.Itoa(d.Precision()) + "\t" + strconv.Itoa(d.Scale())
			want = fs[2] + "\t" + fs[3]
		case "double":
			x, err := strconv.ParseFloat(fs[1], 64)
			if err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
			got = enc(FromFloat64(x))
		case "add", "sub", "mul", "div", "mod", "pow", "cmp":
			a, b := parse(fs[1]), parse(fs[2])
			if a == nil || b == nil {
				continue
			}
			switch op {
			case "add":
				got = enc(Add(a, b))
			case "sub":
				got = enc(Sub(a, b))
			case "mul":
				got = enc(Mul(a, b))
			case "div":
				got = enc(Div(a, b))
			case "mod":
				got = enc(Rem(a, b))
			case "pow":
				got = enc(Pow(a, b))
			case "cmp":
				c := Compare(a, b)
				got = strconv.FormatBool(c < 0) + "\t" + strconv.FormatBool(c == 0) + "\t" + strconv.FormatBool(c <= 0)
				want = strings.Join(fs[3:], "\t")
			}
		case "minus", "abs", "sqrt", "exp", "ln", "log10", "trim":
			a := parse(fs[1])
			if a == nil {
				continue
			}
			switch op {
			case "minus":
				got = enc(a.Minus(), true)
			case "abs":
				got = enc(a.Abs(), true)
			case "sqrt":
				got = enc(a.Sqrt())
			case "exp":
				got = enc(a.Exp())
			case "ln":
				got = enc(a.Ln())
			case "log10":
				got = enc(a.Log10())
			case "trim":
				got = enc(a.Trim(), true)
			}
		case "round", "rescale":
			a := parse(fs[1])
			if a == nil {
				continue
			}
			n, _ := strconv.Atoi(fs[2])
			if op == "round" {
				got = enc(a.Round(n), true)
			} else {
				got = enc(a.Rescale(n), true)
			}
		default:
			t.Fatalf("line %d: unknown operation %q", line, op)
		}
		if got != want {
			fail("%s: got %s, want %s", strings.Join(fs[:len(fs)-1], " "), got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if failures > 0 {
		t.Errorf("%d of %d lines differ (%v)", failures, line, counts)
	}
}
