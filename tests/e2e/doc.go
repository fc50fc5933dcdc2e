// Package e2e holds end-to-end tests that run real spindle processes from
// instance files on 127.0.0.1 ports and talk to them over real sockets,
// with Tarantool's own net.box where the reference tarantool is installed.
package e2e
