package tlsconn

import "sync"

// pool runs handshakes on at most max goroutines at once, with up to
// maxPending more waiting in FIFO order. Workers are started on demand
// and exit when the queue is empty, so an idle server holds none.
type pool struct {
	mu         sync.Mutex
	running    int
	max        int
	maxPending int
	queue      []*conn
	head       int
}

func newPool(max, maxPending int) *pool { return &pool{max: max, maxPending: maxPending} }

// submit queues cs for a handshake. It returns false when the queue is
// full.
func (p *pool) submit(cs *conn) bool {
	p.mu.Lock()
	if p.running < p.max {
		p.running++
		p.mu.Unlock()
		go p.work(cs)
		return true
	}
	if len(p.queue)-p.head >= p.maxPending {
		p.mu.Unlock()
		return false
	}
	p.queue = append(p.queue, cs)
	p.mu.Unlock()
	return true
}

func (p *pool) work(cs *conn) {
	for cs != nil {
		cs.handshake()
		p.mu.Lock()
		cs = nil
		if p.head < len(p.queue) {
			cs = p.queue[p.head]
			p.queue[p.head] = nil
			p.head++
			if p.head == len(p.queue) {
				p.queue, p.head = p.queue[:0], 0
			} else if p.head >= 64 && 2*p.head >= len(p.queue) {
				// A queue that never empties must not grow its array.
				n := copy(p.queue, p.queue[p.head:])
				clear(p.queue[n:])
				p.queue, p.head = p.queue[:n], 0
			}
		} else {
			p.running--
		}
		p.mu.Unlock()
	}
}

// pending returns the number of handshakes waiting for a worker.
func (p *pool) pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) - p.head
}
