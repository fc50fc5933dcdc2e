//go:build unix

package server

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the directory dir, as 2.6's
// path_lock does on wal_dir: Spindle and Tarantool instances exclude
// each other from one data directory. busy reports that another
// process holds it; the returned file keeps the lock until closed. An
// error is worded as path_lock's SystemError.
func lockDir(dir string) (f *os.File, busy bool, err error) {
	f, err = os.Open(dir)
	if err != nil {
		return nil, false, fmt.Errorf("Can't open path: %s: %w", dir, errors.Unwrap(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("Can't lock path: %s: %w", dir, err)
	}
	return f, false, nil
}
