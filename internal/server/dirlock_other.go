//go:build !unix

package server

import "os"

// lockDir cannot lock a directory here: nothing keeps two instances out
// of one data directory.
func lockDir(dir string) (*os.File, bool, error) { return nil, false, nil }
