package loop

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/ngloop/ngloop/buffers"
)

// Connection state bits, touched only on the loop goroutine.
const (
	fDirty        uint32 = 1 << iota // on the loop's dirty list
	fBlocked                         // socket returned EAGAIN; waiting for EPOLLOUT
	fWantWritable                    // a write returned ErrWouldBlock; OnWritable owed
	fPauseBlocked                    // reading paused because output is blocked
	fPauseUser                       // reading paused by PauseRead
	fReadOff                         // EPOLLIN removed from gnet's poller
	fClosing                         // Close called: flush, then close
	fShutWr                          // CloseWrite called: flush, then shutdown(SHUT_WR)
	fShutWrDone                      // shutdown(SHUT_WR) done
	fAbort                           // close now, drop pending output
	fCloseNow                        // the connection must be closed by gnet
	fCloseSent                       // gnet was asked to close it
	fShutdownSent                    // OnShutdown delivered
	fClosed                          // OnClose delivered
	fWatched                         // fd is in the watcher's epoll set
)

// Conn is one TCP connection on a loop. Its methods must be called on the
// loop goroutine (inside Handler methods, timer callbacks or Execute),
// except Execute, which is safe anywhere.
type Conn struct {
	e   *Engine
	l   *Loop
	h   Handler
	ln  *Listener
	gc  gnet.Conn
	fd  int
	gen uint32

	ctx    any
	layer  Layer // transforms writes (TLS); nil for plain TCP
	out    *buffers.Ring
	flags  uint32
	err    error // why we closed it, reported to OnClose
	local  net.Addr
	remote net.Addr

	woken atomic.Bool // set by the write watcher before it wakes the conn

	prev, next *Conn // loop's connection list
	dirtyNext  *Conn
	timers     *Timer // timers bound with InitTimer
	idle       Timer  // idle timeout, then close linger
	lastRead   int64
}

// Context returns the value set with SetContext (for dialed connections,
// initially the value given to Dial).
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches a user value to the connection.
func (c *Conn) SetContext(v any) { c.ctx = v }

// Loop returns the loop the connection lives on (nil only in OnClose after
// a failed Dial).
func (c *Conn) Loop() *Loop { return c.l }

// Listener returns the listener that accepted the connection, nil for a
// dialed one.
func (c *Conn) Listener() *Listener { return c.ln }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// Fd returns the socket descriptor (for socket options; do not read,
// write or close it).
func (c *Conn) Fd() int { return c.fd }

// Buffered returns the bytes written but not yet taken by the socket.
func (c *Conn) Buffered() int {
	if c.out == nil {
		return 0
	}
	return c.out.Len()
}

// Closed reports whether the connection is closing or closed.
func (c *Conn) Closed() bool { return c.flags&(fClosing|fAbort|fClosed|fCloseNow) != 0 }

// Close closes the connection gracefully: reading stops, pending output is
// flushed, then the socket closes and OnClose(c, nil) follows. Output that
// cannot drain within Options.CloseLinger is dropped (ErrLingerTimeout).
// Returns nil, or ErrClosed if already closing.
func (c *Conn) Close() error {
	if c.Closed() {
		return ErrClosed
	}
	if c.layer != nil && c.flags&fShutWr == 0 {
		c.layer.Closing(c)
	}
	c.flags |= fClosing
	c.pauseRead(fPauseUser)
	if c.Buffered() > 0 {
		c.idle.Reset(c.e.opts.CloseLinger)
	}
	c.markDirty()
	return nil
}

// Abort closes the connection now, dropping pending output. OnClose gets
// err. Returns nil, or ErrClosed if already closed.
func (c *Conn) Abort(err error) error {
	if c.flags&(fAbort|fClosed) != 0 {
		return ErrClosed
	}
	c.fail(err)
	return nil
}

// CloseWrite half-closes the connection: once pending output is flushed it
// sends FIN (shutdown SHUT_WR); reading goes on. Later writes return
// ErrClosed. Returns nil, or ErrClosed if already closing.
func (c *Conn) CloseWrite() error {
	if c.Closed() || c.flags&fShutWr != 0 {
		return ErrClosed
	}
	if c.layer != nil {
		c.layer.Closing(c)
	}
	c.flags |= fShutWr
	c.markDirty()
	return nil
}

// PauseRead stops reading from the socket (the peer's sends back up in
// TCP) until ResumeRead.
func (c *Conn) PauseRead() { c.pauseRead(fPauseUser) }

// ResumeRead undoes PauseRead. Input buffered meanwhile is delivered
// again through OnData.
func (c *Conn) ResumeRead() { c.resumeRead(fPauseUser) }

// Execute runs fn(c) on c's loop. It is safe to call from any goroutine;
// fn does not run if c closes first. Writes fn makes are flushed when it
// returns.
//
// Returns nil on success, or one of: ErrStopped — the engine shut down;
// ErrClosed — the connection never reached a loop (failed dial).
func (c *Conn) Execute(fn func(c *Conn)) error {
	if c.l == nil {
		return ErrClosed // a dial that never connected
	}
	err := c.l.el.Execute(bgCtx, gnet.RunnableFunc(func(context.Context) error {
		if c.flags&fClosed != 0 {
			return nil
		}
		c.l.begin(nil)
		fn(c)
		c.l.end(nil)
		return nil
	}))
	if err != nil {
		return ErrStopped
	}
	return nil
}

func (c *Conn) markDirty() {
	if c.flags&fDirty != 0 || c.l == nil {
		return
	}
	c.flags |= fDirty
	c.dirtyNext = c.l.dirty
	c.l.dirty = c
}

// fail records err and closes the connection at the end of the event.
func (c *Conn) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.flags |= fAbort
	if c.out != nil {
		c.out.Reset()
	}
	c.markDirty()
}

// pauseRead removes EPOLLIN from gnet's poller for this socket, so gnet
// stops reading it and TCP flow control pushes back on the peer. gnet v2.10
// has no API for it; pollFD is its epoll descriptor (see gnetpoll.go).
func (c *Conn) pauseRead(reason uint32) {
	c.flags |= reason
	if c.flags&fReadOff != 0 || c.l.pollFD < 0 {
		return
	}
	ev := unix.EpollEvent{Events: 0, Fd: int32(c.fd)}
	if unix.EpollCtl(c.l.pollFD, unix.EPOLL_CTL_MOD, c.fd, &ev) == nil {
		c.flags |= fReadOff
	}
}

func (c *Conn) resumeRead(reason uint32) {
	c.flags &^= reason
	if c.flags&(fPauseBlocked|fPauseUser|fClosing|fAbort) != 0 || c.flags&fReadOff == 0 {
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLPRI, Fd: int32(c.fd)}
	if unix.EpollCtl(c.l.pollFD, unix.EPOLL_CTL_MOD, c.fd, &ev) == nil {
		c.flags &^= fReadOff
	}
	if c.gc.InboundBuffered() > 0 {
		// Input left over from before the pause: come back through
		// OnTraffic to deliver it.
		_ = c.gc.Wake(nil)
	}
}

// onIdle runs when the idle timer expires: either the connection was idle
// too long, or a graceful close did not drain in time.
func (c *Conn) onIdle(*Timer) {
	if c.flags&fClosed != 0 {
		return
	}
	if c.flags&fClosing != 0 {
		c.fail(ErrLingerTimeout)
		return
	}
	idle := c.e.opts.IdleTimeout
	if since := Now() - c.lastRead; since < int64(idle) {
		c.idle.ResetAt(c.lastRead + int64(idle))
		return
	}
	c.fail(ErrIdleTimeout)
}
