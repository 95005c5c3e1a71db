package loop

// Handler receives one connection's events. All methods run on the
// connection's loop goroutine, one at a time, so a handler needs no locks
// for per-connection state. Writes made inside a method are batched and
// flushed when it returns.
type Handler interface {
	// OnOpen runs once the connection is registered on its loop
	// (accepted, or dialed and connected).
	OnOpen(c *Conn)
	// OnData gets the bytes received and not yet consumed; in is valid
	// only during the call (zero-copy from the loop's read buffer where
	// possible). It returns how many bytes it consumed; the rest are
	// presented again, followed by new bytes, on the next call. If a
	// write returned ErrWouldBlock during the call and input is left
	// over, reading pauses until OnWritable, then the leftover comes back.
	OnData(c *Conn, in []byte) (consumed int)
	// OnWritable runs after a write returned ErrWouldBlock, once pending
	// output drained to Options.LowWater or below.
	OnWritable(c *Conn)
	// OnTimer runs when a timer bound with Conn.InitTimer expires.
	OnTimer(c *Conn, t *Timer)
	// OnShutdown runs when Engine.Stop begins (and at once on connections
	// dialed while it runs). The handler should finish up and Close; an
	// HTTP/2 session sends GOAWAY here.
	OnShutdown(c *Conn)
	// OnClose runs once, last. err is nil after Close or Abort(nil), the
	// cause otherwise (io.EOF-wrapping errors when the peer closed,
	// ErrIdleTimeout, ErrStopped, a dial error, ...). After a failed Dial
	// it runs on the dialing goroutine and c.Loop() is nil.
	OnClose(c *Conn, err error)
}

// BaseHandler implements every Handler method with the usual default; embed
// it and override what you need. OnData consumes and drops everything,
// OnShutdown closes the connection, the rest do nothing.
type BaseHandler struct{}

// OnOpen does nothing.
func (BaseHandler) OnOpen(*Conn) {}

// OnData discards the input.
func (BaseHandler) OnData(_ *Conn, in []byte) int { return len(in) }

// OnWritable does nothing.
func (BaseHandler) OnWritable(*Conn) {}

// OnTimer does nothing.
func (BaseHandler) OnTimer(*Conn, *Timer) {}

// OnShutdown closes the connection gracefully.
func (BaseHandler) OnShutdown(c *Conn) { _ = c.Close() }

// OnClose does nothing.
func (BaseHandler) OnClose(*Conn, error) {}
