package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindledb/spindle/client"
)

// OpKind is a request type the generator can issue.
type OpKind string

// Operation kinds accepted in a mix.
const (
	OpSelect  OpKind = "select"  // SELECT EQ by a random key, limit 1
	OpInsert  OpKind = "insert"  // INSERT [key, payload, 0]; duplicates count as errors
	OpReplace OpKind = "replace" // REPLACE [key, payload, 0]
	OpUpdate  OpKind = "update"  // UPDATE key {'+', 3, 1}
	OpUpsert  OpKind = "upsert"  // UPSERT [key, payload, 0] {'+', 3, 1}
	OpDelete  OpKind = "delete"  // DELETE key
	OpPing    OpKind = "ping"    // PING
	OpCall    OpKind = "call"    // CALL of Config.Function (default bench_nop, define it) with the key as argument
	OpEval    OpKind = "eval"    // EVAL "return ..." with the key as argument
)

var opKinds = []OpKind{OpSelect, OpInsert, OpReplace, OpUpdate, OpUpsert, OpDelete, OpPing, OpCall, OpEval}

// MixEntry is one request kind and its relative weight.
type MixEntry struct {
	Op     OpKind
	Weight int
}

// ParseMix parses "replace=50,select=40,update=10". Weights are relative
// and need not sum to 100; a kind may appear once.
func ParseMix(s string) ([]MixEntry, error) {
	var mix []MixEntry
	seen := map[OpKind]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix entry %q: want op=weight", part)
		}
		op := OpKind(strings.ToLower(strings.TrimSpace(name)))
		known := false
		for _, k := range opKinds {
			known = known || k == op
		}
		if !known {
			return nil, fmt.Errorf("mix entry %q: unknown op %q (want one of %v)", part, name, opKinds)
		}
		if seen[op] {
			return nil, fmt.Errorf("mix entry %q: %s given twice", part, op)
		}
		seen[op] = true
		weight, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || weight < 0 {
			return nil, fmt.Errorf("mix entry %q: bad weight", part)
		}
		if weight > 0 {
			mix = append(mix, MixEntry{op, weight})
		}
	}
	if len(mix) == 0 {
		return nil, errors.New("mix has no operation with a positive weight")
	}
	return mix, nil
}

// Config describes one run.
type Config struct {
	URI      string // "host:port", "user:pass@host:port", "unix/:/path"
	User     string
	Password string
	Conns    int           // connections (default 1)
	Pipeline int           // requests in flight per connection (default 1)
	Duration time.Duration // stop after this long (0: only Ops limits the run)
	Ops      int64         // stop after this many requests (0: only Duration limits it)
	Mix      []MixEntry    // default replace=50,select=50
	Keys     uint64        // keys are drawn from [1, Keys] (default 100000)
	Space    string        // space name or numeric id (default "bench")
	Create   bool          // create the space (by name) if it does not exist
	Payload  int           // payload string length in bytes (default 16)
	Timeout  time.Duration // connect timeout, and request timeout when Duration is 0 (default 10s)
	Seed     uint64        // key generator seed; 0 picks one from the clock
	Function string        // the global function "call" invokes (default bench_nop)
}

