//go:build unix

package server

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the directory dir, as 2.6's
// path_lock does on wal_dir: Spindle and Tarantool instances exclude
// each other from one data directory. busy reports that another
// process holds it; the returned file keeps the lock until closed.
func lockDir(dir string) (f *os.File, busy bool, err error) {
	f, err = os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return f, false, nil
}
