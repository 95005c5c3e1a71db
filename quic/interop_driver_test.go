package quic

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// udpSide drives one of our Conns over a real UDP socket for the interop
// tests. A reader goroutine hands datagrams to the test goroutine, which
// alone touches the Conn (the event-loop reactor in loop/ is the
// production version of this).
type udpSide struct {
	t      testing.TB
	pc     *net.UDPConn
	peer   *net.UDPAddr
	t0     time.Time
	in     chan udpDatagram
	conn   *Conn
	cfg    *Config
	server bool
	buf    []byte

	streams   map[int64]*appStream
	pending   []int64 // streams with output queued
	onData    func(id int64, data []byte, fin bool)
	onOpen    func(id int64)
	readErr   error
	packed    int // WriteStream calls that left a datagram open for more
	expErr    error
	datagrams int
	wpath     Path // where WritePkt said the datagram goes
}

type udpDatagram struct {
	b    []byte
	from *net.UDPAddr
}

// appStream is the application's view of a stream: queued output, and an
// optional refill function producing more output on demand.
type appStream struct {
	out     []byte
	fin     bool
	refill  func() ([]byte, bool)
	queued  bool
	recvLen int
	recvFin bool
}

func newUDPSide(t testing.TB, server bool, cfg *Config) *udpSide {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	_ = pc.SetReadBuffer(4 << 20)
	_ = pc.SetWriteBuffer(4 << 20)
	s := &udpSide{t: t, pc: pc, t0: time.Now(), in: make(chan udpDatagram, 4096), cfg: cfg, server: server,
		buf: make([]byte, 65536), streams: map[int64]*appStream{}}
	prev := cfg.Callbacks.RecvStreamData
	cfg.Callbacks.RecvStreamData = func(c *Conn, fl StreamDataFlags, id int64, off uint64, data []byte) error {
		st := s.stream(id)
		st.recvLen += len(data)
		if fl&StreamDataFlagFin != 0 {
			st.recvFin = true
		}
		if s.onData != nil {
			s.onData(id, data, fl&StreamDataFlagFin != 0)
		}
		if prev != nil {
			return prev(c, fl, id, off, data)
		}
		return nil
	}
	prevOpen := cfg.Callbacks.StreamOpen
	cfg.Callbacks.StreamOpen = func(c *Conn, id int64) error {
		s.stream(id)
		if s.onOpen != nil {
			s.onOpen(id)
		}
		if prevOpen != nil {
			return prevOpen(c, id)
		}
		return nil
	}
	go func() {
		for {
			b := make([]byte, 65536)
			n, from, err := pc.ReadFromUDP(b)
			if err != nil {
				close(s.in)
				return
			}
			s.in <- udpDatagram{b[:n], from}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		if s.conn != nil {
			s.conn.closeTLS()
		}
	})
	return s
}

func (s *udpSide) addr() *net.UDPAddr { return s.pc.LocalAddr().(*net.UDPAddr) }

func (s *udpSide) now() Tstamp { return Tstamp(time.Since(s.t0)) + Tstamp(Seconds) }

func (s *udpSide) path() *Path {
	l := s.addr().AddrPort()
	var r netip.AddrPort
	if s.peer != nil {
		r = s.peer.AddrPort()
	}
	return &Path{Local: l, Remote: r}
}

// dial makes our client Conn towards addr.
func (s *udpSide) dial(addr *net.UDPAddr) {
	s.peer = addr
	c, err := NewClientConn(s.cfg, s.path(), s.now())
	if err != nil {
		s.t.Fatalf("NewClientConn: %v", err)
	}
	s.conn = c
}

func (s *udpSide) stream(id int64) *appStream {
	st := s.streams[id]
	if st == nil {
		st = &appStream{}
		s.streams[id] = st
	}
	return st
}

// send queues output on a stream.
func (s *udpSide) send(id int64, data []byte, fin bool) {
	st := s.stream(id)
	st.out = append(st.out, data...)
	st.fin = st.fin || fin
	if !st.queued {
		st.queued = true
		s.pending = append(s.pending, id)
	}
}

