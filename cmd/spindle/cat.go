package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spindledb/spindle/client"
	"github.com/spindledb/spindle/internal/decimal"
	"github.com/spindledb/spindle/internal/luabox"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

// rowFilter selects rows as tarantoolctl cat/play options do.
type rowFilter struct {
	spaces     map[uint64]bool
	replicas   map[uint64]bool
	from, to   int64
	showSystem bool
}

type multiFlag map[uint64]bool

func (m multiFlag) String() string { return "" }
func (m multiFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return err
	}
	m[v] = true
	return nil
}

func (f *rowFilter) register(fs *flag.FlagSet) {
	f.spaces, f.replicas = map[uint64]bool{}, map[uint64]bool{}
	fs.Var(multiFlag(f.spaces), "space", "show only rows of this space id (repeatable)")
	fs.Var(multiFlag(f.replicas), "replica", "show only rows of this replica id (repeatable)")
	fs.Int64Var(&f.from, "from", 0, "show rows with lsn >= from")
	fs.Int64Var(&f.to, "to", -1, "show rows with lsn < to")
	fs.BoolVar(&f.showSystem, "show-system", false, "show rows of system spaces (ids below 512)")
}

// match reports whether a row passes the filter; space is -1 for rows
// without a space id.
func (f *rowFilter) match(r *xrow.Row, space int64) bool {
	if r.LSN < f.from || f.to >= 0 && r.LSN >= f.to { // --to is exclusive, as in tarantoolctl
		return false
	}
	if len(f.replicas) > 0 && !f.replicas[uint64(r.ReplicaID)] {
		return false
	}
	if len(f.spaces) > 0 {
		return space >= 0 && f.spaces[uint64(space)]
	}
	return f.showSystem || space < 0 || space >= 512
}

// eachRow calls fn for every row of the files, in order.
func eachRow(files []string, fn func(name string, r *xrow.Row) error) error {
	for _, name := range files {
		fmt.Fprintf(os.Stderr, "Processing file '%s'\n", name)
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		c, err := xlog.NewCursor(f, name)
		if err != nil {
			f.Close()
			return err
		}
		var row xrow.Row
		for {
			err = c.Next(&row)
			if err != nil {
				break
			}
			if err = fn(name, &row); err != nil {
				break
			}
		}
		c.Close()
		f.Close()
		if err != nil && err != io.EOF && !errors.Is(err, xlog.ErrNoEOFMarker) {
			return err
		}
	}
	return nil
}

// bodyKeys names IPROTO body keys as tarantoolctl prints them, in the
// order it prints them.
var bodyKeys = []struct {
	key  uint64
	name string
}{
	{proto.KeySpaceID, "space_id"},
	{proto.KeyIndexID, "index_id"},
	{proto.KeyOps, "operations"},
	{proto.KeyIndexBase, "index_base"},
	{proto.KeyKey, "key"},
	{proto.KeyTuple, "tuple"},
	{proto.KeyReplicaID, "replica_id"},
	{proto.KeyLSN, "lsn"},
}

type field struct {
	name string
	raw  []byte // msgpack, or nil for text
	text string
}

// rowFields lays a row out as tarantoolctl does.
func rowFields(r *xrow.Row) (header, body []field, space int64) {
	space = -1
	// Rows of multi-statement transactions carry tsn, the last one commit.
	multi := !(r.IsCommit && r.TSN == r.LSN)
	if r.LSN != 0 {
		header = append(header, field{name: "lsn", text: strconv.FormatInt(r.LSN, 10)})
		if multi && r.IsCommit {
			header = append(header, field{name: "commit", text: "true"})
		}
		if r.ReplicaID != 0 {
			header = append(header, field{name: "replica_id", text: strconv.FormatUint(uint64(r.ReplicaID), 10)})
		}
		if r.GroupID != 0 {
			header = append(header, field{name: "group_id", text: strconv.FormatUint(uint64(r.GroupID), 10)})
		}
		header = append(header, field{name: "type", text: proto.TypeName(uint32(r.Type))})
		if multi {
			header = append(header, field{name: "tsn", text: strconv.FormatInt(r.TSN, 10)})
		}
		header = append(header, field{name: "timestamp", text: luabox.FormatNumber(r.Timestamp)})
	} else {
		header = append(header, field{name: "timestamp", text: luabox.FormatNumber(r.Timestamp)},
			field{name: "type", text: proto.TypeName(uint32(r.Type))})
	}
	vals := map[uint64][]byte{}
	if cnt, pos, err := msgpack.ReadMapHeader(r.Body); err == nil {
		for i := uint32(0); i < cnt; i++ {
			k, n, err := msgpack.ReadUint(r.Body[pos:])
			if err != nil {
				break
			}
			pos += n
			n, err = msgpack.Skip(r.Body[pos:])
			if err != nil {
				break
			}
			vals[k] = r.Body[pos : pos+n]
			pos += n
		}
	}
	for _, bk := range bodyKeys {
		if v, ok := vals[bk.key]; ok {
			body = append(body, field{name: bk.name, raw: v})
			if bk.key == proto.KeySpaceID {
				if id, _, err := msgpack.ReadUint(v); err == nil {
					space = int64(id)
				}
			}
		}
	}
	return header, body, space
}

