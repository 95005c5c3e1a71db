package tlsconn

import "github.com/ngloop/ngloop/loop"

// conn implements loop.Layer: the inner handler's writes become TLS
// records.

// Fits implements loop.Layer. A record adds at most 57 bytes (TLS 1.2
// CBC with HMAC-SHA1: 5 header, 16 IV, 20 MAC, 16 padding; AEAD suites
// and TLS 1.3 add 21 to 29) and crypto/tls never writes a record of less
// than about 1,150 plaintext bytes unless the write itself is smaller
// (conn.go, maxPayloadSizeForWrite). So n bytes seal into at most
// n + n/20 + 57: reserving free/16 + 64 keeps the output under free.
// Plaintext kept by Seal (stage) counts as already taken.
func (cs *conn) Fits(free int) int {
	n := free - free/16 - 64 - len(cs.stage)
	if n <= 0 || cs.state != stOpen {
		return 0
	}
	return n
}

// stageCap is the plaintext of one full record (RFC 8446, Section 5.1).
const stageCap = maxPlaintext

// Seal implements loop.Layer. Small writes of one event (an HTTP/2
// HEADERS frame, then its DATA) are gathered in stage and sealed
// together in Flush: one record and one AEAD pass instead of one per
// write. Writes of a record or more go to tls.Conn.Write at once.
func (cs *conn) Seal(c *loop.Conn, p []byte) error {
	if len(cs.stage)+len(p) > stageCap {
		if err := cs.flushStage(c); err != nil {
			return err
		}
		if len(p) >= stageCap {
			_, err := cs.tc.Write(p)
			return err
		}
	}
	if cs.stage == nil {
		cs.stage = c.Loop().Pool().Get(stageCap)[:0]
	}
	cs.stage = append(cs.stage, p...)
	return nil
}

// Flush implements loop.Layer: the gathered plaintext becomes records.
func (cs *conn) Flush(c *loop.Conn) {
	if err := cs.flushStage(c); err != nil {
		cs.broken = true
		_ = c.Abort(err)
	}
}

func (cs *conn) flushStage(c *loop.Conn) error {
	if cs.stage == nil {
		return nil
	}
	var err error
	if len(cs.stage) > 0 {
		// tls.Conn.Write writes the records through the pipe to
		// Conn.WriteRaw before returning: stage is free again.
		_, err = cs.tc.Write(cs.stage)
	}
	cs.releaseStage(c)
	return err
}

func (cs *conn) releaseStage(c *loop.Conn) {
	if cs.stage != nil {
		c.Loop().Pool().Put(cs.stage)
		cs.stage = nil
	}
}

// Closing implements loop.Layer: a graceful close sends close_notify
// (RFC 8446, Section 6.1: "Each party MUST send a "close_notify" alert
// before closing its write side of the connection").
func (cs *conn) Closing(c *loop.Conn) {
	if !cs.secure || cs.broken {
		return
	}
	if cs.flushStage(c) != nil {
		return
	}
	_ = cs.tc.CloseWrite()
}
