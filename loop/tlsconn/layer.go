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
func (cs *conn) Fits(free int) int {
	n := free - free/16 - 64
	if n <= 0 || cs.state != stOpen {
		return 0
	}
	return n
}

// Seal implements loop.Layer: tls.Conn.Write frames and encrypts p and
// writes the records through the pipe to Conn.WriteRaw.
func (cs *conn) Seal(_ *loop.Conn, p []byte) error {
	_, err := cs.tc.Write(p)
	return err
}

// Closing implements loop.Layer: a graceful close sends close_notify
// (RFC 8446, Section 6.1: "Each party MUST send a "close_notify" alert
// before closing its write side of the connection").
func (cs *conn) Closing(*loop.Conn) {
	if !cs.secure || cs.broken {
		return
	}
	_ = cs.tc.CloseWrite()
}
