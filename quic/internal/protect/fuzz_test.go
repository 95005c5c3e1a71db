package protect

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// fuzzKeys are fixed keys of each suite; the v1 Initial keys of the RFC
// 9001 example let the seed corpus hold packets that really open.
func fuzzKeys(t testing.TB) []Keys {
	c, s := InitialKeys(wire.Version1, rfcDCID)
	ks := []Keys{c, s}
	for _, suite := range allSuites {
		ks = append(ks, suiteKeys(t, wire.Version1, suite))
	}
	// RFC 9001, Appendix A.5.
	k, err := NewKeys(wire.Version1, uint16(ChaCha20Poly1305SHA256), rfcChaChaSecret)
	if err != nil {
		t.Fatal(err)
	}
	return append(ks, k)
}

// FuzzOpen feeds arbitrary bytes to Open with every suite: it must never
// panic, and a payload it returns must lie inside the packet.
func FuzzOpen(f *testing.F) {
	f.Add(unhex(f, "4cfe4189655e5cd55c41f69080575d7999c25a5bfb"), uint8(1), int64(654360563))
	f.Add(readHex(f, "v1_server_initial_protected.hex"), uint8(18), int64(0))
	f.Add([]byte{}, uint8(0), int64(-1))
	keys := fuzzKeys(f)
	f.Fuzz(func(t *testing.T, pkt []byte, pnOffset uint8, largest int64) {
		if largest < -1 || largest > wire.MaxPacketNumber {
			largest = -1
		}
		for i := range keys {
			p := append([]byte(nil), pkt...)
			pn, pnLen, payload, err := keys[i].Open(p, int(pnOffset), largest)
			if err != nil {
				continue
			}
			if pnLen < 1 || pnLen > 4 || pn < 0 || len(payload) != len(p)-int(pnOffset)-pnLen-TagLen {
				t.Fatalf("Open = pn %d len %d payload %d bytes of a %d-byte packet", pn, pnLen, len(payload), len(p))
			}
		}
	})
}

// FuzzSealOpen: whatever the payload, packet number and header, Open
// returns exactly what Seal protected.
func FuzzSealOpen(f *testing.F) {
	f.Add([]byte("hello, world"), uint64(0), uint8(1), false)
	f.Add([]byte{1, 2, 3}, uint64(1<<30), uint8(4), true)
	keys := fuzzKeys(f)
	f.Fuzz(func(t *testing.T, payload []byte, pn uint64, pnLen uint8, long bool) {
		pn &= wire.MaxPacketNumber
		l := int(pnLen%4) + 1
		for len(payload)+l < 4 {
			payload = append(payload, 0)
		}
		var hdr []byte
		if long {
			var lo int
			hdr, lo = wire.AppendLongHeader(nil, wire.PacketHandshake, wire.Version1, []byte{1, 2, 3, 4}, nil, nil, l)
			wire.PutVarint2(hdr[lo:], uint64(min(l+len(payload)+TagLen, 1<<14-1)))
		} else {
			hdr = wire.AppendShortHeader(nil, []byte{1, 2, 3, 4}, l, pn&1 == 1)
		}
		pnOff := len(hdr)
		for i := range keys {
			pkt := make([]byte, 0, pnOff+l+len(payload)+TagLen)
			pkt = append(wire.AppendPacketNumber(append(pkt, hdr...), pn, l), payload...)
			sealed := keys[i].Seal(pkt, pnOff, l, pn, len(payload))
			// The receiver has seen pn-1, so any length decodes pn.
			gotPN, gotLen, got, err := keys[i].Open(sealed, pnOff, int64(pn)-1)
			if err != nil || gotPN != int64(pn) || gotLen != l || !bytes.Equal(got, payload) {
				t.Fatalf("%s: Open(Seal) = %d %d %x %v; want %d %d %x",
					tls.CipherSuiteName(uint16(keys[i].Suite())), gotPN, gotLen, got, err, pn, l, payload)
			}
		}
	})
}
