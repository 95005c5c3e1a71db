package loop

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ngloop/ngloop/buffers"
)

// ErrUDPClosed is returned by sends on a closed UDP socket.
var ErrUDPClosed = errors.New("loop: UDP socket closed")

// UDPSocket is one SO_REUSEPORT socket of a UDPListener with its own loop
// goroutine: raw epoll on the socket, an eventfd for work posted from
// other goroutines, and the loop's timers as the epoll_wait timeout. Its
// methods must be called on that loop (Loop().Execute gets there), except
// where noted.
type UDPSocket struct {
	ul    *UDPListener
	index int
	fd    int
	epfd  int
	evfd  int
	l     *Loop
	local netip.AddrPort
	ctx   any

	recv    []msgSlot
	recvHdr []mmsghdr
	dg      Datagram // handed to OnDatagram; reused so nothing escapes per datagram

	send    sendQueue
	gso     bool // UDP_SEGMENT in use
	gro     bool // UDP_GRO in use
	stats   UDPStats
	closing bool // Close called: flush, then exit
	stopNow atomic.Bool

	inboxDropped atomic.Uint64

	mu     sync.Mutex // guards posted, inbox and gone
	gone   bool       // fds closed
	posted []func()
	inbox  []forwarded
	spare  []forwarded
	inPool *buffers.SharedPool
}

type forwarded struct {
	buf    []byte
	remote netip.AddrPort
	local  netip.Addr
	ecn    uint8
}

// Loop returns the socket's loop, for timers and Execute.
func (s *UDPSocket) Loop() *Loop { return s.l }

// Index returns the socket's position in its listener.
func (s *UDPSocket) Index() int { return s.index }

// Listener returns the socket's listener.
func (s *UDPSocket) Listener() *UDPListener { return s.ul }

// LocalAddr returns the bound address.
func (s *UDPSocket) LocalAddr() netip.AddrPort { return s.local }

// Context returns the value set with SetContext.
func (s *UDPSocket) Context() any { return s.ctx }

// SetContext attaches a user value (for example the socket's connection
// table).
func (s *UDPSocket) SetContext(v any) { s.ctx = v }

// Stats returns the socket's counters.
func (s *UDPSocket) Stats() UDPStats { return s.stats }

// Close stops the socket once its send queue is flushed (or could not be
// within Options.CloseLinger). Returns nil, or ErrUDPClosed if already
// closing.
func (s *UDPSocket) Close() error {
	if s.closing {
		return ErrUDPClosed
	}
	s.closing = true
	s.post(nil) // make the loop look at its state
	return nil
}

// ListenUDP adds a UDP address served by h, with one SO_REUSEPORT socket
// per loop. addr is "host:port" or "udp://host:port" (udp4, udp6 too);
// port 0 picks a free port shared by all the sockets. Call before Start.
//
// Returns the listener, or one of: ErrStarted; a socket error.
func (e *Engine) ListenUDP(addr string, h UDPHandler, cfg UDPConfig) (*UDPListener, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return nil, ErrStarted
	}
	network := "udp"
	if i := indexScheme(addr); i >= 0 {
		network, addr = addr[:i], addr[i+3:]
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("loop: UDP address %q: %w", addr, err)
	}
	ul := &UDPListener{e: e, addr: ap, h: h, cfg: cfg.withDefaults()}
	ul.v6 = network == "udp6" || !ap.Addr().Unmap().Is4()
	n := ul.cfg.Sockets
	if n <= 0 {
		n = e.opts.Loops
	}
	for i := 0; i < n; i++ {
		s, err := ul.openSocket(i)
		if err != nil {
			for _, s := range ul.sockets {
				s.closeFDs()
			}
			return nil, err
		}
		ul.sockets = append(ul.sockets, s)
		ul.addr = s.local // after the first bind, port 0 is resolved
	}
	e.udp = append(e.udp, ul)
	return ul, nil
}

func indexScheme(addr string) int {
	for i := 0; i+3 <= len(addr); i++ {
		if addr[i:i+3] == "://" {
			return i
		}
	}
	return -1
}

