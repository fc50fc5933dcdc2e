package server

import "testing"

// TestTwoServersInOneProcess checks that instances share no state.
func TestTwoServersInOneProcess(t *testing.T) {
	for i := 0; i < 2; i++ {
		newTestServer(t, `box.cfg{log_level = 1, wal_mode = 'none'}
box.schema.user.grant('guest', 'read,write,execute', 'universe')`)
	}
}
