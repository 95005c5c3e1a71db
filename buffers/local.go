package buffers

// DefaultLocalRetain is the number of bytes a LocalPool keeps per size class
// when Retain is zero.
const DefaultLocalRetain = 4 << 20

// LocalPool is a size-classed pool of byte slices and rings for one
// goroutine (one event loop). It takes no locks; using it from two
// goroutines at once is a data race. The zero value is ready to use.
type LocalPool struct {
	// Retain bounds the bytes kept per class (slices and rings counted
	// separately); buffers Put beyond it are left to the garbage
	// collector. Zero means DefaultLocalRetain; it always keeps at least
	// one buffer per class.
	Retain int

	bufs  [NumClasses][][]byte
	rings [NumClasses][]*Ring
}

func (p *LocalPool) keep(class, have int) bool { return keepOne(p.Retain, class, have) }

// keepOne reports whether a pool holding have buffers of class, with
// retain bytes allowed per class, keeps one more.
func keepOne(retain, class, have int) bool {
	if retain == 0 {
		retain = DefaultLocalRetain
	}
	return have == 0 || (have+1)*ClassSize(class) <= retain
}

// Get returns a slice of length size whose capacity is size's class size.
// Sizes above MaxClassSize are allocated exactly and not pooled.
func (p *LocalPool) Get(size int) []byte {
	c := ClassOf(size)
	if c < 0 {
		return make([]byte, size)
	}
	free := p.bufs[c]
	if n := len(free); n > 0 {
		b := free[n-1]
		free[n-1] = nil
		p.bufs[c] = free[:n-1]
		checkPoison(b[:cap(b)])
		return b[:size]
	}
	return make([]byte, size, ClassSize(c))
}

// Put hands b back. b's capacity must be a class size (as Get returns);
// other slices are dropped. The caller must not touch b afterwards.
func (p *LocalPool) Put(b []byte) {
	c := exactClass(cap(b))
	if c < 0 || !p.keep(c, len(p.bufs[c])) {
		return
	}
	b = b[:cap(b)]
	poison(b)
	p.bufs[c] = append(p.bufs[c], b)
}

// GetRing returns an empty ring with capacity of size's class (at least
// MinClassSize). Sizes above MaxClassSize get an unpooled ring.
func (p *LocalPool) GetRing(size int) *Ring {
	c := ClassOf(size)
	if c < 0 {
		return NewRing(size)
	}
	free := p.rings[c]
	if n := len(free); n > 0 {
		r := free[n-1]
		free[n-1] = nil
		p.rings[c] = free[:n-1]
		checkPoison(r.buf)
		return r
	}
	return NewRing(ClassSize(c))
}

// PutRing hands r back, emptied. The caller must not touch r afterwards.
func (p *LocalPool) PutRing(r *Ring) {
	if r == nil {
		return
	}
	c := exactClass(r.Cap())
	if c < 0 || !p.keep(c, len(p.rings[c])) {
		return
	}
	r.Reset()
	poison(r.buf)
	p.rings[c] = append(p.rings[c], r)
}
