package quicconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// Listener is a QUIC server on one UDP address of an engine: one
// SO_REUSEPORT socket per loop, each owning the connections whose first
// Initial it received.
type Listener struct{ ep *endpoint }

// Listen serves QUIC on addr ("host:port", port 0 for any) with cfg on
// engine e. Call it before e.Start; the engine's Stop closes every
// connection with CONNECTION_CLOSE.
//
// Returns the listener, or one of: ErrNoTLS; ErrNoHandler;
// loop.ErrStarted; a socket error.
func Listen(e *loop.Engine, addr string, cfg *Config) (*Listener, error) {
	ep, err := newEndpoint(e, addr, cfg, true)
	if err != nil {
		return nil, err
	}
	return &Listener{ep: ep}, nil
}

// Addr returns the bound address.
func (l *Listener) Addr() netip.AddrPort { return l.ep.ul.Addr() }

// Stats returns the listener's counters; safe from any goroutine.
func (l *Listener) Stats() Stats { return l.ep.stats() }

// Client dials QUIC connections from one UDP socket (or
// Config.UDP.Sockets of them) on an engine.
type Client struct{ ep *endpoint }

// NewClient binds a client endpoint to local ("[::]:0" if empty, which
// reaches IPv4 and IPv6 servers) on engine e. Call it before e.Start.
// cfg.Handler is not used; each Dial brings its own.
//
// Returns the client, or one of: ErrNoTLS; loop.ErrStarted; a socket
// error.
func NewClient(e *loop.Engine, local string, cfg *Config) (*Client, error) {
	if local == "" {
		local = "[::]:0"
	}
	ep, err := newEndpoint(e, local, cfg, false)
	if err != nil {
		return nil, err
	}
	return &Client{ep: ep}, nil
}

// Addr returns the client's bound address.
func (cl *Client) Addr() netip.AddrPort { return cl.ep.ul.Addr() }

// Stats returns the client's counters; safe from any goroutine.
func (cl *Client) Stats() Stats { return cl.ep.stats() }

// Dial opens a connection to addr ("host:port") with handler h and user
// value userCtx (Conn.Context), and waits until the handshake completes
// (h.OnHandshake has run by then) or fails, or ctx ends. Sockets are
// used in turn. Call it from any goroutine but the client's loops; the
// returned Conn must only be used on its loop (Conn.Execute). If
// Config.TLS has no ServerName, the host of addr is used.
//
// Returns the connection, or one of: ErrHandshake (wrapping the close
// reason) — the handshake failed or timed out; ctx.Err() — ctx ended
// first (the connection is closed); loop.ErrNotStarted; loop.ErrStopped;
// an address error.
func (cl *Client) Dial(ctx context.Context, addr string, h Handler, userCtx any) (*Conn, error) {
	ep := cl.ep
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	remote := ua.AddrPort()
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	tlsConf := ep.cfg.TLS
	if tlsConf.ServerName == "" && !tlsConf.InsecureSkipVerify {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = host
	}
	ss := ep.socks[int(ep.nextSock.Add(1)-1)%len(ep.socks)]
	sock := ss.sock
	if sock.Loop() == nil {
		return nil, loop.ErrNotStarted
	}
	done := make(chan error, 1)
	var c *Conn
	start := func() {
		st := (*udpHandler)(ep).state(sock)
		if st.shutdown {
			done <- loop.ErrStopped
			return
		}
		local := sock.LocalAddr()
		path := quic.Path{Local: local, Remote: remote}
		var err error
		c, err = st.newClientConn(h, &path, tlsConf)
		if err != nil {
			done <- err
			return
		}
		c.ctx = userCtx
		c.dial = done
		c.flush()
	}
	if err := sock.Loop().Execute(start); err != nil {
		return nil, err
	}
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		// Close the half-made connection on its loop; the handshake may
		// have finished meanwhile, then done holds nil and the close
		// is an application close.
		_ = sock.Loop().Execute(func() {
			if c != nil && !c.gone {
				if c.dial != nil {
					c.dial = nil
				}
				c.closeNow(&quic.CCErr{Type: quic.CCErrTypeApplication, Reason: []byte("dial cancelled")})
			}
		})
		return nil, ctx.Err()
	}
}

// newClientConn makes a client Conn with its own TLS config (ServerName).
func (ss *sockState) newClientConn(h Handler, path *quic.Path, tlsConf *tls.Config) (*Conn, error) {
	if h == nil {
		return nil, fmt.Errorf("quicconn: Dial needs a handler")
	}
	return ss.newConnTLS(h, path, nil, tlsConf, nil)
}
