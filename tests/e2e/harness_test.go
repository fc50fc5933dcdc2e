package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spindledb/spindle/client"
)

// spindleBin is the binary built once for the whole package.
var spindleBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spindle-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// SPINDLE_BIN runs the tests against a binary built elsewhere (say,
	// from a clean export of a commit while the tree is being edited).
	if spindleBin = os.Getenv("SPINDLE_BIN"); spindleBin == "" {
		spindleBin = filepath.Join(dir, "spindle")
		out, err := exec.Command("go", "build", "-o", spindleBin, "../../cmd/spindle").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building spindle: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// handedOut holds every port freePort returned in this process, so that
// two members of one replica set never get one port (box.cfg refuses
// such a replication list: "duplicate connection to the same replica").
var handedOut struct {
	sync.Mutex
	ports map[int]bool
	rng   *rand.Rand
}

// freePort returns a 127.0.0.1 port that was free a moment ago and that
// no earlier call returned. It looks below the kernel's ephemeral range
// (ip_local_port_range): a port from bind(0) can be taken between this
// check and the instance's own bind by any socket of another process —
// test packages run in parallel, and every outgoing connection takes an
// ephemeral port — while ports below the range are only ever bound by
// number.
func freePort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
		handedOut.rng = rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	}
	lo, hi := 10000, ephemeralLow()
	if hi-lo < 1000 {
		lo, hi = 0, 0 // no room below the range: take what bind(0) gives
	}
	for range 1000 {
		addr := "127.0.0.1:0"
		if hi > lo {
			addr = "127.0.0.1:" + strconv.Itoa(lo+handedOut.rng.IntN(hi-lo))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no free port that was not handed out before in 1000 tries")
	return 0
}

// ephemeralLow is the lowest port the kernel hands out for bind(0) and
// outgoing connections; 32768 (Linux's default) when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

// Instance is a running server process.
type Instance struct {
	Addr    string
	Dir     string
	cmd     *exec.Cmd
	mu      sync.Mutex
	out     bytes.Buffer
	done    chan struct{}
	waitErr error
}

func (in *Instance) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.Write(p)
}

// Output returns what the process printed so far (stdout and log).
func (in *Instance) Output() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.String()
}

// Kill sends SIGKILL and waits for the process.
func (in *Instance) Kill() {
	in.cmd.Process.Kill()
	<-in.done
}

// finish ends the process at a test's cleanup and, when the test failed,
// logs its output under label. A Spindle instance still running when its
// test failed is sent SIGQUIT first, so that the output ends with the
// stacks of all its goroutines: what a hung instance was waiting for.
func (in *Instance) finish(t testing.TB, label string) {
	select {
	case <-in.done:
	default:
		if t.Failed() && filepath.Base(in.cmd.Path) == "spindle" {
			in.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-in.done:
			case <-time.After(5 * time.Second):
			}
		}
		in.Kill()
	}
	if t.Failed() {
		t.Logf("%s output:\n%s", label, in.Output())
	}
}

// Stop sends SIGTERM and waits (at most 10 s) for a clean exit.
func (in *Instance) Stop(t testing.TB) {
	in.cmd.Process.Signal(os.Interrupt)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
		t.Errorf("instance did not stop on SIGINT; output:\n%s", in.Output())
	}
}

// start runs bin (spindle or tarantool) on an instance file in a fresh
// directory with LISTEN and WORK_DIR set, and waits until it accepts
// connections.
func start(t testing.TB, bin, script string, env ...string) *Instance {
	t.Helper()
	return startIn(t, bin, t.TempDir(), script, env...)
}

// startIn is start with a given directory, so that an instance can be
// restarted on the files an earlier one left.
func startIn(t testing.TB, bin, dir, script string, env ...string) *Instance {
	t.Helper()
	path := filepath.Join(dir, "instance.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	in := &Instance{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, done: make(chan struct{})}
	cmd := exec.Command(bin, "instance.lua") // relative: error messages name the file the same way for every run
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"LISTEN=" + in.Addr, "WORK_DIR=" + dir}, env...)...)
	cmd.Stdout, cmd.Stderr = in, in
	in.cmd = cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.waitErr = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() { in.finish(t, filepath.Base(bin)) })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-in.done:
			t.Fatalf("%s exited early: %v\n%s", bin, in.waitErr, in.Output())
		default:
		}
		c, err := net.DialTimeout("tcp", in.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			// The listener opens before box is ready and the instance file
			// goes on after box.cfg; the event loop starts when it ends.
			if strings.Contains(in.Output(), "entering the event loop") {
				return in
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not start in time:\n%s", bin, in.Output())
	return nil
}

// tarantoolBin returns the reference binary or skips the test.
func tarantoolBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool 2.6 is not installed: skipping the comparison with the reference (apt-get install tarantool)")
	}
	return p
}

