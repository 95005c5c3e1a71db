package main

import "github.com/ngloop/ngloop/loop"

func init() {
	servers = append(servers, &server{
		name:        "tcp",
		defaultAddr: "127.0.0.1:7000",
		usage:       "raw TCP echo address",
		listen:      listenTCP,
	})
}

func listenTCP(e *loop.Engine, addr string) (func() string, error) {
	ln, err := e.Listen(addr, tcpEcho{})
	if err != nil {
		return nil, err
	}
	return func() string { return ln.Addr().String() }, nil
}

// tcpEcho writes back what it reads. When the peer stops reading, Write
// takes what fits under the high-water mark; the rest stays unconsumed,
// reading pauses, and it comes back after OnWritable.
type tcpEcho struct {
	loop.BaseHandler
}

func (tcpEcho) OnData(c *loop.Conn, in []byte) int {
	n, _ := c.Write(in)
	return n
}