// sendGen queues generated output on a stream.
func (s *udpSide) sendGen(id int64, refill func() ([]byte, bool)) {
	st := s.stream(id)
	st.refill = refill
	if !st.queued {
		st.queued = true
		s.pending = append(s.pending, id)
	}
}

func (s *udpSide) transmit(n int) {
	to := s.peer
	if s.wpath.Remote.IsValid() {
		to = net.UDPAddrFromAddrPort(s.wpath.Remote)
	}
	if _, err := s.pc.WriteToUDP(s.buf[:n], to); err != nil {
		s.t.Logf("write: %v", err)
	}
	s.datagrams++
}

// flush writes queued stream data and everything else the Conn wants
// to send.
func (s *udpSide) flush() {
	c := s.conn
	if c == nil {
		return
	}
	now := s.now()
	for i := 0; i < len(s.pending); i++ {
		id := s.pending[i]
		st := s.streams[id]
		for {
			if len(st.out) == 0 && st.refill != nil && !st.fin {
				st.out, st.fin = st.refill()
			}
			cs := c.streams[id]
			if cs == nil || cs.send.fin || len(st.out) == 0 && !st.fin {
				break
			}
			// WriteStreamFlagMore packs several streams into a datagram:
			// ErrWriteMore leaves it open for the next stream, and the
			// WritePkt below finishes it.
			flags := WriteStreamFlagMore
			if st.fin {
				flags |= WriteStreamFlagFin
			}
			n, consumed, err := c.WriteStream(&s.wpath, nil, s.buf, flags, id, st.out, now)
			st.out = st.out[consumed:]
			if n > 0 {
				s.transmit(n)
			}
			if err == ErrWriteMore {
				s.packed++
				break
			}
			if err != nil || n == 0 {
				break
			}
		}
		cs := c.streams[id]
		if cs == nil || cs.send.fin {
			st.queued = false
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			i--
		}
	}
	for i := 0; i < 1000; i++ {
		n, err := c.WritePkt(&s.wpath, nil, s.buf, now)
		if err != nil || n == 0 {
			break
		}
		s.transmit(n)
	}
}

// run drives the connection until done reports true, the connection
// ends, or the deadline passes.
func (s *udpSide) run(ctx context.Context, done func() bool) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !done() {
		s.flush()
		if s.conn != nil && s.conn.IsClosed() {
			return errors.New("connection closed")
		}
		wait := 50 * time.Millisecond
		if s.conn != nil {
			if exp := s.conn.Expiry(); exp != TstampMax {
				now := s.now()
				if exp <= now {
					wait = 0
				} else if d := time.Duration(exp - now); d < wait {
					wait = d
				}
			}
		}
		timer.Reset(wait)
		select {
		case d, ok := <-s.in:
			if !ok {
				return errors.New("socket closed")
			}
			s.handle(d)
			for drained := 0; drained < 256; drained++ {
				select {
				case d, ok := <-s.in:
					if !ok {
						return errors.New("socket closed")
					}
					s.handle(d)
					continue
				default:
				}
				break
			}
		case <-timer.C:
			if s.conn != nil {
				if err := s.conn.HandleExpiry(s.now()); err != nil {
					s.expErr = err
					return err
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
	s.flush()
	return nil
}

func (s *udpSide) handle(d udpDatagram) {
	if s.conn == nil {
		if !s.server {
			return
		}
		if err := AcceptInitial(d.b); err != nil {
			return
		}
		s.peer = d.from
		c, err := NewServerConn(s.cfg, s.path(), d.b, s.now())
		if err != nil {
			s.t.Logf("NewServerConn: %v", err)
			return
		}
		s.conn = c
	}
	p := s.path()
	if s.server {
		p.Remote = d.from.AddrPort()
	}
	if err := s.conn.ReadPkt(p, nil, d.b, s.now()); err != nil {
		s.readErr = err
	}
}
