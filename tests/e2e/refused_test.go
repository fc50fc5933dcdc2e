package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRefusedJoins: a replica whose credentials or privileges do not allow
// it to join keeps retrying with the reason in its log, and the master
// does not register it.
func TestRefusedJoins(t *testing.T) {
	master := start(t, spindleBin, `
box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR')}
box.schema.user.create('replicator', {password = 'password'})
box.schema.user.grant('replicator', 'replication')
box.schema.user.create('nopriv', {password = 'password'})
box.schema.user.grant('guest', 'read,write,execute', 'universe')
`)
	cases := []struct {
		name, uri, want string
	}{
		{"wrong password", "replicator:wrong@" + master.Addr, "Incorrect password supplied for user 'replicator'"},
		{"unknown user", "ghost:password@" + master.Addr, "User 'ghost' is not found"},
		{"no replication privilege", "nopriv:password@" + master.Addr, "Read access to universe '' is denied for user 'nopriv'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script := fmt.Sprintf(`box.cfg{listen = os.getenv('LISTEN'), work_dir = os.getenv('WORK_DIR'),
    replication = {%q}, read_only = true, replication_connect_timeout = 3, replication_timeout = 0.2}`, c.uri)
			if err := os.WriteFile(filepath.Join(dir, "instance.lua"), []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			r := spawnScript(t, spindleBin, dir, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
			waitOutput(t, r, c.want, 15*time.Second)
		})
	}
	c := dialT(t, master.Addr, clientOptions())
	res, err := c.Eval(ctxT(t), "return box.space._cluster:count()", nil)
	if err != nil || toU64(res[0]) != 1 {
		t.Fatalf("the master registered a refused replica: %v %v", res, err)
	}
}
