// Package proxy is an HTTP/2 reverse proxy and load balancer on a
// loop.Engine: clients speak h2c (prior knowledge) to it, and it relays
// each stream to one of its h2c backends.
//
// # Design
//
// Every loop has its own worker: the client connections the loop accepted
// and, per backend, a pool of client connections dialed onto the same
// loop (loop.Loop.Dial). A request never leaves its loop, so relaying
// needs no lock and no hand-off between goroutines; only the backends'
// health and in-flight counts are shared, as atomics.
//
// A backend pool respects the backend's SETTINGS_MAX_CONCURRENT_STREAMS:
// a stream goes to the open connection with the most room, a new
// connection is dialed when all are full (up to MaxConnsPerBackend), and
// requests wait in a bounded queue meanwhile. Backends are picked
// round-robin or by least outstanding requests.
//
// # Backpressure
//
// Both sessions run with manual flow control (h2.Options.NoAutoWindowUpdate).
// Request DATA from a client is kept in a ring bounded by the stream
// window the proxy advertised and credited back (Session.Consume) only
// when the backend session pulls it into a DATA frame; response DATA from
// a backend likewise, towards the client. A data provider with nothing to
// send returns h2.ErrDeferred and is resumed (ResumeData) when octets
// arrive; a session whose socket is full stops pulling (loop.ErrWouldBlock
// turns into h2.ErrWouldBlock). So a client that reads nothing holds at
// most one stream window of its backend's data, the backend stream stops,
// and other streams go on.
//
// Output is flushed once per poll batch: reading a client or a backend
// queues frames on the other side's session, and a task posted to the loop
// (gnet runs it after the batch's events) sends every touched session, so
// the requests of many clients read in one batch reach a backend in one
// writev.
//
// # Failures and shutdown
//
// A backend's GOAWAY stops new streams to that connection; streams above
// its last stream ID, and those refused, are retried once elsewhere. A
// backend connection that breaks turns its requests into 502 (or
// RST_STREAM INTERNAL_ERROR once the response began) and takes the
// backend out of rotation until a health check (PING, connect or GET
// HealthPath, on loop timers) brings it back. Engine.Stop sends clients
// the two-step GOAWAY of RFC 9113, Section 6.8, and backend connections
// close once no client is left.
//
// # Example
//
//	e, _ := loop.NewEngine(loop.Options{})
//	px, _ := proxy.New(proxy.Options{Backends: []string{"127.0.0.1:7001", "127.0.0.1:7002"}})
//	_, _ = px.Listen(e, "tcp://127.0.0.1:8080")
//	_ = e.Start()
//	go http.ListenAndServe("127.0.0.1:9090", px.MetricsHandler())
package proxy