func (ul *UDPListener) openSocket(index int) (*UDPSocket, error) {
	family := unix.AF_INET
	if ul.v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	s := &UDPSocket{ul: ul, index: index, fd: fd, epfd: -1, evfd: -1, inPool: &ul.e.udpPool}
	fail := func(op string, err error) (*UDPSocket, error) {
		s.closeFDs()
		return nil, os.NewSyscallError(op, err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt SO_REUSEPORT", err)
	}
	if ul.v6 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, 1)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
	}
	// IPv4 options apply to v4 and v4-mapped traffic alike.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVTOS, 1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	if c := ul.cfg; c.SocketRecvBuffer > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, c.SocketRecvBuffer)
	}
	if c := ul.cfg; c.SocketSendBuffer > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, c.SocketSendBuffer)
	}
	if err := unix.Bind(fd, toSockaddr(ul.addr, ul.v6)); err != nil {
		return fail("bind", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	s.local = fromSockaddr(sa)
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fail("epoll_create1", err)
	}
	if s.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fail("eventfd", err)
	}
	for _, f := range []int{fd, s.evfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(f)}
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, f, &ev); err != nil {
			return fail("epoll_ctl", err)
		}
	}
	cfg := ul.cfg
	s.gso = !cfg.DisableGSO && probeGSO(fd)
	s.gro = cfg.GRO && enableGRO(fd)
	recvSize := cfg.MaxDatagram
	if s.gro {
		recvSize = max(recvSize, groRecvBytes)
	}
	s.recv = make([]msgSlot, cfg.Batch)
	s.recvHdr = make([]mmsghdr, cfg.Batch)
	for i := range s.recv {
		s.recv[i].buf = make([]byte, recvSize)
	}
	s.send.init(cfg)
	return s, nil
}

func (s *UDPSocket) closeFDs() {
	s.mu.Lock()
	s.gone = true // post must not write to an fd number that may be reused
	s.mu.Unlock()
	for _, fd := range []*int{&s.fd, &s.epfd, &s.evfd} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// post queues fn (nil just wakes the loop) for the socket's loop; safe
// from any goroutine. It reports false if the loop has already exited.
func (s *UDPSocket) post(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return false
	}
	s.posted = append(s.posted, fn)
	s.wakeLocked()
	return true
}

// wakeLocked signals the loop's eventfd; s.mu is held so closeFDs cannot
// close it meanwhile.
func (s *UDPSocket) wakeLocked() {
	one := [8]byte{1}
	_, _ = unix.Write(s.evfd, one[:])
}

