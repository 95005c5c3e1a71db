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
// queue is empty or the kernel would block.
func (s *UDPSocket) flush() {
	q := &s.send
	for q.n > 0 && !q.blocked {
		k := min(q.n, q.batch)
		for j := 0; j < k; j++ {
			i := (q.head + j) % len(q.slots)
			sl := &q.slots[i]
			h := &q.hdr[j]
			m := &q.meta[i]
			sl.iov.Base = unsafe.SliceData(sl.buf)
			sl.iov.SetLen(m.n)
			h.hdr = unix.Msghdr{Name: &sl.name[0], Namelen: m.nameLen, Iov: &sl.iov}
			h.hdr.SetIovlen(1)
			if m.ctlLen > 0 {
				h.hdr.Control = &sl.ctl[0]
				h.hdr.SetControllen(m.ctlLen)
			}
		}
		sent, errno := sendmmsg(s.fd, q.hdr[:k])
		s.stats.SendCalls++
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN:
			q.blocked = true
			s.setWriteInterest(true)
		case errno != 0:
			// The first datagram of the batch failed (for example
			// EMSGSIZE or an unreachable peer): drop it and go on;
			// UDP promises no delivery.
			s.stats.SendErrors++
			sent = 1
		}
		for j := 0; j < sent; j++ {
			q.slots[q.head].iov.Base = nil
			q.head = (q.head + 1) % len(q.slots)
			q.n--
		}
		if errno == 0 {
			s.stats.Sent += uint64(sent)
		}
	}
	q.dirty = q.n > 0
	if q.want && !q.blocked && q.n <= len(q.slots)/2 {
		q.want = false
		s.ul.h.OnWritable(s)
	}
}

// setWriteInterest adds or removes EPOLLOUT for the socket.
func (s *UDPSocket) setWriteInterest(on bool) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}
	if on {
		ev.Events |= unix.EPOLLOUT
	}
	_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_MOD, s.fd, &ev)
}