func printYAML(w io.Writer, header, body []field) {
	fmt.Fprintln(w, "---")
	section := func(title string, fs []field) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for _, f := range fs {
			v := f.text
			if f.raw != nil {
				v = luabox.FlowString(f.raw)
			}
			fmt.Fprintf(w, "  %s: %s\n", f.name, v)
		}
	}
	section("HEADER", header)
	section("BODY", body)
}

func printJSON(w io.Writer, header, body []field) error {
	var b strings.Builder
	section := func(title string, fs []field) error {
		fmt.Fprintf(&b, "%q:{", title)
		for i, f := range fs {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:", f.name)
			if f.raw == nil {
				if f.name == "type" {
					fmt.Fprintf(&b, "%q", f.text)
				} else {
					b.WriteString(f.text)
				}
				continue
			}
			v, _, err := msgpack.Decode(f.raw)
			if err != nil {
				return err
			}
			js, err := json.Marshal(jsonValue(v))
			if err != nil {
				return err
			}
			b.Write(js)
		}
		b.WriteByte('}')
		return nil
	}
	b.WriteByte('{')
	if err := section("HEADER", header); err != nil {
		return err
	}
	if len(body) > 0 {
		b.WriteByte(',')
		if err := section("BODY", body); err != nil {
			return err
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonValue makes decoded msgpack encodable by encoding/json.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = jsonValue(x[i])
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []byte:
		return string(x)
	case msgpack.ExtValue:
		// A decimal is its text, as Tarantool's json prints it.
		if x.Type == decimal.MPDecimal {
			if d, err := decimal.Unpack(x.Data); err == nil {
				return d.String()
			}
		}
	}
	return v
}

// catMain is `spindle cat FILE...`, tarantoolctl cat's equivalent.
func catMain(args []string) int {
	fs := flag.NewFlagSet("cat", flag.ContinueOnError)
	var filter rowFilter
	filter.register(fs)
	format := fs.String("format", "yaml", "output format: yaml or json")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: spindle cat FILE... [--space=N ..] [--show-system] [--from=LSN] [--to=LSN] [--replica=ID ..] [--format=yaml|json]")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil || len(files) == 0 || (*format != "yaml" && *format != "json") {
		fs.Usage()
		return 1
	}
	printed := false
	err = eachRow(files, func(_ string, r *xrow.Row) error {
		header, body, space := rowFields(r)
		if !filter.match(r, space) {
			return nil
		}
		printed = true
		if *format == "json" {
			return printJSON(os.Stdout, header, body)
		}
		printYAML(os.Stdout, header, body)
		return nil
	})
	if printed && *format == "yaml" {
		fmt.Print("...\n\n")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spindle cat:", err)
		return 1
	}
	return 0
}

// playMain is `spindle play URI FILE...`: it sends the DML rows of the
// files to a running instance as requests, as tarantoolctl play does.
func playMain(args []string) int {
	fs := flag.NewFlagSet("play", flag.ContinueOnError)
	var filter rowFilter
	filter.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: spindle play URI FILE... [--space=N ..] [--show-system] [--from=LSN] [--to=LSN] [--replica=ID ..]")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil || len(rest) < 2 {
		fs.Usage()
		return 1
	}
	ctx := context.Background()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := client.Dial(dctx, rest[0], client.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spindle play:", err)
		return 1
	}
	defer conn.Close()
	played := 0
	err = eachRow(rest[1:], func(_ string, r *xrow.Row) error {
		_, _, space := rowFields(r)
		if !proto.IsDML(uint32(r.Type)) || r.Type == proto.Select || !filter.match(r, space) {
			return nil
		}
		if _, err := conn.Do(ctx, uint32(r.Type), r.Body); err != nil {
			return fmt.Errorf("row lsn %d: %w", r.LSN, err)
		}
		played++
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "spindle play:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "played %d rows\n", played)
	return 0
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments, as tarantoolctl accepts them.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
