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
	c   *loop.Conn
	cpu chan struct{} // the handler's compute tokens (Options.HandshakeCPU)

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

	// Where the bytes handed to crypto/tls stand in the record stream:
	// the header bytes seen of the next record, and the body bytes of
	// the current one still to hand over.
	hdr     [recordHeaderLen]byte
	hdrN    int
	recLeft int
}

// maxCiphertext is the largest record a peer may send (RFC 5246, Section
// 6.2.3: "The length (in bytes) of the following TLSCiphertext.fragment.
// The length MUST NOT exceed 2^14 + 2048."); RFC 8446 allows less.
const maxCiphertext = maxPlaintext + 2048

// track advances the record position over b, handed to crypto/tls.
func (p *pipe) track(b []byte) {
	for len(b) > 0 {
		if p.recLeft > 0 {
			k := min(p.recLeft, len(b))
			p.recLeft -= k
			b = b[k:]
			continue
		}
		k := copy(p.hdr[p.hdrN:], b)
		p.hdrN += k
		b = b[k:]
		if p.hdrN == recordHeaderLen {
			p.recLeft = int(p.hdr[3])<<8 | int(p.hdr[4])
			p.hdrN = 0
		}
	}
}

// aligned reports whether crypto/tls has been handed whole records only.
func (p *pipe) aligned() bool { return p.hdrN == 0 && p.recLeft == 0 }

// nextRecord returns the length of the complete record at the start of
// b, 0 if it is not all there. An oversized header counts as complete:
// crypto/tls answers it with record_overflow.
func nextRecord(b []byte) int {
	if len(b) < recordHeaderLen {
		return 0
	}
	n := int(b[3])<<8 | int(b[4])
	switch {
	case recordHeaderLen+n <= len(b):
		return recordHeaderLen + n
	case n > maxCiphertext:
		return len(b)
	}
	return 0
}

// hasInput reports whether a Read in record mode would return bytes.
func (p *pipe) hasInput() bool {
	if len(p.in) > 0 {
		return true
	}
	rest := p.src[p.taken:]
	if !p.aligned() {
		return len(rest) > 0
	}
	return nextRecord(rest) > 0
}

func newPipe(c *loop.Conn, maxIn int, cpu chan struct{}) *pipe {
	return &pipe{c: c, wake: make(chan struct{}, 1), maxIn: maxIn, cpu: cpu}
}

// The worker holds a compute token while it runs crypto/tls and gives it
// back while it waits for the peer, so handshakes that wait (a slow or
// stalled client) cost no CPU share and handshakes that compute leave
// the event loops theirs.
func (p *pipe) acquire() { p.cpu <- struct{}{} }
func (p *pipe) release() { <-p.cpu }

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

func (p *pipe) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Read implements net.Conn.
func (p *pipe) Read(b []byte) (int, error) {
	if p.records {
		return p.readRecords(b)
	}
	for {
		p.mu.Lock()
		if len(p.in) > 0 {
			n := copy(b, p.in)
			p.track(p.in[:n])
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
		p.release()
		<-p.wake
		p.acquire()
	}
}

// readRecords is Read on the loop. It hands crypto/tls one whole record
// at a time and leaves a partial record in the loop's input (OnData
// returns it unconsumed, to be presented again with the rest), so
// crypto/tls never holds more than the record it works on. Then recv
// knows, without asking crypto/tls, whether another Read can return
// data: each refill of crypto/tls's buffer costs it an allocation
// (readFromUntil's atLeastReader), and a Read that only finds out there
// is nothing would be one more per event.
func (p *pipe) readRecords(b []byte) (int, error) {
	if len(p.in) > 0 { // bytes fed during the handshake, not read by it
		n := copy(b, p.in)
		p.track(p.in[:n])
		p.in = p.in[n:]
		return n, nil
	}
	rest := p.src[p.taken:]
	var lim int
	switch {
	case len(rest) == 0:
		return 0, errWouldBlock
	case p.recLeft > 0:
		lim = p.recLeft // the rest of a record crypto/tls has begun
	case p.hdrN > 0:
		lim = recordHeaderLen - p.hdrN
	default:
		if lim = nextRecord(rest); lim == 0 {
			return 0, errWouldBlock
		}
	}
	n := copy(b, rest[:min(lim, len(rest))])
	p.track(rest[:n])
	p.taken += n
	return n, nil
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
