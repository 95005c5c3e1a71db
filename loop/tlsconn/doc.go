// Package tlsconn runs TLS (crypto/tls, nothing of its own) on loop.Engine
// connections. A Handler wraps an inner loop.Handler: it runs the
// handshake, then presents decrypted bytes to the inner handler's OnData
// and encrypts what the inner handler writes, through a loop.Layer set on
// the connection. The inner handler's code does not change: an
// h2conn.Server serves HTTP/2 over TLS as it serves h2c.
//
//	certs, _ := tlsconn.LoadCerts("cert.pem", "key.pem")
//	srv, _ := h2conn.NewServer(handler, nil)
//	th, _ := tlsconn.NewServer(srv, tlsconn.ServerConfig(certs), &tlsconn.Options{Verify: tlsconn.H2Verify})
//	ln, _ := e.Listen("tcp://127.0.0.1:0", th)
//	certs.ReloadOn(stop, nil, syscall.SIGHUP) // new connections get the new certificate
//
// # Why the handshake runs on workers and records on the loop
//
// An event loop must never block, but crypto/tls's handshake is straight
// code over a blocking net.Conn: its state lives in local variables of
// Conn.Handshake, and once its Read returns an error the handshake is
// over (a temporary error is passed up, not retried), so it cannot be
// stopped when input runs out and resumed later on the loop. The
// handshake therefore runs on a worker goroutine over an in-memory pipe
// (pipe.go): OnData hands the bytes the loop read to the worker, and the
// worker's writes are posted back with Conn.Execute and written by the
// loop. The handshake's CPU work (key exchange, signature) is thus also
// off the loop, so a handshake storm does not stall requests on open
// connections; how many run at once is bounded (Options.MaxHandshakes),
// as is the queue behind them (Options.MaxPending), and only
// Options.HandshakeCPU of them (half the CPUs) compute at a time: a worker
// gives its turn back while it waits for the peer, so the loops keep the
// rest of the machine during a storm and a waiting handshake costs none.
//
// A connection goes to a worker only once its whole ClientHello has
// arrived (hello.go), so a client that sends half a ClientHello and stops
// costs no worker, only its bytes on the loop, until
// Options.HandshakeTimeout closes it. A client that stalls later (after
// the server's flight) holds a worker until the timeout; the pool's
// bound is what limits that.
//
// After the handshake, record processing is resumable: crypto/tls keeps a
// partial record in its own buffer and a temporary net.Error from the
// underlying Read leaves the connection intact. So the loop owns the
// tls.Conn from then on and no goroutine is involved per record: in
// OnData the pipe's Read hands crypto/tls the whole records among the
// bytes the loop presents, one per Read, then a temporary "would block"
// error; a trailing partial record stays in the loop's input, presented
// again with the rest. The loop calls tls.Conn.Read while whole records
// are there and hands the plaintext to the inner handler. Writes of one
// event are gathered and sealed into one record when the event ends
// (Layer.Flush): tls.Conn.Write → pipe.Write → loop.Conn.WriteRaw. A
// goroutine per connection for its whole life (a pair, as net/http has)
// would give up what the engine is for: one goroutine per loop, batched
// writes, no locks on the per-connection path.
//
// What remains per received record is one 24-byte allocation inside
// crypto/tls (readFromUntil's atLeastReader escapes); everything of this
// package's own allocates nothing in steady state
// (TestEchoOverTLSAllocatesOnlyInCryptoTLS).
//
// # Bounded memory and backpressure
//
// Per connection: the ClientHello (Options.MaxHelloSize) and what the
// peer sends during the handshake (Options.MaxHandshakeBytes); after it,
// crypto/tls's record buffers (one record each way), the plaintext buffer
// (Options.PlainBufferSize, from the loop's pool while non-empty) and the
// loop's own bounds. Decrypting stops while the plaintext buffer is full:
// ciphertext then stays with the loop, which pauses reading when the
// inner handler's output is blocked. On the output side, Conn.Write asks
// the layer how much plaintext fits under Options.HighWater once sealed
// (Layer.Fits) and returns loop.ErrWouldBlock for the rest, as it does
// for plain TCP.
//
// # HTTP/2
//
// ServerConfig offers ALPN "h2" only, TLS 1.2 and later, and TLS 1.2
// suites off RFC 9113's blocklist. H2Verify checks the result again and
// answers a violation with GOAWAY INADEQUATE_SECURITY (RFC 9113, Section
// 9.2). A client offering only http/1.1 gets a no_application_protocol
// alert; this package does not fall back to HTTP/1.1.
//
// # Lifecycle
//
// OnOpen of the Handler starts the handshake timer; the inner handler's
// OnOpen runs after a successful handshake and Verify, its OnClose only
// if OnOpen ran. Close sends close_notify before the final flush; Abort
// does not. A record error (bad MAC, an attempt to renegotiate) sends
// crypto/tls's alert and closes the connection.
package tlsconn