func (c *Config) defaults() error {
	if c.URI == "" {
		return errors.New("no server URI")
	}
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.Pipeline <= 0 {
		c.Pipeline = 1
	}
	if c.Duration <= 0 && c.Ops <= 0 {
		return errors.New("neither a duration nor an op count bounds the run")
	}
	if len(c.Mix) == 0 {
		c.Mix = []MixEntry{{OpReplace, 50}, {OpSelect, 50}}
	}
	if c.Keys == 0 {
		c.Keys = 100000
	}
	if c.Function == "" {
		c.Function = "bench_nop"
	}
	if c.Space == "" {
		c.Space = "bench"
	}
	if c.Payload <= 0 {
		c.Payload = 16
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	return nil
}

// OpStats is what one request kind measured. Latencies are in
// nanoseconds-precision durations.
type OpStats struct {
	Ops    int64
	Errors int64
	P50    time.Duration
	P99    time.Duration
	P999   time.Duration
	Max    time.Duration
	Mean   time.Duration
}

// Result is the outcome of a run.
type Result struct {
	Config    Config
	SpaceID   uint32
	Elapsed   time.Duration
	Ops       int64   // requests completed, failed ones included
	Errors    int64   // requests that failed
	OpsPerSec float64 // Ops / Elapsed
	Total     OpStats
	PerOp     map[OpKind]OpStats
	// ErrorsByCode counts failures by Tarantool error code; code 0 holds
	// transport failures and timeouts (no server error code).
	ErrorsByCode map[uint32]int64
	// FirstError is the text of the first failure of each code.
	FirstError map[uint32]string
}

// workerStats is owned by one worker until the run ends.
type workerStats struct {
	hist   map[OpKind]*Histogram
	ops    map[OpKind]int64
	errs   map[OpKind]int64
	codes  map[uint32]int64
	first  map[uint32]string
	closed bool
}

// Run connects, optionally creates the space, runs the load and reports.
// ctx cancels the run early; what was measured until then is returned.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	opts := client.Options{User: cfg.User, Password: cfg.Password, Timeout: cfg.Timeout}
	conns := make([]*client.Conn, 0, cfg.Conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < cfg.Conns; i++ {
		c, err := client.Dial(ctx, cfg.URI, opts)
		if err != nil {
			return Result{}, fmt.Errorf("connecting to %s: %w", cfg.URI, err)
		}
		conns = append(conns, c)
	}
	spaceID, err := prepareSpace(ctx, conns[0], cfg)
	if err != nil {
		return Result{}, err
	}

	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var issued atomic.Int64
	payload := strings.Repeat("x", cfg.Payload)
	totalWeight := 0
	for _, m := range cfg.Mix {
		totalWeight += m.Weight
	}
	workers := make([]*workerStats, cfg.Conns*cfg.Pipeline)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		ws := &workerStats{hist: map[OpKind]*Histogram{}, ops: map[OpKind]int64{}, errs: map[OpKind]int64{},
			codes: map[uint32]int64{}, first: map[uint32]string{}}
		for _, m := range cfg.Mix {
			ws.hist[m.Op] = new(Histogram)
		}
		workers[i] = ws
		w := &worker{
			conn: conns[i%cfg.Conns], cfg: &cfg, space: spaceID, payload: payload, function: cfg.Function,
			rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), totalWeight: totalWeight, stats: ws,
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(runCtx, &issued)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return summarize(cfg, spaceID, elapsed, workers), nil
}

// prepareSpace creates the space if asked and resolves its id.
func prepareSpace(ctx context.Context, c *client.Conn, cfg Config) (uint32, error) {
	id, numErr := strconv.ParseUint(cfg.Space, 10, 32)
	isID := numErr == nil
	if cfg.Create {
		if isID {
			return 0, fmt.Errorf("-create needs a space name, not id %s", cfg.Space)
		}
		const create = `local name = ...
local s = box.schema.space.create(name, {if_not_exists = true})
s:create_index('pk', {if_not_exists = true, parts = {1, 'unsigned'}})
return s.id`
		res, err := c.Eval(ctx, create, []any{cfg.Space})
		if err != nil {
			return 0, fmt.Errorf("creating space %q: %w", cfg.Space, err)
		}
		if len(res) == 1 {
			if v, ok := res[0].(uint64); ok {
				return uint32(v), nil
			}
		}
		return 0, fmt.Errorf("creating space %q: unexpected reply %v", cfg.Space, res)
	}
	if isID {
		return uint32(id), nil
	}
	sid, err := c.SpaceID(ctx, cfg.Space)
	if err != nil {
		return 0, fmt.Errorf("space %q: %w", cfg.Space, err)
	}
	return sid, nil
}

type worker struct {
	conn        *client.Conn
	cfg         *Config
	space       uint32
	payload     string
	function    string
	rng         *rand.Rand
	totalWeight int
	stats       *workerStats
}

func (w *worker) pick() OpKind {
	n := w.rng.IntN(w.totalWeight)
	for _, m := range w.cfg.Mix {
		if n < m.Weight {
			return m.Op
		}
		n -= m.Weight
	}
	return w.cfg.Mix[len(w.cfg.Mix)-1].Op
}

func (w *worker) loop(ctx context.Context, issued *atomic.Int64) {
	for ctx.Err() == nil {
		if w.cfg.Ops > 0 && issued.Add(1) > w.cfg.Ops {
			return
		}
		op := w.pick()
		key := 1 + w.rng.Uint64N(w.cfg.Keys)
		t0 := time.Now()
		err := w.do(ctx, op, key)
		d := time.Since(t0)
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return // cut off by the end of the run, not a failure
		}
		w.stats.hist[op].RecordDuration(d)
		w.stats.ops[op]++
		if err != nil {
			w.stats.errs[op]++
			code := client.CodeOf(err)
			w.stats.codes[code]++
			if _, ok := w.stats.first[code]; !ok {
				w.stats.first[code] = err.Error()
			}
			if errors.Is(err, client.ErrClosed) {
				w.stats.closed = true
				return
			}
		}
	}
}