// forBoth runs fn as subtest "spindle" with spindle and as subtest
// "tarantool" with the reference, which is skipped where it is absent.
func forBoth(t *testing.T, fn func(t *testing.T, bin string)) {
	t.Run("spindle", func(t *testing.T) { fn(t, spindleBin) })
	t.Run("tarantool", func(t *testing.T) { fn(t, tarantoolBin(t)) })
}

// runStep runs script as step.lua in dir with bin (spindle or the
// reference tarantool), WORK_DIR=., bounded in time, and returns its
// stdout and stderr (the log); a failed run fails the test.
func runStep(t testing.TB, bin, dir, script string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := runLua(t, bin, dir, script)
	if err != nil {
		t.Fatalf("%s in %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), dir, err, stdout, stderr)
	}
	return stdout, stderr
}

// runLua is runStep that hands a failed run back to the caller.
func runLua(t testing.TB, bin, dir, script string) (stdout, stderr string, err error) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "step.lua"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "step.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WORK_DIR=.")
	var out, log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &log
	err = cmd.Run()
	return out.String(), log.String(), err
}

// runClient runs a Lua client script under the reference tarantool with
// ADDR set, bounded in time, and returns its stdout.
func runClient(t testing.TB, tarantool, script, addr string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "client.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tarantool, "client.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("client timed out\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	return stdout.String()
}

// meshScript is the instance file of the topology and fault tests: the
// same file for every member; PEERS (comma-separated host:port) become
// replication URIs, RO sets read_only, QUORUM (when set) sets
// replication_connect_quorum. It defines two globals the tests call:
// checksum() digests every replicated user space (id >= 512, neither
// temporary nor local) in primary-key order, missing(keys) returns the
// keys absent from space test, put3(k, who) inserts keys k..k+2 in one
// transaction, and vclock() prints the replicated
// components of box.info.vclock ("1=5 2=3").
const meshScript = `
local peers = {}
for uri in string.gmatch(os.getenv('PEERS') or '', '[^,]+') do
    table.insert(peers, 'replicator:password@' .. uri)
end
box.cfg{
    listen = os.getenv('LISTEN'),
    work_dir = os.getenv('WORK_DIR'),
    replication = peers,
    read_only = os.getenv('RO') == 'true',
    replication_connect_quorum = tonumber(os.getenv('QUORUM') or ''),
    replication_timeout = 0.2,
    replication_connect_timeout = tonumber(os.getenv('CONNECT_TIMEOUT') or '') or 30,
    replication_sync_timeout = tonumber(os.getenv('SYNC_TIMEOUT') or ''),
}
box.once('schema', function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication')
    box.schema.user.grant('guest', 'read,write,execute,create,drop,alter', 'universe')
    box.schema.space.create('test'):create_index('primary')
    io.stdout:write('box.once executed on ' .. os.getenv('NAME') .. '\n') io.stdout:flush()
end)

function checksum()
    local json, digest = require('json'), require('digest')
    local ids = {}
    for id, s in pairs(box.space) do
        if type(id) == 'number' and id >= 512 and not s.temporary and not s.is_local then
            table.insert(ids, id)
        end
    end
    table.sort(ids)
    local parts = {}
    for _, id in ipairs(ids) do
        local s = box.space[id]
        table.insert(parts, s.name .. ':' .. s:count())
        for _, t in s:pairs() do table.insert(parts, json.encode(t:totable())) end
    end
    return digest.md5_hex(table.concat(parts, '\n'))
end

function missing(keys)
    local out = {}
    for _, k in ipairs(keys) do
        if box.space.test:get{k} == nil then table.insert(out, k) end
    end
    return out
end

function put3(k, who)
    box.begin()
    for i = 0, 2 do box.space.test:insert{k + i, who} end
    box.commit()
end

function vclock()
    local v, out = box.info.vclock, {}
    for i = 1, 31 do
        if v[i] ~= nil then table.insert(out, i .. '=' .. v[i]) end
    end
    return table.concat(out, ' ')
end
`

// member is one instance of a replica set whose address is chosen before
// it starts (peers must list it) and kept across restarts, as are its
// directory and its environment.
type member struct {
	t    *testing.T
	Name string
	Addr string
	Dir  string
	bin  string
	env  []string
	In   *Instance
	c    *client.Conn
}

// newMember picks an address and a directory for a member running bin on
// meshScript.
func newMember(t *testing.T, bin, name string) *member {
	return &member{t: t, Name: name, Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), Dir: t.TempDir(), bin: bin}
}

