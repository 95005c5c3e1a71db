package quic

// Timers. The caller asks Expiry when to call HandleExpiry next; a
// Conn has no timer of its own.

// Expiry returns when HandleExpiry should be called next, TstampMax for
// never. It covers the loss detection and probe timers, delayed ACKs,
// the idle and handshake timeouts, and the end of the closing or
// draining period.
func (c *Conn) Expiry() Tstamp {
	switch c.state {
	case stateClosing, stateDraining:
		return c.closeDeadline
	case stateClosed:
		return TstampMax
	}
	t := TstampMax
	if c.localErr != nil {
		// Only the idle timer: the next WritePkt sends CONNECTION_CLOSE.
		return c.idleDeadline()
	}
	if lt, _ := c.lossTimer(); lt != 0 {
		t = lt
	} else if pt, _ := c.ptoTimer(); pt < t {
		t = pt
	}
	for sid := range c.spaces {
		if c.spaces[sid].discarded {
			continue
		}
		if at := c.spaces[sid].recv.ackTimer(); at < t {
			t = at
		}
	}
	if it := c.idleDeadline(); it < t {
		t = it
	}
	if !c.handshakeCompleted {
		if ht := c.createdAt + Tstamp(c.settings.HandshakeTimeout); ht < t {
			t = ht
		}
	}
	if c.hasPrev && c.prevUntil < t {
		t = c.prevUntil
	}
	if pt := c.pathExpiry(); pt < t {
		t = pt
	}
	if w := c.pacer.wait; w != 0 && w < t {
		t = w
	}
	return t
}

// idleDeadline: RFC 9000, Section 10.1: "To avoid excessively small idle
// timeout periods, endpoints MUST increase the idle timeout period to be
// at least three times the current Probe Timeout (PTO)."
func (c *Conn) idleDeadline() Tstamp {
	if c.idleTimeout == 0 {
		return TstampMax
	}
	d := c.idleTimeout
	if p := 3 * c.rtt.pto(c.peerMaxAckDelay()); p > d {
		d = p
	}
	return c.lastActivity + Tstamp(d)
}

// HandleExpiry runs the timers that are due at ts. Afterwards WritePkt
// sends what they produced (probes, retransmissions, delayed ACKs).
//
// Returns nil on success, or one of: ErrIdleClose — the idle timeout
// expired and the connection closed silently (RFC 9000, Section 10.1;
// CloseError reports CCErrTypeIdleClose); ErrHandshakeTimeout — the
// handshake did not complete within Settings.HandshakeTimeout. After
// the closing or draining period ends it returns nil and IsClosed
// reports true.
func (c *Conn) HandleExpiry(ts Tstamp) error {
	if c.inCall {
		return ErrInvalidState
	}
	switch c.state {
	case stateClosing, stateDraining:
		if ts >= c.closeDeadline {
			c.state = stateClosed
		}
		return nil
	case stateClosed:
		return nil
	}
	c.inCall = true
	defer c.endCall()
	if ts >= c.idleDeadline() {
		c.closeSilently(&CCErr{Type: CCErrTypeIdleClose})
		return ErrIdleClose
	}
	if !c.handshakeCompleted && ts >= c.createdAt+Tstamp(c.settings.HandshakeTimeout) {
		c.closeSilently(&CCErr{Type: CCErrTypeIdleClose})
		return ErrHandshakeTimeout
	}
	c.dropPrevKeys(ts)
	if err := c.onPathTimer(ts); err != nil {
		return err
	}
	if c.pacer.wait != 0 && ts >= c.pacer.wait {
		c.pacer.wait = 0 // the caller writes next; the pacer decides again
	}
	if lt, _ := c.lossTimer(); lt != 0 && lt <= ts {
		c.onLossTimeout(ts)
	} else if pt, _ := c.ptoTimer(); pt <= ts {
		c.onLossTimeout(ts)
	}
	return nil
}

// closeSilently ends the connection without sending anything.
func (c *Conn) closeSilently(e *CCErr) {
	if c.closeErr == nil {
		c.closeErr = e
	}
	c.state = stateClosed
	c.pend.active = false
	c.releaseStreams()
}
