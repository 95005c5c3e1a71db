// Package quicserve holds the QUIC applications of ngloop's echo server,
// shared by cmd/echo (its -quic listener) and cmd/bench (the in-process
// engine of the embedded default): stream echo under ALPN "echo" (Echo)
// and HTTP/0.9 file serving under ALPN "hq-interop", as the QUIC interop
// runner uses it. Listen puts both on one quicconn.Listener and picks the
// application by the ALPN the client negotiated.
//
//	e, _ := loop.NewEngine(loop.Options{Loops: 1})
//	ln, _ := quicserve.Listen(e, "127.0.0.1:0", quicserve.Options{WWW: "."})
//	_ = e.Start()
//	// quic-echo and hq-interop clients dial ln.Addr()
//
// Without Options.Cert the listener uses a fresh self-signed certificate
// (package internal/selfsigned), which clients cannot verify.
package quicserve