// forward hands a copy of a datagram to this socket's loop (called from
// another socket's loop). Returns false if the inbox is full.
func (s *UDPSocket) forward(d *Datagram) bool {
	buf := s.inPool.Get(len(d.Data))
	copy(buf, d.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || len(s.inbox) >= s.ul.cfg.Inbox {
		s.inPool.Put(buf)
		return false
	}
	s.inbox = append(s.inbox, forwarded{buf: buf, remote: d.Remote, local: d.Local, ecn: d.ECN})
	if len(s.inbox) == 1 {
		s.wakeLocked()
	}
	return true
}

// run is the socket's loop goroutine.
func (s *UDPSocket) run() {
	defer s.ul.wg.Done()
	defer s.closeFDs()
	var events [4]unix.EpollEvent
	var lingerUntil int64
	for {
		timeout := -1
		if len(s.l.timers.h) > 0 {
			d := s.l.timers.h[0].when - Now()
			timeout = max(0, int((d+int64(time.Millisecond)-1)/int64(time.Millisecond)))
		}
		if s.closing {
			timeout = 1 // poll the drain
		}
		n, err := unix.EpollWait(s.epfd, events[:], timeout)
		if err != nil && err != unix.EINTR {
			return
		}
		s.l.begin(nil)
		for i := 0; i < n; i++ {
			ev := &events[i]
			switch int(ev.Fd) {
			case s.fd:
				if ev.Events&unix.EPOLLOUT != 0 {
					s.send.blocked = false
					s.setWriteInterest(false)
				}
				if ev.Events&(unix.EPOLLIN|unix.EPOLLERR) != 0 {
					s.readBatches()
				}
			case s.evfd:
				var b [8]byte
				_, _ = unix.Read(s.evfd, b[:])
				s.drainPosted()
			}
		}
		s.l.runTimers()
		s.l.end(nil) // flushes the send queue (Loop.end → UDPSocket.flush)
		if s.stopNow.Load() {
			return
		}
		if s.closing {
			if lingerUntil == 0 {
				lingerUntil = Now() + int64(s.ul.e.opts.CloseLinger)
			}
			if s.send.len() == 0 || Now() > lingerUntil {
				return
			}
		}
	}
}

// readBatches receives up to a few batches (then yields to timers and
// posted work; epoll is level-triggered and will report the rest).
func (s *UDPSocket) readBatches() {
	for round := 0; round < 4; round++ {
		for i := range s.recvHdr {
			s.recv[i].wireRecv(&s.recvHdr[i])
		}
		n, errno := recvmmsg(s.fd, s.recvHdr)
		s.stats.RecvCalls++
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 || n == 0 {
			return
		}
		for i := 0; i < n; i++ {
			h := &s.recvHdr[i]
			slot := &s.recv[i]
			if h.hdr.Flags&unix.MSG_TRUNC != 0 {
				s.stats.Truncated++
				continue
			}
			ctl := slot.ctl[:h.hdr.Controllen]
			data := slot.buf[:h.n]
			remote := decodeSockaddr(slot.name[:])
			ecn, local := parseControl(ctl)
			seg := len(data)
			if s.gro {
				if g := groSize(ctl); g > 0 && g < len(data) {
					seg = g
					s.stats.GROReceives++
				}
			}
			for len(data) > 0 || seg == 0 {
				k := min(seg, len(data))
				s.stats.Received++
				if k > s.ul.cfg.MaxDatagram {
					s.stats.Truncated++
				} else {
					d := &s.dg
					*d = Datagram{Data: data[:k], Remote: remote, Local: local, ECN: ecn}
					s.deliver(d)
				}
				data = data[k:]
				if seg == 0 {
					break
				}
			}
		}
		if n < len(s.recvHdr) {
			return
		}
	}
}

func (s *UDPSocket) deliver(d *Datagram) {
	if route := s.ul.cfg.Route; route != nil && !d.Forwarded {
		if to := route(d.Data, d.Remote); to >= 0 && to < len(s.ul.sockets) && to != s.index {
			s.stats.Forwarded++
			if !s.ul.sockets[to].forward(d) {
				s.ul.sockets[to].inboxDropped.Add(1)
			}
			return
		}
	}
	s.ul.h.OnDatagram(s, d)
}

// drainPosted runs work posted from other goroutines and delivers
// datagrams forwarded by other sockets.
func (s *UDPSocket) drainPosted() {
	s.mu.Lock()
	posted := s.posted
	s.posted = nil
	inbox := s.inbox
	s.inbox = s.spare[:0]
	s.mu.Unlock()
	for _, fn := range posted {
		if fn != nil {
			fn()
		}
	}
	for i := range inbox {
		f := &inbox[i]
		d := &s.dg
		*d = Datagram{Data: f.buf, Remote: f.remote, Local: f.local, ECN: f.ecn, Forwarded: true}
		s.ul.h.OnDatagram(s, d)
		s.inPool.Put(f.buf)
		*f = forwarded{}
	}
	s.mu.Lock()
	s.spare = inbox[:0] // double buffering: the array just drained is the next spare
	s.mu.Unlock()
	s.stats.InboxDropped = s.inboxDropped.Load()
}

func toSockaddr(ap netip.AddrPort, v6 bool) unix.Sockaddr {
	if !v6 {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func fromSockaddr(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// start creates the socket's loop and runs it.
func (s *UDPSocket) start() {
	s.l = newUDPLoop(s.ul.e, s)
	s.ul.wg.Add(1)
	go s.run()
}
