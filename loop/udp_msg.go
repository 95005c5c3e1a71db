package loop

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr for recvmmsg(2)/sendmmsg(2); x/sys has the
// syscall numbers but no wrapper.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

const (
	sockaddrSize = unix.SizeofSockaddrInet6 // large enough for both families
	controlSize  = 128                      // ECN + packet info, both families
)

// msgSlot is the storage behind one datagram of a batch: payload, peer
// address and control messages, wired into an mmsghdr once.
type msgSlot struct {
	buf  []byte
	name [sockaddrSize]byte
	ctl  [controlSize]byte
	iov  unix.Iovec
}

// wire points h at the slot for a receive of up to len(s.buf) bytes.
func (s *msgSlot) wireRecv(h *mmsghdr) {
	s.iov.Base = unsafe.SliceData(s.buf)
	s.iov.SetLen(len(s.buf))
	h.hdr.Name = &s.name[0]
	h.hdr.Namelen = sockaddrSize
	h.hdr.Iov = &s.iov
	h.hdr.SetIovlen(1)
	h.hdr.Control = &s.ctl[0]
	h.hdr.SetControllen(controlSize)
	h.hdr.Flags = 0
	h.n = 0
}

func recvmmsg(fd int, hs []mmsghdr) (int, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)),
		unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

func sendmmsg(fd int, hs []mmsghdr) (int, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)),
		unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// decodeSockaddr reads a sockaddr_in or sockaddr_in6. IPv4-mapped IPv6
// addresses are unmapped so a dual-stack socket reports IPv4 peers as
// IPv4.
func decodeSockaddr(b []byte) netip.AddrPort {
	switch binary.NativeEndian.Uint16(b[0:2]) {
	case unix.AF_INET:
		port := binary.BigEndian.Uint16(b[2:4])
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port)
	case unix.AF_INET6:
		port := binary.BigEndian.Uint16(b[2:4])
		a := netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		return netip.AddrPortFrom(a, port)
	}
	return netip.AddrPort{}
}

// encodeSockaddr writes ap as the family of the socket (v6 sockets take
// IPv4 peers as mapped addresses) and returns the length used.
func encodeSockaddr(b *[sockaddrSize]byte, ap netip.AddrPort, v6 bool) uint32 {
	*b = [sockaddrSize]byte{}
	if !v6 {
		binary.NativeEndian.PutUint16(b[0:2], unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:4], ap.Port())
		a4 := ap.Addr().Unmap().As4()
		copy(b[4:8], a4[:])
		return unix.SizeofSockaddrInet4
	}
	binary.NativeEndian.PutUint16(b[0:2], unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:4], ap.Port())
	a16 := ap.Addr().As16()
	copy(b[8:24], a16[:])
	return unix.SizeofSockaddrInet6
}

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// parseControl walks the control messages of a received datagram for the
// ECN bits of the TOS / traffic class byte (RFC 3168, Section 5: the two
// low-order bits) and the destination address (IP_PKTINFO).
func parseControl(b []byte) (ecn uint8, local netip.Addr) {
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return
		}
		data := b[unix.SizeofCmsghdr:l]
		switch {
		case h.Level == unix.IPPROTO_IP && (h.Type == unix.IP_TOS || h.Type == unix.IP_RECVTOS) && len(data) >= 1:
			ecn = data[0] & 3
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_TCLASS && len(data) >= 4:
			ecn = uint8(binary.NativeEndian.Uint32(data)) & 3
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			local = netip.AddrFrom4([4]byte(data[8:12])) // ipi_addr: the header destination
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			local = netip.AddrFrom16([16]byte(data[0:16])).Unmap()
		}
		b = b[min(cmsgAlign(l), len(b)):]
	}
	return
}

// putECN writes a control message setting the outgoing ECN codepoint and
// returns its length (0 when ecn is 0: nothing to set).
func putECN(b *[controlSize]byte, ecn uint8, v6 bool) int {
	if ecn == 0 {
		return 0
	}
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	if v6 {
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_TCLASS
	} else {
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_TOS
	}
	h.SetLen(unix.SizeofCmsghdr + 4)
	binary.NativeEndian.PutUint32(b[unix.SizeofCmsghdr:], uint32(ecn&3))
	return cmsgAlign(unix.SizeofCmsghdr + 4)
}
