package iproto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a real loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// TestSockIOLargeWrite writes far more than the socket buffers hold while
// the peer reads slowly: the writer must wait for writability and resume
// where the kernel stopped, and the reader must see every byte in order.
func TestSockIOLargeWrite(t *testing.T) {
	server, client := tcpPair(t)
	_, w := newSockIO(server)
	r, _ := newSockIO(client)
	data := make([]byte, 32<<20)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	done := make(chan error, 1)
	go func() {
		n, err := w.Write(data)
		if err == nil && n != len(data) {
			err = io.ErrShortWrite
		}
		done <- err
	}()
	got := make([]byte, 0, len(data))
	buf := make([]byte, 4096)
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < len(data) && time.Now().Before(deadline) {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
		if len(got) < 1<<20 {
			time.Sleep(time.Millisecond) // let the writer fill the buffers
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
}

// TestSockIOEnds checks the ends of a stream: EOF after the peer closes
// (after the data it sent), an error for a read or write on a closed
// socket, a read deadline, and Close waking a blocked reader.
func TestSockIOEnds(t *testing.T) {
	server, client := tcpPair(t)
	r, w := newSockIO(server)
	if _, err := client.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	client.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "tail" {
		t.Fatalf("ReadAll = %q, %v; want tail, nil", got, err)
	}
	// The peer is gone: writing fails with EPIPE or ECONNRESET, perhaps
	// only on the second write.
	var werr error
	for i := 0; i < 10 && werr == nil; i++ {
		_, werr = w.Write([]byte("x"))
		time.Sleep(10 * time.Millisecond)
	}
	if werr == nil {
		t.Fatal("writes to a closed peer succeed")
	}

	server2, _ := tcpPair(t)
	r2, _ := newSockIO(server2)
	server2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := r2.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	server2.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	go func() {
		_, err := r2.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	server2.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed socket: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the reader")
	}
	if _, err := w.Write(nil); err != nil {
		t.Fatalf("empty write: %v", err)
	}
}
