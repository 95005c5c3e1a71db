package quicconn

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"sync/atomic"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
	"github.com/ngloop/ngloop/quic/lbcid"
)

// tsOffset keeps quic.Tstamp away from zero, which the Conn reads as
// "no time yet" in some places; deadlines are shifted back for loop timers.
const tsOffset = 1 << 30

func tstamp(now int64) quic.Tstamp { return quic.Tstamp(now + tsOffset) }

// endpoint is the part shared by Listener and Client: a UDP listener of
// the engine whose sockets each own a table of connections.
type endpoint struct {
	server bool
	cfg    Config
	ul     *loop.UDPListener
	socks  []*sockState

	conns, handshakes                      atomic.Int64
	accepted, refused, versionNeg, dropped atomic.Uint64
	resetsSent                             atomic.Uint64
	closed                                 atomic.Uint64
	nextSock                               atomic.Uint32

	lbEnc []*lbcid.Encoder // per socket, with Config.LoadBalancer
	lbDec *lbcid.Decoder

	tokens                 *quic.TokenProtector // Retry and NEW_TOKEN tokens (server)
	retries, tokenRejected atomic.Uint64
}

// sockState is one socket's share: the connections it owns, keyed by
// every connection ID that routes to them (the CIDs the Conn issued and,
// at a server, the client's original Destination Connection ID until
// the handshake is over).
type sockState struct {
	ep     *endpoint
	sock   *loop.UDPSocket
	l      *loop.Loop
	conns  map[string]*Conn
	head   *Conn // all connections of the socket, for shutdown
	dirty  *Conn // connections to flush when the turn ends
	flushT loop.Timer
	// sockFull: a send found the queue full; OnWritable flushes every
	// connection waiting for it.
	sockFull bool
	shutdown bool
	resets   resetLimiter
	flushing bool
}

func newEndpoint(e *loop.Engine, addr string, cfg *Config, server bool) (*endpoint, error) {
	if cfg == nil || cfg.TLS == nil {
		return nil, ErrNoTLS
	}
	ep := &endpoint{server: server, cfg: cfg.withDefaults(server)}
	if server && ep.cfg.Handler == nil {
		return nil, ErrNoHandler
	}
	if lb := ep.cfg.LoadBalancer; lb != nil {
		if lb.ServerIDLen != len(ep.cfg.ServerID)+1 {
			return nil, ErrLoadBalancer
		}
		dec, err := lbcid.NewDecoder(*lb)
		if err != nil {
			return nil, ErrLoadBalancer
		}
		ep.lbDec = dec
		ep.cfg.Settings.CIDLen = lb.Len()
	}
	if server {
		tp, err := quic.NewTokenProtector(ep.cfg.TokenKey)
		if err != nil {
			return nil, err
		}
		ep.tokens = tp
	}
	ucfg := ep.cfg.UDP
	ucfg.Route = ep.route
	ul, err := e.ListenUDP(addr, (*udpHandler)(ep), ucfg)
	if err != nil {
		return nil, err
	}
	ep.ul = ul
	for _, s := range ul.Sockets() {
		ep.socks = append(ep.socks, &sockState{ep: ep, sock: s, conns: make(map[string]*Conn)})
		if lb := ep.cfg.LoadBalancer; lb != nil {
			sid := append(append([]byte(nil), ep.cfg.ServerID...), byte(s.Index()))
			enc, err := lbcid.NewEncoder(*lb, sid)
			if err != nil {
				return nil, ErrLoadBalancer
			}
			ep.lbEnc = append(ep.lbEnc, enc)
		}
	}
	return ep, nil
}

// stats sums the counters.
func (ep *endpoint) stats() Stats {
	return Stats{
		Conns: ep.conns.Load(), Handshakes: ep.handshakes.Load(),
		Accepted: ep.accepted.Load(), Refused: ep.refused.Load(), VersionNeg: ep.versionNeg.Load(),
		Dropped: ep.dropped.Load(), Closed: ep.closed.Load(), StatelessResets: ep.resetsSent.Load(),
		Retries: ep.retries.Load(), TokensRejected: ep.tokenRejected.Load(),
	}
}

