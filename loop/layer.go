package loop

// Layer transforms what a connection's handler writes before it reaches
// the socket: TLS encrypts it (loop/tlsconn). With a layer set, Conn.Write
// hands plaintext to Seal, which writes the transformed bytes with
// WriteRaw. The handler's code does not change: an HTTP/2 server written
// for cleartext TCP runs over TLS as it is.
//
// Layer methods run on the connection's loop goroutine.
type Layer interface {
	// Fits returns how many plaintext bytes can be sealed into at most
	// free bytes of output (0 if none). Conn.Write uses it to keep the
	// connection under Options.HighWater.
	Fits(free int) int
	// Seal takes all of p, or returns an error, which closes the
	// connection. It may transform and write p (c.WriteRaw) at once or
	// keep it to transform together with later writes of the same event
	// (TLS makes one record of several small writes); what it keeps
	// counts against Fits.
	Seal(c *Conn, p []byte) error
	// Flush writes out what Seal kept. The connection calls it at the end
	// of every event it was written in, before its output goes to the
	// socket, and when a write finds no room.
	Flush(c *Conn)
	// Closing runs once when Close or CloseWrite begins, before the final
	// flush; a layer writes its end-of-stream marker there (TLS
	// close_notify).
	Closing(c *Conn)
}

// SetLayer puts l between the handler's writes and the socket (nil
// removes it). Bytes already written are not transformed.
func (c *Conn) SetLayer(l Layer) { c.layer = l }

// Layer returns the layer set with SetLayer, or nil.
func (c *Conn) Layer() Layer { return c.layer }

// WriteRaw appends p to the connection's output, bypassing the layer and
// the high-water check: a layer writes whole records with it. The caller
// bounds what it writes (Layer.Fits keeps sealed output under HighWater);
// the output ring grows to hold p.
//
// Returns len(p), nil on success, or 0, ErrClosed — the connection is
// closed or aborted.
func (c *Conn) WriteRaw(p []byte) (int, error) {
	if c.flags&(fShutWrDone|fAbort|fClosed|fCloseNow) != 0 {
		return 0, ErrClosed
	}
	c.grow(c.Buffered() + len(p))
	n := c.out.Write(p)
	c.markDirty()
	return n, nil
}

// writeLayer is Write through the layer: plaintext is sealed in pieces
// whose output fits under HighWater.
func (c *Conn) writeLayer(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		n := c.layer.Fits(c.e.opts.HighWater - c.Buffered())
		if n <= 0 && c.flags&fBlocked == 0 {
			c.layer.Flush(c)
			c.flush()
			if c.flags&fAbort != 0 {
				return total, ErrClosed
			}
			n = c.layer.Fits(c.e.opts.HighWater - c.Buffered())
		}
		if n <= 0 {
			c.flags |= fWantWritable
			c.markDirty()
			return total, ErrWouldBlock
		}
		n = min(n, len(p))
		if err := c.layer.Seal(c, p[:n]); err != nil {
			c.fail(err)
			return total, ErrClosed
		}
		total += n
		p = p[n:]
	}
	c.markDirty() // settle flushes the layer
	return total, nil
}
