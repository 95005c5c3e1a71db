package quic

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// sealTestPacket builds a packet of space sid carrying payload with c's
// send keys, as c would send it (for injecting arbitrary frames).
func (c *Conn) sealTestPacket(sid spaceID, payload []byte) []byte {
	sp := &c.spaces[sid]
	if !sp.hasSend {
		return nil
	}
	typ := wire.Packet1RTT
	switch sid {
	case spaceInitial:
		typ = wire.PacketInitial
	case spaceHandshake:
		typ = wire.PacketHandshake
	}
	pn := sp.nextPN
	sp.nextPN++
	pnLen := 4
	var b []byte
	lengthOff := -1
	if typ == wire.Packet1RTT {
		b = wire.AppendShortHeader(nil, c.dcid, pnLen, c.keyPhase)
	} else {
		b, lengthOff = wire.AppendLongHeader(nil, typ, c.version, c.dcid, c.scid, c.token, pnLen)
	}
	pnOff := len(b)
	b = wire.AppendPacketNumber(b, uint64(pn), pnLen)
	b = append(b, payload...)
	if len(payload) == 0 {
		b = append(b, 0) // PADDING, keep the sample in range
	}
	plen := len(b) - pnOff - pnLen
	if lengthOff >= 0 {
		wire.PutVarint2(b[lengthOff:], uint64(pnLen+plen+tagLen))
	}
	b = append(b, make([]byte, tagLen)...)
	return sp.sendKeys.Seal(b[:len(b)-tagLen], pnOff, pnLen, uint64(pn), plen)
}

// footprint is the memory the connection holds for peer-controlled
// state: stream reassembly rings and range sets, crypto buffers, stream
// objects.
func (c *Conn) footprint() int {
	n := 0
	for _, s := range c.streams {
		n += 256 + len(s.recv.ring) + 16*cap(s.recv.have.r) + len(s.send.ring)
	}
	for i := range c.spaces {
		n += len(c.spaces[i].cryptoRecv.ring) + len(c.spaces[i].crypto.ring)
	}
	return n
}

// FuzzServerConn feeds a server Conn, after a real handshake, a series of
// records: raw datagrams, or frame payloads that are sealed into valid
// packets of a chosen space so the fuzzer reaches frame handling. Whatever
// comes in, the Conn must not panic, must keep its memory bounded by its
// flow control windows, and must answer a violation with a
// CONNECTION_CLOSE carrying a transport error code.
func FuzzServerConn(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := newTestPair(t, pairOpts{})
		if len(in) > 0 && in[0] == 'H' {
			// Stay in the handshake: only the client's first flight
			// arrives, so records reach the server's Initial space.
			in = in[1:]
			for {
				n, err := p.client.WritePkt(nil, nil, p.buf, p.ts)
				if err != nil || n == 0 {
					break
				}
				p.deliver(true, p.buf[:n])
			}
		} else {
			p.handshake()
		}
		buf := make([]byte, 1500)
		for len(in) >= 3 {
			kind := in[0]
			n := int(binary.BigEndian.Uint16(in[1:3]))
			in = in[3:]
			if n > len(in) {
				n = len(in)
			}
			rec := in[:n]
			in = in[n:]
			var dgram []byte
			if kind&1 == 0 {
				dgram = append([]byte(nil), rec...)
			} else {
				sid := spaceID(kind>>1) % numSpaces
				if !p.client.spaces[sid].hasSend {
					sid = spaceInitial
					if !p.client.spaces[sid].hasSend {
						sid = spaceApp
					}
				}
				dgram = p.client.sealTestPacket(sid, rec)
				if sid == spaceInitial {
					dgram = append(dgram, make([]byte, MaxUDPPayloadSize)...)
				}
			}
			err := p.server.ReadPkt(&testServerPath, nil, dgram, p.ts)
			var ce *ConnError
			if errors.As(err, &ce) {
				if ce.CCErr.Type != CCErrTypeTransport {
					t.Fatalf("violation %v without a transport CCErr", ce)
				}
			}
			for i := 0; i < 8; i++ {
				m, err := p.server.WritePkt(nil, nil, buf, p.ts)
				if err != nil || m == 0 {
					break
				}
				if ce != nil && i == 0 && p.client.spaces[spaceApp].hasRecv {
					// The first datagram after a violation is the close.
					pk := openDatagramDCIDLen(t, p.client, buf[:m], len(p.server.dcid))
					cf := closeFrames(pk)
					if len(cf) == 0 {
						t.Fatalf("violation %v not answered with CONNECTION_CLOSE", ce)
					}
				}
			}
			p.ts += Tstamp(Milliseconds)
			p.server.HandleExpiry(p.ts)
			limit := 2*int(p.server.flow.recvMax) + 4*p.server.settings.MaxCryptoBuffer + 300*p.server.settings.MaxStreams + (1 << 20)
			if fp := p.server.footprint(); fp > limit {
				t.Fatalf("server holds %d bytes of peer-controlled state, limit %d", fp, limit)
			}
		}
	})
}

