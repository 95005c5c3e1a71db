package loop

import (
	"errors"
	"net/netip"
	"sync"
)

// ErrInvalidDatagram is returned by UDPSocket.WriteTo for a datagram longer
// than UDPConfig.MaxDatagram.
var ErrInvalidDatagram = errors.New("loop: datagram longer than MaxDatagram")

// UDPHandler receives one UDP socket's events. Each socket of a listener
// has its own loop goroutine (see UDPSocket); the methods of one socket
// run on it one at a time. Sends made during a method are batched and go
// out with sendmmsg when it returns.
type UDPHandler interface {
	// OnDatagram gets one received datagram; d and d.Data are valid only
	// during the call.
	OnDatagram(s *UDPSocket, d *Datagram)
	// OnWritable runs after a send returned ErrWouldBlock, once the
	// socket's send queue drained to half.
	OnWritable(s *UDPSocket)
	// OnShutdown runs when Engine.Stop begins; the handler finishes (a
	// QUIC server sends CONNECTION_CLOSE) and calls s.Close.
	OnShutdown(s *UDPSocket)
}

// BaseUDPHandler drops datagrams and closes the socket on shutdown; embed
// it to implement only what you need.
type BaseUDPHandler struct{}

// OnDatagram drops d.
func (BaseUDPHandler) OnDatagram(*UDPSocket, *Datagram) {}

// OnWritable does nothing.
func (BaseUDPHandler) OnWritable(*UDPSocket) {}

// OnShutdown closes the socket.
func (BaseUDPHandler) OnShutdown(s *UDPSocket) { _ = s.Close() }

// Datagram is one received UDP datagram.
type Datagram struct {
	Data   []byte         // payload, valid during OnDatagram only
	Remote netip.AddrPort // sender
	Local  netip.Addr     // destination address from IP_PKTINFO (zero if unknown)
	ECN    uint8          // ECN codepoint of the IP header, 0..3 (RFC 3168)
	// Forwarded is set when another socket of the listener received the
	// datagram and UDPConfig.Route sent it here.
	Forwarded bool
}

// UDPConfig configures a UDP listener; zero fields take the defaults.
type UDPConfig struct {
	// Sockets is the number of SO_REUSEPORT sockets (and loops); 0 means
	// Options.Loops. A QUIC client usually wants 1.
	Sockets int
	// Batch is the number of datagrams per recvmmsg and sendmmsg call.
	// Default 32.
	Batch int
	// MaxDatagram is the receive and send buffer size per datagram;
	// longer datagrams are dropped (counted in UDPStats.Truncated).
	// Default 2048.
	MaxDatagram int
	// SendQueue bounds the datagrams a socket holds while the kernel
	// refuses more (EAGAIN); past it sends return ErrWouldBlock.
	// Default 256.
	SendQueue int
	// Inbox bounds datagrams forwarded to one socket by Route and not yet
	// delivered; past it they are dropped (UDPStats.InboxDropped).
	// Default 4096.
	Inbox int
	// Route, if set, sees each datagram before its handler and returns
	// the index of the socket (0..Sockets-1) that owns it, or -1 for "the
	// one that received it". A QUIC server routes by destination
	// connection ID, so a connection stays on its loop when the peer's
	// address (and so the kernel's SO_REUSEPORT choice) changes. It runs
	// on the receiving loop and must not keep pkt.
	Route func(pkt []byte, from netip.AddrPort) int
	// SocketRecvBuffer and SocketSendBuffer set SO_RCVBUF and SO_SNDBUF
	// when positive.
	SocketRecvBuffer, SocketSendBuffer int
	// DisableGSO turns off UDP generic segmentation offload (UDP_SEGMENT),
	// which is used when the kernel has it: runs of queued datagrams to
	// one peer of one size leave as one sendmmsg entry. A kernel that
	// refuses it at send time (EIO, EINVAL, ENOPROTOOPT) turns it off for
	// the socket and the datagrams go out one by one.
	DisableGSO bool
	// GRO turns on UDP generic receive offload (UDP_GRO) where the kernel
	// has it: several datagrams of one flow arrive in one buffer and are
	// split before OnDatagram. It makes each receive slot 64 KiB.
	GRO bool
}

func (c UDPConfig) withDefaults() UDPConfig {
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.MaxDatagram <= 0 {
		c.MaxDatagram = 2048
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.Batch > c.SendQueue {
		c.Batch = c.SendQueue
	}
	if c.Inbox <= 0 {
		c.Inbox = 4096
	}
	return c
}

// UDPListener is a UDP address served by one SO_REUSEPORT socket per loop
// (Options.Loops of them), each on its own loop goroutine.
type UDPListener struct {
	e       *Engine
	addr    netip.AddrPort
	v6      bool
	h       UDPHandler
	cfg     UDPConfig
	sockets []*UDPSocket
	wg      sync.WaitGroup
}

// Addr returns the bound address (with the real port if 0 was asked for).
func (ul *UDPListener) Addr() netip.AddrPort { return ul.addr }

// Sockets returns the listener's sockets, one per loop, in index order.
func (ul *UDPListener) Sockets() []*UDPSocket { return ul.sockets }

// UDPStats are a socket's counters. Read them on the socket's loop.
type UDPStats struct {
	Received, Sent       uint64 // datagrams
	Truncated            uint64 // received datagrams longer than MaxDatagram, dropped
	Forwarded            uint64 // received here, routed to another socket
	InboxDropped         uint64 // routed here while the inbox was full, dropped
	SendErrors           uint64 // datagrams the kernel refused with an error other than EAGAIN
	WouldBlock           uint64 // sends refused with ErrWouldBlock
	RecvCalls, SendCalls uint64 // recvmmsg and sendmmsg calls
	GSOSends             uint64 // sendmmsg entries carrying several datagrams (UDP_SEGMENT)
	GSOFallbacks         uint64 // times the kernel refused UDP_SEGMENT and GSO was turned off
	GROReceives          uint64 // received buffers holding several datagrams (UDP_GRO)
}
