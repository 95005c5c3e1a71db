package quic

import (
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

func TestConnCallbackFailureAbortsReadPkt(t *testing.T) {
	appErr := errors.New("application refuses")
	p := newTestPair(t, pairOpts{serverCB: Callbacks{
		RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return appErr },
	}})
	p.handshake()
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, 0, []byte("x"), false, true))
	if !errors.Is(err, ErrCallbackFailure) || !errors.Is(err, appErr) {
		t.Fatalf("ReadPkt with a failing callback = %v; want ErrCallbackFailure wrapping the callback's error", err)
	}
}

func TestConnAckedStreamDataOffsetIsContiguous(t *testing.T) {
	var acked uint64
	gaps := 0
	p := newTestPair(t, pairOpts{clientCB: Callbacks{
		AckedStreamDataOffset: func(c *Conn, id int64, off, n uint64) error {
			if off != acked {
				gaps++
			}
			acked = off + n
			return nil
		},
	}})
	p.handshake()
	drop := 0
	p.drop = func(fromClient bool, d []byte) bool {
		drop++
		return fromClient && drop%7 == 0
	}
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, make([]byte, 100000), true)
	p.settle()
	if acked != 100000 || gaps != 0 {
		t.Fatalf("AckedStreamDataOffset reached %d with %d gaps; want 100000 reported in order", acked, gaps)
	}
}

func TestConnExtendMaxStreamDataCallback(t *testing.T) {
	var got uint64
	p := newTestPair(t, pairOpts{
		clientCB:     Callbacks{ExtendMaxStreamData: func(c *Conn, id int64, max uint64) error { got = max; return nil }},
		serverParams: TransportParams{InitialMaxData: 1 << 20, InitialMaxStreamDataBidiRemote: 4096, InitialMaxStreamsBidi: 4},
	})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, make([]byte, 20000), true)
	if got <= 4096 {
		t.Fatalf("ExtendMaxStreamData reported %d, want more than the initial 4096", got)
	}
}

func TestConnHandshakeDoneIsRetransmitted(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	dropped := false
	p.drop = func(fromClient bool, d []byte) bool {
		// Drop the server's first 1-RTT-only datagram (it carries
		// HANDSHAKE_DONE).
		if !fromClient && !dropped && d[0]&0x80 == 0 && p.server.handshakeCompleted {
			dropped = true
			return true
		}
		return false
	}
	p.settle()
	if !dropped {
		t.Fatal("nothing dropped")
	}
	if !p.client.handshakeConfirmed {
		t.Fatal("client never confirmed the handshake: HANDSHAKE_DONE was not sent again")
	}
}

func TestConnWritesFromCallbacksAreRefused(t *testing.T) {
	var werr, rerr, herr error
	var p *testPair
	p = newTestPair(t, pairOpts{serverCB: Callbacks{
		RecvStreamData: func(c *Conn, _ StreamDataFlags, id int64, _ uint64, d []byte) error {
			buf := make([]byte, 1500)
			_, werr = c.WritePkt(nil, nil, buf, p.ts)
			rerr = c.ReadPkt(nil, nil, buf[:100], p.ts)
			herr = c.HandleExpiry(p.ts)
			return nil
		},
	}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("x"), true)
	if !errors.Is(werr, ErrInvalidState) || !errors.Is(rerr, ErrInvalidState) || !errors.Is(herr, ErrInvalidState) {
		t.Fatalf("from a callback: WritePkt %v, ReadPkt %v, HandleExpiry %v; want ErrInvalidState", werr, rerr, herr)
	}
}

func TestConnDelFromCallback(t *testing.T) {
	p := newTestPair(t, pairOpts{serverCB: Callbacks{
		StreamOpen: func(c *Conn, id int64) error { c.Del(); return nil },
	}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	err := p.inject(p.client, spaceApp, append(wire.AppendStreamFrame(nil, id, 0, []byte("x"), false, true),
		wire.AppendStreamFrame(nil, id+4, 0, []byte("y"), false, true)...))
	if err != nil {
		t.Fatalf("ReadPkt with Del in a callback: %v", err)
	}
	if !p.server.IsClosed() {
		t.Fatal("Del from a callback did not take effect after the call")
	}
}
