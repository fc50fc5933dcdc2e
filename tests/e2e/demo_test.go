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
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`replica: box.space.test:get\{1\} -> \[1, 'hello from the master at .*'\]`),
		regexp.MustCompile(`(?s)master box.info:.*ro: false.*downstream:.*status: follow.*replica box.info`),
		regexp.MustCompile(`(?s)replica box.info:.*id: 2.*ro: true.*upstream:.*status: follow`),
	} {
		if !want.MatchString(s) {
			t.Errorf("demo output lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "spindle demo:") {
		t.Errorf("demo reported an error:\n%s", s)
	}
}
