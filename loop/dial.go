package loop

import (
	"context"
	"net"

	"github.com/panjf2000/gnet/v2"
)

// Dial connects to addr ("host:port", TCP) in the background and puts the
// connection on one of the engine's loops, chosen by Options.LoadBalancing.
// The handler then gets OnOpen there, with Conn.Context returning userCtx;
// if the connect fails, it gets OnClose(c, err) on the dialing goroutine
// instead (c.Loop() is nil). Safe to call from any goroutine, including a
// loop. ctx bounds the connect only.
//
// Returns nil once the dial is under way, or one of: ErrNotStarted;
// ErrStopped — Stop has begun; ErrUnsafeBalancing — see its doc.
func (e *Engine) Dial(ctx context.Context, addr string, h Handler, userCtx any) error {
	return e.dialOn(ctx, nil, addr, h, userCtx)
}

// Dial is Engine.Dial onto this loop: the new connection lives on l, so a
// proxy can pair it with a connection of l and pass bytes between the two
// without crossing goroutines. Safe to call from any goroutine.
//
// Returns nil once the dial is under way, or one of: ErrStopped — Stop has
// begun; ErrNotTCPLoop — l is a UDP socket's loop.
func (l *Loop) Dial(ctx context.Context, addr string, h Handler, userCtx any) error {
	if l.udp != nil {
		return ErrNotTCPLoop
	}
	return l.e.dialOn(ctx, l, addr, h, userCtx)
}

func (e *Engine) dialOn(ctx context.Context, target *Loop, addr string, h Handler, userCtx any) error {
	e.mu.Lock()
	started := e.started
	e.mu.Unlock()
	switch {
	case !started:
		return ErrNotStarted
	case e.stopping.Load():
		return ErrStopped
	case target == nil && e.client == nil && e.opts.NoReusePort && e.opts.LoadBalancing == RoundRobin:
		return ErrUnsafeBalancing
	}
	e.dialing.Add(1)
	c := &Conn{e: e, h: h, ctx: userCtx}
	go func() {
		defer e.dialing.Done()
		if err := e.dial(ctx, target, addr, c); err != nil {
			c.flags |= fClosed
			h.OnClose(c, err)
		}
	}()
	return nil
}

func (e *Engine) dial(ctx context.Context, target *Loop, addr string, c *Conn) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.DialTimeout)
	defer cancel()
	stop := context.AfterFunc(e.dialCtx, cancel) // Stop aborts connects in flight
	defer stop()
	d := net.Dialer{KeepAlive: e.opts.TCPKeepAlive}
	if e.opts.TCPKeepAlive == 0 {
		d.KeepAlive = -1
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	tc := nc.(*net.TCPConn)
	_ = tc.SetNoDelay(!e.opts.TCPDelay)
	if e.opts.SocketSendBuffer > 0 {
		_ = tc.SetWriteBuffer(e.opts.SocketSendBuffer)
	}
	if e.opts.SocketRecvBuffer > 0 {
		_ = tc.SetReadBuffer(e.opts.SocketRecvBuffer)
	}
	if e.stopping.Load() {
		nc.Close()
		return ErrStopped
	}
	if target != nil {
		// Enroll dups the socket, closes nc and waits for OnOpen on
		// the target loop.
		ch, err := target.el.Enroll(gnet.NewContext(bgCtx, c), nc)
		if err != nil {
			nc.Close()
			return err
		}
		return (<-ch).Err
	}
	if e.client != nil {
		// EnrollContext dups the socket, closes nc and waits for OnOpen.
		_, err = e.client.EnrollContext(nc, c)
		return err
	}
	gctx := gnet.NewNetConnContext(gnet.NewContext(bgCtx, c), nc)
	e.dialMu.Lock() // gnet's balancer state is not safe for concurrent Register calls
	ch, err := e.gEng.Register(gctx)
	e.dialMu.Unlock()
	if err != nil {
		nc.Close()
		return err
	}
	res := <-ch
	return res.Err
}
