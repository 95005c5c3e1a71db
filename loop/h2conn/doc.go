// Package h2conn runs HTTP/2 over cleartext TCP (h2c) on a loop.Engine:
// server connections that serve requests with a Handler on the loop (or a
// standard net/http Handler on a worker pool, see NetHTTP), and client
// connections for load generators and proxies (see Client).
//
// Each connection owns one h2.Session. Bytes from the socket go to
// Session.MemRecv; the session's Send callback writes into the
// connection's output ring and reports h2.ErrWouldBlock when the loop's
// Write hits the high-water mark, and the loop's OnWritable resumes Send.
// While output is backed up the connection stops reading, so a peer that
// does not read makes the server stop, not grow.
//
// # Server
//
//	srv, _ := h2conn.NewServer(handler, &h2conn.ServerOptions{...}) // nil: defaults
//	e, _ := loop.NewEngine(loop.Options{})
//	ln, _ := srv.Listen(e, "127.0.0.1:0")
//	_ = e.Start()
//	...
//	_ = e.Stop(ctx) // graceful: GOAWAY notice, PING, final GOAWAY, drain
//
// A connection starts either with the client preface (prior knowledge,
// RFC 9113, Section 3.3) or with an HTTP/1.1 request carrying
// "Upgrade: h2c" and HTTP2-Settings (RFC 7540, Section 3.2, as curl
// --http2 and nghttp -u send it): the server answers 101, the request
// becomes stream 1, and it reaches the handler once the client's preface
// and SETTINGS arrived. Other HTTP/1.1 requests get 426; oversized ones
// 431 or 413 (ServerOptions.MaxUpgradeHeaderSize, MaxUpgradeBodySize).
//
// Timers of the loop bound a connection's life: PrefaceTimeout from
// accept to the preface, the session's SETTINGS timeout, IdleTimeout
// without input, open streams or not (GOAWAY NO_ERROR). A finished session
// half-closes after its last frame and drops input until the peer closes,
// so the GOAWAY is not lost to a TCP reset.
//
// Engine.Stop runs the graceful shutdown of RFC 9113, Section 6.8: GOAWAY
// with 2^31-1 and a PING; when the PING comes back (or after
// ShutdownPingTimeout) the final GOAWAY names the last stream processed;
// the connection closes once those streams are done.
//
// # Handlers
//
// A Handler runs on the loop and must not block. OnRequest gets a Stream
// with the request's header section (Method, Path, Header, ...). The
// response is either complete (Stream.Respond with a body that is not
// copied) or streamed (RespondStream, then Write and End whenever the
// handler likes: from OnBody, OnWritable, a timer, or work posted with
// ServerConn.Execute). SetTrailers before the end of the body turns the
// end into a trailer section (DataFlagNoEndStream plus SubmitTrailer).
// Request body arrives in OnBody and is credited back to the client when
// OnBody returns, or, after ConsumeAsWritten, only as the streamed
// response leaves the stream's buffer: an echo then holds at most one
// window per stream. Echo, the service of cmd/echo, is the worked
// example. Requests and responses allocate nothing once a connection is
// warm (TestSteadyStateAllocations, BenchmarkGetRoundTrip).
//
// NetHTTP adapts a net/http Handler: each request goes to a bounded pool
// of workers (503 when the queue is full); the body is read through a
// buffer that the client can fill only as far as the handler reads it,
// and response bytes are handed to the loop with Execute, the worker
// waiting until the loop took them.
//
// # Client
//
//	cl, _ := h2conn.NewClient(e, nil)
//	_ = cl.Dial(ctx, "127.0.0.1:8080", connHandler, nil)
//	// connHandler.OnConnect(cc) runs on the loop; there, or in cc.Execute:
//	id, err := cc.Request(&h2conn.Request{Method: []byte("GET"), Path: []byte("/")}, respHandler, nil)
//
// ConnHandler gets OnConnect and OnDisconnect; ResponseHandler gets
// OnResponse (status and header fields), OnData per body chunk and
// OnClose last (h2.NoError, or the reset code; trailers are readable
// there). Requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS
// wait in the session's queue; requests a GOAWAY refused end with
// h2.RefusedStream. ClientConn.Shutdown ends a connection gracefully.
// With ClientOptions.ManualFlow the application credits received body
// with ClientStream.Consume, so a proxy can pass backpressure on.
// The client runs on the same loops as servers, so one engine can be a
// server, a load generator and a proxy at once.
package h2conn
