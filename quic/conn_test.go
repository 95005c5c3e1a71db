package quic

import (
	"bytes"
	"testing"
)

func TestConnHandshake(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	p.handshake()
	if got := p.client.TLSConnectionState().NegotiatedProtocol; got != "test" {
		t.Errorf("client ALPN = %q, want %q", got, "test")
	}
	if !p.client.spaces[spaceInitial].discarded || !p.client.spaces[spaceHandshake].discarded {
		t.Errorf("client kept Initial/Handshake keys after confirmation")
	}
	if !p.server.spaces[spaceInitial].discarded || !p.server.spaces[spaceHandshake].discarded {
		t.Errorf("server kept Initial/Handshake keys after confirmation")
	}
}

func TestConnStreamEcho(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	p.handshake()
	id, err := p.client.OpenBidiStream(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("hello quic "), 1000)
	p.writeStream(p.client, id, msg, true)
	if !bytes.Equal(p.srvRecv[id], msg) || !p.srvFin[id] {
		t.Fatalf("server got %d bytes fin=%v, want %d with fin", len(p.srvRecv[id]), p.srvFin[id], len(msg))
	}
	p.writeStream(p.server, id, msg, true)
	if !bytes.Equal(p.cliRecv[id], msg) || !p.cliFin[id] {
		t.Fatalf("client got %d bytes fin=%v, want %d with fin", len(p.cliRecv[id]), p.cliFin[id], len(msg))
	}
	p.flush()
	if p.client.StreamCount() != 0 || p.server.StreamCount() != 0 {
		t.Errorf("streams left open: client %d server %d", p.client.StreamCount(), p.server.StreamCount())
	}
}

func TestConnHandshakeVersion2(t *testing.T) {
	p := newTestPair(t, pairOpts{clientSettings: Settings{Version: Version2}})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	vc, err := DecodeVersionCID(p.buf[:n], 8)
	if err != nil || vc.Version != Version2 {
		t.Fatalf("first Initial has version %x (%v), want QUIC v2", vc.Version, err)
	}
	p.deliver(true, p.buf[:n])
	p.handshake()
	if p.server.Version() != Version2 {
		t.Errorf("server speaks %x", p.server.Version())
	}
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("v2"), true)
	if string(p.srvRecv[id]) != "v2" {
		t.Errorf("stream over v2: %q", p.srvRecv[id])
	}
}
