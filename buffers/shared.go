package buffers

import "sync"

// SharedPool is the goroutine-safe counterpart of LocalPool: the same
// classes, a mutex per class. The zero value is ready to use.
type SharedPool struct {
	// Retain bounds the bytes kept per class, as in LocalPool.
	Retain int

	classes [NumClasses]struct {
		mu    sync.Mutex
		bufs  [][]byte
		rings []*Ring
	}
}

func (p *SharedPool) keep(class, have int) bool { return keepOne(p.Retain, class, have) }

// Get is LocalPool.Get, safe for concurrent use.
func (p *SharedPool) Get(size int) []byte {
	c := ClassOf(size)
	if c < 0 {
		return make([]byte, size)
	}
	cl := &p.classes[c]
	cl.mu.Lock()
	if n := len(cl.bufs); n > 0 {
		b := cl.bufs[n-1]
		cl.bufs[n-1] = nil
		cl.bufs = cl.bufs[:n-1]
		cl.mu.Unlock()
		checkPoison(b[:cap(b)])
		return b[:size]
	}
	cl.mu.Unlock()
	return make([]byte, size, ClassSize(c))
}

// Put is LocalPool.Put, safe for concurrent use.
func (p *SharedPool) Put(b []byte) {
	c := exactClass(cap(b))
	if c < 0 {
		return
	}
	b = b[:cap(b)]
	poison(b)
	cl := &p.classes[c]
	cl.mu.Lock()
	if p.keep(c, len(cl.bufs)) {
		cl.bufs = append(cl.bufs, b)
	}
	cl.mu.Unlock()
}

// GetRing is LocalPool.GetRing, safe for concurrent use.
func (p *SharedPool) GetRing(size int) *Ring {
	c := ClassOf(size)
	if c < 0 {
		return NewRing(size)
	}
	cl := &p.classes[c]
	cl.mu.Lock()
	if n := len(cl.rings); n > 0 {
		r := cl.rings[n-1]
		cl.rings[n-1] = nil
		cl.rings = cl.rings[:n-1]
		cl.mu.Unlock()
		checkPoison(r.buf)
		return r
	}
	cl.mu.Unlock()
	return NewRing(ClassSize(c))
}

// PutRing is LocalPool.PutRing, safe for concurrent use.
func (p *SharedPool) PutRing(r *Ring) {
	if r == nil {
		return
	}
	c := exactClass(r.Cap())
	if c < 0 {
		return
	}
	r.Reset()
	poison(r.buf)
	cl := &p.classes[c]
	cl.mu.Lock()
	if p.keep(c, len(cl.rings)) {
		cl.rings = append(cl.rings, r)
	}
	cl.mu.Unlock()
}
