package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
)

const usage = `usage: spindle bench [flags] URI

Drives one IPROTO server (Spindle or Tarantool) with a request mix and
reports throughput, latency percentiles and errors by code.

URI is host:port, port, user:password@host:port or unix/:/path.

flags:
`

// Main runs the bench command with args (without the program and
// subcommand names) and returns the process exit status: 0 on success,
// 1 when the run fails or no request succeeds, 2 on bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var cfg Config
	var mix string
	var asJSON bool
	fs.IntVar(&cfg.Conns, "c", 4, "connections")
	fs.IntVar(&cfg.Pipeline, "p", 16, "requests in flight per connection")
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, "run duration (0: run until -n requests)")
	fs.Int64Var(&cfg.Ops, "n", 0, "total requests (0: no limit)")
	fs.StringVar(&mix, "mix", "replace=50,select=50", "request mix: op=weight,... with ops "+joinKinds())
	fs.Uint64Var(&cfg.Keys, "keys", 100000, "key space: keys are drawn uniformly from [1, keys]")
	fs.StringVar(&cfg.Space, "space", "bench", "space name or id")
	fs.BoolVar(&cfg.Create, "create", false, "create the space (with a TREE primary key on field 1) if it does not exist")
	fs.IntVar(&cfg.Payload, "payload", 16, "payload string size in bytes")
	fs.StringVar(&cfg.User, "user", "", "user to authenticate as")
	fs.StringVar(&cfg.Password, "password", "", "password")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "connect timeout")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "key generator seed (0: from the clock)")
	fs.StringVar(&cfg.Function, "fn", "bench_nop", "global function the call op invokes, with the key as its argument")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "spindle bench: want exactly one server URI")
		fs.Usage()
		return 2
	}
	cfg.URI = fs.Arg(0)
	var err error
	if cfg.Mix, err = ParseMix(mix); err != nil {
		fmt.Fprintf(stderr, "spindle bench: -mix: %v\n", err)
		return 2
	}
	if cfg.Conns <= 0 || cfg.Pipeline <= 0 || cfg.Ops < 0 || cfg.Duration < 0 || cfg.Keys == 0 {
		fmt.Fprintln(stderr, "spindle bench: -c, -p and -keys must be positive, -n and -d not negative")
		return 2
	}
	if cfg.Duration == 0 && cfg.Ops == 0 {
		fmt.Fprintln(stderr, "spindle bench: one of -d and -n must bound the run")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "spindle bench: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.JSON()); err != nil {
			fmt.Fprintf(stderr, "spindle bench: %v\n", err)
			return 1
		}
	} else {
		res.WriteTable(stdout)
	}
	if res.Ops > 0 && res.Errors == res.Ops {
		return 1
	}
	return 0
}

func joinKinds() string {
	s := make([]string, len(opKinds))
	for i, k := range opKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// WriteTable prints the human-readable report.
func (r Result) WriteTable(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "spindle bench: %s, space %s (id %d), %d conns x %d in flight, %d keys, %.2fs\n",
		redact(c.URI), c.Space, r.SpaceID, c.Conns, c.Pipeline, c.Keys, r.Elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tops\tops/s\terrors\tmean\tp50\tp99\tp99.9\tmax\t")
	row := func(name string, s OpStats) {
		rate := 0.0
		if r.Elapsed > 0 {
			rate = float64(s.Ops) / r.Elapsed.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t%s\t\n", name, s.Ops, rate, s.Errors,
			fmtDur(s.Mean), fmtDur(s.P50), fmtDur(s.P99), fmtDur(s.P999), fmtDur(s.Max))
	}
	for _, m := range c.Mix {
		row(string(m.Op), r.PerOp[m.Op])
	}
	row("total", r.Total)
	tw.Flush()
	for _, code := range r.sortedCodes() {
		name := "transport"
		if code != 0 {
			name = boxerr.Code(code).Name()
		}
		fmt.Fprintf(w, "errors: code %d (%s): %d, first: %s\n", code, name, r.ErrorsByCode[code], r.FirstError[code])
	}
}

// fmtDur prints a latency with three significant digits in µs or ms.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// JSONStats is OpStats with latencies in microseconds.
type JSONStats struct {
	Ops    int64   `json:"ops"`
	OpsSec float64 `json:"ops_per_sec"`
	Errors int64   `json:"errors"`
	MeanUS float64 `json:"mean_us"`
	P50US  float64 `json:"p50_us"`
	P99US  float64 `json:"p99_us"`
	P999US float64 `json:"p999_us"`
	MaxUS  float64 `json:"max_us"`
}

// JSONResult is the -json output.
type JSONResult struct {
	URI          string               `json:"uri"`
	Space        string               `json:"space"`
	SpaceID      uint32               `json:"space_id"`
	Conns        int                  `json:"conns"`
	Pipeline     int                  `json:"pipeline"`
	Keys         uint64               `json:"keys"`
	ElapsedSec   float64              `json:"elapsed_sec"`
	Total        JSONStats            `json:"total"`
	Ops          map[string]JSONStats `json:"ops"`
	ErrorsByCode map[string]int64     `json:"errors_by_code"`
	FirstError   map[string]string    `json:"first_error,omitempty"`
}

// JSON converts the result for -json output; error codes become string
// keys because JSON objects need them.
func (r Result) JSON() JSONResult {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	conv := func(s OpStats) JSONStats {
		rate := 0.0
		if r.Elapsed > 0 {
			rate = float64(s.Ops) / r.Elapsed.Seconds()
		}
		return JSONStats{Ops: s.Ops, OpsSec: rate, Errors: s.Errors, MeanUS: us(s.Mean), P50US: us(s.P50),
			P99US: us(s.P99), P999US: us(s.P999), MaxUS: us(s.Max)}
	}
	j := JSONResult{URI: redact(r.Config.URI), Space: r.Config.Space, SpaceID: r.SpaceID, Conns: r.Config.Conns,
		Pipeline: r.Config.Pipeline, Keys: r.Config.Keys, ElapsedSec: r.Elapsed.Seconds(), Total: conv(r.Total),
		Ops: map[string]JSONStats{}, ErrorsByCode: map[string]int64{}, FirstError: map[string]string{}}
	for op, s := range r.PerOp {
		j.Ops[string(op)] = conv(s)
	}
	for code, n := range r.ErrorsByCode {
		j.ErrorsByCode[fmt.Sprint(code)] = n
		j.FirstError[fmt.Sprint(code)] = r.FirstError[code]
	}
	return j
}

// redact hides the password of a URI with credentials.
func redact(uri string) string {
	at := strings.LastIndexByte(uri, '@')
	if at < 0 {
		return uri
	}
	user, _, _ := strings.Cut(uri[:at], ":")
	return user + "@" + uri[at+1:]
}
