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

	"github.com/spindledb/spindle/internal/bench"
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
