package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spindledb/spindle/client"
)

// The demo's instance files are the seed's master-replica example: both
// list both URIs in replication (the bootstrap election makes the writable
// one the master whatever the launch order) and differ only in read_only
// and in what box.once prints; the master's box.once creates the
// replication user and a space.
const demoInstance = `-- instance file for the %[1]s
box.cfg{
    listen = os.getenv('LISTEN'),
    replication = {'replicator:password@' .. os.getenv('MASTER'), -- master URI
                   'replicator:password@' .. os.getenv('REPLICA')}, -- replica URI
    read_only = %[2]t,
}
box.once("schema", function()
    box.schema.user.create('replicator', {password = 'password'})
    box.schema.user.grant('replicator', 'replication') -- grant replication role
    box.schema.space.create("test")
    box.space.test:create_index("primary")
    box.schema.user.grant('guest', 'read,write,execute', 'universe')
    print('box.once executed on %[1]s')
end)
`

var (
	demoMaster  = fmt.Sprintf(demoInstance, "master", false)
	demoReplica = fmt.Sprintf(demoInstance, "replica", true)
)

// demoMain is `spindle demo`: a master and a replica in separate processes
// on free 127.0.0.1 ports with a temporary data directory; it writes on the
// master, shows the row on the replica and box.info.replication of both,
// and runs until Ctrl-C (or exits at once with -once).
func demoMain(args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	once := fs.Bool("once", false, "stop after showing the replica set instead of waiting for Ctrl-C")
	keep := fs.Bool("keep", false, "keep the data directory")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if err := runDemo(*once, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "spindle demo:", err)
		return 1
	}
	return 0
}

type demoProc struct {
	name, addr, dir string
	cmd             *exec.Cmd
}

func runDemo(once, keep bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	root, err := os.MkdirTemp("", "spindle-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(root)
	}
	var procs []*demoProc
	defer func() {
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			done := make(chan struct{})
			go func() { p.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
			}
		}
	}()
	mport, err := freePort()
	if err != nil {
		return err
	}
	rport, err := freePort()
	if err != nil {
		return err
	}
	maddr, raddr := fmt.Sprintf("127.0.0.1:%d", mport), fmt.Sprintf("127.0.0.1:%d", rport)
	uris := []string{"MASTER=" + maddr, "REPLICA=" + raddr}
	start := func(name, addr, script string) (*demoProc, error) {
		p := &demoProc{name: name, addr: addr, dir: filepath.Join(root, name)}
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			return nil, err
		}
		file := name + ".lua"
		if err := os.WriteFile(filepath.Join(p.dir, file), []byte(script), 0o644); err != nil {
			return nil, err
		}
		logf, err := os.Create(filepath.Join(p.dir, name+".log"))
		if err != nil {
			return nil, err
		}
		p.cmd = exec.Command(self, file)
		p.cmd.Dir = p.dir
		p.cmd.Env = append(os.Environ(), append([]string{"LISTEN=" + p.addr}, uris...)...)
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		procs = append(procs, p)
		fmt.Printf("started %s on %s (log: %s)\n", name, p.addr, filepath.Join(p.dir, name+".log"))
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Both start at once: they elect the writable one as the bootstrap
	// master, the other joins it.
	master, err := start("master", maddr, demoMaster)
	if err != nil {
		return err
	}
	replica, err := start("replica", raddr, demoReplica)
	if err != nil {
		return err
	}
	mc, err := waitEval(ctx, master.addr, "return box.info.status == 'running' and box.space.test ~= nil")
	if err != nil {
		return fmt.Errorf("master: %w", err)
	}
	defer mc.Close()
	rc, err := waitEval(ctx, replica.addr, "return box.info.status == 'running' and box.info.replication[1] ~= nil and box.info.replication[1].upstream.status == 'follow'")
	if err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	defer rc.Close()

	stamp := time.Now().Format(time.RFC3339)
	if _, err := mc.Replace(ctx, 512, []any{1, "hello from the master at " + stamp}); err != nil {
		return fmt.Errorf("write on the master: %w", err)
	}
	fmt.Printf("\nmaster:  box.space.test:replace{1, 'hello from the master at %s'}\n", stamp)
	for {
		res, err := rc.Eval(ctx, "local t = box.space.test:get{1} return t and t[2]", nil)
		if err != nil {
			return err
		}
		if len(res) == 1 && res[0] == "hello from the master at "+stamp {
			fmt.Printf("replica: box.space.test:get{1} -> [1, '%s']\n", res[0])
			break
		}
		select {
		case <-ctx.Done():
			return errors.New("the row did not reach the replica")
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The master lists the replica's downstream once the relay has the
	// replica's first acknowledgement; its own applier to the replica
	// retries until the replica has joined.
	// Master-master style links: the master also follows the replica.
	if _, err := waitEvalOn(ctx, mc, "local r = box.info.replication[2] return r ~= nil and r.downstream ~= nil and r.downstream.status == 'follow' and r.upstream ~= nil and r.upstream.status == 'follow'"); err != nil {
		return fmt.Errorf("master: %w", err)
	}
	for _, p := range []struct {
		name string
		c    *client.Conn
	}{{"master", mc}, {"replica", rc}} {
		res, err := p.c.Eval(ctx, "return {id = box.info.id, ro = box.info.ro, status = box.info.status, vclock = box.info.vclock, replication = box.info.replication}", nil)
		if err != nil {
			return err
		}
		// Printed from Go with sorted keys: Lua's own table order varies
		// from run to run.
		out, err := yaml.Marshal(res[0])
		if err != nil {
			return err
		}
		fmt.Printf("\n%s box.info:\n%s", p.name, out)
	}
	if once {
		return nil
	}
	fmt.Printf("\nThe replica set is running: master %s, replica %s (user replicator, password 'password';\n"+
		"guest may read and write). Connect with `spindle connect %s`. Ctrl-C stops both.\n", master.addr, replica.addr, master.addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Println("\nstopping")
	return nil
}

// waitEval connects to addr and evaluates expr until it returns true.
func waitEval(ctx context.Context, addr, expr string) (*client.Conn, error) {
	var last error
	for {
		c, err := client.Dial(ctx, addr, client.Options{})
		if err == nil {
			if _, err = waitEvalOn(ctx, c, expr); err == nil {
				return c, nil
			}
			c.Close()
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not ready in time: %v", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitEvalOn evaluates expr on c until it returns true.
func waitEvalOn(ctx context.Context, c *client.Conn, expr string) (*client.Conn, error) {
	for {
		res, err := c.Eval(ctx, expr, nil)
		if err != nil {
			return nil, err
		}
		if len(res) == 1 && res[0] == true {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("not ready in time")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
