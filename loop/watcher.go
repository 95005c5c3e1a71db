package loop

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// watcher waits for write readiness of blocked connections on a private
// epoll set, because gnet v2.10 has no writable callback. A blocked
// connection's fd is armed with EPOLLOUT|EPOLLONESHOT; when it fires, the
// watcher goroutine marks the connection woken and calls gnet's Conn.Wake,
// which brings it back into OnTraffic on its own loop, where the flush
// continues.
//
// The fd→conn map is shared by the loops (arm, forget) and the watcher
// goroutine, so it has a mutex. Closing a socket removes it from every
// epoll set, and the fd number may then be reused by a new connection; each
// registration therefore carries the connection's generation in the epoll
// data, and an event whose generation does not match the current owner of
// the fd is dropped.
type watcher struct {
	epfd int
	evfd int // eventfd that tells the goroutine to exit

	mu sync.Mutex
	m  map[int32]*Conn

	done chan struct{}
}

func newWatcher() (*watcher, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	w := &watcher{epfd: epfd, evfd: evfd, m: make(map[int32]*Conn), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// arm asks for one wake-up when c's socket becomes writable (or fails).
// Called on c's loop.
func (w *watcher) arm(c *Conn) {
	fd := int32(c.fd)
	w.mu.Lock()
	w.m[fd] = c
	w.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: fd, Pad: int32(c.gen)}
	op := unix.EPOLL_CTL_MOD
	if c.flags&fWatched == 0 {
		op = unix.EPOLL_CTL_ADD
	}
	err := unix.EpollCtl(w.epfd, op, c.fd, &ev)
	switch {
	case err == unix.EEXIST:
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
	case err == unix.ENOENT:
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev)
	}
	if err != nil {
		c.fail(os.NewSyscallError("epoll_ctl", err))
		return
	}
	c.flags |= fWatched
}

// forget drops c from the map; called on c's loop when it closes, before
// gnet closes the fd (which removes it from the epoll set).
func (w *watcher) forget(c *Conn) {
	if c.flags&fWatched == 0 {
		return
	}
	fd := int32(c.fd)
	w.mu.Lock()
	if w.m[fd] == c {
		delete(w.m, fd)
	}
	w.mu.Unlock()
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
}

func (w *watcher) run() {
	defer close(w.done)
	events := make([]unix.EpollEvent, 128)
	for {
		n, err := unix.EpollWait(w.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for i := 0; i < n; i++ {
			ev := &events[i]
			if int(ev.Fd) == w.evfd {
				return
			}
			w.mu.Lock()
			c := w.m[ev.Fd]
			if c != nil && int32(c.gen) != ev.Pad {
				c = nil // stale event for a previous owner of the fd
			}
			w.mu.Unlock()
			if c != nil {
				c.woken.Store(true)
				_ = c.gc.Wake(nil)
			}
		}
	}
}

func (w *watcher) close() {
	var one = [8]byte{1}
	_, _ = unix.Write(w.evfd, one[:])
	<-w.done
	unix.Close(w.epfd)
	unix.Close(w.evfd)
}
