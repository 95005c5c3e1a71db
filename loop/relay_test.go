package loop

import (
	"bytes"
	"context"
	"net"
	"testing"
)

// relayFront accepts a client and dials the backend onto the same loop;
// bytes pass between the two connections inside one goroutine, each write
// flushed when the event that made it ends. Backpressure crosses over:
// when one side's output blocks, the other side stops reading.
type relayFront struct {
	BaseHandler
	backend string
}

type relayPair struct {
	front, back *Conn
	early       []byte // client bytes that arrived before the backend connected
}

func (r relayFront) OnOpen(c *Conn) {
	p := &relayPair{front: c}
	c.SetContext(p)
	if err := c.Loop().Dial(context.Background(), r.backend, relayBack{}, p); err != nil {
		c.Abort(err)
	}
}

func (relayFront) OnData(c *Conn, in []byte) int {
	p := c.Context().(*relayPair)
	if p.back == nil {
		p.early = append(p.early, in...)
		return len(in)
	}
	return relayWrite(c, p.back, in)
}

func (relayFront) OnWritable(c *Conn) { c.Context().(*relayPair).back.ResumeRead() }

func (relayFront) OnClose(c *Conn, _ error) {
	if p := c.Context().(*relayPair); p.back != nil {
		p.back.Close()
	}
}

type relayBack struct{ BaseHandler }

func (relayBack) OnOpen(c *Conn) {
	p := c.Context().(*relayPair)
	p.back = c
	if len(p.early) > 0 {
		c.Write(p.early)
		p.early = nil
	}
}

func (relayBack) OnData(c *Conn, in []byte) int {
	return relayWrite(c, c.Context().(*relayPair).front, in)
}

func (relayBack) OnWritable(c *Conn) { c.Context().(*relayPair).front.ResumeRead() }

func (relayBack) OnClose(c *Conn, _ error) { c.Context().(*relayPair).front.Close() }

// relayWrite writes in to dst and, if dst is full, pauses reading on src
// until dst's OnWritable resumes it.
func relayWrite(src, dst *Conn, in []byte) int {
	n, err := dst.Write(in)
	if err == ErrWouldBlock {
		src.PauseRead()
	}
	return n
}

// TestRelayOnOneLoop: a relay built from an accepted and a dialed
// connection on the same loop carries 8 MiB each way intact.
func TestRelayOnOneLoop(t *testing.T) {
	_, backend := startEcho(t, Options{Loops: 1})
	_, front := startWith(t, Options{Loops: 2}, relayFront{backend: backend})
	nc, err := net.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := bytes.Repeat([]byte("relay me "), (8<<20)/9)
	go nc.Write(msg)
	expectBack(t, nc, msg)
}
