package bench

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Test peers: small TCP servers that behave well or badly on purpose.
// They are real sockets on 127.0.0.1 port 0, not mocks of the driver.

type testServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// startServer accepts connections and runs handle on each in its own
// goroutine until the test ends.
func startServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return ln.Addr().String()
}

// echoHandler copies every byte back, through a buffer (io.Copy between a
// socket and itself would splice; keep the peer plain).
func echoHandler(c net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
}

// lateEchoHandler echoes after a pause, so a fast writer's output backs up.
func lateEchoHandler(c net.Conn) {
	time.Sleep(150 * time.Millisecond)
	echoHandler(c)
}

// stallHandler reads everything and never answers.
func stallHandler(c net.Conn) { io.Copy(io.Discard, c) }

// resetHandler reads the first bytes, then resets the connection (RST,
// not FIN: SO_LINGER 0).
func resetHandler(c net.Conn) {
	buf := make([]byte, 1)
	c.Read(buf)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
}

// corruptHandler echoes with every byte flipped.
func corruptHandler(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		for i := range buf[:n] {
			buf[i] ^= 0xff
		}
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			c.Close()
			return
		}
	}
}

// refusedAddr returns an address nothing listens on: a port that was
// just bound and released.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