// route runs on the receiving socket's loop for every datagram and
// returns the socket that owns its connection. Connection IDs the glue
// issues carry the owning socket's index in their first byte, so no
// table is shared between loops. A server's long-header packets stay on
// the receiving socket: during the handshake the 4-tuple is fixed, so
// SO_REUSEPORT keeps delivering them where the first Initial landed
// (and the client's own Destination Connection ID says nothing about
// sockets). A client issued every DCID it receives, so it routes all.
func (ep *endpoint) route(pkt []byte, _ netip.AddrPort) int {
	if len(pkt) == 0 {
		return -1
	}
	var cid []byte
	if pkt[0]&0x80 == 0 {
		if len(pkt) < 1+ep.cfg.Settings.CIDLen {
			return -1
		}
		cid = pkt[1 : 1+ep.cfg.Settings.CIDLen]
	} else {
		// Long header: flags, version (4), DCID length, DCID.
		if ep.server || len(pkt) < 6+ep.cfg.Settings.CIDLen || int(pkt[5]) != ep.cfg.Settings.CIDLen {
			return -1
		}
		cid = pkt[6 : 6+ep.cfg.Settings.CIDLen]
	}
	idx := cid[0]
	if ep.lbDec != nil {
		// The socket index is the last byte of the server ID.
		var sid [16]byte
		n, _, err := ep.lbDec.ServerID(cid, sid[:])
		if err != nil || n != len(ep.cfg.ServerID)+1 || string(sid[:n-1]) != string(ep.cfg.ServerID) {
			return -1
		}
		idx = sid[n-1]
	}
	if int(idx) >= len(ep.socks) {
		return -1
	}
	return int(idx)
}

// newCID returns a connection ID for a Conn owned by socket index.
func (ep *endpoint) newCID(index int) ([]byte, error) {
	b := make([]byte, ep.cfg.Settings.CIDLen)
	if err := ep.fillCID(index, b); err != nil {
		return nil, err
	}
	return b, nil
}

// fillCID fills b with a connection ID routed to socket index.
func (ep *endpoint) fillCID(index int, b []byte) error {
	if ep.lbEnc != nil {
		return ep.lbEnc[index].Generate(b, rand.Reader)
	}
	if _, err := rand.Read(b[1:]); err != nil {
		return err
	}
	b[0] = byte(index)
	return nil
}

// udpHandler is the endpoint seen as the UDP listener's handler.
type udpHandler endpoint

func (h *udpHandler) state(s *loop.UDPSocket) *sockState {
	ss := h.socks[s.Index()]
	if ss.l == nil {
		ss.l = s.Loop()
		ss.flushT.Init(ss.l, ss.onFlushTimer)
	}
	return ss
}

// OnDatagram finds the connection by Destination Connection ID, or at a
// server accepts a new one from a client Initial, and feeds it.
func (h *udpHandler) OnDatagram(s *loop.UDPSocket, d *loop.Datagram) {
	ss := h.state(s)
	ep := ss.ep
	vc, err := quic.DecodeVersionCID(d.Data, ep.cfg.Settings.CIDLen)
	if err == quic.ErrVersionNegotiationNeeded && ep.server && !ss.shutdown {
		ss.versionNegotiation(d, &vc)
		return
	}
	if err != nil {
		ep.dropped.Add(1)
		return
	}
	c := ss.conns[string(vc.DCID)]
	if c == nil {
		if vc.SCID == nil && !ss.shutdown {
			// A short header for no connection we know: RFC 9000, Section
			// 10.3: answer with a stateless reset.
			ss.statelessReset(d, vc.DCID)
			return
		}
		if !ep.server || vc.SCID == nil || ss.shutdown {
			ep.dropped.Add(1)
			return
		}
		if c = ss.accept(d); c == nil {
			return
		}
	}
	c.readPkt(d)
}

