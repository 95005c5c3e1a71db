package quic

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var (
	testCertOnce sync.Once
	testCert     tls.Certificate
	testPool     *x509.CertPool
)

// testTLSCert makes one self-signed certificate for "localhost".
func testTLSCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	testCertOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "localhost"},
			DNSNames:              []string{"localhost"},
			IPAddresses:           nil,
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, _ := x509.ParseCertificate(der)
		testPool = x509.NewCertPool()
		testPool.AddCert(cert)
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	})
	return testCert, testPool
}

func testServerTLS(t testing.TB, alpn string) *tls.Config {
	cert, _ := testTLSCert(t)
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}, MinVersion: tls.VersionTLS13}
}

func testClientTLS(t testing.TB, alpn string) *tls.Config {
	_, pool := testTLSCert(t)
	return &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{alpn}, MinVersion: tls.VersionTLS13}
}

var (
	testClientPath = Path{Local: netip.MustParseAddrPort("127.0.0.1:4000"), Remote: netip.MustParseAddrPort("127.0.0.1:443")}
	testServerPath = Path{Local: netip.MustParseAddrPort("127.0.0.1:443"), Remote: netip.MustParseAddrPort("127.0.0.1:4000")}
)

// testPair is a client and a server Conn joined by an in-memory relay
// with synthetic time. Datagrams can be dropped or inspected on the way.
type testPair struct {
	t        testing.TB
	ts       Tstamp
	client   *Conn
	server   *Conn
	srvCfg   *Config
	cliRecv  map[int64][]byte // stream data each side received
	srvRecv  map[int64][]byte
	cliFin   map[int64]bool
	srvFin   map[int64]bool
	buf      []byte
	rtt      Duration // one-way delay added per hop
	drop     func(fromClient bool, d []byte) bool
	sentC2S  int
	sentS2C  int
	lastErrC error
	lastErrS error
}

type pairOpts struct {
	clientSettings Settings
	serverSettings Settings
	clientParams   TransportParams
	serverParams   TransportParams
	clientCB       Callbacks
	serverCB       Callbacks
}

func newTestPair(t testing.TB, o pairOpts) *testPair {
	p := &testPair{t: t, ts: Tstamp(Seconds), cliRecv: map[int64][]byte{}, srvRecv: map[int64][]byte{},
		cliFin: map[int64]bool{}, srvFin: map[int64]bool{}, buf: make([]byte, 65536), rtt: 10 * Milliseconds}
	cliCB := o.clientCB
	if cliCB.RecvStreamData == nil {
		cliCB.RecvStreamData = func(c *Conn, fl StreamDataFlags, id int64, off uint64, data []byte) error {
			p.cliRecv[id] = append(p.cliRecv[id], data...)
			if fl&StreamDataFlagFin != 0 {
				p.cliFin[id] = true
			}
			return nil
		}
	}
	srvCB := o.serverCB
	if srvCB.RecvStreamData == nil {
		srvCB.RecvStreamData = func(c *Conn, fl StreamDataFlags, id int64, off uint64, data []byte) error {
			p.srvRecv[id] = append(p.srvRecv[id], data...)
			if fl&StreamDataFlagFin != 0 {
				p.srvFin[id] = true
			}
			return nil
		}
	}
	cc, err := NewClientConn(&Config{TLS: testClientTLS(t, "test"), Callbacks: cliCB,
		Settings: o.clientSettings, Params: o.clientParams}, &testClientPath, p.ts)
	if err != nil {
		t.Fatalf("NewClientConn: %v", err)
	}
	p.client = cc
	p.srvCfg = &Config{TLS: testServerTLS(t, "test"), Callbacks: srvCB, Settings: o.serverSettings, Params: o.serverParams}
	t.Cleanup(func() {
		p.client.closeTLS()
		if p.server != nil {
			p.server.closeTLS()
		}
	})
	return p
}

// deliver passes one datagram.
func (p *testPair) deliver(fromClient bool, d []byte) {
	if p.drop != nil && p.drop(fromClient, d) {
		return
	}
	pkt := append([]byte(nil), d...)
	if fromClient {
		p.sentC2S++
		if p.server == nil {
			s, err := NewServerConn(p.srvCfg, &testServerPath, pkt, p.ts)
			if err != nil {
				p.t.Fatalf("NewServerConn: %v", err)
			}
			p.server = s
		}
		p.lastErrS = p.server.ReadPkt(&testServerPath, nil, pkt, p.ts)
	} else {
		p.sentS2C++
		p.lastErrC = p.client.ReadPkt(&testClientPath, nil, pkt, p.ts)
	}
}