func (w *worker) do(ctx context.Context, op OpKind, key uint64) error {
	c, sp := w.conn, w.space
	var err error
	switch op {
	case OpSelect:
		_, err = c.Select(ctx, sp, 0, 0, 1, client.IterEq, []any{key})
	case OpInsert:
		_, err = c.Insert(ctx, sp, []any{key, w.payload, uint64(0)})
	case OpReplace:
		_, err = c.Replace(ctx, sp, []any{key, w.payload, uint64(0)})
	case OpUpdate:
		_, err = c.Update(ctx, sp, 0, []any{key}, []any{[]any{"+", 3, 1}})
	case OpUpsert:
		_, err = c.Upsert(ctx, sp, []any{key, w.payload, uint64(0)}, []any{[]any{"+", 3, 1}})
	case OpDelete:
		_, err = c.Delete(ctx, sp, 0, []any{key})
	case OpPing:
		err = c.Ping(ctx)
	case OpCall:
		_, err = c.Call(ctx, w.function, []any{key})
	case OpEval:
		_, err = c.Eval(ctx, "return ...", []any{key})
	}
	return err
}

func statsOf(h *Histogram, ops, errs int64) OpStats {
	return OpStats{
		Ops: ops, Errors: errs,
		P50: time.Duration(h.Quantile(0.5)), P99: time.Duration(h.Quantile(0.99)),
		P999: time.Duration(h.Quantile(0.999)), Max: time.Duration(h.Max()),
		Mean: time.Duration(h.Mean()),
	}
}

func summarize(cfg Config, spaceID uint32, elapsed time.Duration, workers []*workerStats) Result {
	r := Result{Config: cfg, SpaceID: spaceID, Elapsed: elapsed, PerOp: map[OpKind]OpStats{},
		ErrorsByCode: map[uint32]int64{}, FirstError: map[uint32]string{}}
	var total Histogram
	for _, m := range cfg.Mix {
		var h Histogram
		var ops, errs int64
		for _, w := range workers {
			h.Merge(w.hist[m.Op])
			ops += w.ops[m.Op]
			errs += w.errs[m.Op]
		}
		total.Merge(&h)
		r.PerOp[m.Op] = statsOf(&h, ops, errs)
		r.Ops += ops
		r.Errors += errs
	}
	for _, w := range workers {
		for code, n := range w.codes {
			r.ErrorsByCode[code] += n
		}
		for code, msg := range w.first {
			if _, ok := r.FirstError[code]; !ok {
				r.FirstError[code] = msg
			}
		}
	}
	r.Total = statsOf(&total, r.Ops, r.Errors)
	if elapsed > 0 {
		r.OpsPerSec = float64(r.Ops) / elapsed.Seconds()
	}
	return r
}

// sortedCodes lists the error codes of r in ascending order.
func (r Result) sortedCodes() []uint32 {
	codes := make([]uint32, 0, len(r.ErrorsByCode))
	for c := range r.ErrorsByCode {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	return codes
}
