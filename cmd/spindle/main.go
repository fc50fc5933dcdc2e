// Command spindle runs a Spindle instance from a Tarantool-style instance
// file, as `tarantool FILE.lua` does, and hosts the operator tools.
//
//	spindle FILE.lua [args...]   run an instance file
//	spindle -e 'lua code'        run a chunk of Lua
//	spindle bench URI [flags]    load generator (see spindle bench -h)
//	spindle version              print the version
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spindledb/spindle/internal/bench"
	"github.com/spindledb/spindle/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  spindle FILE.lua [args...]   run an instance file
  spindle -e 'lua code'        run a chunk of Lua
  spindle bench URI [flags]    run a load against an instance
  spindle version              print the version
`)
}

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 1
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
	case "-e":
		if len(args) < 2 {
			usage()
			return 1
		}
		return runScript("", args[1], args[2:])
	}
	return runScript(args[0], "", args[1:])
}

func runScript(path, chunk string, args []string) int {
	// SPINDLE_CPUPROFILE=FILE records a CPU profile until the process
	// stops, for `go tool pprof`.
	if prof := os.Getenv("SPINDLE_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	s, err := server.New(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if path == "" {
		err = s.RunString(chunk, args)
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
