package quic_test

import (
	"crypto/tls"
	"fmt"
	"net/netip"

	"github.com/ngloop/ngloop/quic"
)

// A client Conn produces its first datagram, a padded Initial packet,
// before any network I/O happens.
func ExampleNewClientConn() {
	path := quic.Path{
		Local:  netip.MustParseAddrPort("127.0.0.1:50000"),
		Remote: netip.MustParseAddrPort("127.0.0.1:443"),
	}
	c, err := quic.NewClientConn(&quic.Config{
		TLS: &tls.Config{ServerName: "example.com", NextProtos: []string{"echo"}},
	}, &path, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, quic.MaxUDPPayloadSize)
	n, err := c.WritePkt(nil, nil, buf, 1)
	fmt.Println(n, err, quic.AcceptInitial(buf[:n]))
	// Output: 1200 <nil> <nil>
}

// A server answers a datagram of an unknown version with Version
// Negotiation.
func ExampleWriteVersionNegotiation() {
	d := make([]byte, 1200)
	copy(d, []byte{0xc0, 0xff, 0x00, 0x00, 0x99, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9})
	vc, err := quic.DecodeVersionCID(d, 8)
	fmt.Println(err == quic.ErrVersionNegotiationNeeded)
	out := make([]byte, 64)
	n, _ := quic.WriteVersionNegotiation(out, vc.DCID, vc.SCID, nil)
	fmt.Printf("%d bytes, DCID %x\n", n, out[6:10])
	// Output:
	// true
	// 31 bytes, DCID 09090909
}

// A connection picks CUBIC instead of the default NewReno; a user's own
// controller (here one that never lets more than 64 KiB fly) plugs in
// through Settings.NewCC instead.
func ExampleSettings_congestionControl() {
	cubic := quic.Settings{CongestionControl: quic.CCCubic}
	capped := quic.Settings{NewCC: func(mds uint64) quic.CongestionController {
		return &cappedCC{NewRenoCC: quic.NewReno(mds), limit: 64 << 10}
	}}
	fmt.Println(cubic.CongestionControl == quic.CCCubic, capped.NewCC(1200).Window())
	// Output: true 12000
}

// cappedCC is NewReno with an upper bound on the window.
type cappedCC struct {
	*quic.NewRenoCC
	limit uint64
}

func (c *cappedCC) Window() uint64 { return min(c.NewRenoCC.Window(), c.limit) }
