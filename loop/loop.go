package loop

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/ngloop/ngloop/buffers"
)

var bgCtx = context.Background()

// Loop is one event loop: a goroutine that owns its connections, its
// timers and its buffer pool. Everything reached through a Loop is
// loop-local (use it only from that goroutine) except Execute.
type Loop struct {
	e      *Engine
	el     gnet.EventLoop
	index  int
	pollFD int // gnet's epoll descriptor for this loop, for pausing reads; -1 if unknown

	pool buffers.LocalPool

	conns connList
	dirty *Conn // connections with output or state to settle when the current event ends
	depth int   // nesting of begin/end
	cur   *Conn // connection whose gnet event is being handled, if any

	timers      timerHeap
	timerSeq    uint64
	armed       int64       // deadline the waker is set for, 0 if none
	waker       *time.Timer // runtime timer that posts runTimers
	timerPosted atomic.Bool
	runTimersFn gnet.RunnableFunc
	// timerRun is the clock reading of the current timer run and
	// prevTimerRun of the one before; a timer fires in the first run
	// that starts at or after its deadline.
	timerRun, prevTimerRun int64

	iov [2]iovec // writev scratch

	udp *UDPSocket // set for a UDP socket's loop; el is nil then
}

func newLoop(e *Engine, el gnet.EventLoop, index int) *Loop {
	l := &Loop{e: e, el: el, index: index, pollFD: -1}
	l.pool.Retain = e.opts.HighWater * 4
	l.runTimersFn = func(context.Context) error { l.runTimers(); return nil }
	l.waker = time.AfterFunc(time.Hour, l.postTimers)
	l.waker.Stop()
	return l
}

// newUDPLoop makes the loop of a UDP socket: timers and Execute work as
// on a TCP loop, but the socket's goroutine drives them (the earliest
// deadline is its epoll_wait timeout, work arrives through its eventfd).
func newUDPLoop(e *Engine, s *UDPSocket) *Loop {
	l := &Loop{e: e, index: s.index, pollFD: -1, udp: s}
	l.pool.Retain = e.opts.HighWater * 4
	return l
}

// Index returns the loop's position in the engine (0-based, in order of
// first use).
func (l *Loop) Index() int { return l.index }

// Engine returns the engine the loop belongs to.
func (l *Loop) Engine() *Engine { return l.e }

// Pool returns the loop's buffer pool. It is loop-local: use it only on
// this loop's goroutine.
func (l *Loop) Pool() *buffers.LocalPool { return &l.pool }

// Execute runs fn on the loop goroutine soon. It is safe to call from any
// goroutine. Writes fn makes are flushed when it returns.
//
// Returns nil on success, or ErrStopped — the engine has shut down.
func (l *Loop) Execute(fn func()) error {
	if l.udp != nil {
		if !l.udp.post(fn) { // drainPosted runs fn inside begin/end
			return ErrStopped
		}
		return nil
	}
	err := l.el.Execute(bgCtx, gnet.RunnableFunc(func(context.Context) error {
		l.begin(nil)
		fn()
		l.end(nil)
		return nil
	}))
	if err != nil {
		return ErrStopped
	}
	return nil
}

// begin and end bracket every entry from gnet or a timer into user code;
// end settles every connection touched meanwhile (one flush each) and
// tells gnet whether the current connection must close.
func (l *Loop) begin(cur *Conn) {
	if l.depth == 0 {
		l.cur = cur
	}
	l.depth++
}

func (l *Loop) end(cur *Conn) gnet.Action {
	l.depth--
	if l.depth > 0 {
		return gnet.None
	}
	if l.udp != nil && l.udp.send.dirty {
		l.udp.flush()
	}
	for l.dirty != nil {
		c := l.dirty
		l.dirty = c.dirtyNext
		c.dirtyNext = nil
		c.flags &^= fDirty
		c.settle()
	}
	l.cur = nil
	if cur != nil && cur.flags&(fCloseNow|fClosed) == fCloseNow {
		cur.flags |= fCloseSent
		return gnet.Close
	}
	return gnet.None
}

// connList is an intrusive doubly linked list of a loop's connections.
type connList struct {
	head *Conn
	n    int
}

func (cl *connList) add(c *Conn) {
	c.next = cl.head
	if cl.head != nil {
		cl.head.prev = c
	}
	cl.head = c
	cl.n++
}

func (cl *connList) remove(c *Conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if cl.head == c {
		cl.head = c.next
	} else {
		return
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	cl.n--
}

// shutdownConns gives every open connection its OnShutdown event.
func (l *Loop) shutdownConns() {
	l.begin(nil)
	for c := l.conns.head; c != nil; {
		next := c.next
		if c.flags&(fShutdownSent|fClosed) == 0 {
			c.flags |= fShutdownSent
			c.h.OnShutdown(c)
		}
		c = next
	}
	l.end(nil)
}
