// Command spindle runs a Spindle instance from a Tarantool-style instance
// file, as `tarantool FILE.lua` does, and hosts the operator tools.
//
//	spindle demo                 a master and a replica on this machine
//	spindle                      interactive console
//	spindle FILE.lua [args...]   run an instance file
//	spindle -e 'lua code'        run a chunk of Lua
//	spindle connect URI          console to a running instance
//	spindle cat FILE...          print the rows of .xlog/.snap files
//	spindle play URI FILE...     replay the rows of .xlog/.snap files
//	spindle bench URI [flags]    load generator (see spindle bench -h)
//	spindle version              print the version
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"sync"

	"github.com/spindledb/spindle/internal/bench"
	"github.com/spindledb/spindle/internal/gcpacer"
	"github.com/spindledb/spindle/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  spindle demo [-once]         run a master and a replica on this machine
  spindle                      interactive console
  spindle FILE.lua [args...]   run an instance file
  spindle -e 'lua code'        run a chunk of Lua
  spindle connect URI          console to a running instance
  spindle cat FILE... [opts]   print the rows of .xlog/.snap files
  spindle play URI FILE...     replay the rows of .xlog/.snap files into an instance
  spindle bench URI [flags]    run a load against an instance
  spindle version              print the version
`)
}

func run(args []string) int {
	if len(args) == 0 {
		return runConsole()
	}
	switch args[0] {
	case "version", "-v", "--version", "-V":
		fmt.Printf("Spindle %s (Tarantool %s compatible)\n", server.FullVersion, server.Version)
		return 0
	case "-h", "--help", "help":
		usage()
		return 0
	case "bench":
		return bench.Main(args[1:], os.Stdout, os.Stderr)
	case "demo":
		return demoMain(args[1:])
	case "cat":
		return catMain(args[1:])
	case "play":
		return playMain(args[1:])
	case "connect":
		if len(args) != 2 {
			usage()
			return 1
		}
		if err := server.Connect(args[1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "-e":
		if len(args) < 2 {
			usage()
			return 1
		}
		return runScript("", args[1], "(command line)")
	}
	return runScript(args[0], "", "", args[1:]...)
}

// runConsole is `spindle` with no arguments: the interactive console on
// a terminal; otherwise standard input is the instance file, as with
// `tarantool < script.lua`.
func runConsole() int {
	if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		src, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return runScript("", string(src), "stdin")
	}
	gcpacer.Start()
	s, err := server.New(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.RunConsole(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runScript runs an instance file (path), or a chunk named name.
func runScript(path, chunk, name string, args ...string) int {
	gcpacer.Start()
	s, err := server.New(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stopProfiles, err := startProfiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopProfiles()
	s.AtExit = stopProfiles
	if path == "" {
		err = s.RunString(chunk, name)
	} else {
		if _, statErr := os.Stat(path); statErr != nil {
			fmt.Fprintf(os.Stderr, "spindle: can't open script %s: %v\n", path, statErr)
			return 1
		}
		err = s.RunFile(path, args)
	}
	if err != nil {
		return 1
	}
	return 0
}

// startProfiles starts the profiles the environment asks for; the
// function it returns writes them out (once, whichever of a return from
// the script and os.exit comes first).
//
// SPINDLE_CPUPROFILE=FILE records a CPU profile, SPINDLE_MEMPROFILE=FILE
// the allocations made until the process stops (`go tool pprof
// -sample_index=alloc_space`), SPINDLE_TRACE=FILE an execution trace
// (`go tool trace`): which goroutine ran when, on which processor, and
// what it waited for.
func startProfiles() (func(), error) {
	var stops []func()
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	// The recorders that stream to their file while the process runs.
	for _, r := range []struct {
		env   string
		start func(io.Writer) error
		stop  func()
	}{
		{"SPINDLE_TRACE", trace.Start, trace.Stop},
		{"SPINDLE_CPUPROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile},
	} {
		path := os.Getenv(r.env)
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err == nil {
			if err = r.start(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, func() {
			r.stop()
			f.Close()
		})
	}
	if path := os.Getenv("SPINDLE_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			if err := writeHeapProfile(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		})
	}
	var once sync.Once
	return func() { once.Do(stopAll) }, nil
}

// writeHeapProfile writes the heap profile (live and allocated since the
// start) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
