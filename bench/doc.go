// Package bench is ngloop's load generator: an h2load-class harness for
// HTTP/2 (h2c), QUIC stream echo, HTTP/0.9 over QUIC (hq-interop) and TCP
// echo, with HDR latency histograms and reports that merge exactly.
//
// # Lifecycle
//
// A Config names the target, the mode and the load (h2load's -c, -m, -n or
// -D, -t, --warm-up-time, -d, -H, plus a rate cap). Run splits the clients
// over Threads workers and hands each worker to the mode's Driver. A driver
// records into Recorders, one per goroutine that owns connections (an event
// loop, or a client goroutine), so recording never takes a lock or
// allocates per request. When the drivers return, Run merges the recorders
// into a Report.
//
// A Report prints as h2load's summary plus percentiles (WriteText), as JSON
// with its histograms (WriteJSON, DecodeReport), as a per-second CSV
// timeline (WriteCSV) and as an SVG plot (WritePlot). Reports merge
// (Report.Merge): histograms add bucket by bucket, so two machines' reports
// merged have exactly the percentiles of one histogram over all samples.
//
// # Modes
//
// tcp-echo writes Config.Body (64 bytes by default) and counts a response
// when every byte came back, in order and unchanged. h2c sends GET (POST
// with a body) over HTTP/2 with prior knowledge through loop/h2conn and
// counts a response when its status was parsed and its body arrived whole
// (checked against content-length when present). quic-echo opens one
// bidirectional stream per request through loop/quicconn (ALPN "echo"),
// sends Config.Body and FIN, and counts the response when every byte came
// back unchanged and then FIN. hq-interop (HTTP/0.9 over QUIC, ALPN
// "hq-interop") sends "GET /path\r\n" and FIN on a stream and counts the
// response when the stream ends with FIN; its bytes are the body. The QUIC
// modes verify the server's certificate unless Config.Insecure is set (a
// self-signed server needs it). All four run on the ngloop engine: each
// worker owns a client engine with one loop, like an h2load thread.
// Steady state allocates nothing per request in the harness's own
// bookkeeping (see alloc_test.go).
//
// # Counting
//
// The counts follow h2load: a request is succeeded only when its status
// was parsed (2xx or 3xx; echo modes have no status) and all its body bytes
// arrived; failed covers everything else that ended, errored the failures
// without an HTTP answer, timeout those ended by Config.RequestTimeout. A
// target that refuses, resets or stalls produces failures in bounded time,
// never a hang. Cancelling the context (Ctrl-C) ends the run and Run still
// returns the partial report.
//
// # Example
//
//	rep, err := bench.Run(ctx, bench.Config{
//		Target: "127.0.0.1:9000", Mode: bench.ModeTCPEcho,
//		Clients: 50, StreamsPerClient: 10, Duration: 10 * time.Second,
//	})
//	if err != nil { ... }
//	rep.WriteText(os.Stdout)
package bench
