package quicconn

import "github.com/ngloop/ngloop/quic"

// Handler receives one connection's events. All methods run on the
// connection's loop goroutine (the UDP socket's), one at a time, so
// per-connection state needs no locks. Data slices are valid only
// during the call. Writes and other calls made inside a method are
// queued and go out, batched with sendmmsg, when the loop's turn ends.
//
// A listener's Config.Handler serves all its connections, which live on
// several loops at once: keep per-connection state in Conn.SetContext,
// or give each connection its own handler with Conn.SetHandler (in
// OnHandshake, say).
type Handler interface {
	// OnHandshake runs once the TLS handshake completed; c.ALPN() is
	// known from here on.
	OnHandshake(c *Conn)
	// OnStreamOpen: the peer opened stream id.
	OnStreamOpen(c *Conn, id int64)
	// OnStreamData delivers a stream's bytes in order; fin marks the end
	// of the stream. Unless Config.Settings.ManualFlowControl is set, the
	// flow-control credit for data is given back when the call returns;
	// with it, the handler gives it back with Conn.Consume, which bounds
	// what a peer can make it buffer.
	OnStreamData(c *Conn, id int64, data []byte, fin bool)
	// OnStreamWritable runs after Write returned ErrWouldBlock for
	// stream id, once its queue drained to half of StreamHighWater (and
	// the connection's to half of ConnHighWater).
	OnStreamWritable(c *Conn, id int64)
	// OnStreamReset: the peer reset its sending side of the stream with
	// code (RESET_STREAM); no more data comes.
	OnStreamReset(c *Conn, id int64, code uint64)
	// OnStreamStopSending: the peer asked us to stop sending (STOP_SENDING);
	// the stream's queued output is dropped and it is reset with code.
	OnStreamStopSending(c *Conn, id int64, code uint64)
	// OnStreamClose: both directions of the stream are done and the
	// connection forgot it; code is the reset or stop code, or 0.
	OnStreamClose(c *Conn, id int64, code uint64)
	// OnClose runs once when the connection stops being usable: it sent
	// or received CONNECTION_CLOSE, timed out, or the engine stopped.
	// err says why (nil only if none is known). Calls on c fail
	// afterwards. It runs only for connections that got OnHandshake.
	OnClose(c *Conn, err *quic.CCErr)
}

// BaseHandler implements every Handler method as a no-op; embed it and
// override what you need.
type BaseHandler struct{}

// OnHandshake does nothing.
func (BaseHandler) OnHandshake(*Conn) {}

// OnStreamOpen does nothing.
func (BaseHandler) OnStreamOpen(*Conn, int64) {}

// OnStreamData drops the data.
func (BaseHandler) OnStreamData(*Conn, int64, []byte, bool) {}

// OnStreamWritable does nothing.
func (BaseHandler) OnStreamWritable(*Conn, int64) {}

// OnStreamReset does nothing.
func (BaseHandler) OnStreamReset(*Conn, int64, uint64) {}

// OnStreamStopSending does nothing.
func (BaseHandler) OnStreamStopSending(*Conn, int64, uint64) {}

// OnStreamClose does nothing.
func (BaseHandler) OnStreamClose(*Conn, int64, uint64) {}

// OnClose does nothing.
func (BaseHandler) OnClose(*Conn, *quic.CCErr) {}
