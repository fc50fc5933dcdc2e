//go:build !linux

package iproto

import (
	"io"
	"net"
)

// newSockIO returns nc for both directions: raw socket calls are used on
// Linux only (sock_linux.go).
func newSockIO(nc net.Conn) (io.Reader, io.Writer) { return nc, nc }
