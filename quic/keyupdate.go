package quic

// Key update (RFC 9001, Section 6). The peer may switch the 1-RTT keys
// by flipping the Key Phase bit; we then switch our send keys too. The
// next generation of receive keys is derived ahead of time so that a
// packet in the new phase is decrypted without delay, and the previous
// generation is kept for three PTOs for packets reordered across the
// switch (Section 6.5).

func (c *Conn) prepareNextRecvKeys() {
	sp := &c.spaces[spaceApp]
	k, err := sp.recvKeys.Next()
	c.hasNext = err == nil
	if c.hasNext {
		c.nextRecv = k
	}
}

// openShort decrypts a 1-RTT packet whose header protection has been
// removed, choosing the keys by its Key Phase bit.
func (c *Conn) openShort(pkt []byte, hdrLen int, pn int64, phase bool, ts Tstamp) ([]byte, error) {
	sp := &c.spaces[spaceApp]
	if phase == c.keyPhase {
		payload, err := sp.recvKeys.Decrypt(pkt, hdrLen, pn)
		if err == nil && c.phaseStartPN < 0 {
			c.phaseStartPN = pn
		}
		return payload, err
	}
	// An older packet of the previous phase.
	if c.hasPrev && (c.phaseStartPN < 0 || pn < c.phaseStartPN) {
		return c.prevRecv.Decrypt(pkt, hdrLen, pn)
	}
	if !c.hasNext || !c.handshakeConfirmed {
		return nil, ErrDecrypt
	}
	payload, err := c.nextRecv.Decrypt(pkt, hdrLen, pn)
	if err != nil {
		return nil, err
	}
	// RFC 9001, Section 6.2: "An endpoint that receives a packet
	// protected with new keys ... MUST update its send keys to match".
	next, err := sp.sendKeys.Next()
	if err != nil {
		return nil, ErrDecrypt
	}
	c.prevRecv, c.hasPrev = sp.recvKeys, true
	c.prevUntil = ts + Tstamp(3*c.rtt.pto(0))
	sp.recvKeys = c.nextRecv
	sp.sendKeys = next
	c.keyPhase = phase
	c.phaseStartPN = pn
	c.phaseSendPN = sp.nextPN
	c.prepareNextRecvKeys()
	return payload, nil
}

// dropPrevKeys forgets the previous phase's keys once their time is up.
func (c *Conn) dropPrevKeys(ts Tstamp) {
	if c.hasPrev && ts >= c.prevUntil {
		c.hasPrev = false
	}
}

// InitiateKeyUpdate switches the 1-RTT keys (RFC 9001, Section 6.1), as
// ngtcp2_conn_initiate_key_update does. The peer follows when it sees
// the flipped Key Phase bit.
//
// Returns nil on success, or ErrInvalidState — the handshake is not
// confirmed, the connection is closing, or the previous key update has
// not been acknowledged yet ("An endpoint MUST NOT initiate a subsequent
// key update unless it has received an acknowledgment for a packet that
// was sent protected with keys from the current key phase").
func (c *Conn) InitiateKeyUpdate(ts Tstamp) error {
	sp := &c.spaces[spaceApp]
	if !c.handshakeConfirmed || c.state >= stateClosing || !c.hasNext {
		return ErrInvalidState
	}
	if c.phaseSendPN >= 0 && sp.largestAcked < c.phaseSendPN {
		return ErrInvalidState
	}
	next, err := sp.sendKeys.Next()
	if err != nil {
		return ErrInvalidState
	}
	c.prevRecv, c.hasPrev = sp.recvKeys, true
	c.prevUntil = ts + Tstamp(3*c.rtt.pto(c.peerMaxAckDelay()))
	sp.recvKeys = c.nextRecv
	sp.sendKeys = next
	c.keyPhase = !c.keyPhase
	c.phaseStartPN = -1
	c.phaseSendPN = sp.nextPN
	c.prepareNextRecvKeys()
	return nil
}

// KeyPhase reports the current 1-RTT key phase bit.
func (c *Conn) KeyPhase() bool { return c.keyPhase }