// Spawn starts the member on meshScript with the given peers and extra
// environment without waiting for it; a restart passes the same values.
func (m *member) Spawn(peers []string, env ...string) {
	m.t.Helper()
	if err := os.WriteFile(filepath.Join(m.Dir, "instance.lua"), []byte(meshScript), 0o644); err != nil {
		m.t.Fatal(err)
	}
	m.env = append([]string{"PEERS=" + strings.Join(peers, ","), "NAME=" + m.Name}, env...)
	m.c = nil
	m.In = spawnScript(m.t, m.bin, m.Dir, m.Addr, m.env...)
}

// Restart spawns the member again on its directory with its last
// peers and environment, extra (if any) overriding it for this start.
func (m *member) Restart(extra ...string) {
	m.t.Helper()
	m.c = nil
	env := append(append([]string(nil), m.env...), extra...) // the last of duplicate keys wins
	m.In = spawnScript(m.t, m.bin, m.Dir, m.Addr, env...)
}

// Ready waits until box.cfg has returned and the instance file ended.
func (m *member) Ready(timeout time.Duration) {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-m.In.done:
			m.t.Fatalf("%s exited: %v\n%s", m.Name, m.In.waitErr, m.In.Output())
		default:
		}
		if strings.Contains(m.In.Output(), "entering the event loop") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("%s did not start in %v:\n%s", m.Name, timeout, m.In.Output())
}

// Conn returns a client connection to the running member, dialing it
// on first use after a (re)start.
func (m *member) Conn() *client.Conn {
	m.t.Helper()
	if m.c == nil {
		m.c = dialT(m.t, m.Addr, client.Options{})
	}
	return m.c
}

// Eval evaluates expr on the member (5 s bound) and fails the test on an
// error.
func (m *member) Eval(expr string, args ...any) []any {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := m.Conn().Eval(ctx, expr, args)
	if err != nil {
		m.t.Fatalf("%s: eval %q: %v", m.Name, expr, err)
	}
	return res
}

// state is what converged members must agree on.
type state struct{ Checksum, VClock string }

// State returns the member's checksum() and vclock().
func (m *member) State() (state, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := m.Conn().Eval(ctx, "return checksum(), vclock()", nil)
	if err != nil {
		return state{}, err
	}
	if len(res) != 2 {
		return state{}, fmt.Errorf("%s: checksum, vclock = %v", m.Name, res)
	}
	return state{fmt.Sprint(res[0]), fmt.Sprint(res[1])}, nil
}

// waitConverged polls until every member reports the same checksum and
// vclock and accept (if not nil) approves it; it fails the test with
// every member's state after timeout.
func waitConverged(t *testing.T, timeout time.Duration, accept func(state) bool, ms ...*member) state {
	t.Helper()
	return waitAgree(t, timeout, func(s state) state { return s }, accept, ms...)
}

// waitSameData is waitConverged on the checksums alone: members of a
// chain hold the same rows, but the head has no component for the
// middle member's _cluster row of the tail.
func waitSameData(t *testing.T, timeout time.Duration, accept func(state) bool, ms ...*member) state {
	t.Helper()
	return waitAgree(t, timeout, func(s state) state { return state{Checksum: s.Checksum} }, accept, ms...)
}

// waitAgree polls until key(state) is equal on every member and accept
// (if not nil) approves the first member's full state.
func waitAgree(t *testing.T, timeout time.Duration, key func(state) state, accept func(state) bool, ms ...*member) state {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []string
	for {
		last = last[:0]
		var first state
		same := true
		for i, m := range ms {
			s, err := m.State()
			if err != nil {
				same = false
				last = append(last, fmt.Sprintf("%s: %v", m.Name, err))
				continue
			}
			last = append(last, fmt.Sprintf("%s: %s {%s}", m.Name, s.Checksum, s.VClock))
			if i == 0 {
				first = s
			} else if key(s) != key(first) {
				same = false
			}
		}
		if same && (accept == nil || accept(first)) {
			return first
		}
		if time.Now().After(deadline) {
			t.Fatalf("members did not converge in %v:\n%s", timeout, strings.Join(last, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
