package echocmp

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/ngloop/ngloop/loop"
)

// Impls are the server implementations compared, in table order.
var Impls = []string{"ngloop", "gnet", "net"}

// server is a running echo server inside this process.
type server interface {
	Addr() string
	Stop()
}

// startServer starts implementation impl on 127.0.0.1 with the given
// number of event loops (ignored by net).
func startServer(impl string, loops int) (server, error) {
	switch impl {
	case "ngloop":
		return startNgloop(loops)
	case "gnet":
		return startGnet(loops)
	case "net":
		return startNet()
	}
	return nil, fmt.Errorf("echocmp: unknown implementation %q", impl)
}

// ngloopEcho is the ngloop echo handler: write back what fits, leave the
// rest for after OnWritable.
type ngloopEcho struct{ loop.BaseHandler }

func (ngloopEcho) OnData(c *loop.Conn, in []byte) int {
	n, _ := c.Write(in)
	return n
}

type ngloopServer struct {
	e    *loop.Engine
	addr string
}

func startNgloop(loops int) (server, error) {
	e, err := loop.NewEngine(loop.Options{Loops: loops})
	if err != nil {
		return nil, err
	}
	ln, err := e.Listen("tcp://127.0.0.1:0", ngloopEcho{})
	if err != nil {
		return nil, err
	}
	if err := e.Start(); err != nil {
		return nil, err
	}
	return &ngloopServer{e: e, addr: ln.Addr().String()}, nil
}

func (s *ngloopServer) Addr() string { return s.addr }
func (s *ngloopServer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.e.Stop(ctx)
}

// gnetEcho is gnet's canonical echo: take everything, write it back
// (gnet buffers what the socket does not take).
type gnetEcho struct {
	gnet.BuiltinEventEngine
	eng   gnet.Engine
	ready chan struct{}
}

func (g *gnetEcho) OnBoot(eng gnet.Engine) gnet.Action { g.eng = eng; return gnet.None }
func (g *gnetEcho) OnTick() (time.Duration, gnet.Action) {
	select {
	case <-g.ready:
	default:
		close(g.ready)
	}
	return time.Hour, gnet.None
}
func (g *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf)
	return gnet.None
}

type gnetServer struct {
	g    *gnetEcho
	addr string
	done chan error
}

func startGnet(loops int) (server, error) {
	// Reserve a port the way the engine does not need to: gnet's
	// listeners want a concrete one, so take it from a throwaway listener.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	g := &gnetEcho{ready: make(chan struct{})}
	s := &gnetServer{g: g, addr: addr, done: make(chan error, 1)}
	go func() {
		s.done <- gnet.Run(g, "tcp://"+addr, gnet.WithNumEventLoop(loops), gnet.WithMulticore(true),
			gnet.WithReusePort(true), gnet.WithTicker(true), gnet.WithLogger(quietLogger{}))
	}()
	select {
	case <-g.ready:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("gnet: %v", err)
	}
}

func (s *gnetServer) Addr() string { return s.addr }
func (s *gnetServer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.g.eng.Stop(ctx)
	<-s.done
}

type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(string, ...any) {}

// netServer is the goroutine-per-connection echo on package net.
type netServer struct {
	l net.Listener
}

func startNet() (server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return &netServer{l: l}, nil
}

func (s *netServer) Addr() string { return s.l.Addr().String() }
func (s *netServer) Stop()        { s.l.Close() }
