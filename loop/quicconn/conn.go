package quicconn

import (
	"crypto/tls"
	"net/netip"

	"github.com/ngloop/ngloop/buffers"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// Conn is one QUIC connection on a UDP socket of the engine: a quic.Conn
// plus its queued stream output, its timer and its handler. It lives on
// the socket's loop; call its methods there (from a Handler method, or
// through Execute).
type Conn struct {
	ss    *sockState
	q     *quic.Conn
	h     Handler
	ctx   any
	timer loop.Timer
	path  quic.Path
	pi    quic.PktInfo
	keys  [2]string // connection table keys: SCID, initial DCID
	cids  []string  // more table keys: CIDs issued with NEW_CONNECTION_ID

	streams   map[int64]*stream
	sendq     []*stream // streams with queued output or a FIN to send
	rr        int       // round-robin start in sendq
	queued    int       // bytes queued on all streams (ConnHighWater)
	wantq     []*stream // streams owed OnStreamWritable
	wantSpare []*stream

	closeReq  *quic.CCErr // Close was called; written by the next flush
	alpn      string
	handshook bool // HandshakeCompleted ran
	notified  bool // OnClose ran (or was not owed)
	gone      bool // removed from the socket
	wantSock  bool // waiting for the socket's send queue
	dirty     bool
	inFlush   bool
	dirtyNext *Conn
	next      *Conn
	prev      *Conn

	dial chan error // client: Dial waits for the handshake here

	dgrams [][]byte // DATAGRAM payloads queued by SendDatagram
}

// stream is the glue's part of a stream: output queued by Write that the
// connection has not taken yet.
type stream struct {
	id      int64
	out     *buffers.Ring
	fin     bool // FIN queued after out
	finDone bool // the connection has the FIN
	blocked bool // stream flow control: wait for ExtendMaxStreamData
	want    bool // Write returned ErrWouldBlock: OnStreamWritable owed (listed in Conn.wantq)
	inq     bool // listed in Conn.sendq
	dead    bool // the connection closed the stream
}

// newConn makes a Conn on socket ss: a server Conn from a client's first
// datagram (initial != nil) or a client Conn.
func (ss *sockState) newConn(h Handler, path *quic.Path, initial []byte, av *addrValidation) (*Conn, error) {
	return ss.newConnTLS(h, path, initial, ss.ep.cfg.TLS, av)
}

func (ss *sockState) newConnTLS(h Handler, path *quic.Path, initial []byte, tlsConf *tls.Config, av *addrValidation) (*Conn, error) {
	ep := ss.ep
	scid, err := ep.newCID(ss.sock.Index())
	if err != nil {
		return nil, err
	}
	c := &Conn{ss: ss, h: h, path: *path, streams: make(map[int64]*stream)}
	cfg := &quic.Config{TLS: tlsConf, Settings: ep.cfg.Settings, Params: ep.cfg.Params}
	cfg.Settings.SCID = scid
	if av != nil {
		cfg.Settings.OriginalDCID = av.odcid
		cfg.Settings.AddressValidated = av.validated
	}
	if initial != nil {
		cfg.Settings.TokenProtector = ss.ep.tokens
	}
	c.callbacks(&cfg.Callbacks)
	now := loop.Now()
	if initial != nil {
		c.q, err = quic.NewServerConn(cfg, path, initial, tstamp(now))
	} else {
		c.q, err = quic.NewClientConn(cfg, path, tstamp(now))
	}
	if err != nil {
		return nil, err
	}
	c.keys[0] = string(c.q.SCID())
	if initial != nil {
		c.keys[1] = string(c.q.InitialDCID())
		ss.conns[c.keys[1]] = c
	}
	ss.conns[c.keys[0]] = c
	ss.add(c)
	ep.conns.Add(1)
	ep.handshakes.Add(1)
	c.timer.Init(ss.l, c.onTimer)
	return c, nil
}

func (c *Conn) callbacks(cb *quic.Callbacks) {
	cb.HandshakeCompleted = func(*quic.Conn) error {
		c.handshook = true
		c.ss.ep.handshakes.Add(-1)
		c.alpn = c.q.TLSConnectionState().NegotiatedProtocol
		c.h.OnHandshake(c)
		if c.dial != nil {
			c.dial <- nil
			c.dial = nil
		}
		c.markDirty()
		return nil
	}
	cb.StreamOpen = func(_ *quic.Conn, id int64) error {
		c.h.OnStreamOpen(c, id)
		return nil
	}
	cb.RecvStreamData = func(_ *quic.Conn, fl quic.StreamDataFlags, id int64, _ uint64, data []byte) error {
		c.h.OnStreamData(c, id, data, fl&quic.StreamDataFlagFin != 0)
		return nil
	}
	cb.StreamReset = func(_ *quic.Conn, id int64, _, code uint64) error {
		c.h.OnStreamReset(c, id, code)
		return nil
	}
	cb.StreamStopSending = func(_ *quic.Conn, id int64, code uint64) error {
		// RFC 9000, Section 3.5: the connection resets the send side;
		// what the application queued will never be sent.
		if s := c.streams[id]; s != nil {
			c.dropOutput(s)
		}
		c.h.OnStreamStopSending(c, id, code)
		return nil
	}
	cb.StreamClose = func(_ *quic.Conn, id int64, code uint64) error {
		if s := c.streams[id]; s != nil {
			c.forget(s)
		}
		c.h.OnStreamClose(c, id, code)
		return nil
	}
	cb.ExtendMaxLocalStreamsBidi = func(_ *quic.Conn, max uint64) error {
		c.streamCredit(true, max)
		return nil
	}
	cb.ExtendMaxLocalStreamsUni = func(_ *quic.Conn, max uint64) error {
		c.streamCredit(false, max)
		return nil
	}
	cb.RecvDatagram = func(_ *quic.Conn, data []byte) error {
		if dh, ok := c.h.(DatagramHandler); ok {
			dh.OnDatagram(c, data)
		}
		return nil
	}
	cb.GetNewConnectionID = func(_ *quic.Conn, cid []byte, token *[16]byte) error {
		ss := c.ss
		if err := ss.ep.fillCID(ss.sock.Index(), cid); err != nil {
			return err
		}
		*token = quic.StatelessResetTokenFor(ss.ep.cfg.StatelessResetKey, cid)
		k := string(cid)
		c.cids = append(c.cids, k)
		ss.conns[k] = c
		return nil
	}
	cb.RemoveConnectionID = func(_ *quic.Conn, cid []byte) error {
		for i, k := range c.cids {
			if k == string(cid) {
				if c.ss.conns[k] == c {
					delete(c.ss.conns, k)
				}
				c.cids = append(c.cids[:i], c.cids[i+1:]...)
				break
			}
		}
		return nil
	}
	cb.ExtendMaxStreamData = func(_ *quic.Conn, id int64, _ uint64) error {
		if s := c.streams[id]; s != nil && s.blocked {
			s.blocked = false
			c.markDirty()
		}
		return nil
	}
}

// readPkt feeds a datagram to the connection; the flush at the end of the
// turn sends what it caused.
func (c *Conn) readPkt(d *loop.Datagram) {
	if c.gone {
		return
	}
	local := c.path.Local
	if d.Local.IsValid() {
		local = netip.AddrPortFrom(d.Local, local.Port())
	}
	path := quic.Path{Local: local, Remote: d.Remote}
	pi := quic.PktInfo{ECN: d.ECN}
	err := c.q.ReadPkt(&path, &pi, d.Data, tstamp(loop.Now()))
	if err == nil && c.q.IsServer() && !c.handshook && c.q.Info().PacketsReceived == 0 {
		// The datagram that created a server Conn held nothing it could
		// decrypt: forget the Conn at once instead of holding a TLS stack
		// for the handshake timeout.
		c.discard()
		return
	}
	c.markDirty()
}

// Handler returns the connection's handler.
func (c *Conn) Handler() Handler { return c.h }

// SetHandler replaces the connection's handler (for example after
// OnHandshake picked one by ALPN).
func (c *Conn) SetHandler(h Handler) { c.h = h }

// Context returns the value set with SetContext.
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches a user value to the connection.
func (c *Conn) SetContext(v any) { c.ctx = v }

// ALPN returns the negotiated application protocol ("" before the
// handshake completed).
func (c *Conn) ALPN() string { return c.alpn }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.path.Remote }

// LocalAddr returns the local address of the connection's path.
func (c *Conn) LocalAddr() netip.AddrPort { return c.path.Local }

// Loop returns the loop the connection lives on.
func (c *Conn) Loop() *loop.Loop { return c.ss.l }

// Quic returns the underlying quic.Conn for inspection (Info,
// StreamWindows, TLSConnectionState, ...). Reading and writing packets
// is the glue's job: do not call ReadPkt, WritePkt, WriteStream,
// HandleExpiry or WriteConnectionClose on it.
func (c *Conn) Quic() *quic.Conn { return c.q }

// Closed reports whether the connection can no longer be used.
func (c *Conn) Closed() bool { return c.gone || c.closeReq != nil || c.q.CloseError() != nil }

// Execute runs fn on the connection's loop; safe from any goroutine.
// Writes fn makes go out when it returns.
//
// Returns nil on success, or loop.ErrStopped — the engine stopped.
func (c *Conn) Execute(fn func()) error { return c.ss.l.Execute(fn) }
