package loop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// upperHandler echoes input in upper case and closes idle connections after
// a second, using a timer bound to the connection.
type upperHandler struct {
	loop.BaseHandler
}

type session struct {
	idle loop.Timer
}

func (upperHandler) OnOpen(c *loop.Conn) {
	s := &session{}
	c.SetContext(s)
	c.InitTimer(&s.idle)
	s.idle.Reset(time.Second)
}

func (upperHandler) OnData(c *loop.Conn, in []byte) int {
	c.Context().(*session).idle.Reset(time.Second)
	n, _ := c.Write(bytes.ToUpper(in)) // on ErrWouldBlock the rest comes back after OnWritable
	return n
}

func (upperHandler) OnTimer(c *loop.Conn, _ *loop.Timer) { c.Close() }

func Example() {
	e, err := loop.NewEngine(loop.Options{Loops: 2})
	if err != nil {
		panic(err)
	}
	ln, err := e.Listen("tcp://127.0.0.1:0", upperHandler{})
	if err != nil {
		panic(err)
	}
	if err := e.Start(); err != nil {
		panic(err)
	}
	defer e.Stop(context.Background())

	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	nc.Write([]byte("hello, loop"))
	buf := make([]byte, 11)
	io.ReadFull(nc, buf)
	fmt.Println(string(buf))
	// Output: HELLO, LOOP
}
