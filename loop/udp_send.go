package loop

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sendQueue is a socket's outgoing datagrams: a ring of slots, each with
// its own buffer, flushed with sendmmsg in batches.
// slotMeta describes the datagram queued in a slot.
type slotMeta struct {
	n       int    // payload length
	nameLen uint32 // sockaddr length
	ctlLen  int    // control message length (ECN), 0 for none
}

type sendQueue struct {
	slots   []msgSlot
	meta    []slotMeta
	hdr     []mmsghdr
	iovs    []unix.Iovec        // one per queued datagram of a batch
	gctl    [][controlSize]byte // per entry: ECN + UDP_SEGMENT
	runs    []int               // per entry: datagrams it carries
	head, n int
	batch   int
	blocked bool // the kernel said EAGAIN; waiting for EPOLLOUT
	want    bool // a send returned ErrWouldBlock; OnWritable owed
	dirty   bool
}

func (q *sendQueue) init(cfg UDPConfig) {
	q.slots = make([]msgSlot, cfg.SendQueue)
	q.meta = make([]slotMeta, cfg.SendQueue)
	for i := range q.slots {
		q.slots[i].buf = make([]byte, cfg.MaxDatagram)
	}
	q.hdr = make([]mmsghdr, cfg.Batch)
	q.iovs = make([]unix.Iovec, cfg.SendQueue)
	q.gctl = make([][controlSize]byte, cfg.Batch)
	q.runs = make([]int, cfg.Batch)
	q.batch = cfg.Batch
}

func (q *sendQueue) len() int { return q.n }

// NextBuf returns the buffer of the next free send slot (MaxDatagram
// bytes) for the caller to write a datagram into, then Commit it; nil if
// the queue is full (ErrWouldBlock is then owed: OnWritable follows). It
// is the zero-copy path for writers like quic.Conn.WritePkt.
func (s *UDPSocket) NextBuf() []byte {
	q := &s.send
	if s.closing {
		return nil
	}
	if q.n == len(q.slots) && !q.blocked {
		s.flush() // make room now rather than refuse
	}
	if q.n == len(q.slots) {
		q.want = true
		s.stats.WouldBlock++
		return nil
	}
	return q.slots[(q.head+q.n)%len(q.slots)].buf
}

// Commit queues the first n bytes of the buffer NextBuf returned as a
// datagram to to, with ECN codepoint ecn (0 = Not-ECT). It goes out when
// the current event ends or the batch fills.
func (s *UDPSocket) Commit(n int, to netip.AddrPort, ecn uint8) {
	q := &s.send
	i := (q.head + q.n) % len(q.slots)
	sl := &q.slots[i]
	q.meta[i] = slotMeta{
		n:       max(0, min(n, len(sl.buf))),
		nameLen: encodeSockaddr(&sl.name, to, s.ul.v6),
		ctlLen:  putECN(&sl.ctl, ecn, s.ul.v6),
	}
	q.n++
	q.dirty = true
	if q.n%q.batch == 0 && !q.blocked {
		s.flush()
	}
}

// WriteTo copies p into the send queue as one datagram to to.
//
// Returns nil on success, or one of: ErrWouldBlock — the queue is full
// (the kernel is not taking datagrams); OnWritable follows; ErrUDPClosed;
// ErrInvalidDatagram — p is longer than MaxDatagram.
func (s *UDPSocket) WriteTo(p []byte, to netip.AddrPort, ecn uint8) error {
	if s.closing {
		return ErrUDPClosed
	}
	if len(p) > s.ul.cfg.MaxDatagram {
		return ErrInvalidDatagram
	}
	buf := s.NextBuf()
	if buf == nil {
		return ErrWouldBlock
	}
	s.Commit(copy(buf, p), to, ecn)
	return nil
}

// Pending returns the datagrams queued and not yet taken by the kernel.
func (s *UDPSocket) Pending() int { return s.send.n }

// flush hands queued datagrams to the kernel with sendmmsg until the
// queue is empty or the kernel would block. With GSO a run of datagrams
// to one peer goes as one entry (see udp_gso.go).
func (s *UDPSocket) flush() {
	q := &s.send
	for q.n > 0 && !q.blocked {
		entries, _ := s.buildBatch()
		sent, errno := sendmmsgFn(s.fd, q.hdr[:entries])
		s.stats.SendCalls++
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN:
			q.blocked = true
			s.setWriteInterest(true)
		case q.runs[0] > 1 && (errno == unix.EIO || errno == unix.EINVAL || errno == unix.ENOPROTOOPT):
			// The kernel or the device cannot segment (no checksum
			// offload, for one): send datagram by datagram from now on.
			s.gso = false
			s.stats.GSOFallbacks++
			continue
		case errno != 0:
			// The first entry failed (for example EMSGSIZE or an
			// unreachable peer): drop it and go on; UDP promises no
			// delivery.
			s.stats.SendErrors += uint64(q.runs[0])
			sent = 1
		}
		for j := 0; j < sent; j++ {
			r := q.runs[j]
			q.head = (q.head + r) % len(q.slots)
			q.n -= r
			if errno == 0 {
				s.stats.Sent += uint64(r)
				if r > 1 {
					s.stats.GSOSends++
				}
			}
		}
	}
	q.dirty = q.n > 0
	if q.want && !q.blocked && q.n <= len(q.slots)/2 {
		q.want = false
		s.ul.h.OnWritable(s)
	}
}

// buildBatch wires up to Batch sendmmsg entries over the queued
// datagrams and returns the number of entries and of datagrams covered.
func (s *UDPSocket) buildBatch() (entries, pos int) {
	q := &s.send
	for entries < q.batch && pos < q.n {
		i := (q.head + pos) % len(q.slots)
		r := 1
		if s.gso {
			r = q.gsoRun(q.head+pos, q.n-pos)
		}
		for x := 0; x < r; x++ {
			si := (q.head + pos + x) % len(q.slots)
			iov := &q.iovs[pos+x]
			iov.Base = unsafe.SliceData(q.slots[si].buf)
			iov.SetLen(q.meta[si].n)
		}
		m := &q.meta[i]
		sl := &q.slots[i]
		h := &q.hdr[entries]
		h.hdr = unix.Msghdr{Name: &sl.name[0], Namelen: m.nameLen, Iov: &q.iovs[pos]}
		h.hdr.SetIovlen(r)
		switch {
		case r > 1:
			c := q.gctl[entries][:]
			copy(c, sl.ctl[:m.ctlLen])
			n := putSegment(c, m.ctlLen, uint16(m.n))
			h.hdr.Control = &c[0]
			h.hdr.SetControllen(n)
		case m.ctlLen > 0:
			h.hdr.Control = &sl.ctl[0]
			h.hdr.SetControllen(m.ctlLen)
		}
		q.runs[entries] = r
		pos += r
		entries++
	}
	return entries, pos
}

// setWriteInterest adds or removes EPOLLOUT for the socket.
func (s *UDPSocket) setWriteInterest(on bool) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}
	if on {
		ev.Events |= unix.EPOLLOUT
	}
	_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_MOD, s.fd, &ev)
}
