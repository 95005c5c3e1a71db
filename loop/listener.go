package loop

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Listener is one listening address with its handler.
type Listener struct {
	network string // tcp, tcp4 or tcp6
	addr    *net.TCPAddr
	h       Handler
	hold    int // placeholder socket reserving a port-0 address until gnet binds it; -1 if none
}

// Addr returns the address the listener is bound to, with the real port
// when it was asked for port 0.
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Handler returns the listener's handler.
func (ln *Listener) Handler() Handler { return ln.h }

func (ln *Listener) protoAddr() string {
	return ln.network + "://" + ln.addr.String()
}

// newListener parses addr ("host:port" or "tcp://host:port", tcp4/tcp6
// too). For port 0 it binds a placeholder socket with SO_REUSEADDR and
// SO_REUSEPORT (not listening, so it takes no connections) to learn a free
// port; gnet's listeners then bind that port and the placeholder is closed
// once they are up. This is what makes port 0 work with one SO_REUSEPORT
// socket per loop.
func newListener(addr string, h Handler) (*Listener, error) {
	network := "tcp"
	if i := strings.Index(addr, "://"); i >= 0 {
		network, addr = addr[:i], addr[i+3:]
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("loop: unsupported network %q", network)
	}
	ta, err := net.ResolveTCPAddr(network, addr)
	if err != nil {
		return nil, err
	}
	ln := &Listener{network: network, addr: ta, h: h, hold: -1}
	if ta.IP == nil {
		ta.IP = net.IPv4zero
		if network == "tcp6" {
			ta.IP = net.IPv6unspecified
		}
	}
	if ta.Port == 0 {
		if err := ln.reservePort(); err != nil {
			return nil, err
		}
	}
	return ln, nil
}

func (ln *Listener) reservePort() error {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ip4 := ln.addr.IP.To4(); ip4 != nil && ln.network != "tcp6" {
		s := &unix.SockaddrInet4{}
		copy(s.Addr[:], ip4)
		sa = s
	} else {
		family = unix.AF_INET6
		s := &unix.SockaddrInet6{}
		copy(s.Addr[:], ln.addr.IP.To16())
		if ln.addr.Zone != "" {
			if ifi, err := net.InterfaceByName(ln.addr.Zone); err == nil {
				s.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return os.NewSyscallError("bind", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return os.NewSyscallError("getsockname", err)
	}
	switch s := got.(type) {
	case *unix.SockaddrInet4:
		ln.addr.Port = s.Port
	case *unix.SockaddrInet6:
		ln.addr.Port = s.Port
	}
	ln.hold = fd
	return nil
}

func (ln *Listener) release() {
	if ln.hold >= 0 {
		unix.Close(ln.hold)
		ln.hold = -1
	}
}

// matches reports whether a connection accepted with local address a came
// through ln. gnet reports the listener's own address as the local
// address of accepted connections.
func (ln *Listener) matches(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	return ta.Port == ln.addr.Port && (ta.IP.Equal(ln.addr.IP) || ln.addr.IP.IsUnspecified())
}

func (ln *Listener) String() string {
	return ln.network + "://" + net.JoinHostPort(ln.addr.IP.String(), strconv.Itoa(ln.addr.Port))
}