// flush exchanges datagrams until neither side has anything to send,
// advancing time by p.rtt per round. It returns the number of rounds.
func (p *testPair) flush() int {
	rounds := 0
	for ; rounds < 1000; rounds++ {
		moved := false
		for {
			n, err := p.client.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			moved = true
			p.deliver(true, p.buf[:n])
		}
		if p.server != nil {
			for {
				n, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
				if err != nil || n == 0 {
					break
				}
				moved = true
				p.deliver(false, p.buf[:n])
			}
		}
		p.ts += Tstamp(p.rtt)
		if !moved {
			// Let delayed ACK timers run.
			next := p.client.Expiry()
			if p.server != nil && p.server.Expiry() < next {
				next = p.server.Expiry()
			}
			if next > p.ts+Tstamp(30*Milliseconds) {
				return rounds
			}
			p.ts = max(p.ts, next)
			p.client.HandleExpiry(p.ts)
			if p.server != nil {
				p.server.HandleExpiry(p.ts)
			}
		}
	}
	p.t.Fatalf("flush did not settle after %d rounds", rounds)
	return rounds
}

func (p *testPair) handshake() {
	p.t.Helper()
	p.flush()
	if !p.client.HandshakeCompleted() || p.server == nil || !p.server.HandshakeCompleted() {
		p.t.Fatalf("handshake did not complete: client %v server %v (errs %v / %v)",
			p.client.HandshakeCompleted(), p.server != nil && p.server.HandshakeCompleted(), p.lastErrC, p.lastErrS)
	}
	if !p.client.handshakeConfirmed || !p.server.handshakeConfirmed {
		p.t.Fatalf("handshake not confirmed: client %v server %v", p.client.handshakeConfirmed, p.server.handshakeConfirmed)
	}
}

// writeStream sends all of data on a stream through WriteStream,
// exchanging datagrams whenever the sender cannot go on.
func (p *testPair) writeStream(from *Conn, id int64, data []byte, fin bool) {
	p.t.Helper()
	fromClient := from == p.client
	done := func() bool {
		s := from.streams[id]
		return len(data) == 0 && (!fin || s == nil || s.send.fin)
	}
	for i := 0; i < 100000 && !done(); i++ {
		flags := WriteStreamFlagNone
		if fin {
			flags |= WriteStreamFlagFin
		}
		n, consumed, err := from.WriteStream(nil, nil, p.buf, flags, id, data, p.ts)
		if err != nil && err != ErrStreamDataBlocked {
			p.t.Fatalf("WriteStream: %v", err)
		}
		data = data[consumed:]
		if n > 0 {
			p.deliver(fromClient, p.buf[:n])
		} else {
			p.flush()
		}
	}
	if !done() {
		p.t.Fatalf("writeStream did not finish")
	}
	p.flush()
}

// flushUntil exchanges single datagrams until cond holds.
func (p *testPair) flushUntil(cond func() bool) {
	for i := 0; i < 100 && !cond(); i++ {
		n, err := p.client.WritePkt(nil, nil, p.buf, p.ts)
		if err == nil && n > 0 {
			p.deliver(true, p.buf[:n])
		}
	}
}

// settle exchanges datagrams and runs timers until neither side has
// ack-eliciting packets in flight nor queued stream data.
func (p *testPair) settle() {
	p.t.Helper()
	for i := 0; i < 500; i++ {
		p.flush()
		busy := false
		for _, c := range []*Conn{p.client, p.server} {
			if c == nil || c.state >= stateClosing {
				continue
			}
			for sid := range c.spaces {
				if c.spaces[sid].ackElicitingInFlight > 0 {
					busy = true
				}
			}
			if len(c.lostStreams) > 0 || len(c.ctrlStreams) > 0 {
				busy = true
			}
		}
		if !busy {
			return
		}
		next := p.client.Expiry()
		if p.server != nil && p.server.Expiry() < next {
			next = p.server.Expiry()
		}
		if next != TstampMax && next > p.ts {
			p.ts = next
		}
		p.client.HandleExpiry(p.ts)
		if p.server != nil {
			p.server.HandleExpiry(p.ts)
		}
	}
	p.t.Fatalf("settle: still busy")
}
