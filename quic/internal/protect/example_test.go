package protect_test

import (
	"fmt"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// A client seals an Initial packet carrying a PING; the server, which
// derives the same Initial keys from the Destination Connection ID, opens
// it in place.
func ExampleKeys_Seal() {
	dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
	clientKeys, _ := protect.InitialKeys(wire.Version1, dcid)

	pkt := make([]byte, 0, 1200)
	pkt, lengthOff := wire.AppendLongHeader(pkt, wire.PacketInitial, wire.Version1, dcid, nil, nil, 1)
	pnOff := len(pkt)
	pkt = wire.AppendPacketNumber(pkt, 0, 1)
	pkt = wire.AppendPing(pkt)
	pkt = wire.AppendPadding(pkt, 1200-len(pkt)-protect.TagLen)
	payloadLen := len(pkt) - pnOff - 1
	wire.PutVarint2(pkt[lengthOff:], uint64(1+payloadLen+protect.TagLen))
	sealed := clientKeys.Seal(pkt, pnOff, 1, 0, payloadLen)

	// The server parses the header and derives the same keys from the
	// DCID; it reads with the client's direction.
	h, _ := wire.ParseHeader(sealed, 0)
	reader, _ := protect.InitialKeys(wire.Version1, h.DstConnID)
	pn, _, payload, err := reader.Open(sealed[:h.PacketLen], h.PNOffset, -1)
	var f wire.Frame
	wire.ParseFrame(payload, &f)
	fmt.Println(len(sealed), pn, err, f.Type)
	// Output: 1200 0 <nil> PING
}
