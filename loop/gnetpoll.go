package loop

import (
	"reflect"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// gnetPollFD finds the epoll descriptor of the gnet event loop that owns
// gc, so the engine can pause reading a connection by removing EPOLLIN
// (gnet v2.10 offers no such call, and without it gnet keeps reading into
// an unbounded inbound buffer while the handler cannot keep up).
//
// It reads gnet's unexported fields conn.loop.poller.fd through reflection;
// gnet is pinned at v2.10.0 in go.mod, built without the poll_opt tag (the
// default poller keeps the fd in epoll_event.data, which the MOD below
// preserves). The result is verified with an EPOLL_CTL_MOD that restores
// the connection's current registration (EPOLLIN|EPOLLPRI, level
// triggered); -1 means "not found", and pausing is then unavailable.
func gnetPollFD(gc gnet.Conn) int {
	fd := -1
	func() {
		defer func() { _ = recover() }()
		v := reflect.ValueOf(gc)
		if v.Kind() != reflect.Pointer {
			return
		}
		p := v.Elem().FieldByName("loop")
		if !p.IsValid() || p.IsNil() {
			return
		}
		p = p.Elem().FieldByName("poller")
		if !p.IsValid() || p.IsNil() {
			return
		}
		f := p.Elem().FieldByName("fd")
		if f.IsValid() && f.CanInt() {
			fd = int(f.Int())
		}
	}()
	if fd < 0 {
		return -1
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLPRI, Fd: int32(gc.Fd())}
	if unix.EpollCtl(fd, unix.EPOLL_CTL_MOD, gc.Fd(), &ev) != nil {
		return -1
	}
	return fd
}
