package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's main command in its non-interactive form: a
// master and a replica come up, the master's write shows on the replica,
// and both report the link in box.info.replication.
func TestDemo(t *testing.T) {
	cmd := exec.Command(spindleBin, "demo", "-once")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("demo did not finish:\n%s", out)
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	s := string(out)
	if !regexp.MustCompile(`replica: box.space.test:get\{1\} -> \[1, 'hello from the master at .*'\]`).MatchString(s) {
		t.Errorf("demo output lacks the row read on the replica:\n%s", s)
	}
	master, replica, ok := strings.Cut(s, "replica box.info:")
	if !ok || !strings.Contains(master, "master box.info:") {
		t.Fatalf("demo output lacks box.info of both:\n%s", s)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\nro: false\n`),
		regexp.MustCompile(`(?s)downstream:\n\s+[^\n]*\n(\s+[^\n]*\n)*?\s+status: follow`),
	} {
		if !want.MatchString(master) {
			t.Errorf("master box.info lacks %s:\n%s", want, s)
		}
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\nid: 2\n`),
		regexp.MustCompile(`\nro: true\n`),
		regexp.MustCompile(`(?s)upstream:\n(\s+[^\n]*\n)*?\s+status: follow`),
	} {
		if !want.MatchString(replica) {
			t.Errorf("replica box.info lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "spindle demo:") {
		t.Errorf("demo reported an error:\n%s", s)
	}
}
