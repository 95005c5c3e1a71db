// Package quicconn runs quic.Conns on the engine's UDP sockets: the glue
// between the sans-IO QUIC state machine (package quic) and the UDP
// reactor of package loop. It serves (Listen) and dials (Client.Dial)
// QUIC connections and gives applications a stream API with
// backpressure (Handler, Conn.Write).
//
// # Server
//
//	e, _ := loop.NewEngine(loop.Options{Loops: 4})
//	ln, _ := quicconn.Listen(e, "0.0.0.0:443", &quicconn.Config{
//		TLS:     &tls.Config{Certificates: certs, NextProtos: []string{"echo"}},
//		Handler: myHandler,
//	})
//	_ = e.Start()
//	...
//	_ = e.Stop(ctx) // every connection gets CONNECTION_CLOSE (application error 0)
//
// Each loop owns one SO_REUSEPORT socket. A datagram's version and
// connection IDs are decoded before any Conn is involved
// (quic.DecodeVersionCID): an unsupported version in a datagram of at
// least 1200 bytes is answered with Version Negotiation; an Initial for
// no known connection creates a server Conn (quic.AcceptInitial), within
// Config.MaxConns connections and Config.MaxHandshakes handshakes in
// progress (beyond them Initials are dropped and counted in
// Stats.Refused); anything else unknown is dropped, and a short-header
// packet for an unknown connection is answered with a Stateless Reset
// (RFC 9000, Section 10.3; at most Config.StatelessResetRate per second
// and socket) whose token is derived from the connection ID under
// Config.StatelessResetKey (quic.StatelessResetTokenFor), the token the
// connection advertised. An Initial that
// cannot be decrypted does not keep its Conn.
//
// # Routing
//
// The connection IDs the glue issues carry the index of the owning
// socket in their first byte, and the listener's loop.UDPConfig.Route
// sends a short-header packet to that socket whatever socket the kernel
// picked (after a NAT rebinding, say). So a connection stays on one loop
// and no table is shared between loops: each socket keeps its own map
// from connection ID (the Conn's SCID, the IDs it issues later with
// NEW_CONNECTION_ID and, at a server, the client's original Destination
// Connection ID) to Conn.
//
// With Config.LoadBalancer the connection IDs follow a QUIC-LB style
// configuration (package quic/lbcid): the server ID is Config.ServerID
// plus the socket index, in plaintext or AES-encrypted, so a balancer in
// front of several servers (or processes on one SO_REUSEPORT port)
// steers by it without state, and Route finds the socket the same way.
//
// # Stateless reset
//
// Every connection ID's stateless reset token is derived from
// Config.StatelessResetKey (quic.StatelessResetTokenFor). A short-header
// packet for no known connection is answered with a stateless reset
// (RFC 9000, Section 10.3), at most Config.StatelessResetRate per second
// per socket and never for a packet too small to be answered with a
// shorter one. Processes that share the key (several servers behind a
// balancer, or a restart that keeps it) reset each other's lost
// connections.
//
// # Clients
//
//	cl, _ := quicconn.NewClient(e, "", &quicconn.Config{TLS: &tls.Config{NextProtos: []string{"echo"}}})
//	_ = e.Start()
//	c, err := cl.Dial(ctx, "127.0.0.1:7443", h, nil) // returns after h.OnHandshake
//	_ = c.Execute(func() {
//		id, _ := c.OpenStream()
//		c.Write(id, []byte("hello"), true)
//	})
//
// A Client is a UDP endpoint (Config.UDP.Sockets sockets, default one)
// bound before Start; Dial can be called from any goroutine and any
// number of times. The bench harness's quic-echo and hq-interop modes
// use it.
//
// # Handlers and backpressure
//
// A Handler gets a connection's events on its loop: OnHandshake,
// OnStreamOpen, OnStreamData (in-order bytes, fin), OnStreamWritable,
// OnStreamReset, OnStreamStopSending, OnStreamClose and OnClose.
// Conn.Write queues at most Config.StreamHighWater bytes per stream (and
// Config.ConnHighWater per connection) and returns ErrWouldBlock with the
// count it took; OnStreamWritable follows when the queue drained to half. The queue drains as fast as the
// connection takes data: stream flow control (the stream waits for the
// peer's MAX_STREAM_DATA, quic.ErrStreamDataBlocked), connection flow
// control and the congestion window. With
// Config.Settings.ManualFlowControl the handler gives receive credit
// back with Conn.Consume once it has dealt with the bytes, so a peer
// that sends without reading cannot make it buffer more than the
// windows.
//
// # The loop's turn
//
// Datagrams arrive in batches (recvmmsg) and go to ReadPkt one by one;
// handler calls made meanwhile only queue. When the batch (or a timer, or
// posted work) is done, every connection touched is flushed once: queued
// stream data through WriteStream (streams share datagrams with
// WriteStreamFlagMore), then WritePkt for ACKs, control frames,
// retransmissions and probes, written in place into the socket's send
// queue and sent together with sendmmsg (the reactor has no UDP GSO yet,
// so each datagram is its own message). Each connection has one loop
// timer armed for Expiry; it calls HandleExpiry. Connections that close
// (CONNECTION_CLOSE sent or received, idle timeout) get OnClose at once
// and are removed when their closing or draining period ends.
//
// # Threading
//
// A Conn and its handler live on one loop goroutine; call Conn methods
// from Handler methods or through Conn.Execute. Listener.Stats and
// Client.Stats are safe anywhere.
//
// # Allocation
//
// Steady state allocates nothing per packet: receiving, flushing and
// timers reuse the socket's buffers, stream queues are rings from the
// loop's pool: TestSteadyStateAllocs, TestEchoRoundTripAllocs and
// BenchmarkEchoRoundTrip (0 allocs/op) prove it.
package quicconn
