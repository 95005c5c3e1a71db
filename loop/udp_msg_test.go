package loop

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSockaddrRoundTrip(t *testing.T) {
	tests := []struct {
		ap string
		v6 bool
	}{
		{"127.0.0.1:443", false},
		{"[::1]:8443", true},
		{"192.0.2.7:1", true}, // IPv4 peer on a dual-stack socket: mapped on the wire, unmapped back
		{"[2001:db8::1]:65535", true},
	}
	for _, tt := range tests {
		ap := netip.MustParseAddrPort(tt.ap)
		var b [sockaddrSize]byte
		encodeSockaddr(&b, ap, tt.v6)
		if got := decodeSockaddr(b[:]); got != ap {
			t.Errorf("%s (v6 socket %v) came back as %s", ap, tt.v6, got)
		}
	}
}

func TestECNControlRoundTrip(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		for ecn := uint8(0); ecn < 4; ecn++ {
			var b [controlSize]byte
			n := putECN(&b, ecn, v6)
			if ecn == 0 {
				if n != 0 {
					t.Fatalf("Not-ECT wrote %d control bytes, want none", n)
				}
				continue
			}
			if got, _ := parseControl(b[:n]); got != ecn {
				t.Errorf("v6=%v: ECN %d parsed back as %d", v6, ecn, got)
			}
		}
	}
}

// FuzzParseControl: control message parsing never panics or reads past
// the buffer, whatever the lengths say.
func FuzzParseControl(f *testing.F) {
	var b [controlSize]byte
	n := putECN(&b, 2, false)
	f.Add(append([]byte(nil), b[:n]...))
	n = putECN(&b, 3, true)
	f.Add(append([]byte(nil), b[:n]...))
	f.Add(make([]byte, unix.SizeofCmsghdr))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Control data is 8-byte aligned in the kernel's buffer.
		buf := make([]uint64, (len(data)+7)/8)
		raw := unsafeBytes(buf)[:len(data)]
		copy(raw, data)
		ecn, _ := parseControl(raw)
		if ecn > 3 {
			t.Fatalf("ECN %d out of range", ecn)
		}
	})
}
