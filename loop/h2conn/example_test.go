package h2conn_test

import (
	"context"
	"fmt"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

// hello answers every request on the loop, with a trailer.
type hello struct{ h2conn.BaseHandler }

var greeting = []byte("hello, h2c\n")

func (hello) OnRequest(st *h2conn.Stream) {
	st.SetTrailers([]h2.NV{{Name: []byte("x-path"), Value: st.Path()}})
	_ = st.Respond(200, nil, greeting)
}

// printer prints one response and signals done.
type printer struct{ done chan struct{} }

func (p printer) OnConnect(cc *h2conn.ClientConn) {
	_, _ = cc.Request(&h2conn.Request{Path: []byte("/greet")}, p, nil)
}
func (p printer) OnDisconnect(*h2conn.ClientConn, error) {}
func (p printer) OnResponse(cs *h2conn.ClientStream)     { fmt.Println("status", cs.Status()) }
func (p printer) OnData(_ *h2conn.ClientStream, b []byte) {
	fmt.Printf("body %q\n", b)
}
func (p printer) OnClose(cs *h2conn.ClientStream, code h2.ErrorCode) {
	fmt.Println("trailer x-path:", string(cs.Trailer("x-path")), code)
	close(p.done)
}

// Example runs a server and a client on one engine.
func Example() {
	e, _ := loop.NewEngine(loop.Options{Loops: 1})
	srv, _ := h2conn.NewServer(hello{}, nil)
	ln, _ := srv.Listen(e, "127.0.0.1:0")
	if err := e.Start(); err != nil {
		panic(err)
	}
	defer e.Stop(context.Background())

	cl, _ := h2conn.NewClient(e, nil)
	p := printer{done: make(chan struct{})}
	_ = cl.Dial(context.Background(), ln.Addr().String(), p, nil)
	<-p.done
	// Output:
	// status 200
	// body "hello, h2c\n"
	// trailer x-path: /greet NO_ERROR
}
