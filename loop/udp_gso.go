package loop

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP generic segmentation and receive offload (Linux UDP_SEGMENT since
// 4.18, UDP_GRO since 5.0). With GSO, consecutive queued datagrams to one
// peer of one size (the last may be shorter) leave as one sendmmsg entry:
// an iovec per datagram and a UDP_SEGMENT control message with the size,
// so the stack walks them once and the NIC (or the kernel, late) cuts
// them. With GRO the kernel hands over several datagrams of one flow in
// one buffer with a UDP_GRO control message giving their size.

const (
	solUDP       = 17  // SOL_UDP
	udpSegment   = 103 // UDP_SEGMENT
	udpGRO       = 104 // UDP_GRO
	maxGSOSegs   = 64  // UDP_MAX_SEGMENTS
	maxGSOBytes  = 65000
	groRecvBytes = 65535
)

// probeGSO reports whether the kernel accepts UDP_SEGMENT on fd.
func probeGSO(fd int) bool {
	_, err := unix.GetsockoptInt(fd, solUDP, udpSegment)
	return err == nil
}

// enableGRO turns UDP_GRO on and reports whether the kernel took it.
func enableGRO(fd int) bool {
	return unix.SetsockoptInt(fd, solUDP, udpGRO, 1) == nil
}

// putSegment appends a UDP_SEGMENT control message with the segment size
// at b[off:] and returns the new length.
func putSegment(b []byte, off int, size uint16) int {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[off]))
	h.Level, h.Type = solUDP, udpSegment
	h.SetLen(unix.SizeofCmsghdr + 2)
	binary.NativeEndian.PutUint16(b[off+unix.SizeofCmsghdr:], size)
	return off + cmsgAlign(unix.SizeofCmsghdr+2)
}

// groSize returns the UDP_GRO segment size in received control messages,
// 0 when there is none.
func groSize(b []byte) int {
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0
		}
		if h.Level == solUDP && h.Type == udpGRO && l >= unix.SizeofCmsghdr+4 {
			return int(binary.NativeEndian.Uint32(b[unix.SizeofCmsghdr:]))
		}
		b = b[min(cmsgAlign(l), len(b)):]
	}
	return 0
}

// gsoRun counts the queued datagrams from ring position start (k at most)
// that can go as one GSO entry: same destination, same ECN, same size
// except a shorter last one, within the kernel's limits.
func (q *sendQueue) gsoRun(start, k int) int {
	first := start % len(q.slots)
	m0 := &q.meta[first]
	seg := m0.n
	total := seg
	n := 1
	for n < k && n < maxGSOSegs {
		i := (start + n) % len(q.slots)
		m := &q.meta[i]
		if m.n > seg || m.n == 0 || m.nameLen != m0.nameLen || m.ctlLen != m0.ctlLen ||
			total+m.n > maxGSOBytes ||
			q.slots[i].name != q.slots[first].name ||
			string(q.slots[i].ctl[:m.ctlLen]) != string(q.slots[first].ctl[:m.ctlLen]) {
			break
		}
		total += m.n
		n++
		if m.n < seg {
			break // a shorter datagram ends the run
		}
	}
	return n
}

// sendmmsgFn is sendmmsg, replaceable by tests that play a kernel
// refusing GSO.
var sendmmsgFn = sendmmsg
