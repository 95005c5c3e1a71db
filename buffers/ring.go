package buffers

import "math/bits"

// Ring is a byte ring buffer with a power-of-two capacity. The zero value
// has no storage; make one with NewRing or get one from a pool. A Ring is
// not safe for concurrent use.
type Ring struct {
	buf  []byte
	mask uint64
	r, w uint64 // free-running read and write positions; w-r is the length
}

// NewRing returns a ring whose capacity is size rounded up to a power of
// two (at least 1).
func NewRing(size int) *Ring {
	r := new(Ring)
	r.init(make([]byte, roundPow2(size)))
	return r
}

func (r *Ring) init(buf []byte) {
	r.buf = buf
	r.mask = uint64(len(buf) - 1)
	r.r, r.w = 0, 0
}

// roundPow2 returns the smallest power of two >= n, and 1 for n <= 1.
func roundPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// Len returns the number of readable bytes.
func (r *Ring) Len() int { return int(r.w - r.r) }

// Cap returns the capacity, which never changes.
func (r *Ring) Cap() int { return len(r.buf) }

// Free returns the number of bytes Write can take now.
func (r *Ring) Free() int { return len(r.buf) - r.Len() }

// Reset empties the ring.
func (r *Ring) Reset() { r.r, r.w = 0, 0 }

// Write copies as much of p as fits and returns how many bytes that was.
// It never grows the ring, so n < len(p) means the ring is full.
func (r *Ring) Write(p []byte) (n int) {
	a, b := r.Writable()
	n = copy(a, p)
	n += copy(b, p[n:])
	r.w += uint64(n)
	return n
}

// Writable returns the free space as at most two slices, for callers that
// produce bytes in place (a read syscall, an encoder). Commit makes the
// first n bytes of a then b readable. The slices are valid until the next
// call that changes the ring.
func (r *Ring) Writable() (a, b []byte) {
	if len(r.buf) == 0 {
		return nil, nil
	}
	free := r.Free()
	start := int(r.w & r.mask)
	if start+free <= len(r.buf) {
		return r.buf[start : start+free], nil
	}
	return r.buf[start:], r.buf[:free-(len(r.buf)-start)]
}

// Commit makes n bytes written through Writable readable. n is clamped to
// the free space.
func (r *Ring) Commit(n int) {
	if n <= 0 {
		return
	}
	if f := r.Free(); n > f {
		n = f
	}
	r.w += uint64(n)
}

// Peek returns the readable bytes as at most two slices, oldest first; b is
// empty unless the data wraps around the end of the storage. The slices
// alias the ring and are valid until the next call that changes it.
func (r *Ring) Peek() (a, b []byte) {
	n := r.Len()
	if n == 0 {
		return nil, nil
	}
	start := int(r.r & r.mask)
	if start+n <= len(r.buf) {
		return r.buf[start : start+n], nil
	}
	return r.buf[start:], r.buf[:n-(len(r.buf)-start)]
}

// Discard drops the first n readable bytes (all of them if n > Len) and
// returns how many were dropped. An emptied ring rewinds to the start of
// its storage so the next Peek is one slice.
func (r *Ring) Discard(n int) int {
	if n <= 0 {
		return 0
	}
	if l := r.Len(); n >= l {
		r.r, r.w = 0, 0
		return l
	}
	r.r += uint64(n)
	return n
}

// Read copies up to len(p) readable bytes into p and discards them.
func (r *Ring) Read(p []byte) int {
	a, b := r.Peek()
	n := copy(p, a)
	n += copy(p[n:], b)
	r.Discard(n)
	return n
}
