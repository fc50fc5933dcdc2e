package luamod

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// checkLineMarks checks that every statement of the embedded lua/<file>
// marked --@N sits on line N, the line of its counterpart in 2.6's
// builtin module, so that error positions match Tarantool's; at least
// min marks are expected.
func checkLineMarks(t *testing.T, file string, min int) {
	t.Helper()
	src, err := luaFS.ReadFile("lua/" + file)
	if err != nil {
		t.Fatal(err)
	}
	mark := regexp.MustCompile(`--@(\d+)\s*$`)
	sc := bufio.NewScanner(bytes.NewReader(src))
	marks := 0
	for line := 1; sc.Scan(); line++ {
		m := mark.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		marks++
		if want, _ := strconv.Atoi(m[1]); want != line {
			t.Errorf("%s: mark --@%d is on line %d", file, want, line)
		}
	}
	if marks < min {
		t.Errorf("%s: %d marks, want at least %d", file, marks, min)
	}
}

// TestSocketLuaLineMarks checks the raising statements of lua/socket.lua.
func TestSocketLuaLineMarks(t *testing.T) { checkLineMarks(t, "socket.lua", 24) }

// TestHTTPClientLuaLineMarks checks the raising statements of
// lua/http.client.lua.
func TestHTTPClientLuaLineMarks(t *testing.T) { checkLineMarks(t, "http.client.lua", 12) }