// OnWritable: the socket's send queue has room again.
func (h *udpHandler) OnWritable(s *loop.UDPSocket) {
	ss := h.state(s)
	if !ss.sockFull {
		return
	}
	ss.sockFull = false
	for c := ss.head; c != nil; c = c.next {
		if c.wantSock {
			c.wantSock = false
			c.markDirty()
		}
	}
}

// OnShutdown closes every connection with CONNECTION_CLOSE (application
// error 0, Config.ShutdownReason) and then the socket.
func (h *udpHandler) OnShutdown(s *loop.UDPSocket) {
	ss := h.state(s)
	ss.shutdown = true
	reason := []byte(ss.ep.cfg.ShutdownReason)
	for c := ss.head; c != nil; {
		next := c.next
		c.closeNow(&quic.CCErr{Type: quic.CCErrTypeApplication, Reason: reason})
		c = next
	}
	_ = s.Close()
}

func (ss *sockState) versionNegotiation(d *loop.Datagram, vc *quic.VersionCID) {
	buf := ss.sock.NextBuf()
	if buf == nil {
		return
	}
	n, err := quic.WriteVersionNegotiation(buf, vc.DCID, vc.SCID, nil)
	if err != nil {
		return
	}
	ss.sock.Commit(n, d.Remote, 0)
	ss.ep.versionNeg.Add(1)
}

// accept creates a server Conn for a client Initial, within MaxConns and
// MaxHandshakes.
func (ss *sockState) accept(d *loop.Datagram) *Conn {
	ep := ss.ep
	if err := quic.AcceptInitial(d.Data); err != nil {
		if errors.Is(err, quic.ErrVersionNegotiationNeeded) {
			vc, _ := quic.DecodeVersionCID(d.Data, ep.cfg.Settings.CIDLen)
			ss.versionNegotiation(d, &vc)
		} else {
			ep.dropped.Add(1)
		}
		return nil
	}
	if ep.conns.Load() >= int64(ep.cfg.MaxConns) || ep.handshakes.Load() >= int64(ep.cfg.MaxHandshakes) {
		ep.refused.Add(1)
		return nil
	}
	local := ss.sock.LocalAddr()
	if d.Local.IsValid() {
		local = netip.AddrPortFrom(d.Local, local.Port())
	}
	path := quic.Path{Local: local, Remote: d.Remote}
	av, ok := ss.validateAddress(d)
	if !ok {
		return nil
	}
	c, err := ss.newConn(ep.cfg.Handler, &path, d.Data, av)
	if err != nil {
		ep.dropped.Add(1)
		return nil
	}
	ep.accepted.Add(1)
	return c
}

// markDirty queues c for the flush at the end of the loop's turn.
func (c *Conn) markDirty() { c.queueFlush(false) }

// queueFlush queues c for a flush, in the next turn if later is set (or
// if called from a flush), so that the loop reads in between.
func (c *Conn) queueFlush(later bool) {
	if c.dirty || c.gone {
		return
	}
	c.dirty = true
	ss := c.ss
	c.dirtyNext = ss.dirty
	ss.dirty = c
	if !ss.flushT.Armed() {
		// Deadline 0 is always due: the timer fires in the loop's timer
		// run that follows the current batch of datagrams or posted work,
		// before the send queue goes out with sendmmsg. A connection
		// dirtied again by its own flush waits for the next turn, so
		// reading is not starved.
		if ss.flushing || later {
			ss.flushT.ResetAt(loop.Now())
		} else {
			ss.flushT.ResetAt(0)
		}
	}
}

func (ss *sockState) onFlushTimer(*loop.Timer) {
	list := ss.dirty
	ss.dirty = nil
	ss.flushing = true
	for list != nil {
		c := list
		list = c.dirtyNext
		c.dirtyNext = nil
		c.dirty = false
		c.flush()
	}
	ss.flushing = false
}

func (ss *sockState) add(c *Conn) {
	c.next = ss.head
	if ss.head != nil {
		ss.head.prev = c
	}
	ss.head = c
}

func (ss *sockState) unlink(c *Conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if ss.head == c {
		ss.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
}
