package server

import (
	"fmt"
	"os"

	"github.com/spindledb/spindle/internal/boxerr"
)

// lockStorage checks that memtx_dir and wal_dir are directories and locks
// wal_dir against other instances, Spindle's or Tarantool's. A directory
// another instance holds fails box.cfg with ER_ALREADY_RUNNING, as in
// 2.6; with hot_standby = true 2.6 would wait for it to be released, a
// mode Spindle does not have.
func lockStorage(cfg map[string]any) (*os.File, error) {
	memtxDir, walDir := cfgString(cfg, "memtx_dir", "."), cfgString(cfg, "wal_dir", ".")
	for _, d := range []struct{ option, dir string }{{"memtx_dir", memtxDir}, {"wal_dir", walDir}} {
		if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
			return nil, boxerr.New(boxerr.ER_CFG, d.option, fmt.Sprintf("can't open directory '%s'", d.dir))
		}
	}
	f, busy, err := lockDir(walDir)
	switch {
	case err != nil:
		return nil, &boxerr.Error{Code: boxerr.ER_SYSTEM, Type: "SystemError", Message: err.Error()}
	case busy && cfg["hot_standby"] == true:
		return nil, boxerr.New(boxerr.ER_UNSUPPORTED, "Spindle", "hot standby")
	case busy:
		return nil, boxerr.New(boxerr.ER_ALREADY_RUNNING, walDir)
	}
	return f, nil
}

func closeLock(f *os.File) {
	if f != nil {
		f.Close()
	}
}
