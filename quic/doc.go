// Package quic is a QUIC transport (RFC 9000, RFC 9001, RFC 9002) as a
// sans-IO state machine with ngtcp2's semantics: it never touches a
// socket, a clock or a goroutine of its own. The caller passes received
// datagrams to ReadPkt, asks WritePkt and WriteStream for datagrams to
// send, and supplies the time as ts on every call. TLS 1.3 runs in
// crypto/tls's QUICConn (which does use a goroutine internally).
//
// # Lifecycle
//
// A client starts with NewClientConn and sends what WritePkt produces. A
// server that gets a datagram for no known connection checks it with
// AcceptInitial (answering unsupported versions with
// WriteVersionNegotiation), creates the Conn with NewServerConn from that
// datagram and then passes the same datagram to ReadPkt. Datagrams for
// the connection are routed by SCID (and ODCID until the client switches).
//
// After each ReadPkt, HandleExpiry or application call, the owner writes
// until WritePkt returns 0, and arms a timer for Expiry. Stream data is
// sent with WriteStream; with WriteStreamFlagMore several streams share
// one datagram (ErrWriteMore). Received data arrives in order through
// Callbacks.RecvStreamData; by default its flow-control credit is given
// back when the callback returns (Settings.ManualFlowControl hands that
// to ExtendMaxStreamOffset and ExtendMaxOffset), and receive windows grow
// when the application reads quickly.
//
// WriteConnectionClose ends a connection: it writes CONNECTION_CLOSE and
// enters the closing period, in which WritePkt answers the peer with the
// saved packet at a decreasing rate. A peer's CONNECTION_CLOSE moves the
// connection into its draining period. A protocol violation found by
// ReadPkt is returned as a *ConnError and sent by the next WritePkt.
// CloseError reports what closed the connection; IsClosed reports when
// it can be discarded.
//
// # Driving a Conn from an event loop
//
// After every ReadPkt (whatever it returned), HandleExpiry, or
// application call, call WritePkt (and WriteStream for pending stream
// data) until it returns 0 or an error, and re-arm the timer at Expiry.
// What ReadPkt's errors mean for the loop:
//
//   - *ConnError: the peer broke a rule; the next WritePkt returns the
//     CONNECTION_CLOSE, after which the connection is closing.
//   - ErrClosing: WritePkt may return the saved CONNECTION_CLOSE (at a
//     decreasing rate) or ErrClosing.
//   - ErrDraining: send nothing; keep the Conn until IsClosed (the timer
//     at Expiry ends the draining period), to absorb late packets.
//   - ErrRecvVersionNegotiation, ErrInvalidState: the Conn is over.
//
// HandleExpiry returning ErrIdleClose or ErrHandshakeTimeout means the
// Conn is over and nothing is sent. IsClosed reports when a Conn can be
// dropped; Del releases it at once.
//
// # Example
//
//	c, err := quic.NewClientConn(&quic.Config{TLS: tlsConf}, &path, now())
//	buf := make([]byte, 1452)
//	for {
//		n, err := c.WritePkt(&path, nil, buf, now())
//		if n == 0 || err != nil { break }
//		sock.WriteTo(buf[:n], path.Remote)
//	}
//	// on a datagram: c.ReadPkt(&path, nil, d, now()); then write again
//	// on the timer at c.Expiry(): c.HandleExpiry(now()); then write again
//
// # Scope
//
// Implemented: QUIC v1 and v2 packet formats, coalesced packets, the
// handshake with ALPN and validated transport parameters, Retry at the
// client (and Settings.OriginalDCID for a server that sent one),
// Version Negotiation, key update (InitiateKeyUpdate and the peer's),
// HANDSHAKE_DONE and key discard, ACKs with ack delay, RFC 9002 loss
// recovery (packet- and time-threshold loss, PTO probes with backoff,
// persistent congestion) behind the CongestionController interface
// (NewReno by default, CUBIC with Settings.CongestionControl, or a
// user's own through Settings.NewCC), pacing (a token bucket whose
// next send time is part of Expiry), ECN (ECT(0) marking asked through
// PktInfo.ECN, validation of the peer's ACK_ECN counts, CE as a
// congestion signal), stream and connection flow control, DATAGRAM (RFC 9221),
// stateless reset detection, the anti-amplification limit, idle and
// handshake timeouts, issuing connection IDs with NEW_CONNECTION_ID
// (reset tokens keyed by Settings.StatelessResetKey, replaced when the
// peer retires them), path validation with PATH_CHALLENGE/PATH_RESPONSE,
// a server following a client's migration or NAT rebinding (limited to
// three times what the new path brought until it is validated), and a
// client's Migrate to a new local address, preferred_address (a server
// offers Settings.PreferredAddress; a client moves there once the
// handshake is confirmed), Retry and NEW_TOKEN tokens (TokenProtector,
// WriteRetry), and session resumption (servers send a session ticket;
// a client resumes with tls.Config.ClientSessionCache). Not implemented:
// 0-RTT, compatible version negotiation (RFC 9368), BBR and path MTU
// discovery.
//
// Steady state allocates nothing: a stream packet written by one Conn and
// read by another costs 0 allocations (BenchmarkStreamPacketWriteRead).
// Memory per connection is bounded by the flow control windows and the
// limits in Settings.
package quic
