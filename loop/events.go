package loop

import (
	"time"

	"github.com/panjf2000/gnet/v2"
)

// gnetHandler adapts gnet's engine-wide callbacks to per-connection
// Handlers.
type gnetHandler struct {
	gnet.BuiltinEventEngine
	e *Engine
}

func (h *gnetHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.e.gEng = eng
	return gnet.None
}

// OnTick is used once, as the "engine is up" signal: gnet calls OnBoot
// before it registers its loops, but starts the ticker goroutine after, so
// the first tick happens after every loop exists (Dial reads gnet's loop
// list without a lock).
func (h *gnetHandler) OnTick() (time.Duration, gnet.Action) {
	h.e.bootOnce.Do(func() { close(h.e.booted) })
	return 24 * time.Hour, gnet.None
}

func (h *gnetHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	e := h.e
	c, _ := gc.Context().(*Conn)
	if c == nil { // accepted
		if e.stopping.Load() || e.live.Load() >= int64(e.opts.MaxConns) {
			return nil, gnet.Close
		}
		ln := e.listenerFor(gc)
		if ln == nil {
			return nil, gnet.Close
		}
		c = &Conn{e: e, h: ln.h, ln: ln}
		gc.SetContext(c)
	}
	l := e.loopFor(gc)
	c.l, c.gc, c.fd = l, gc, gc.Fd()
	c.gen = e.gen.Add(1)
	c.local, c.remote = gc.LocalAddr(), gc.RemoteAddr()
	c.idle.Init(l, c.onIdle)
	l.conns.add(c)
	e.live.Add(1)

	l.begin(c)
	c.h.OnOpen(c)
	if e.opts.IdleTimeout > 0 && c.flags&fClosing == 0 {
		c.lastRead = Now()
		c.idle.Reset(e.opts.IdleTimeout)
	}
	if e.stopping.Load() && c.flags&(fShutdownSent|fClosed) == 0 {
		c.flags |= fShutdownSent
		c.h.OnShutdown(c)
	}
	return nil, l.end(c)
}

func (e *Engine) listenerFor(gc gnet.Conn) *Listener {
	for _, ln := range e.listeners {
		if ln.matches(gc.LocalAddr()) {
			return ln
		}
	}
	return nil
}

func (h *gnetHandler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil || c.flags&fClosed != 0 {
		return gnet.Close
	}
	l := c.l
	l.begin(c)
	if c.woken.Load() && c.woken.Swap(false) {
		c.flags &^= fBlocked
		c.markDirty() // settle flushes and owes OnWritable if due
	}
	if c.flags&(fPauseBlocked|fPauseUser|fClosing|fAbort|fCloseNow) == 0 {
		c.deliver(gc)
	}
	return l.end(c)
}

// deliver hands the buffered input to OnData and discards what it consumed.
func (c *Conn) deliver(gc gnet.Conn) {
	in, _ := gc.Peek(-1)
	if len(in) == 0 {
		return
	}
	if c.e.opts.IdleTimeout > 0 {
		c.lastRead = Now()
	}
	n := c.h.OnData(c, in)
	if n > len(in) {
		n = len(in)
	}
	if n > 0 {
		// gnet's Discard treats n <= 0 as "everything", so 0 must not
		// reach it.
		_, _ = gc.Discard(n)
	}
	if left := len(in) - n; left > 0 && c.flags&(fClosing|fAbort) == 0 {
		switch {
		case c.flags&fWantWritable != 0:
			c.pauseRead(fPauseBlocked)
		case left > c.e.opts.MaxInputBuffered:
			c.fail(ErrInputOverflow)
		}
	}
}

func (h *gnetHandler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil || c.flags&fClosed != 0 {
		return gnet.None
	}
	e, l := h.e, c.l
	l.begin(nil)
	c.flags |= fClosed
	l.conns.remove(c)
	e.watch.forget(c)
	c.idle.Stop()
	for t := c.timers; t != nil; t = t.next {
		t.Stop()
	}
	if c.out != nil && c.out.Len() > 0 && c.flags&fAbort == 0 {
		// Last chance for output still queued when the peer closed
		// (gnet closes on EOF): one non-blocking writev, then drop.
		a, b := c.out.Peek()
		writev2(c.fd, &l.iov, a, b)
	}
	if c.out != nil {
		c.out.Reset()
		c.releaseOut()
	}
	reason := c.err
	if reason == nil {
		reason = err
	}
	if reason == nil && c.flags&(fClosing|fAbort) == 0 && e.forcing.Load() {
		reason = ErrStopped
	}
	c.h.OnClose(c, reason)
	l.end(nil)
	e.connClosed()
	return gnet.None
}
