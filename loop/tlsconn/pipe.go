package tlsconn

import (
	"net"
	"sync"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// pipe is the net.Conn a connection's tls.Conn runs over. It has two
// modes, switched once on the loop when the handshake ends:
//
//   - Handshake: a handshake worker owns the tls.Conn. Read blocks until
//     the loop has fed bytes (feed) or the connection closed; Write
//     queues the bytes and posts a flush to the loop with Conn.Execute.
//     Both sides take mu.
//   - Records: the loop owns the tls.Conn. Read returns the bytes the
//     loop is presenting in OnData (src) and, when they run out,
//     errWouldBlock, a temporary net.Error that crypto/tls passes up
//     without marking the connection broken (conn.go, readRecordOrCCS:
//     "if e, ok := err.(net.Error); !ok || !e.Temporary()"). Write goes
//     straight to loop.Conn.WriteRaw. No locks are taken: one goroutine.
type pipe struct {
	c *loop.Conn

	mu       sync.Mutex
	wake     chan struct{} // cap 1: feed or close happened
	in       []byte        // handshake: fed by the loop, not yet read
	out      []byte        // handshake: written by the worker, not yet flushed
	spare    []byte        // the other out buffer, swapped on flush
	flushing bool          // a flush is posted to the loop
	closed   bool
	maxIn    int // bound on in (Options.MaxHandshakeBytes)
	inTotal  int

	records bool   // record mode: the loop owns the tls.Conn
	src     []byte // record mode: OnData's bytes not yet read
	taken   int    // record mode: bytes of src read so far
}

func newPipe(c *loop.Conn, maxIn int) *pipe {
	return &pipe{c: c, wake: make(chan struct{}, 1), maxIn: maxIn}
}

// errWouldBlock tells crypto/tls there is nothing more to read now.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlsconn: no more input now" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// feed hands handshake bytes from the loop to the worker. It takes at
// most what keeps the total under maxIn and returns how many it took.
func (p *pipe) feed(b []byte) int {
	p.mu.Lock()
	n := min(len(b), p.maxIn-p.inTotal)
	p.inTotal += n
	p.in = append(p.in, b[:n]...)
	p.mu.Unlock()
	if n > 0 {
		p.signal()
	}
	return n
}

func (p *pipe) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// close wakes a worker blocked in Read; its handshake fails.
func (p *pipe) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.signal()
}

// Read implements net.Conn.
func (p *pipe) Read(b []byte) (int, error) {
	if p.records {
		if len(p.in) > 0 { // read ahead of the handshake's end
			n := copy(b, p.in)
			p.in = p.in[n:]
			return n, nil
		}
		if p.taken == len(p.src) {
			return 0, errWouldBlock
		}
		n := copy(b, p.src[p.taken:])
		p.taken += n
		return n, nil
	}
	for {
		p.mu.Lock()
		if len(p.in) > 0 {
			n := copy(b, p.in)
			p.in = p.in[n:]
			if len(p.in) == 0 {
				p.in = p.in[:0:0] // drop the reference; feed reallocates small
			}
			p.mu.Unlock()
			return n, nil
		}
		if p.closed {
			p.mu.Unlock()
			return 0, net.ErrClosed
		}
		p.mu.Unlock()
		<-p.wake
	}
}

// Write implements net.Conn.
func (p *pipe) Write(b []byte) (int, error) {
	if p.records {
		return p.c.WriteRaw(b)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return 0, net.ErrClosed
	}
	p.out = append(p.out, b...)
	post := !p.flushing
	p.flushing = true
	p.mu.Unlock()
	if post {
		if err := p.c.Execute(p.flush); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// flush runs on the loop: it writes what the worker queued.
func (p *pipe) flush(c *loop.Conn) {
	p.mu.Lock()
	out := p.out
	p.out = p.spare[:0]
	p.flushing = false
	p.mu.Unlock()
	if len(out) > 0 {
		_, _ = c.WriteRaw(out)
	}
	p.mu.Lock()
	p.spare = out[:0]
	p.mu.Unlock()
}

// toRecords switches to record mode on the loop once the worker is done.
// Output still queued is flushed first, so it goes out before any record
// the loop writes.
func (p *pipe) toRecords() {
	p.flush(p.c)
	p.mu.Lock()
	p.records = true
	p.out, p.spare = nil, nil
	p.mu.Unlock()
}

// present sets the bytes Read returns in record mode.
func (p *pipe) present(src []byte) { p.src, p.taken = src, 0 }

func (p *pipe) Close() error                     { p.close(); return nil }
func (p *pipe) LocalAddr() net.Addr              { return p.c.LocalAddr() }
func (p *pipe) RemoteAddr() net.Addr             { return p.c.RemoteAddr() }
func (p *pipe) SetDeadline(time.Time) error      { return nil }
func (p *pipe) SetReadDeadline(time.Time) error  { return nil }
func (p *pipe) SetWriteDeadline(time.Time) error { return nil }
