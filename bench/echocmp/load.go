package echocmp

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// load is a set of client connections to one server, each running
// ping-pong round trips of one message size while enabled.
type load struct {
	conns   []net.Conn
	size    int
	msgs    atomic.Int64
	flying  atomic.Int64
	running atomic.Bool
	gate    chan struct{} // closed while running
	mu      sync.Mutex
	stop    atomic.Bool
	wg      sync.WaitGroup
	errs    atomic.Int64
	lastErr atomic.Value
}

func newLoad(addr string, conns, size int) (*load, error) {
	l := &load{size: size, gate: make(chan struct{})}
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("echocmp: dial %s: %w", addr, err)
		}
		l.conns = append(l.conns, c)
	}
	for _, c := range l.conns {
		l.wg.Add(1)
		go l.pingPong(c)
	}
	return l, nil
}

func (l *load) pingPong(c net.Conn) {
	defer l.wg.Done()
	msg := make([]byte, l.size)
	got := make([]byte, l.size)
	for i := range msg {
		msg[i] = byte(i)
	}
	for {
		l.mu.Lock()
		gate := l.gate
		l.mu.Unlock()
		<-gate
		if l.stop.Load() {
			return
		}
		l.flying.Add(1)
		if _, err := c.Write(msg); err != nil {
			l.fail(err)
			return
		}
		if _, err := io.ReadFull(c, got); err != nil {
			l.fail(err)
			return
		}
		l.msgs.Add(1)
		l.flying.Add(-1)
	}
}

func (l *load) fail(err error) {
	if !l.stop.Load() {
		l.errs.Add(1)
		l.lastErr.Store(err)
	}
}

// run lets the clients go for about d, waits for the round trips in
// flight to finish, and returns how many completed and how long it took.
func (l *load) run(d time.Duration) (int64, time.Duration) {
	m0 := l.msgs.Load()
	t0 := time.Now()
	l.mu.Lock()
	close(l.gate)
	l.mu.Unlock()
	time.Sleep(d)
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.mu.Unlock()
	for l.flying.Load() > 0 && l.errs.Load() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	return l.msgs.Load() - m0, time.Since(t0)
}

func (l *load) close() {
	l.stop.Store(true)
	l.mu.Lock()
	select {
	case <-l.gate:
	default:
		close(l.gate)
	}
	l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.wg.Wait()
}
