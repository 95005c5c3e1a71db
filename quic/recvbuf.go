package quic

// recvBuf reassembles an incoming byte stream. Data that arrives in order
// is handed to the application straight from the decrypted packet; only
// data that arrives ahead of a gap is copied, into a power-of-two ring
// indexed by absolute offset. The ring is never larger than the flow
// control window the caller enforces, so a peer cannot make it grow
// without bound, and it is reused once grown.
type recvBuf struct {
	ring []byte
	off  uint64   // everything below off was delivered
	have rangeSet // stored ranges above off
}

// maxEnd is the highest offset received (delivered or stored).
func (r *recvBuf) maxEnd() uint64 {
	if r.have.empty() {
		return r.off
	}
	return r.have.last().end
}

// store copies data at offset off into the ring. Bytes below r.off are
// skipped. limit caps the ring size; store reports false when the data
// would need more.
func (r *recvBuf) store(off uint64, data []byte, limit uint64) bool {
	end := off + uint64(len(data))
	if end <= r.off {
		return true
	}
	if off < r.off {
		data = data[r.off-off:]
		off = r.off
	}
	need := end - r.off
	if need > uint64(len(r.ring)) {
		if need > limit {
			return false
		}
		r.grow(need)
	}
	writeRing(r.ring, off, data)
	r.have.add(off, end)
	return true
}

func (r *recvBuf) grow(need uint64) {
	c := ringSize(uint64(len(r.ring)), 4096, need)
	nr := make([]byte, c)
	for i := 0; i < r.have.len(); i++ {
		g := r.have.at(i)
		copyRing(nr, r.ring, g.start, g.end)
	}
	r.ring = nr
}

// readable returns the stored bytes at r.off (up to two pieces because
// of the ring's wrap), or nothing when there is a gap at r.off.
func (r *recvBuf) readable() (a, b []byte) {
	if r.have.empty() || r.have.first().start > r.off {
		return nil, nil
	}
	end := r.have.first().end
	mask := uint64(len(r.ring) - 1)
	p := r.off & mask
	n := end - r.off
	if p+n <= uint64(len(r.ring)) {
		return r.ring[p : p+n], nil
	}
	return r.ring[p:], r.ring[:n-(uint64(len(r.ring))-p)]
}

// advance marks bytes up to off as delivered.
func (r *recvBuf) advance(off uint64) {
	if off > r.off {
		r.off = off
		r.have.removeBelow(off)
	}
}

// release drops the ring (stream finished) so its memory goes back.
func (r *recvBuf) release() {
	r.ring = nil
	r.have.r = nil
}
