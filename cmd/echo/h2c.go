package main

import (
	"flag"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

var (
	h2cMaxBytes   = flag.Int64("h2c-max-bytes", 1<<30, "largest N served by GET /bytes/N on h2c")
	h2cMaxStreams = flag.Uint("h2c-max-streams", 100, "SETTINGS_MAX_CONCURRENT_STREAMS of h2c connections")
)

func init() {
	servers = append(servers, &server{
		name:        "h2c",
		defaultAddr: "127.0.0.1:7001",
		usage:       "HTTP/2 cleartext (h2c) echo address",
		listen:      listenH2C,
	})
}

var h2cServer *h2conn.Server // for -stats

func listenH2C(e *loop.Engine, addr string) (func() string, error) {
	srv, err := h2conn.NewServer(&h2conn.Echo{MaxBytes: *h2cMaxBytes}, &h2conn.ServerOptions{
		Session: h2.Options{MaxConcurrentStreams: uint32(*h2cMaxStreams)},
	})
	if err != nil {
		return nil, err
	}
	h2cServer = srv
	ln, err := srv.Listen(e, addr)
	if err != nil {
		return nil, err
	}
	return func() string { return ln.Addr().String() }, nil
}
