package quic

// sendBuf keeps the bytes of one outgoing byte stream (a QUIC stream or
// the CRYPTO stream of a packet number space) from the lowest unacknowledged
// offset up to the last byte handed to it, so lost ranges can be sent
// again (RFC 9000, Section 13.3: "Application data sent in STREAM frames is
// retransmitted in new STREAM frames unless the endpoint has sent a
// RESET_STREAM"). The storage is a power-of-two ring indexed by absolute
// offset; it grows while the unacknowledged amount grows and is reused after
// that, so steady-state sending does not allocate.
type sendBuf struct {
	ring  []byte
	base  uint64 // every byte below base is acknowledged and forgotten
	end   uint64 // one past the last byte pushed
	next  uint64 // one past the highest byte sent at least once
	acked rangeSet
	lost  rangeSet

	fin      bool // the end of the stream is at end
	finSent  bool // a frame with FIN is in flight or was acknowledged
	finAcked bool
	finLost  bool
}

// push appends data at end.
func (s *sendBuf) push(data []byte) {
	if len(data) == 0 {
		return
	}
	need := s.end + uint64(len(data)) - s.base
	if need > uint64(len(s.ring)) {
		s.grow(need)
	}
	writeRing(s.ring, s.end, data)
	s.end += uint64(len(data))
}

func (s *sendBuf) grow(need uint64) {
	c := ringSize(uint64(len(s.ring)), 1024, need)
	nr := make([]byte, c)
	copyRing(nr, s.ring, s.base, s.end)
	s.ring = nr
}

// read copies the bytes at [off, off+len(dst)) into dst. The range must
// lie within [base, end).
func (s *sendBuf) read(off uint64, dst []byte) {
	mask := uint64(len(s.ring) - 1)
	for len(dst) > 0 {
		p := off & mask
		n := copy(dst, s.ring[p:])
		dst = dst[n:]
		off += uint64(n)
	}
}

// ack records [start, end) as acknowledged and reports whether base moved.
func (s *sendBuf) ack(start, end uint64) bool {
	if end <= s.base {
		return false
	}
	if start < s.base {
		start = s.base
	}
	if start >= end {
		return false // a FIN-only frame carries no bytes
	}
	s.acked.add(start, end)
	s.lost.remove(start, end)
	if s.acked.first().start > s.base {
		return false
	}
	s.base = s.acked.first().end
	s.acked.dropFirst()
	s.lost.removeBelow(s.base)
	return true
}

// markLost queues [start, end) for retransmission, minus what was acked
// in the meantime.
func (s *sendBuf) markLost(start, end uint64) {
	if start < s.base {
		start = s.base
	}
	if end > s.next {
		end = s.next
	}
	if start >= end {
		return
	}
	s.lost.add(start, end)
	for i := 0; i < s.acked.len(); i++ {
		r := s.acked.at(i)
		if r.start >= end {
			break
		}
		s.lost.remove(r.start, r.end)
	}
}

// allAcked reports whether every byte (and the FIN, if any) is acknowledged.
func (s *sendBuf) allAcked() bool {
	return s.base == s.end && (!s.fin || s.finAcked)
}

// hasLost reports whether something waits for retransmission.
func (s *sendBuf) hasLost() bool { return !s.lost.empty() || s.finLost }

// reset forgets everything (after RESET_STREAM or key discard).
func (s *sendBuf) reset() {
	s.base, s.end, s.next = 0, 0, 0
	s.acked.clear()
	s.lost.clear()
	s.fin, s.finSent, s.finAcked, s.finLost = false, false, false, false
}

// copyRing copies the bytes at absolute offsets [start, end) from the
// power-of-two ring src to the same offsets in the larger ring dst.
func copyRing(dst, src []byte, start, end uint64) {
	if len(src) == 0 {
		return
	}
	mask, nmask := uint64(len(src)-1), uint64(len(dst)-1)
	for o := start; o < end; {
		p := o & mask
		l := min(uint64(len(src))-p, end-o)
		// dst is a multiple of src's size, so a piece that does not wrap
		// in src does not wrap in dst either.
		copy(dst[o&nmask:], src[p:p+l])
		o += l
	}
}

// writeRing copies data into the power-of-two ring at absolute offset off.
func writeRing(ring []byte, off uint64, data []byte) {
	mask := uint64(len(ring) - 1)
	for len(data) > 0 {
		n := copy(ring[off&mask:], data)
		data = data[n:]
		off += uint64(n)
	}
}

// ringSize is the power of two at least need, starting from cur (or
// first when cur is 0).
func ringSize(cur, first, need uint64) uint64 {
	if cur == 0 {
		cur = first
	}
	for cur < need {
		cur *= 2
	}
	return cur
}
