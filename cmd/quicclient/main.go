// Command quicclient is a small QUIC client on the ngloop engine
// (loop/quicconn): it echoes a message through an "echo" server or
// fetches paths from an hq-interop (HTTP/0.9 over QUIC) server, such as
// cmd/echo's -quic server.
//
//	go run ./cmd/echo -quic 127.0.0.1:7443 -www . &
//	go run ./cmd/quicclient -addr 127.0.0.1:7443 -msg hello          # echo
//	go run ./cmd/quicclient -addr 127.0.0.1:7443 -get /README.md     # hq-interop
//
// Certificates are not verified unless -verify is given (cmd/echo makes
// a self-signed one).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7443", "server address")
	msg := flag.String("msg", "", "echo: send this on one stream and print the echo")
	get := flag.String("get", "", "hq-interop: comma-separated paths to GET, written to stdout in order")
	verify := flag.Bool("verify", false, "verify the server certificate")
	timeout := flag.Duration("timeout", 30*time.Second, "overall deadline")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var reqs []request
	alpn := "echo"
	switch {
	case *get != "":
		alpn = "hq-interop"
		for _, p := range strings.Split(*get, ",") {
			reqs = append(reqs, request{send: []byte("GET " + p + "\r\n")})
		}
	default:
		reqs = append(reqs, request{send: []byte(*msg)})
	}
	if err := run(ctx, *addr, alpn, !*verify, reqs, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quicclient:", err)
		os.Exit(1)
	}
}

// request is one stream: what to send (then FIN) and what came back.
type request struct {
	send []byte
	resp []byte
	err  error
}

// run connects, sends every request on its own stream at once, and
// writes the answers to out in order.
func run(ctx context.Context, addr, alpn string, insecure bool, reqs []request, out io.Writer) error {
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		return err
	}
	cl, err := quicconn.NewClient(e, "", &quicconn.Config{
		TLS: &tls.Config{NextProtos: []string{alpn}, InsecureSkipVerify: insecure},
	})
	if err != nil {
		return err
	}
	if err := e.Start(); err != nil {
		return err
	}
	defer e.Stop(context.Background())
	app := &client{reqs: reqs, byID: map[int64]int{}, done: make(chan struct{})}
	c, err := cl.Dial(ctx, addr, app, nil)
	if err != nil {
		return err
	}
	c.Execute(func() { app.start(c) })
	select {
	case <-app.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	for i := range reqs {
		if reqs[i].err != nil {
			return fmt.Errorf("stream %d: %w", i, reqs[i].err)
		}
		out.Write(reqs[i].resp)
	}
	return nil
}

// client runs the requests on one connection; it lives on the loop.
type client struct {
	quicconn.BaseHandler
	reqs    []request
	byID    map[int64]int
	pending int
	done    chan struct{}
}

func (a *client) start(c *quicconn.Conn) {
	a.pending = len(a.reqs)
	for i := range a.reqs {
		id, err := c.OpenStream()
		if err != nil {
			a.finish(i, err)
			continue
		}
		a.byID[id] = i
		a.OnStreamWritable(c, id)
	}
}

func (a *client) OnStreamWritable(c *quicconn.Conn, id int64) {
	r := &a.reqs[a.byID[id]]
	n, err := c.Write(id, r.send, true)
	r.send = r.send[n:]
	if err != nil && !errors.Is(err, quicconn.ErrWouldBlock) {
		a.finish(a.byID[id], err)
	}
}

func (a *client) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	i, ok := a.byID[id]
	if !ok {
		return
	}
	a.reqs[i].resp = append(a.reqs[i].resp, data...)
	if fin {
		a.finish(i, nil)
	}
}

func (a *client) OnStreamReset(c *quicconn.Conn, id int64, code uint64) {
	if i, ok := a.byID[id]; ok {
		a.finish(i, fmt.Errorf("reset by the server with code 0x%x", code))
	}
}

func (a *client) OnClose(c *quicconn.Conn, e *quic.CCErr) {
	for id, i := range a.byID {
		delete(a.byID, id)
		a.finish(i, fmt.Errorf("connection closed: %v", e))
	}
}

func (a *client) finish(i int, err error) {
	if a.reqs[i].err == nil {
		a.reqs[i].err = err
	}
	for id, j := range a.byID {
		if j == i {
			delete(a.byID, id)
		}
	}
	a.pending--
	if a.pending == 0 {
		close(a.done)
	}
}