// fuzzSeeds are hand-made records: frames a client may send, and a few
// broken ones. testdata/fuzz/FuzzServerConn holds them too.
func fuzzSeeds() [][]byte {
	rec := func(kind byte, b []byte) []byte {
		return append([]byte{kind, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	app := byte(2*spaceApp + 1)
	cat := func(rs ...[]byte) []byte {
		var out []byte
		for _, r := range rs {
			out = append(out, r...)
		}
		return out
	}
	stream := wire.AppendStreamFrame(nil, 0, 0, []byte("hello"), true, true)
	gap := wire.AppendStreamFrame(nil, 4, 1000, []byte("later"), false, true)
	return [][]byte{
		rec(app, stream),
		cat(rec(app, gap), rec(app, wire.AppendStreamFrame(nil, 4, 0, make([]byte, 1000), false, true))),
		rec(app, wire.AppendResetStream(nil, 0, 7, 100)),
		rec(app, wire.AppendStopSending(nil, 0, 9)),
		rec(app, wire.AppendMaxData(nil, 1<<30)),
		rec(app, wire.AppendMaxStreamData(nil, 0, 1<<20)),
		rec(app, wire.AppendMaxStreams(nil, true, 1000)),
		rec(app, wire.AppendStreamsBlocked(nil, false, 3)),
		rec(app, wire.AppendDataBlocked(nil, 10)),
		rec(app, wire.AppendStreamDataBlocked(nil, 0, 10)),
		rec(app, wire.AppendAckFrame(nil, []wire.AckRange{{Smallest: 0, Largest: 2}}, 10, nil)),
		rec(app, wire.AppendPing(nil)),
		rec(app, wire.AppendPathChallenge(nil, [8]byte{1, 2, 3})),
		rec(app, wire.AppendNewConnectionID(nil, 1, 0, []byte{1, 2, 3, 4, 5, 6, 7, 8}, [16]byte{9})),
		rec(app, wire.AppendRetireConnectionID(nil, 0)),
		rec(app, wire.AppendConnectionClose(nil, true, 5, 0, []byte("bye"))),
		rec(app, wire.AppendHandshakeDone(nil)),                                                          // server must refuse
		rec(app, wire.AppendStreamFrame(nil, 1, 0, []byte("x"), false, true)),                            // local stream not opened
		rec(app, wire.AppendStreamFrame(nil, 4*1000, 0, []byte("x"), false, true)),                       // over the stream limit
		rec(app, wire.AppendStreamFrame(nil, 8, 1<<40, []byte("x"), false, true)),                        // over flow control
		cat(rec(app, stream), rec(app, wire.AppendStreamFrame(nil, 0, 0, []byte("hello!"), true, true))), // final size change
		rec(app, wire.AppendDatagram(nil, []byte("dgram"), true)),
		rec(app, []byte{0x40, 0x01}),                                                                    // non-minimal frame type
		rec(app, []byte{0x1f}),                                                                          // unknown frame
		rec(1, wire.AppendCryptoFrame(nil, 0, []byte{1, 2, 3})),                                         // Initial, keys discarded
		rec(0, []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),                                             // garbage short header
		rec(0, []byte{0xc0, 0, 0, 0, 1, 8}),                                                             // truncated long header
		append([]byte("H"), rec(1, wire.AppendCryptoFrame(nil, 0, []byte{1, 0, 0, 1, 0}))...),           // bogus TLS in Initial
		append([]byte("H"), rec(1, wire.AppendCryptoFrame(nil, 1<<20, []byte{1}))...),                   // far CRYPTO offset
		append([]byte("H"), rec(1, wire.AppendAckFrame(nil, []wire.AckRange{{Largest: 0}}, 0, nil))...), // ACK in Initial
		append([]byte("H"), rec(1, wire.AppendStreamFrame(nil, 0, 0, []byte("x"), false, true))...),     // STREAM in Initial
	}
}
